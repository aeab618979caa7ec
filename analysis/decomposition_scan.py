"""One scan of a whole-pattern decomposition, by variable projection.

For fixed cells and widths the model is linear: y ≈ Σ_p s_p · profile_p + background (Chebyshev),
with s_p ≥ 0. The background coefficients are projected out exactly (weighted QR), the scales come
from NNLS, and the outer nonlinear fit (a bounded Levenberg–Marquardt, see
:func:`levenberg_marquardt`) moves cell parameters and widths, with the Kaufman approximation of the
variable-projection Jacobian J ≈ −P⊥ (∂M/∂θ) s built from analytic pseudo-Voigt derivatives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.optimize import nnls

from .decomposition_profiles import ProfileSettings, all_peaks, phase_cell, phase_columns, render_derivatives
from .phase_library import Phase


@dataclass
class PhaseState:
    """Mutable per-phase state carried from scan to scan: free cell parameters, width, whether the
    phase has been located (a cell found for it) and is refined, and ``memory`` (params, rel_d)
    from the last scan where it was clearly significant (Δχ² ``memory_gain`` the largest so far)."""

    phase: Phase
    params: dict
    rel_d: float
    located: bool = False
    per_reflection: bool = False
    refine: bool = True
    memory: Optional[tuple] = None
    memory_gain: float = 0.0
    _cache: tuple = (None, None)

    def raw_columns(self, x_deg: np.ndarray, settings: ProfileSettings, params: dict, rel_d: float,
                    zero_deg: float) -> np.ndarray:
        """Unweighted columns (n_points, k), remembered for the last parameters (fixed phases and
        repeated evaluations in the fit cost nothing)."""
        key = (tuple(sorted(params.items())), rel_d, zero_deg, x_deg.size)
        if self._cache[0] != key:
            cols = phase_columns(self.phase, x_deg, settings, params, rel_d, zero_deg, self.per_reflection)
            self._cache = (key, cols)
        return self._cache[1]

    def bounds(self, name: str) -> tuple[float, float]:
        if name == "rel_d":
            return 0.0, 0.03
        if name in self.phase.cell_ranges:
            return self.phase.cell_ranges[name]
        value = getattr(self.phase.cell, name)
        return (value - 3.0, value + 3.0) if name in ("alpha", "beta", "gamma") else (0.95 * value, 1.05 * value)


@dataclass(frozen=True, eq=False)
class ScanSolution:
    """Scales (n_columns,) and their covariance, per-phase column slices, χ² and the fit."""

    scales: np.ndarray
    scale_cov: np.ndarray
    slices: tuple
    chi2: float
    dof: int
    model: np.ndarray
    background: np.ndarray
    param_err: dict


class ScanModel:
    """Weighted data of one scan and the projector that removes the background."""

    def __init__(self, x_deg: np.ndarray, y: np.ndarray, sigma: np.ndarray, basis: np.ndarray,
                 settings: ProfileSettings, states: list[PhaseState], zero_deg: float = 0.0) -> None:
        self.x, self.y, self.settings, self.states, self.zero_deg = x_deg, y, settings, states, zero_deg
        self.w = 1.0 / sigma
        self.basis = basis
        self.q = np.linalg.qr(basis * self.w[:, None])[0] if basis.shape[1] else np.zeros((x_deg.size, 0))
        self.yw = self.project(y * self.w)
        self.bank_norms: dict = {}   # search bank → its profiles' projected squared norms on this scan

    def project(self, a: np.ndarray) -> np.ndarray:
        """Remove the weighted background space from a (n_points,) or (n_points, k) array."""
        return a - self.q @ (self.q.T @ a)

    def columns(self, state: PhaseState, params: Optional[dict] = None, rel_d: Optional[float] = None,
                zero_deg: Optional[float] = None, project: bool = True) -> np.ndarray:
        """Weighted columns (n_points, k) of one phase, background-projected unless ``project`` is False."""
        cols = state.raw_columns(self.x, self.settings, state.params if params is None else params,
                                 state.rel_d if rel_d is None else rel_d,
                                 self.zero_deg if zero_deg is None else zero_deg)
        return self.project(cols * self.w[:, None]) if project else cols * self.w[:, None]

    def solve(self, blocks: list[np.ndarray]) -> tuple[np.ndarray, float]:
        """NNLS scales (n_columns,) and χ² for the given per-phase column blocks."""
        if not blocks:
            return np.zeros(0), float(self.yw @ self.yw)
        m = np.concatenate(blocks, axis=1)
        s, rnorm = nnls(m, self.yw, maxiter=50 * m.shape[1])
        return s, float(rnorm ** 2)


def _param_names(state: PhaseState, refine_cells: bool, refine_widths: bool) -> list[str]:
    names = list(state.phase.free_parameters) if refine_cells else []
    return names + (["rel_d"] if refine_widths else [])


def _get(state: PhaseState, name: str) -> float:
    return state.rel_d if name == "rel_d" else state.params[name]


def _with(state: PhaseState, name: str, value: float) -> tuple[dict, float]:
    if name == "rel_d":
        return state.params, value
    return {**state.params, name: value}, state.rel_d


ZERO = -1
"""Layout index of the scan's zero shift, shared by all phases."""
MAX_ZERO_DEG = 0.5


