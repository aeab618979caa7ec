"""Least-squares solvers for one window: a fast engine and an lmfit engine with the same output.

The fast engine calls :func:`scipy.optimize.least_squares` ("trf", bounded) with the analytic
Jacobian of :class:`~analysis.window_model.WindowModel`; ties of the form ``a*name + b`` are
folded into a constant linear map from free to full parameters. Anything it cannot express
(general lmfit expressions, ties of ties) goes through :class:`lmfit.Minimizer`.

Both return a :class:`Solution` whose covariance is lmfit's: ``inv(JᵀJ)`` scaled by the reduced
χ² of the weighted residual (``scale_covar=True``), mapped onto all parameters.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Optional

import lmfit
import numpy as np
from scipy.optimize import least_squares

from .window_model import WindowModel

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TIE_RE = re.compile(rf"^\s*(?:({_NUM})\s*\*\s*)?([A-Za-z_]\w*)\s*(?:\*\s*({_NUM}))?\s*(?:([-+])\s*({_NUM}))?\s*$")


@dataclass(frozen=True)
class Solution:
    """Best values, covariance and statistics of one solve (all arrays over window.param_names)."""

    values: np.ndarray
    covariance: np.ndarray
    free: np.ndarray
    chisqr: float
    ndata: int
    nfree_params: int
    success: bool
    nfev: int

    @property
    def stderr(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.covariance))


def parse_tie(expr: str) -> Optional[tuple[float, str, float]]:
    """``(a, name, b)`` for ``expr`` of the form ``a*name + b`` (either factor side), else None."""
    m = _TIE_RE.match(expr)
    if not m:
        return None
    a = float(m.group(1) or 1.0) * float(m.group(3) or 1.0)
    b = float(m.group(5) or 0.0) * (-1.0 if m.group(4) == "-" else 1.0)
    return a, m.group(2), b


def fixed_names(model: WindowModel, extra: frozenset = frozenset()) -> set[str]:
    names = {n for n, c in model.window.constraints if c.kind == "fixed"} | set(extra)
    if model.ratio_index is not None and not model.window.ka2.ratio_free:
        names.add("ka2_ratio")
    return names


def linear_layout(model: WindowModel, fixed: set[str]):
    """``(free_idx, ties, M)`` with full = M @ free + const, or None when lmfit is needed."""
    ties = []
    tied = {}
    for name, c in model.window.constraints:
        if c.kind == "tied" and name not in fixed:
            parsed = parse_tie(c.expr)
            if parsed is None or parsed[1] not in model.index:
                return None
            tied[name] = parsed
    for name, (a, src, b) in tied.items():
        if src in tied:
            return None
        ties.append((model.index[name], a, model.index[src], b))
    free = np.array([i for i, n in enumerate(model.names) if n not in fixed and n not in tied], dtype=int)
    m = np.zeros((len(model.names), free.size))
    m[free, np.arange(free.size)] = 1.0
    col = {int(i): k for k, i in enumerate(free)}
    for i, a, j, _ in ties:
        if j in col:
            m[i, col[j]] = a
    return free, ties, m


def _covariance(jac_w: np.ndarray, m: np.ndarray, chisqr: float, dof: int) -> np.ndarray:
    n_full = m.shape[0]
    if jac_w.shape[1] == 0 or dof <= 0:
        return np.zeros((n_full, n_full))
    try:
        cov_free = np.linalg.inv(jac_w.T @ jac_w) * (chisqr / dof)
    except np.linalg.LinAlgError:
        return np.full((n_full, n_full), np.nan)
    if not np.all(np.isfinite(cov_free)) or np.any(np.diag(cov_free) < 0):
        return np.full((n_full, n_full), np.nan)
    return m @ cov_free @ m.T


def solve_fast(model: WindowModel, y: np.ndarray, weights: np.ndarray, v0: np.ndarray,
               lo: np.ndarray, hi: np.ndarray, layout, max_nfev: int = 200) -> Solution:
    """Weighted least squares of ``model`` to ``y`` from ``v0`` within [lo, hi] on the fast path."""
    free, ties, m = layout
    v = v0.copy()
    cache: dict = {}

    def full(p):
        v[free] = p
        for i, a, j, b in ties:
            v[i] = a * v[j] + b
        return v

    def fun(p):
        yhat, jac = model.evaluate_with_jacobian(full(p))
        cache["key"], cache["jac"] = p.tobytes(), jac
        return (yhat - y) * weights

    def jac(p):
        if cache.get("key") != p.tobytes():
            fun(p)
        return (cache["jac"] @ m) * weights[:, None]

    lo_f, hi_f = lo[free], hi[free]
    p0 = _inside(v0[free], lo_f, hi_f)
    if free.size == 0:
        r = fun(p0)
        return Solution(full(p0).copy(), np.zeros((v.size, v.size)), free, float(r @ r), y.size, 0, True, 1)
    res = least_squares(fun, p0, jac=jac, bounds=(lo_f, hi_f), method="trf", x_scale="jac",
                        max_nfev=max_nfev)
    values = full(res.x).copy()
    chisqr = float(res.fun @ res.fun)
    dof = y.size - free.size
    cov = _covariance(res.jac, m, chisqr, dof)
    return Solution(values, cov, free, chisqr, y.size, int(free.size), bool(res.status > 0), int(res.nfev))


def _inside(p, lo, hi):
    """Start values strictly inside the bounds, as ``least_squares`` requires."""
    span = np.where(np.isfinite(hi - lo), hi - lo, np.abs(p) + 1.0)
    margin = 1e-6 * span
    return np.minimum(np.maximum(p, lo + margin), hi - margin)


def solve_lmfit(model: WindowModel, y: np.ndarray, weights: np.ndarray, v0: np.ndarray,
                lo: np.ndarray, hi: np.ndarray, fixed: set[str], max_nfev: int = 200) -> Solution:
    """The same problem through :class:`lmfit.Minimizer`, for general expression ties."""
    params = lmfit.Parameters()
    exprs = {n: c.expr for n, c in model.window.constraints if c.kind == "tied" and n not in fixed}
    for n, i in model.index.items():
        params.add(n, value=float(v0[i]), min=lo[i], max=hi[i], vary=n not in fixed and n not in exprs)
    for n, e in exprs.items():
        params[n].set(expr=e)
    for n, p in params.items():
        if p.vary:
            p.set(value=float(_inside(np.array([p.value]), np.array([p.min]), np.array([p.max]))[0]))
    names = model.names

    def resid(p):
        return (model.evaluate(np.array([p[n].value for n in names])) - y) * weights

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # lmfit counts the finite-difference Jacobian's evaluations too
        nvary = sum(p.vary for p in params.values())
        out = lmfit.Minimizer(resid, params).minimize(method="least_squares",
                                                      max_nfev=max_nfev * (nvary + 1))
    values = np.array([out.params[n].value for n in names])
    var = [names.index(n) for n in out.var_names]
    cov = np.full((len(names), len(names)), np.nan)
    if out.covar is not None:
        g = _expr_gradient(out.params, out.var_names, names)
        cov = g @ out.covar @ g.T
    return Solution(values, cov, np.array(var, dtype=int), float(out.chisqr), y.size, out.nvarys,
                    bool(out.success), int(out.nfev))


def _expr_gradient(params: lmfit.Parameters, var_names, names) -> np.ndarray:
    """d(all parameter values)/d(varied values), by central differences through the expressions."""
    p = params.copy()
    g = np.zeros((len(names), len(var_names)))
    for k, vn in enumerate(var_names):
        x0 = p[vn].value
        h = 1e-7 * max(abs(x0), 1e-3)
        vals = []
        for step in (h, -h):
            p[vn].value = x0 + step
            p.update_constraints()
            vals.append(np.array([p[n].value for n in names]))
        p[vn].value = x0
        g[:, k] = (vals[0] - vals[1]) / (2 * h)
    p.update_constraints()
    return g
