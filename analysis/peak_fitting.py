"""Fit one scan inside one window: :func:`fit_scan` -> :class:`ScanFit`.

Recovery and flags
------------------
A fit is tried from the seed (a neighbour's result) or, without one, from a fresh guess. If it
fails, has a reduced χ² (or R_wp) above its limit, leaves a center or FWHM on a bound, or finds
a peak insignificant, it is tried again from a fresh guess with wide bounds; the retry is kept
when it is clearly better (flag ``"recovered"``). The fresh guess gives the most prominent
peaks found in the data to the peaks whose seeds are nearest, so a peak that jumped since the
last scan is found again. Flags on the window: ``"recovered"``, ``"poor_fit"`` (reduced χ² or
R_wp above the limit after recovery), ``"failed"`` (optimizer did not converge). Flags on a
peak: ``"at_bound"`` and ``"absent"``.

Absent peaks
------------
A peak is *absent* when its area is not significant: ``area <= absent_k * area_err`` (default
k = 3, i.e. below 3 standard errors). Where the error cannot be computed (singular covariance)
the peak is absent when its height is below ``absent_k`` times the noise σ instead. Peaks are
declared absent one at a time, least significant first, each time refitting the window with
that peak's area held at zero (its center and width held at the
start values, i.e. the seed), so the other peaks' values and errors are not disturbed by a
degenerate component.
Absent peaks are reported with NaN center, FWHM, area, height and shape, never a wild position.

Weights are ``1/sigma`` from the data when given; otherwise the noise is estimated from the data
(:func:`analysis.peak_finding.estimated_sigma`, Poisson-like when the data sit on a positive
baseline), so a reduced χ² near 1 means "fits to the noise". The covariance is scaled by the
reduced χ², as lmfit does by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Optional, Union

import lmfit
import numpy as np

from .batch_fit import batch_solve
from .fit_engine import Solution, fixed_names, linear_layout, solve_fast, solve_lmfit
from .fit_windows import FitWindow
from .peak_finding import estimated_sigma
from .peak_models import height_per_area
from .window_model import WindowModel


@dataclass(frozen=True)
class FitOptions:
    """absent_k: significance (area / area_err) below which a peak is absent;
    redchi_max: reduced χ² above which a fit is retried and then flagged ``poor_fit``;
    rwp_max: the same for R_wp in percent (None: R_wp is reported but not judged);
    engine: ``"auto"`` (a vectorised Levenberg–Marquardt first, then scipy's bounded
    trust-region solver if that result is not clean, lmfit when a tie needs it), ``"fast"``
    (the trust-region solver only) or ``"lmfit"``."""

    absent_k: float = 3.0
    redchi_max: float = 10.0
    rwp_max: Optional[float] = None
    max_nfev: int = 200
    engine: str = "auto"


@dataclass(frozen=True, eq=False)
class ScanFit:
    """One window fitted on one scan. Curves are on ``x_deg`` (n_points inside the window);
    per-peak quantities are (n_peaks,) in degrees 2θ / intensity × degrees / intensity."""

    window: FitWindow
    x_deg: np.ndarray
    y: np.ndarray
    best: np.ndarray
    background: np.ndarray
    components: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray
    stderr: np.ndarray
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
    peak_flags: tuple[str, ...]
    flags: tuple[str, ...]
    redchi: float
    rwp: float
    success: bool
    nfev: int

    @property
    def residual(self) -> np.ndarray:
        """Data minus model, (n_points,)."""
        return self.y - self.best

    @property
    def absent(self) -> np.ndarray:
        return np.array(["absent" in f.split("|") for f in self.peak_flags])

    def to_lmfit_params(self) -> lmfit.Parameters:
        """The result as :class:`lmfit.Parameters` (values, standard errors, ties as expressions)."""
        params = lmfit.Parameters()
        constraints = self.window.constraint_map
        for name, v, e in zip(self.names, self.values, self.stderr):
            params.add(name, value=float(v))
            params[name].stderr = float(e)
        for name, c in constraints.items():
            if c.kind == "fixed":
                params[name].vary = False
            elif c.kind == "tied":
                params[name].expr = c.expr
                params[name].stderr = float(self.stderr[self.names.index(name)])
        return params

    def seed(self) -> dict[str, float]:
        """Parameter values to start the neighbouring scan from (absent peaks keep their last
        good center and width because those were held during the refit)."""
        return dict(zip(self.names, map(float, self.values)))


Seed = Union[ScanFit, Mapping[str, float], None]


def window_slice(x_deg: np.ndarray, window: FitWindow) -> slice:
    """Indices of ``x_deg`` (increasing) inside [lo, hi]."""
    i0 = int(np.searchsorted(x_deg, window.lo_deg, side="left"))
    i1 = int(np.searchsorted(x_deg, window.hi_deg, side="right"))
    return slice(i0, i1)


def _weights(y, sigma):
    """1/σ per point; non-positive given σ are replaced by the smallest positive one."""
    if sigma is None:
        return 1.0 / estimated_sigma(y)
    sigma = np.asarray(sigma, dtype=float)
    ok = sigma > 0
    if not ok.any():
        return 1.0 / estimated_sigma(y)
    return 1.0 / np.where(ok, sigma, sigma[ok].min())


def window_data(x_deg, y, window: FitWindow, sigma=None):
    """(x, y, sigma) inside the window with non-finite points dropped; raises ValueError when too
    few points are left to determine the window's parameters."""
    sel = window_slice(x_deg, window)
    xw, yw = x_deg[sel], np.asarray(y, dtype=float)[sel]
    sw = None if sigma is None else np.asarray(sigma, dtype=float)[sel]
    finite = np.isfinite(yw) & (np.isfinite(sw) if sw is not None else True)
    if not finite.all():
        xw, yw, sw = xw[finite], yw[finite], None if sw is None else sw[finite]
    need = len(window.param_names) + 2
    if xw.size < need:
        raise ValueError(f"window {window.label} holds {xw.size} usable points of the scan; "
                         f"fitting it needs at least {need}")
    return xw, yw, sw


