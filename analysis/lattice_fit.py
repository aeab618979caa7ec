"""Lattice parameters from indexed peak positions, by weighted least squares.

The start comes from the linear problem 1/d² = hᵀ G* h, which is linear in the independent
components of the reciprocal metric G* allowed by the crystal system (cubic 1, hexagonal 2,
orthorhombic 3, monoclinic b-unique 4, triclinic 6). The cell is then refined directly in 2θ,
optionally with a zero shift and a sample-displacement term of the Bragg–Brentano form
Δ2θ = −2 s cosθ / R, fitted as one coefficient D in Δ2θ = D · cosθ (degrees). Several phases of
one scan can be fitted jointly so that they share the zero shift and displacement.

Standard errors come from (Jᵀ W J)⁻¹, scaled by the reduced χ² unless ``absolute_sigma``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from scipy.optimize import least_squares

from . import axis as ax
from . import crystallography as cr
from .phase_library import FREE_PARAMETERS, constrained_cell

CORRECTIONS = ("zero_deg", "displacement_deg")


def _design(hkl: np.ndarray, system: str) -> np.ndarray:
    """(n, m) coefficients of the independent reciprocal-metric components: 1/d² = design @ g."""
    h, k, l = (hkl[:, i].astype(float) for i in range(3))
    columns = {
        "cubic": [h * h + k * k + l * l],
        "hexagonal": [h * h + h * k + k * k, l * l],
        "orthorhombic": [h * h, k * k, l * l],
        "monoclinic": [h * h, k * k, l * l, 2 * h * l],
        "triclinic": [h * h, k * k, l * l, 2 * h * k, 2 * h * l, 2 * k * l],
    }
    if system not in columns:
        raise ValueError(f"no lattice fit for crystal system {system!r}")
    return np.stack(columns[system], axis=1)


def _reciprocal_metric(g: np.ndarray, system: str) -> np.ndarray:
    """(3, 3) G* from the independent components returned by the linear fit."""
    if system == "cubic":
        return np.eye(3) * g[0]
    if system == "hexagonal":
        return np.array([[g[0], g[0] / 2, 0], [g[0] / 2, g[0], 0], [0, 0, g[1]]])
    if system == "orthorhombic":
        return np.diag(g)
    if system == "monoclinic":
        return np.array([[g[0], 0, g[3]], [0, g[1], 0], [g[3], 0, g[2]]])
    return np.array([[g[0], g[3], g[4]], [g[3], g[1], g[5]], [g[4], g[5], g[2]]])


def _cell_from_metric(metric: np.ndarray) -> cr.Cell:
    lengths = np.sqrt(np.diag(metric))
    angle = lambda i, j: float(np.degrees(np.arccos(metric[i, j] / (lengths[i] * lengths[j]))))  # noqa: E731
    return cr.Cell(*(float(x) for x in lengths), angle(1, 2), angle(0, 2), angle(0, 1))


def linear_cell(hkl, d_A, system: str, weights=None) -> cr.Cell:
    """Cell from the weighted linear fit of 1/d² (Å⁻²) over the reciprocal-metric components.

    hkl (n, 3) int, d_A (n,), weights (n,) on 1/d² (default 1). Needs n ≥ number of components.
    """
    hkl = np.asarray(hkl, dtype=int).reshape(-1, 3)
    design = _design(hkl, system)
    y = 1.0 / np.asarray(d_A, dtype=float) ** 2
    w = np.ones_like(y) if weights is None else np.sqrt(np.asarray(weights, dtype=float))
    if hkl.shape[0] < design.shape[1] or np.linalg.matrix_rank(design * w[:, None]) < design.shape[1]:
        raise ValueError(f"{hkl.shape[0]} reflections do not determine a {system} cell")
    g, *_ = np.linalg.lstsq(design * w[:, None], y * w, rcond=None)
    cell = _cell_from_metric(np.linalg.inv(_reciprocal_metric(g, system)))
    return constrained_cell(system, **{p: getattr(cell, p) for p in FREE_PARAMETERS[system]})


@dataclass(frozen=True)
class PhaseReflections:
    """Indexed peaks of one phase in one scan: hkl (n, 3), two_theta_deg (n,), sigma_deg (n,)."""

    system: str
    hkl: np.ndarray
    two_theta_deg: np.ndarray
    sigma_deg: np.ndarray
    start: Optional[cr.Cell] = None


@dataclass(frozen=True, eq=False)
class CellFit:
    """A refined cell. ``parameters``/``errors``: free parameter → value/standard error (Å, deg);
    ``zero_deg``/``displacement_deg`` (Δ2θ = zero + D cosθ) with errors, 0 when not fitted;
    ``residual_deg`` (n,) observed − calculated 2θ; ``chi2_red`` weighted reduced χ² (NaN if no
    degrees of freedom)."""

    system: str
    cell: cr.Cell
    parameters: dict
    errors: dict
    volume_A3: float
    volume_err_A3: float
    zero_deg: float
    zero_err_deg: float
    displacement_deg: float
    displacement_err_deg: float
    residual_deg: np.ndarray
    chi2_red: float


def _two_theta(cells_params, groups, wavelength_A, zero, disp):
    out = []
    for params, g in zip(cells_params, groups):
        cell = constrained_cell(g.system, **params)
        tth = cr.two_theta_deg(cr.d_spacing(cell, g.hkl), wavelength_A)
        out.append(tth + zero + disp * np.cos(np.radians(tth / 2.0)))
    return np.concatenate(out)


def _unpack(x, names, corrections):
    params, i = [], 0
    for group_names in names:
        params.append(dict(zip(group_names, x[i:i + len(group_names)])))
        i += len(group_names)
    corr = dict(zip(corrections, x[i:]))
    return params, (corr.get("zero_deg", 0.0), corr.get("displacement_deg", 0.0))


def _covariance(jac: np.ndarray, chi2_red: float, absolute_sigma: bool) -> np.ndarray:
    cov = np.linalg.pinv(jac.T @ jac)
    return cov if absolute_sigma or not np.isfinite(chi2_red) else cov * chi2_red


def fit_cells(groups: Sequence[PhaseReflections], wavelength_A: float, zero_shift: bool = False,
              displacement: bool = False, absolute_sigma: bool = False) -> list[CellFit]:
    """Refine one cell per group, jointly, sharing the optional zero shift and displacement.

    Each group needs at least as many reflections as free cell parameters; the start is the
    group's ``start`` cell or else the linear reciprocal-metric fit. Returns one CellFit per group.
    """
    names = [FREE_PARAMETERS[g.system] for g in groups]
    starts = [g.start or linear_cell(g.hkl, ax.two_theta_to_d(g.two_theta_deg, wavelength_A), g.system)
              for g in groups]
    corrections = tuple(c for c, on in zip(CORRECTIONS, (zero_shift, displacement)) if on)
    x0 = np.array([getattr(c, p) for c, ns in zip(starts, names) for p in ns] + [0.0] * len(corrections))
    obs = np.concatenate([g.two_theta_deg for g in groups])
    sigma = np.concatenate([g.sigma_deg for g in groups])
    if obs.size < x0.size:
        raise ValueError(f"{obs.size} reflections cannot fix {x0.size} parameters")

    def residual(x):
        params, (zero, disp) = _unpack(x, names, corrections)
        return (obs - _two_theta(params, groups, wavelength_A, zero, disp)) / sigma

    # 'trf' also handles the square case (as many reflections as parameters), which 'lm' refuses.
    sol = least_squares(residual, x0, jac="3-point", method="trf", x_scale="jac",
                        xtol=1e-15, ftol=1e-15, gtol=1e-15)
    dof = obs.size - x0.size
    chi2_red = float(np.sum(sol.fun ** 2) / dof) if dof > 0 else np.nan
    cov = _covariance(sol.jac, chi2_red, absolute_sigma)
    return _cell_fits(sol.x, cov, names, groups, corrections, sigma * sol.fun, chi2_red)


def _cell_fits(x, cov, names, groups, corrections, resid, chi2_red) -> list[CellFit]:
    err = np.sqrt(np.clip(np.diag(cov), 0, None))
    params, (zero, disp) = _unpack(x, names, corrections)
    _, corr_err = _unpack(err, names, corrections)
    fits, i, j = [], 0, 0
    for group_names, p, g in zip(names, params, groups):
        m, n = len(group_names), g.hkl.shape[0]
        cell = constrained_cell(g.system, **p)
        grad = _volume_gradient(g.system, p)
        block = cov[i:i + m, i:i + m]
        fits.append(CellFit(system=g.system, cell=cell, parameters={k: float(v) for k, v in p.items()},
                            errors=dict(zip(group_names, (float(e) for e in err[i:i + m]))),
                            volume_A3=cell.volume_A3, volume_err_A3=float(np.sqrt(max(grad @ block @ grad, 0))),
                            zero_deg=float(zero), zero_err_deg=float(corr_err[0]),
                            displacement_deg=float(disp), displacement_err_deg=float(corr_err[1]),
                            residual_deg=resid[j:j + n].copy(), chi2_red=chi2_red))
        i, j = i + m, j + n
    return fits


def _volume_gradient(system: str, params: dict) -> np.ndarray:
    grad = []
    for name in params:
        step = 1e-6 * max(abs(params[name]), 1.0)
        up = constrained_cell(system, **{**params, name: params[name] + step}).volume_A3
        down = constrained_cell(system, **{**params, name: params[name] - step}).volume_A3
        grad.append((up - down) / (2 * step))
    return np.array(grad)


def fit_cell(hkl, two_theta_deg, wavelength_A: float, system: str, sigma_deg=None,
             start: Optional[cr.Cell] = None, zero_shift: bool = False, displacement: bool = False,
             absolute_sigma: bool = False) -> CellFit:
    """Refine one cell from indexed 2θ positions (deg); ``sigma_deg`` (n,) or None for equal weights.

    hkl (n, 3) int. See :func:`fit_cells` for the corrections and the errors.
    """
    tth = np.asarray(two_theta_deg, dtype=float)
    sigma = np.ones_like(tth) if sigma_deg is None else np.broadcast_to(np.asarray(sigma_deg, float), tth.shape)
    group = PhaseReflections(system, np.asarray(hkl, dtype=int).reshape(-1, 3), tth, sigma, start)
    return fit_cells([group], wavelength_A, zero_shift, displacement, absolute_sigma)[0]
