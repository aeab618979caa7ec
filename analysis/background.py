"""Per-scan backgrounds: automatic (SNIP, arPLS, AsLS via pybaselines) or a polynomial through
user-chosen anchor windows; and the background-subtracted stack of a whole series.

Methods are small frozen dataclasses whose fields are their parameters, so a choice can be
saved and re-run. Widths and anchor windows are in the unit of the series' own x axis
(``series.x_kind``: 2θ degrees, Q in 1/Å or d in Å), named ``*_x`` for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
from pybaselines import Baseline

from .cancel import CancelToken, ProgressFn, ProgressThrottle, check
from .series import ScanSeries


@dataclass(frozen=True)
class SnipBackground:
    """SNIP clipping (Ryan et al. 1988). ``max_half_window_x`` should exceed the half base width
    of the broadest peak; ``decreasing`` clips from wide to narrow. ``filter_order`` 4 (Morháč &
    Matoušek 2008) follows curved backgrounds; order 2 erodes broad humps by ~10 %."""

    max_half_window_x: float = 1.0
    decreasing: bool = True
    smooth_half_window: int = 0
    filter_order: int = 4


@dataclass(frozen=True)
class ArplsBackground:
    """Asymmetrically reweighted penalised least squares (Baek et al. 2015); larger ``lam`` is
    stiffer (the right value grows with the number of points; 1e3 suits ~1000-2000 points).
    Needs no width, copes with strongly curved backgrounds."""

    lam: float = 1e3


@dataclass(frozen=True)
class AslsBackground:
    """Asymmetric least squares (Eilers & Boelens 2005): ``p`` is the weight of points above the
    baseline, ``lam`` the stiffness."""

    lam: float = 1e6
    p: float = 0.01


@dataclass(frozen=True)
class AnchorPolynomialBackground:
    """Least-squares polynomial of ``order`` through every point inside the ``anchors_x`` windows
    ``((lo, hi), ...)``, which the user places where there is no peak."""

    anchors_x: tuple[tuple[float, float], ...]
    order: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors_x", tuple((float(a), float(b)) for a, b in self.anchors_x))
        if not self.anchors_x:
            raise ValueError("an anchor-polynomial background needs at least one anchor window")
        if self.order < 0:
            raise ValueError("polynomial order must be >= 0")


BackgroundMethod = Union[SnipBackground, ArplsBackground, AslsBackground, AnchorPolynomialBackground]


class _Estimator:
    """A method bound to one x grid, reused for every scan of a series."""

    def __init__(self, x: np.ndarray, method: BackgroundMethod) -> None:
        self.x = np.asarray(x, dtype=float)
        self.method = method
        if isinstance(method, AnchorPolynomialBackground):
            self._design = self._anchor_design(method)
        else:
            self._fitter = Baseline(self.x, assume_sorted=True)

    def _anchor_design(self, m: AnchorPolynomialBackground):
        inside = np.zeros(self.x.size, dtype=bool)
        for lo, hi in m.anchors_x:
            inside |= (self.x >= min(lo, hi)) & (self.x <= max(lo, hi))
        if inside.sum() < m.order + 1:
            raise ValueError(f"the anchor windows hold {int(inside.sum())} points; "
                             f"a polynomial of order {m.order} needs at least {m.order + 1}")
        mid, half = 0.5 * (self.x[0] + self.x[-1]), 0.5 * (self.x[-1] - self.x[0]) or 1.0
        basis = np.vander((self.x - mid) / half, m.order + 1)  # scaled for conditioning
        return inside, basis

    def many(self, y: np.ndarray) -> np.ndarray:
        """Backgrounds of a (n_scans, n_points) block; the anchor polynomial solves all at once."""
        if isinstance(self.method, AnchorPolynomialBackground):
            inside, basis = self._design
            coef, *_ = np.linalg.lstsq(basis[inside], y[:, inside].T, rcond=None)
            return (basis @ coef).T
        return np.vstack([self.one(row) for row in y])

    def one(self, y: np.ndarray) -> np.ndarray:
        m = self.method
        if isinstance(m, AnchorPolynomialBackground):
            return self.many(y[None, :])[0]
        if isinstance(m, SnipBackground):
            step = float(np.median(np.diff(self.x)))
            hw = max(int(round(m.max_half_window_x / step)), 1)
            smooth = m.smooth_half_window or None
            return self._fitter.snip(y, max_half_window=hw, decreasing=m.decreasing,
                                     smooth_half_window=smooth, filter_order=m.filter_order)[0]
        if isinstance(m, ArplsBackground):
            return self._fitter.arpls(y, lam=m.lam)[0]
        if isinstance(m, AslsBackground):
            return self._fitter.asls(y, lam=m.lam, p=m.p)[0]
        raise TypeError(f"unknown background method {m!r}")


def compute_background(x: np.ndarray, y: np.ndarray, method: BackgroundMethod) -> np.ndarray:
    """Background of one pattern ``y`` on ``x`` (both (n_points,), x increasing)."""
    return _Estimator(x, method).one(np.asarray(y, dtype=float))


def background_stack(series: ScanSeries, method: BackgroundMethod, *, progress: Optional[ProgressFn] = None,
                     cancel: Optional[CancelToken] = None, chunk: int = 32) -> np.ndarray:
    """Backgrounds of every scan, (n_scans, n_points); checks ``cancel`` between chunks of scans."""
    est = _Estimator(series.x, method)
    out = np.empty(series.intensity.shape)
    tick = ProgressThrottle(progress, series.n_scans)
    for start in range(0, series.n_scans, chunk):
        check(cancel)
        stop = min(start + chunk, series.n_scans)
        out[start:stop] = est.many(np.asarray(series.intensity[start:stop], dtype=float))
        tick(stop)
    return out


def subtract_background(series: ScanSeries, method: BackgroundMethod, *,
                        progress: Optional[ProgressFn] = None,
                        cancel: Optional[CancelToken] = None) -> ScanSeries:
    """The series with each scan's background subtracted (for the background-subtracted map)."""
    bg = background_stack(series, method, progress=progress, cancel=cancel)
    return series.with_intensity(series.intensity - bg, note=f"background subtracted ({describe(method)})")


def describe(method: BackgroundMethod) -> str:
    """A short human-readable description, e.g. ``"SNIP, half window 1 x-units"``."""
    if isinstance(method, SnipBackground):
        return f"SNIP, half window {method.max_half_window_x:g}"
    if isinstance(method, ArplsBackground):
        return f"arPLS, lam {method.lam:g}"
    if isinstance(method, AslsBackground):
        return f"AsLS, lam {method.lam:g}, p {method.p:g}"
    return f"polynomial order {method.order} through {len(method.anchors_x)} anchor windows"