def _solve(model, y, weights, v0, wide, extra_fixed, options) -> Solution:
    lo, hi = model.bounds(v0, wide=wide)
    fixed = fixed_names(model, extra_fixed)
    layout = None if options.engine == "lmfit" else linear_layout(model, fixed)
    if layout is None:
        if options.engine == "fast":
            raise ValueError("a tie in this window is not of the form a*name + b; use engine='lmfit'")
        return solve_lmfit(model, y, weights, v0, lo, hi, fixed, options.max_nfev)
    return solve_fast(model, y, weights, v0, lo, hi, layout, options.max_nfev)


def _significance(model, sol, noise) -> np.ndarray:
    """area / area_err per peak; where the error is not finite, height / noise σ instead."""
    err = sol.stderr
    out = []
    for sl in model.peak_slices:
        a, e = sol.values[sl.start + 2], err[sl.start + 2]
        if np.isfinite(e) and e > 0:
            out.append(a / e)
        else:
            p = sol.values[sl]
            out.append(a * height_per_area(model.window.model, p[1], tuple(p[3:])) / noise)
    return np.array(out, dtype=float)


def _significant(model, sol, k, noise) -> np.ndarray:
    return _significance(model, sol, noise) > k


def _at_bound(model, sol, v0, wide) -> np.ndarray:
    lo, hi = model.bounds(v0, wide=wide)
    out = []
    for sl in model.peak_slices:
        hit = False
        for j in (sl.start, sl.start + 1):
            if j in sol.free:
                tol = 1e-6 * max(hi[j] - lo[j], 1e-12) if np.isfinite(hi[j] - lo[j]) else 1e-9
                hit |= bool(sol.values[j] - lo[j] <= tol or hi[j] - sol.values[j] <= tol)
        out.append(hit)
    return np.array(out)


def _redchi(sol) -> float:
    dof = sol.ndata - sol.nfree_params
    return sol.chisqr / dof if dof > 0 else math.nan


def _rwp(sol, y, weights) -> float:
    """R_wp in percent: sqrt(Σ w²(y - f)² / Σ w² y²) × 100."""
    return 100.0 * math.sqrt(sol.chisqr / max(float(np.sum((y * weights) ** 2)), 1e-300))


def _poor(redchi: float, rwp: float, options: FitOptions) -> bool:
    return not redchi <= options.redchi_max or (options.rwp_max is not None and not rwp <= options.rwp_max)


