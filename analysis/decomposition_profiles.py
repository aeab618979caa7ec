"""Per-phase model profiles for whole-pattern decomposition (:mod:`analysis.pattern_decomposition`).

A phase's profile on a 2θ grid is Σ (rel_intensity / 100) · pV(2θ − 2θ_hkl − zero; FWHM, η) over its
listed reflections, with an optional Kα2 companion, area-normalised pseudo-Voigts, so a fitted
non-negative scale multiplies a pattern of unit "weight" exactly as in :mod:`analysis.simulation_pattern`.
The FWHM adds the instrument's Caglioti width and the phase's size/strain broadening in quadrature:
FWHM² = U tan²θ + V tanθ + W + (2 · rel_d · tanθ)² (the last in degrees), with ``rel_d`` the
refined relative broadening Δd/d (plus the library's stacking-fault term for l ≠ 0, hk ≠ 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import axis as ax
from . import crystallography as cr
from .phase_library import Phase, constrained_cell

_FOUR_LN2 = 4.0 * np.log(2.0)


@dataclass(frozen=True)
class ProfileSettings:
    """Instrument and background model shared by all phases.

    wavelength_A: primary (Kα1) wavelength, Å; kalpha2: add a companion at λ·kalpha2_ratio_lambda
    with kalpha2_intensity of the Kα1 area; u/v/w_deg2: Caglioti FWHM² terms (deg²); eta: Lorentzian
    fraction; n_background: Chebyshev terms over the 2θ range (0 = background already subtracted);
    free_parasitic_intensities: parasitic phases get one free non-negative scale per reflection
    (textured foils), instead of one scale for the file's intensities.
    """

    wavelength_A: float = ax.CU_KA1_A
    kalpha2: bool = True
    kalpha2_ratio_lambda: float = ax.CU_KA2_A / ax.CU_KA1_A
    kalpha2_intensity: float = 0.5
    u_deg2: float = 0.010
    v_deg2: float = -0.003
    w_deg2: float = 0.008
    eta: float = 0.5
    n_background: int = 14
    free_parasitic_intensities: bool = True

    @classmethod
    def synchrotron(cls, wavelength_A: float, **changes) -> "ProfileSettings":
        """Monochromatic beam: no Kα2 and a narrow instrumental width (about 0.02–0.03°), as in
        :meth:`analysis.simulation_pattern.Instrument.synchrotron`."""
        return cls(**{"wavelength_A": wavelength_A, "kalpha2": False, "u_deg2": 0.0004, "v_deg2": 0.0,
                      "w_deg2": 0.0004, "eta": 0.3, **changes})

    def lines(self) -> list[tuple[float, float]]:
        """(wavelength Å, relative intensity) of each emission line used."""
        out = [(self.wavelength_A, 1.0)]
        if self.kalpha2:
            out.append((self.wavelength_A * self.kalpha2_ratio_lambda, self.kalpha2_intensity))
        return out

    def fwhm_deg(self, two_theta_deg: np.ndarray, rel_d: np.ndarray) -> np.ndarray:
        t = np.tan(np.radians(two_theta_deg / 2.0))
        inst = np.maximum(self.u_deg2 * t * t + self.v_deg2 * t + self.w_deg2, 0.005**2)
        return np.sqrt(inst + np.degrees(2.0 * rel_d * t) ** 2)


def pseudo_voigt(x: np.ndarray, center: np.ndarray, fwhm: np.ndarray, eta: float,
                 derivatives: bool = False):
    """(n_peaks, n_points) area-normalised pseudo-Voigts on the whole grid; center/fwhm (n_peaks,)
    in deg. With ``derivatives``, also ∂/∂center and ∂/∂fwhm (same shape)."""
    return _pv_window(x[None, :], center[:, None], fwhm[:, None], eta, derivatives)


WINDOW_FWHM = 25.0
"""Peaks are evaluated within ±WINDOW_FWHM × FWHM of their centre: the Lorentzian tail beyond holds
~1.3 % of its area (0.6 % of a η = 0.5 pseudo-Voigt), the same share for every peak (so scale
ratios are unaffected), and the smooth background absorbs it."""


def _windows(x: np.ndarray, center: np.ndarray, fwhm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ragged windows: flat grid indices of every peak's window and the peak each belongs to."""
    i0 = np.searchsorted(x, center - WINDOW_FWHM * fwhm)
    i1 = np.searchsorted(x, center + WINDOW_FWHM * fwhm)
    lengths = i1 - i0
    peak = np.repeat(np.arange(center.size), lengths)
    starts = np.cumsum(lengths) - lengths
    idx = np.arange(peak.size) - np.repeat(starts - i0, lengths)
    return idx, peak


