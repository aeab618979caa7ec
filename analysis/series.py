"""The immutable operando scan series that every reader returns and every step consumes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

import numpy as np

from . import axis as ax

TIME_SOURCES = ("header", "file", "mtime", "index")
"""Where per-scan times came from: a header timestamp, a time dataset in the file, file
modification times, or nothing (the scan index stands in, one second per scan)."""


def frozen_array(a, dtype=float) -> Optional[np.ndarray]:
    """A read-only copy of ``a`` as ``dtype`` (None stays None): the arrays of immutable records."""
    if a is None:
        return None
    a = np.array(a, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ScanSeries:
    """A stack of powder patterns on one common axis.

    x:              (n_points,) axis values, strictly increasing, in the unit named by ``x_kind``
    x_kind:         ``"two_theta_deg"`` | ``"q_inv_A"`` | ``"d_A"`` (see :mod:`analysis.axis`)
    intensity:      (n_scans, n_points)
    sigma:          (n_scans, n_points) standard uncertainties, or None
    time_s:         (n_scans,) seconds since the start of the first scan
    start_epoch_s:  POSIX time of the first scan's start, or None when unknown
    time_source:    one of :data:`TIME_SOURCES`
    wavelength_A:   in Å, or None when the file does not say
    source:         (n_scans,) where each scan came from (file path, or ``file.h5::/path[i]``)
    layout:         how the reader found the data, for ``info`` and the status bar
    notes:          things the user should be told (e.g. that scans were interpolated)
    """

    x: np.ndarray
    intensity: np.ndarray
    time_s: np.ndarray
    x_kind: str = ax.TWO_THETA
    sigma: Optional[np.ndarray] = None
    start_epoch_s: Optional[float] = None
    time_source: str = "index"
    wavelength_A: Optional[float] = None
    source: tuple[str, ...] = ()
    layout: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        x = frozen_array(self.x)
        inten = frozen_array(self.intensity)
        if inten.ndim == 1:
            inten = frozen_array(inten[None, :])
        time_s = frozen_array(self.time_s)
        sigma = frozen_array(self.sigma)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "intensity", inten)
        object.__setattr__(self, "time_s", time_s)
        object.__setattr__(self, "sigma", sigma)
        object.__setattr__(self, "source", tuple(str(s) for s in self.source))
        object.__setattr__(self, "notes", tuple(self.notes))
        if self.x_kind not in ax.AXIS_KINDS:
            raise ValueError(f"x_kind must be one of {ax.AXIS_KINDS}, not {self.x_kind!r}")
        if x.ndim != 1 or inten.ndim != 2 or inten.shape[1] != x.size:
            raise ValueError(f"intensity {inten.shape} does not match axis {x.shape}")
        if time_s.shape != (inten.shape[0],):
            raise ValueError(f"time_s {time_s.shape} does not match {inten.shape[0]} scans")
        if sigma is not None and sigma.shape != inten.shape:
            raise ValueError(f"sigma {sigma.shape} does not match intensity {inten.shape}")
        if self.time_source not in TIME_SOURCES:
            raise ValueError(f"time_source must be one of {TIME_SOURCES}")

    @property
    def n_scans(self) -> int:
        return self.intensity.shape[0]

    @property
    def n_points(self) -> int:
        return self.intensity.shape[1]

    def axis_as(self, kind: str) -> np.ndarray:
        """The x axis converted to ``kind`` (needs the wavelength when 2θ is involved)."""
        return ax.convert_axis(self.x, self.x_kind, kind, self.wavelength_A)

    @property
    def two_theta_deg(self) -> np.ndarray:
        return self.axis_as(ax.TWO_THETA)

    def with_wavelength(self, wavelength_A: float) -> "ScanSeries":
        """A copy with the wavelength set (e.g. from the command line); arrays are shared."""
        return replace(self, wavelength_A=float(wavelength_A))

    def with_intensity(self, intensity: np.ndarray, note: str | None = None) -> "ScanSeries":
        """A copy with a new intensity stack of the same shape (e.g. background subtracted)."""
        notes = self.notes + ((note,) if note else ())
        return replace(self, intensity=intensity, sigma=self.sigma, notes=notes)

    def subset(self, scans: Sequence[int] | slice) -> "ScanSeries":
        """The series restricted to some scans (times stay relative to the original first scan)."""
        idx = np.arange(self.n_scans)[scans]
        return replace(
            self,
            intensity=self.intensity[idx],
            sigma=None if self.sigma is None else self.sigma[idx],
            time_s=self.time_s[idx],
            source=tuple(self.source[i] for i in idx) if self.source else (),
        )


def common_grid(axes: Sequence[np.ndarray]) -> tuple[np.ndarray, bool]:
    """The grid that scans on different axes share, and whether any differ.

    The grid spans the overlap of all axes with the finest median step among them, so no
    scan is extrapolated and none loses resolution.
    """
    first = axes[0]
    if all(a.shape == first.shape and np.allclose(a, first, rtol=0, atol=1e-9 * max(1.0, abs(first[-1])))
           for a in axes[1:]):
        return first, False
    lo = max(float(a[0]) for a in axes)
    hi = min(float(a[-1]) for a in axes)
    if not hi > lo:
        raise ValueError("the scans' axes do not overlap")
    step = min(float(np.median(np.diff(a))) for a in axes)
    n = int(np.floor((hi - lo) / step + 1e-9)) + 1
    return lo + step * np.arange(n), True


def stack_on_common_grid(axes: Sequence[np.ndarray], values: Sequence[np.ndarray]
                         ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Stack 1-D patterns that may sit on different axes; returns (grid, stack, interpolated)."""
    grid, differ = common_grid(axes)
    if not differ:
        return grid, np.vstack(values), False
    stack = np.vstack([np.interp(grid, a, v) for a, v in zip(axes, values)])
    return grid, stack, True