def _acceptable(model, sol, v0, wide, options, noise, y, weights) -> bool:
    """Converged, χ² and R_wp within limits, every peak significant and none on a bound (an
    insignificant peak may have moved out of reach of its seed, so it is worth a retry)."""
    sig = _significant(model, sol, options.absent_k, noise)
    bad_bound = np.any(_at_bound(model, sol, v0, wide))
    return (sol.success and not _poor(_redchi(sol), _rwp(sol, y, weights), options)
            and not bad_bound and bool(sig.all()))


def _clearly_better(retry: Solution, sol: Solution) -> bool:
    """The retry wins when the first fit failed, or when it lowers χ² by more than 9 reduced χ²
    (a 3σ improvement for one extra degree of freedom), so noise-level differences between two
    fits of an absent peak do not count as a recovery."""
    if retry.success and not sol.success:
        return True
    return retry.chisqr < sol.chisqr - 9.0 * max(_redchi(sol), 1e-12)


def _absent_fixed(model: WindowModel, absent) -> frozenset:
    """Parameters to hold for absent peaks: all but those another parameter is tied to."""
    sources = {c.expr.strip() for _, c in model.window.constraints if c.kind == "tied"}
    names = set()
    for i in np.flatnonzero(absent):
        names |= {n for n in model.window.peak_param_names(int(i)) if n not in sources}
        names.add(f"p{i}_area")
    if model.ratio_index is not None and np.all(absent):
        names.add("ka2_ratio")
    return frozenset(names)


def fit_scan(x_deg: np.ndarray, y: np.ndarray, window: FitWindow, seed: Seed = None, *,
             sigma: Optional[np.ndarray] = None, options: FitOptions = FitOptions(),
             model: Optional[WindowModel] = None) -> ScanFit:
    """Fit ``window`` to one scan ``y`` on ``x_deg`` (both (n_points,), 2θ in degrees, increasing).

    seed:  a neighbour's :class:`ScanFit` or a ``{param_name: value}`` mapping; None for a fresh
           guess (given initial centers plus automatic peak finding for ``None`` entries)
    sigma: per-point standard uncertainties of ``y``, or None to estimate the noise from the data
    model: a prebuilt :class:`WindowModel` for this window and grid (saves ~0.1 ms per call)

    Non-finite points (gaps, masked detector pixels) are left out. Raises ValueError when the
    window holds too few points.
    """
    xw, yw, sw = window_data(np.asarray(x_deg, dtype=float), y, window, sigma)
    if model is None or model.x.shape != xw.shape or not np.array_equal(model.x, xw):
        model = WindowModel(window, xw)
    weights = _weights(yw, sw)
    seed_map = seed.seed() if isinstance(seed, ScanFit) else seed
    v0 = model.seeded_guess(yw, seed_map) if seed_map else model.fresh_guess(yw)
    quick = _quick_solve(model, yw, weights, v0, options)
    if quick is not None:
        absent = np.zeros(window.n_peaks, dtype=bool)
        return _scan_fit(model, yw, weights, quick, absent, absent, [], options)
    sol, wide, flags = _solve(model, yw, weights, v0, False, frozenset(), options), False, []
    noise = 1.0 / float(np.max(weights))
    if not _acceptable(model, sol, v0, False, options, noise, yw, weights):
        v1 = model.recovery_guess(yw, seed_map)
        retry = _solve(model, yw, weights, v1, True, frozenset(), options)
        if _clearly_better(retry, sol):
            sol, v0, wide = retry, v1, True
            flags.append("recovered")
    sol, absent = _drop_absent(model, yw, weights, sol, v0, seed_map, wide, noise, options)
    return _scan_fit(model, yw, weights, sol, absent, _at_bound(model, sol, v0, wide) & ~absent, flags, options)


def _quick_solve(model, y, weights, v0, options) -> Optional[Solution]:
    """The vectorised Levenberg–Marquardt of :mod:`analysis.batch_fit` on this one scan; its
    result is used only when it is clean (converged, every peak significant, nothing on a bound,
    χ² acceptable), otherwise None and the careful path runs."""
    if options.engine != "auto":
        return None
    layout = linear_layout(model, fixed_names(model))
    if layout is None:
        return None
    b = batch_solve(model, y[None], weights[None], v0[None], layout, options.absent_k,
                    options.redchi_max, options.rwp_max)
    if not b.accepted[0]:
        return None
    free = layout[0]
    return Solution(b.values[0], b.covariance[0], free, float(b.chisqr[0]), y.size, int(free.size),
                    True, int(b.nfev[0]))