def render_peaks(x: np.ndarray, center: np.ndarray, fwhm: np.ndarray, eta: float, weight: np.ndarray,
                 group: Optional[np.ndarray] = None, n_groups: int = 1) -> np.ndarray:
    """Σ weight · pV on the grid: (n_points,), or (n_groups, n_points) summing peaks by ``group``."""
    idx, peak = _windows(x, center, fwhm)
    values = _pv_window(x[idx], center[peak], fwhm[peak], eta) * weight[peak]
    if group is None:
        return np.bincount(idx, values, minlength=x.size)
    flat = group[peak] * x.size + idx
    return np.bincount(flat, values, minlength=n_groups * x.size).reshape(n_groups, x.size)


def render_derivatives(x: np.ndarray, center: np.ndarray, fwhm: np.ndarray, eta: float,
                       w_center: np.ndarray, w_fwhm: np.ndarray) -> np.ndarray:
    """(n_points, k): Σ_p w_center[p, j] ∂pV_p/∂center + w_fwhm[p, j] ∂pV_p/∂fwhm for each column j
    of the (n_peaks, k) weights."""
    idx, peak = _windows(x, center, fwhm)
    _, d_center, d_fwhm = _pv_window(x[idx], center[peak], fwhm[peak], eta, derivatives=True)
    out = np.zeros((x.size, w_center.shape[1]))
    for j in range(w_center.shape[1]):
        out[:, j] = np.bincount(idx, d_center * w_center[peak, j] + d_fwhm * w_fwhm[peak, j], minlength=x.size)
    return out


def _pv_window(xw: np.ndarray, center: np.ndarray, fwhm: np.ndarray, eta: float, derivatives: bool = False):
    """Area-normalised pseudo-Voigt at points xw for peaks (center, fwhm) of the same shape
    (broadcastable); with ``derivatives`` also ∂/∂center and ∂/∂fwhm."""
    inv_h = 1.0 / fwhm
    z = (xw - center) * inv_h
    u = z * z
    gauss = np.exp(-_FOUR_LN2 * u)
    gauss *= (1.0 - eta) * np.sqrt(_FOUR_LN2 / np.pi) * inv_h
    denom = 1.0 + 4.0 * u
    lorentz = (eta * 2.0 / np.pi) * inv_h / denom
    if not derivatives:
        return gauss + lorentz
    # G ∝ exp(−k u)/h, L ∝ 1/(h (1 + 4u)), u = ((x − c)/h)²
    d_center = (2.0 * _FOUR_LN2 * gauss + 8.0 * lorentz / denom) * z * inv_h
    d_fwhm = (gauss * (2.0 * _FOUR_LN2 * u - 1.0) + lorentz * (4.0 * u - 1.0) / denom) * inv_h
    return gauss + lorentz, d_center, d_fwhm


def phase_cell(phase: Phase, params: dict) -> Optional[cr.Cell]:
    """The phase's cell with its free parameters set from ``params`` (others kept)."""
    if phase.cell is None:
        return None
    return constrained_cell(phase.system, **{**{k: getattr(phase.cell, k) for k in cr.CELL_PARAMETERS}, **params})