def refine_scan(model: ScanModel, active: list[int], refine_cells: bool, refine_widths: bool,
                max_nfev: int, refine_zero: bool = False) -> dict:
    """Refine the parameters of ``active`` states (and the zero shift) in place; returns
    {(state index, name): standard error}, the zero shift under (ZERO, "zero_deg")."""
    layout = [(i, n) for i in active if model.states[i].refine
              for n in _param_names(model.states[i], refine_cells, refine_widths)]
    layout += [(ZERO, "zero_deg")] if refine_zero and active else []
    if not layout:
        return {}
    bounds = [(-MAX_ZERO_DEG, MAX_ZERO_DEG) if i == ZERO else model.states[i].bounds(n) for i, n in layout]
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    span = hi - lo
    start = [model.zero_deg if i == ZERO else _get(model.states[i], n) for i, n in layout]
    x0 = np.clip(start, lo + 1e-9 * span, hi - 1e-9 * span)
    cache: dict = {}

    def evaluate(x):
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            _assign(model, layout, x)
            blocks = [model.columns(st) for st in model.states if st.located]
            s, _ = model.solve(blocks)
            m = np.concatenate(blocks, axis=1) if blocks else np.zeros((model.x.size, 0))
            cache[key] = (s, model.yw - m @ s)
        return cache[key]

    def jac(x):
        s, _ = evaluate(x)
        return _kaufman_jacobian(model, layout, x, s)

    x, jac_x, fun = levenberg_marquardt(lambda x: evaluate(x)[1], jac, x0, lo, hi, max_nfev)
    _assign(model, layout, x)
    dof = max(model.x.size - model.basis.shape[1] - x.size - int(np.sum(evaluate(x)[0] > 0)), 1)
    chi2_red = float(fun @ fun) / dof
    cov = np.linalg.pinv(jac_x.T @ jac_x) * chi2_red
    return {key: float(np.sqrt(max(cov[k, k], 0.0))) for k, key in enumerate(layout)}


def levenberg_marquardt(fun, jac, x0: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_iter: int,
                        rel_step: float = 0.02):
    """Bounded Levenberg–Marquardt on normal equations, steps clipped to the box.

    Used instead of ``scipy.optimize.least_squares`` because the problem is tiny in parameters
    (≲ 20) but long in residuals (thousands of points), where scipy's trust-region solvers spend
    most of their time in dense factorisations of the full Jacobian. Stops when every step is below
    ``rel_step`` standard errors, or χ² falls by less than 0.05 (× reduced χ² if above 1), or after
    ``max_iter`` steps. Returns (x, Jacobian at x, residual at x).
    """
    x, r = x0.copy(), fun(x0)
    chi2, lam = float(r @ r), 1e-3
    j = jac(x)
    for _ in range(max_iter):
        jtj, g = j.T @ j, j.T @ r
        live = np.diag(jtj) > 0  # a phase whose scale dropped to zero has no say on its parameters
        if not live.any():
            break
        sub = jtj[np.ix_(live, live)]
        step = np.zeros_like(x)
        step[live] = -np.linalg.solve(sub + lam * np.diag(np.diag(sub)), g[live])
        x_new = np.clip(x + step, lo, hi)
        r_new = fun(x_new)
        chi2_new = float(r_new @ r_new)
        if chi2_new < chi2:
            # A χ² gain far below 1 (the scale of a one-σ change) is statistically meaningless.
            done = (chi2 - chi2_new < 0.05 * max(chi2_new / r.size, 1.0)
                    or _small_step((x_new - x)[live], sub, chi2_new, r.size, rel_step))
            x, r, chi2, lam = x_new, r_new, chi2_new, max(lam / 5.0, 1e-7)
            j = jac(x)
            if done:
                break
        else:
            lam *= 8.0
            if lam > 1e8:
                break
    return x, j, r


def _small_step(step: np.ndarray, jtj: np.ndarray, chi2: float, n: int, rel_step: float) -> bool:
    sigma = np.sqrt(np.clip(np.diag(np.linalg.pinv(jtj)), 0.0, None) * max(chi2 / max(n, 1), 1e-30))
    return bool(np.all(np.abs(step) <= rel_step * np.maximum(sigma, 1e-15)))


def _assign(model: ScanModel, layout: list, x: np.ndarray) -> None:
    for (i, name), value in zip(layout, x):
        if i == ZERO:
            model.zero_deg = float(value)
            continue
        st = model.states[i]
        st.params, st.rel_d = _with(st, name, float(value))