def _drop_absent(model, y, weights, sol, v0, seed_map, wide, noise, options):
    """Declare the least significant non-significant peak absent and refit, until every peak
    left is significant. One at a time, because two components sharing one real peak are each
    insignificant, while either alone is not."""
    absent = np.zeros(model.window.n_peaks, dtype=bool)
    while True:
        sig = _significance(model, sol, noise)
        weak = np.flatnonzero(~(sig > options.absent_k) & ~absent)
        if weak.size == 0:
            return sol, absent
        i = int(weak[np.argmin(np.nan_to_num(sig[weak], nan=-np.inf))])
        absent[i] = True
        v2 = sol.values.copy()
        for j in np.flatnonzero(absent):
            sl = model.peak_slices[j]
            held = [seed_map.get(f"p{j}_{q}", math.nan) if seed_map else math.nan for q in ("center", "fwhm")]
            v2[sl.start:sl.start + 2] = [h if math.isfinite(h) else v0[sl.start + k] for k, h in enumerate(held)]
            v2[sl.start + 2] = 0.0
        sol = _solve(model, y, weights, v2, wide, _absent_fixed(model, absent), options)


def _scan_fit(model, y, weights, sol, absent, at_bound, flags, options) -> ScanFit:
    w = model.window
    v, err, cov = sol.values, sol.stderr, sol.covariance
    starts = [sl.start for sl in model.peak_slices]
    q = {k: v[[s + j for s in starts]].astype(float) for j, k in enumerate(("center", "fwhm", "area"))}
    e = {k: err[[s + j for s in starts]].astype(float) for j, k in enumerate(("center", "fwhm", "area"))}
    shape, shape_err = _shape(w, v, err, starts)
    height, height_err = _heights(model, v, cov)
    redchi = _redchi(sol)
    if not sol.success:
        flags.append("failed")
    elif _poor(redchi, _rwp(sol, y, weights), options):
        flags.append("poor_fit")
    peak_flags = tuple("|".join(f for f, on in (("absent", absent[i]), ("at_bound", at_bound[i])) if on)
                       for i in range(w.n_peaks))
    for arr in (*q.values(), *e.values(), shape, shape_err, height, height_err):
        arr[absent] = np.nan
    best = model.evaluate(v)
    rwp = _rwp(sol, y, weights)
    return ScanFit(window=w, x_deg=model.x, y=y, best=best, background=model.background(v),
                   components=model.components(v), names=model.names, values=v, stderr=err,
                   center=q["center"], center_err=e["center"], fwhm=q["fwhm"], fwhm_err=e["fwhm"],
                   area=q["area"], area_err=e["area"], height=height, height_err=height_err,
                   shape=shape, shape_err=shape_err, peak_flags=peak_flags, flags=tuple(flags),
                   redchi=redchi, rwp=rwp, success=sol.success, nfev=sol.nfev)


def _shape(window, v, err, starts):
    """The first shape parameter (eta or m); Gaussian reports eta = 0, Lorentzian eta = 1."""
    n = len(starts)
    if window.model == "gaussian":
        return np.zeros(n), np.zeros(n)
    if window.model == "lorentzian":
        return np.ones(n), np.zeros(n)
    return v[[s + 3 for s in starts]].astype(float), err[[s + 3 for s in starts]].astype(float)


def _heights(model: WindowModel, v, cov):
    """Peak heights (Kα1 component maximum) and their errors from the covariance."""
    w = model.window
    hs, errs = [], []
    for sl in model.peak_slices:
        idx = np.arange(sl.start, sl.stop)
        p = v[idx]

        def h_of(q):
            return q[2] * height_per_area(w.model, q[1], tuple(q[3:]))

        h = h_of(p)
        grad = np.zeros(idx.size)
        for j in range(1, idx.size):
            step = 1e-6 * max(abs(p[j]), 1e-6)
            hi_, lo_ = p.copy(), p.copy()
            hi_[j] += step
            lo_[j] -= step
            grad[j] = (h_of(hi_) - h_of(lo_)) / (2 * step)
        sub = cov[np.ix_(idx, idx)]
        var = float(grad @ sub @ grad)
        hs.append(h)
        errs.append(math.sqrt(var) if var >= 0 else math.nan)
    return np.array(hs), np.array(errs)


__all__ = ["FitOptions", "ScanFit", "fit_scan", "window_slice", "window_data"]