def all_peaks(phase: Phase, cell: Optional[cr.Cell], settings: ProfileSettings, rel_d: float,
              zero_deg: float = 0.0):
    """Centres, FWHM (deg), areas and reflection index, each (n_lines × n_reflections,), for every
    emission line and reflection (centre NaN where λ/2d > 1)."""
    d = phase.fixed_d_A if cell is None else cr.d_spacing(cell, phase.hkl)
    rel = phase.rel_intensity / 100.0
    broad = rel_d + phase.fault_broadening_rel_d * phase.fault_mask()
    centers, fwhms, areas = [], [], []
    for wavelength_A, ratio in settings.lines():
        tth = cr.two_theta_deg(d, wavelength_A)
        centers.append(tth + zero_deg)
        fwhms.append(settings.fwhm_deg(np.nan_to_num(tth, nan=90.0), broad))
        areas.append(ratio * rel)
    index = np.tile(np.arange(rel.size), len(centers))
    return np.concatenate(centers), np.concatenate(fwhms), np.concatenate(areas), index


def phase_peaks(phase: Phase, cell: Optional[cr.Cell], settings: ProfileSettings, rel_d: float, zero_deg: float,
                lo: float, hi: float):
    """Like :func:`all_peaks`, only the peaks with centres inside [lo, hi] deg."""
    c, h, a, idx = all_peaks(phase, cell, settings, rel_d, zero_deg)
    keep = np.isfinite(c) & (c >= lo) & (c <= hi)
    return c[keep], h[keep], a[keep], idx[keep]


def phase_columns(phase: Phase, x_deg: np.ndarray, settings: ProfileSettings, params: dict,
                  rel_d: float, zero_deg: float = 0.0, per_reflection: bool = False) -> np.ndarray:
    """Model columns of a phase on the grid ``x_deg`` (n_points,): (n_points, 1) for one scale,
    or (n_points, n_reflections) with one column per reflection (Kα2 included) if ``per_reflection``.

    ``params``: free cell parameters (Å, deg); ``rel_d``: relative broadening Δd/d.
    Reflections up to 2° outside the grid are kept so that their tails enter it.
    """
    cell = phase_cell(phase, params)
    c, h, a, idx = phase_peaks(phase, cell, settings, rel_d, zero_deg, x_deg[0] - 2.0, x_deg[-1] + 2.0)
    if not per_reflection:
        return render_peaks(x_deg, c, h, settings.eta, a)[:, None]
    return render_peaks(x_deg, c, h, settings.eta, a, idx, phase.rel_intensity.size).T


def chebyshev_basis(x_deg: np.ndarray, n_terms: int) -> np.ndarray:
    """(n_points, n_terms) Chebyshev polynomials T_0 … T_{n−1} over the grid mapped to [−1, 1]."""
    if n_terms <= 0:
        return np.zeros((x_deg.size, 0))
    t = 2.0 * (x_deg - x_deg[0]) / (x_deg[-1] - x_deg[0]) - 1.0
    return np.polynomial.chebyshev.chebvander(t, n_terms - 1)


def profile_bank(phase: Phase, cells: list, x_deg: np.ndarray, settings: ProfileSettings,
                 rel_d: Optional[float] = None) -> np.ndarray:
    """(n_cells, n_points) float32 profiles (one scale each) of the phase at each of ``cells``,
    for the coarse search; ``rel_d`` defaults to the library broadening."""
    rel_d = phase.broadening_rel_d if rel_d is None else rel_d
    bank = np.empty((len(cells), x_deg.size), dtype=np.float32)
    for i, cell in enumerate(cells):
        params = {} if cell is None else {k: getattr(cell, k) for k in phase.free_parameters}
        bank[i] = phase_columns(phase, x_deg, settings, params, rel_d)[:, 0]
    return bank