def _kaufman_jacobian(model: ScanModel, layout: list, x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(n_points, n_params) −P⊥ (∂M/∂θ) s, with analytic pseudo-Voigt derivatives; the peak shifts
    and width changes ∂c/∂θ, ∂h/∂θ come from a forward difference of the peak list (cheap)."""
    _assign(model, layout, x)
    offsets, k = {}, 0
    for i, st in enumerate(model.states):
        if st.located:
            n = st.phase.rel_intensity.size if st.per_reflection else 1
            offsets[i] = (k, k + n)
            k += n
    jac = np.zeros((model.x.size, len(layout)))
    zero_col = [c for c, (i, _) in enumerate(layout) if i == ZERO]
    for i in sorted(offsets):
        scales = s[offsets[i][0]:offsets[i][1]]
        cols = [c for c, (j, _) in enumerate(layout) if j == i]
        if not np.any(scales > 0) or not (cols or zero_col):
            continue
        block = _phase_jacobian(model, model.states[i], [layout[c][1] for c in cols + zero_col], scales)
        jac[:, cols] = block[:, :len(cols)]
        if zero_col:
            jac[:, zero_col[0]] += block[:, -1]
    return jac


def _phase_jacobian(model: ScanModel, st: PhaseState, names: list, scales: np.ndarray) -> np.ndarray:
    lo, hi = model.x[0] - 2.0, model.x[-1] + 2.0
    c, h, a, idx = all_peaks(st.phase, phase_cell(st.phase, st.params), model.settings, st.rel_d, model.zero_deg)
    keep = np.isfinite(c) & (c >= lo) & (c <= hi)
    weight = a[keep] * (scales[idx[keep]] if st.per_reflection else scales[0])
    w_center, w_fwhm = np.empty((weight.size, len(names))), np.empty((weight.size, len(names)))
    for col, name in enumerate(names):
        if name == "zero_deg":  # every centre moves with the zero shift, widths do not
            w_center[:, col], w_fwhm[:, col] = weight, 0.0
            continue
        value = _get(st, name)
        step = 1e-7 if name == "rel_d" else 1e-7 * max(abs(value), 1.0)
        params, rel_d = _with(st, name, value + step)
        c2, h2, _, _ = all_peaks(st.phase, phase_cell(st.phase, params), model.settings, rel_d, model.zero_deg)
        w_center[:, col] = weight * (c2[keep] - c[keep]) / step
        w_fwhm[:, col] = weight * (h2[keep] - h[keep]) / step
    out = render_derivatives(model.x, c[keep], h[keep], model.settings.eta, w_center, w_fwhm)
    return -model.project(out * model.w[:, None])


def _blocks(model: ScanModel, project: bool = True) -> tuple[list, list]:
    blocks, slices, k = [], [], 0
    for st in model.states:
        if st.located:
            cols = model.columns(st, project=project)
            blocks.append(cols)
            slices.append(slice(k, k + cols.shape[1]))
            k += cols.shape[1]
        else:
            slices.append(None)
    return blocks, slices


def scan_solution(model: ScanModel, n_nonlinear: int, param_err: dict) -> ScanSolution:
    """Final scales with their covariance (linear, given the refined cells and widths: the NNLS
    passive set with the background projected out), χ², fitted pattern and background (n_points,)."""
    blocks, slices = _blocks(model)
    s, chi2 = model.solve(blocks)
    m = np.concatenate(blocks, axis=1) if blocks else np.zeros((model.x.size, 0))
    passive = s > 0
    dof = max(model.x.size - model.basis.shape[1] - int(passive.sum()) - n_nonlinear, 1)
    cov = np.zeros((s.size, s.size))
    if passive.any():
        mp = m[:, passive]
        cov[np.ix_(passive, passive)] = np.linalg.pinv(mp.T @ mp) * (chi2 / dof)
    raw, _ = _blocks(model, project=False)
    peaks_w = np.concatenate(raw, axis=1) @ s if raw else np.zeros(model.x.size)
    resid_w = model.y * model.w - peaks_w
    background = (model.q @ (model.q.T @ resid_w)) / model.w
    return ScanSolution(s, cov, tuple(slices), chi2, dof, peaks_w / model.w + background, background, param_err)


def delta_chi2(model: ScanModel, solution: ScanSolution) -> np.ndarray:
    """(n_states,) χ² increase when each located phase with a non-zero scale is left out (0 otherwise)."""
    blocks, slices = _blocks(model)
    out = np.zeros(len(model.states))
    for i, sl in enumerate(slices):
        if sl is None or not np.any(solution.scales[sl] > 0):
            continue
        others = [b for b, other in zip(blocks, [x for x in slices if x is not None]) if other != sl]
        out[i] = model.solve(others)[1] - solution.chi2
    return out
