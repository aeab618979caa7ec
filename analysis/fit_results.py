"""Results of fitting a whole series: :class:`SeriesFitResult`, arrays shaped (n_scans, n_peaks).

Peaks of all windows are numbered together: global peak ``k`` belongs to window
``peak_window[k]`` and is peak ``peak_in_window[k]`` there. Window-level statistics (reduced χ²,
R_wp in percent, success, flags) are shaped (n_scans, n_windows). Every window parameter
(backgrounds, Kα2 ratio, second shape parameters) is kept in ``values``/``stderr`` so a scan's
curves can be drawn again exactly with :meth:`SeriesFitResult.curves`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Optional

import numpy as np

from .axis import two_theta_to_d, two_theta_to_q
from .fit_windows import FitWindow
from .window_model import WindowModel

PEAK_QUANTITIES = ("center", "fwhm", "area", "height", "shape")
"""Per-peak quantities; each has an ``*_err`` twin. Units: degrees 2θ, degrees, intensity×degrees,
intensity, dimensionless (eta for pseudo-Voigt-type models, m for Pearson VII)."""


@dataclass(frozen=True, eq=False)
class SeriesFitResult:
    """Per-scan, per-peak fit results of a series.

    scan:            (n_scans,) index of each row in the fitted series
    time_s:          (n_scans,) seconds, from the series
    wavelength_A:    for d and Q; None when the series has none
    center ... shape_err: (n_scans, n_peaks) float, NaN where a peak is absent or not fitted
    peak_flags:      (n_scans, n_peaks) str, ``"|"``-joined ("absent", "at_bound")
    redchi, rwp:     (n_scans, n_windows) float (R_wp in percent)
    success:         (n_scans, n_windows) bool
    window_flags:    (n_scans, n_windows) str ("recovered", "poor_fit", "failed")
    values, stderr:  per window, (n_scans, n_params) over ``windows[w].param_names``
    """

    windows: tuple[FitWindow, ...]
    scan: np.ndarray
    time_s: np.ndarray
    wavelength_A: Optional[float]
    center: np.ndarray
    center_err: np.ndarray
    fwhm: np.ndarray
    fwhm_err: np.ndarray
    area: np.ndarray
    area_err: np.ndarray
    height: np.ndarray
    height_err: np.ndarray
    shape: np.ndarray
    shape_err: np.ndarray
    peak_flags: np.ndarray
    redchi: np.ndarray
    rwp: np.ndarray
    success: np.ndarray
    window_flags: np.ndarray
    values: tuple[np.ndarray, ...]
    stderr: tuple[np.ndarray, ...]

    @classmethod
    def empty(cls, windows, scan, time_s, wavelength_A) -> "SeriesFitResult":
        """NaN-filled result to be filled in by the fitting driver."""
        n, n_peaks, n_w = len(scan), sum(w.n_peaks for w in windows), len(windows)
        nan = {f.name: np.full((n, n_peaks), np.nan) for f in fields(cls)
               if f.name.split("_err")[0] in PEAK_QUANTITIES}
        return cls(windows=tuple(windows), scan=np.asarray(scan, dtype=int),
                   time_s=np.asarray(time_s, dtype=float), wavelength_A=wavelength_A, **nan,
                   peak_flags=np.full((n, n_peaks), "", dtype=object),
                   redchi=np.full((n, n_w), np.nan), rwp=np.full((n, n_w), np.nan),
                   success=np.zeros((n, n_w), dtype=bool),
                   window_flags=np.full((n, n_w), "", dtype=object),
                   values=tuple(np.full((n, len(w.param_names)), np.nan) for w in windows),
                   stderr=tuple(np.full((n, len(w.param_names)), np.nan) for w in windows))

    @property
    def n_scans(self) -> int:
        return self.scan.size

    @property
    def n_peaks(self) -> int:
        return self.center.shape[1]

    @property
    def peak_window(self) -> np.ndarray:
        return np.concatenate([np.full(w.n_peaks, i) for i, w in enumerate(self.windows)]).astype(int)

    @property
    def peak_in_window(self) -> np.ndarray:
        return np.concatenate([np.arange(w.n_peaks) for w in self.windows]).astype(int)

    def peak_slice(self, window_index: int) -> slice:
        start = sum(w.n_peaks for w in self.windows[:window_index])
        return slice(start, start + self.windows[window_index].n_peaks)

    @property
    def peak_labels(self) -> tuple[str, ...]:
        out = []
        for w in self.windows:
            for i in range(w.n_peaks):
                out.append(w.peak_labels[i] if i < len(w.peak_labels) else f"{w.label} #{i}")
        return tuple(out)

    @property
    def d_A(self) -> np.ndarray:
        """Lattice spacing from the centers, (n_scans, n_peaks), NaN without a wavelength."""
        if not self.wavelength_A:
            return np.full(self.center.shape, np.nan)
        return two_theta_to_d(self.center, self.wavelength_A)

    @property
    def q_inv_A(self) -> np.ndarray:
        if not self.wavelength_A:
            return np.full(self.center.shape, np.nan)
        return two_theta_to_q(self.center, self.wavelength_A)

    @property
    def d_err_A(self) -> np.ndarray:
        """|dd/d2θ| · center_err = d · cot θ · Δθ (radians)."""
        theta = np.radians(self.center) / 2.0
        return np.abs(self.d_A / np.tan(theta)) * np.radians(self.center_err) / 2.0

    def flags(self, scan_row: int, peak: int) -> str:
        """Window and peak flags of one cell, ``"|"``-joined."""
        w = self.peak_window[peak]
        parts = [f for f in (self.window_flags[scan_row, w], self.peak_flags[scan_row, peak]) if f]
        return "|".join(parts)

    @property
    def absent(self) -> np.ndarray:
        """(n_scans, n_peaks) bool."""
        return np.vectorize(lambda f: "absent" in f.split("|"), otypes=[bool])(self.peak_flags)

    def window_values(self, scan_row: int, window_index: int) -> dict[str, float]:
        """All parameters of one window on one scan (a seed for :func:`analysis.peak_fitting.fit_scan`)."""
        w = self.windows[window_index]
        return dict(zip(w.param_names, map(float, self.values[window_index][scan_row])))

    def curves(self, x_deg: np.ndarray, scan_row: int, window_index: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(x_window, best, background, components (n_peaks, n))`` of a stored fit, for drawing."""
        w = self.windows[window_index]
        x_deg = np.asarray(x_deg, dtype=float)
        xw = x_deg[(x_deg >= w.lo_deg) & (x_deg <= w.hi_deg)]
        model = WindowModel(w, xw)
        v = self.values[window_index][scan_row]
        return xw, model.evaluate(v), model.background(v), model.components(v)

    def copy(self) -> "SeriesFitResult":
        """A deep copy (the arrays of a result are filled in place while fitting)."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        for k, v in kw.items():
            if isinstance(v, np.ndarray):
                kw[k] = v.copy()
        kw["values"] = tuple(a.copy() for a in self.values)
        kw["stderr"] = tuple(a.copy() for a in self.stderr)
        return SeriesFitResult(**kw)

    def with_scan_fit(self, scan_row: int, window_index: int, fit) -> "SeriesFitResult":
        """A copy with one window of one scan replaced by ``fit`` (a
        :class:`~analysis.peak_fitting.ScanFit` of ``windows[window_index]``), e.g. after the user
        refitted that scan by hand."""
        if fit.window != self.windows[window_index]:
            raise ValueError("the fit is of a different window than the one it would replace")
        out = self.copy()
        cols = out.peak_slice(window_index)
        for q in PEAK_QUANTITIES:
            getattr(out, q)[scan_row, cols] = getattr(fit, q)
            getattr(out, q + "_err")[scan_row, cols] = getattr(fit, q + "_err")
        out.peak_flags[scan_row, cols] = list(fit.peak_flags)
        out.window_flags[scan_row, window_index] = "|".join(fit.flags)
        out.redchi[scan_row, window_index], out.rwp[scan_row, window_index] = fit.redchi, fit.rwp
        out.success[scan_row, window_index] = fit.success
        out.values[window_index][scan_row] = fit.values
        out.stderr[window_index][scan_row] = fit.stderr
        return out

    def equals(self, other: "SeriesFitResult") -> bool:
        """Identical numbers (NaN equal to NaN), flags, windows and metadata."""
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("values", "stderr"):
                if len(a) != len(b) or not all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b)):
                    return False
            elif isinstance(a, np.ndarray):
                if a.shape != np.shape(b):
                    return False
                same = (np.array_equal(a, b, equal_nan=True) if a.dtype.kind == "f"
                        else np.array_equal(a, b))
                if not same:
                    return False
            elif a != b:
                return False
        return True
