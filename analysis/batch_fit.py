"""Many independent fits of one window at once: a vectorised Levenberg–Marquardt.

Used for independent (tracked-seed) fitting: all scans of a chunk iterate together, so numpy
works on (m, n_points, n_params) blocks instead of paying Python and scipy overhead per scan.
Each scan keeps its own damping and stops on its own; bounds are enforced by projection.
A scan whose result is not clean (no convergence, a peak not significant, a center or width on
a bound, reduced χ² too high) is returned as rejected, and the caller refits it with the full
recovery logic of :func:`analysis.peak_fitting.fit_scan`. The statistics are the same as the
single-scan engines: covariance ``inv(JᵀJ)`` scaled by the reduced χ².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .peak_models import height_per_area
from .window_model import WindowModel


@dataclass(frozen=True, eq=False)
class BatchSolution:
    """values (m, p), covariance (m, p, p), chisqr/redchi/rwp (m,), converged/accepted (m,), nfev (m,)."""

    values: np.ndarray
    covariance: np.ndarray
    chisqr: np.ndarray
    redchi: np.ndarray
    rwp: np.ndarray
    converged: np.ndarray
    accepted: np.ndarray
    nfev: np.ndarray


def _full(v0, p, free, ties):
    v = v0.copy()
    v[:, free] = p
    for i, a, j, b in ties:
        v[:, i] = a * v[:, j] + b
    return v


def _residuals(model, y, w, v0, p, free, ties, m):
    f, jac = model.evaluate_with_jacobian(_full(v0, p, free, ties))
    r = (f - y) * w
    jw = (jac @ m) * w[:, :, None]
    return r, jw, np.einsum("ij,ij->i", r, r)


def levenberg_marquardt(model: WindowModel, y: np.ndarray, w: np.ndarray, v0: np.ndarray,
                        lo: np.ndarray, hi: np.ndarray, layout, max_iter: int = 60, ftol: float = 1e-12):
    """Minimise Σ((f - y)·w)² per row from ``v0`` (m, p) inside [lo, hi] (m, p).

    Returns (values (m, p), weighted Jacobian at the solution (m, n, k), chisqr (m,),
    converged (m,), nfev (m,)). ``layout`` is :func:`analysis.fit_engine.linear_layout`'s.
    """
    free, ties, mmap = layout
    p = np.clip(v0[:, free], lo[:, free], hi[:, free])
    lo_f, hi_f = lo[:, free], hi[:, free]
    r, jw, chi2 = _residuals(model, y, w, v0, p, free, ties, mmap)
    lam = np.full(p.shape[0], 1e-3)
    active = np.ones(p.shape[0], dtype=bool)
    converged = np.zeros(p.shape[0], dtype=bool)
    nfev = np.ones(p.shape[0], dtype=int)
    eye = np.eye(p.shape[1])
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        jj = np.swapaxes(jw[idx], 1, 2)
        a = jj @ jw[idx]
        g = np.einsum("ikn,in->ik", jj, r[idx])
        d = np.maximum(np.einsum("ikk->ik", a), 1e-12 * np.einsum("ikk->i", a)[:, None] + 1e-300)
        damped = a + lam[idx, None, None] * d[:, :, None] * eye
        try:
            step = np.linalg.solve(damped, -g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.zeros_like(g)
            for k, i in enumerate(idx):
                step[k] = np.linalg.lstsq(damped[k], -g[k], rcond=None)[0]
        trial = np.clip(p[idx] + step, lo_f[idx], hi_f[idx])
        r_t, jw_t, chi_t = _residuals(model, y[idx], w[idx], v0[idx], trial, free, ties, mmap)
        nfev[idx] += 1
        better = np.isfinite(chi_t) & (chi_t <= chi2[idx])
        good, bad = idx[better], idx[~better]
        small = (chi2[good] - chi_t[better]) <= ftol * chi2[good]
        p[good], r[good], jw[good], chi2[good] = trial[better], r_t[better], jw_t[better], chi_t[better]
        lam[good] = np.maximum(lam[good] / 10.0, 1e-12)
        lam[bad] *= 10.0
        converged[good[small]] = True
        active[good[small]] = False
        active[bad[lam[bad] > 1e12]] = False
    return _full(v0, p, free, ties), jw, chi2, converged, nfev


def batch_solve(model: WindowModel, y: np.ndarray, w: np.ndarray, v0: np.ndarray, layout,
                absent_k: float, redchi_max: float, rwp_max=None) -> BatchSolution:
    """Fit every row of ``y`` (m, n_points) with weights ``w`` from ``v0`` (m, n_params)."""
    lo = np.empty_like(v0)
    hi = np.empty_like(v0)
    for k in range(v0.shape[0]):
        lo[k], hi[k] = model.bounds(v0[k])
    free, _, mmap = layout
    values, jw, chi2, converged, nfev = levenberg_marquardt(model, y, w, v0, lo, hi, layout)
    dof = y.shape[1] - free.size
    cov = _covariances(jw, mmap, chi2 / dof)
    redchi = chi2 / dof
    rwp = 100.0 * np.sqrt(chi2 / np.maximum(np.einsum("ij,ij->i", y * w, y * w), 1e-300))
    with np.errstate(invalid="ignore"):
        err = np.sqrt(np.einsum("ijj->ij", cov))
    accepted = converged & (redchi <= redchi_max) & np.all(np.isfinite(err[:, free]), axis=1)
    if rwp_max is not None:
        accepted &= rwp <= rwp_max
    for sl in model.peak_slices:
        a, ea = values[:, sl.start + 2], err[:, sl.start + 2]
        accepted &= a > absent_k * ea
        for j in (sl.start, sl.start + 1):
            tol = 1e-6 * (hi[:, j] - lo[:, j])
            accepted &= (values[:, j] - lo[:, j] > tol) & (hi[:, j] - values[:, j] > tol)
    return BatchSolution(values, cov, chi2, redchi, rwp, converged, accepted, nfev)


def _covariances(jw: np.ndarray, mmap: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """inv(JᵀJ)·scale per row, mapped to all parameters; NaN rows where JᵀJ is singular."""
    a = np.swapaxes(jw, 1, 2) @ jw
    cov = np.full(a.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ok = np.linalg.cond(a) < 1e14
    if np.any(ok):
        cov[ok] = np.linalg.inv(a[ok]) * scale[ok, None, None]
    return mmap @ cov @ mmap.T


def heights(model: WindowModel, values: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heights and their standard errors, (m, n_peaks), from values (m, p) and covariance (m, p, p)."""
    name = model.window.model
    hs, errs = [], []
    for sl in model.peak_slices:
        q = values[:, sl]

        def h_of(qq):
            return qq[:, 2] * height_per_area(name, qq[:, 1], tuple(qq[:, 3 + k] for k in range(model.n_shape)))

        grad = np.zeros(q.shape)
        for j in range(1, q.shape[1]):
            step = 1e-6 * np.maximum(np.abs(q[:, j]), 1e-6)
            up, dn = q.copy(), q.copy()
            up[:, j] += step
            dn[:, j] -= step
            grad[:, j] = (h_of(up) - h_of(dn)) / (2 * step)
        sub = cov[:, sl, sl]
        var = np.einsum("ij,ijk,ik->i", grad, sub, grad)
        hs.append(h_of(q))
        errs.append(np.sqrt(np.where(var >= 0, var, np.nan)))
    return np.array(hs).T, np.array(errs).T
