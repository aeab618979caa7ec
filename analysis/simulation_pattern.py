"""Powder-pattern rendering for the operando simulator: instrument profile, peaks, background.

Deliberately simple and said so: a peak's integrated intensity is (weight fraction × scale ×
relative intensity from the phase file). No Lorentz–polarisation factor, multiplicity, absorption
or Debye–Waller factor is applied on top (the library intensities already are a random-powder
Cu Kα pattern). Peaks are area-normalised pseudo-Voigts whose FWHM combines an instrumental
Caglioti term with the phase's own size/strain and stacking-fault broadening.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from . import axis as ax
from .phase_library import Phase

_FOUR_LN2 = 4.0 * np.log(2.0)


@dataclass(frozen=True)
class Instrument:
    """Wavelength and peak-shape parameters.

    wavelength_A:    primary wavelength (Kα1 for a lab tube), Å
    kalpha2:         add a Kα2 companion at ``wavelength_A × kalpha2_ratio_lambda`` with
                     ``kalpha2_intensity`` times the Kα1 intensity (Cu: 1.5444/1.5406, 0.5)
    u_deg2, v_deg2, w_deg2: Caglioti FWHM² = U tan²θ + V tanθ + W, in deg²
    eta:             Lorentzian fraction of the pseudo-Voigt (0 = Gaussian, 1 = Lorentzian)
    """

    wavelength_A: float = ax.CU_KA1_A
    kalpha2: bool = True
    kalpha2_ratio_lambda: float = ax.CU_KA2_A / ax.CU_KA1_A
    kalpha2_intensity: float = 0.5
    u_deg2: float = 0.010
    v_deg2: float = -0.003
    w_deg2: float = 0.008
    eta: float = 0.5

    @classmethod
    def lab_cu(cls, kalpha2: bool = True) -> "Instrument":
        """Lab Cu Kα1 (+Kα2): FWHM about 0.09° at 16° and 0.10° at 65° before sample broadening."""
        return cls(kalpha2=kalpha2)

    @classmethod
    def synchrotron(cls, wavelength_A: float) -> "Instrument":
        """Monochromatic beam: no Kα2, instrumental FWHM about 0.02–0.03°."""
        return cls(wavelength_A=wavelength_A, kalpha2=False, u_deg2=0.0004, v_deg2=0.0, w_deg2=0.0004, eta=0.3)

    def fwhm_deg(self, two_theta_deg) -> np.ndarray:
        """Instrumental FWHM in degrees at 2θ (floored at 0.005° so a bad U,V,W cannot give zero)."""
        t = np.tan(np.radians(np.asarray(two_theta_deg, dtype=float) / 2.0))
        h2 = self.u_deg2 * t * t + self.v_deg2 * t + self.w_deg2
        return np.sqrt(np.maximum(h2, 0.005**2))


@dataclass(frozen=True)
class PeakList:
    """Peaks to render: centres (deg), FWHM (deg) and integrated intensities (counts·deg), all (n,)."""

    center_deg: np.ndarray
    fwhm_deg: np.ndarray
    area: np.ndarray

    @staticmethod
    def concat(lists) -> "PeakList":
        lists = list(lists)
        if not lists:
            return PeakList(np.zeros(0), np.zeros(0), np.zeros(0))
        return PeakList(*(np.concatenate([getattr(p, k) for p in lists])
                          for k in ("center_deg", "fwhm_deg", "area")))


def phase_peaks(phase: Phase, instrument: Instrument, two_theta_range: tuple[float, float], weight: float,
                intensity_factors: Optional[np.ndarray] = None) -> PeakList:
    """Kα1 (+Kα2) peaks of ``phase`` with integrated intensity ``weight × rel_intensity / 100``.

    ``intensity_factors`` (n_reflections,) multiplies the file intensities (texture of a foil).
    Reflections up to 2° outside the range are kept so that their tails enter the window.
    """
    if intensity_factors is not None:
        phase = replace(phase, rel_intensity=phase.rel_intensity * np.asarray(intensity_factors, dtype=float))
    lo, hi = two_theta_range[0] - 2.0, two_theta_range[1] + 2.0
    lines = [(instrument.wavelength_A, 1.0)]
    if instrument.kalpha2:
        lines.append((instrument.wavelength_A * instrument.kalpha2_ratio_lambda, instrument.kalpha2_intensity))
    out = []
    for wavelength_A, ratio in lines:
        r = phase.reflections(wavelength_A, (lo, hi))
        rel_d = phase.broadening_rel_d + phase.fault_broadening_rel_d * r.fault
        tan_theta = np.tan(np.radians(r.two_theta_deg / 2.0))
        sample_deg = np.degrees(2.0 * rel_d * tan_theta)  # Δ2θ = 2 (Δd/d) tanθ
        fwhm = np.hypot(instrument.fwhm_deg(r.two_theta_deg), sample_deg)
        out.append(PeakList(r.two_theta_deg, fwhm, weight * ratio * r.rel_intensity / 100.0))
    return PeakList.concat(out)


def render(two_theta_deg: np.ndarray, peaks: PeakList, eta: float) -> np.ndarray:
    """Sum of area-normalised pseudo-Voigts on the grid; returns (n_points,).

    Works peak-block by peak-block so memory stays at ~64 peaks × n_points.
    """
    x = np.asarray(two_theta_deg, dtype=float)
    total = np.zeros_like(x)
    for start in range(0, peaks.area.size, 64):
        sl = slice(start, start + 64)
        dx = x[None, :] - peaks.center_deg[sl, None]
        h = peaks.fwhm_deg[sl, None]
        z2 = _FOUR_LN2 * (dx / h) ** 2
        gauss = np.sqrt(_FOUR_LN2 / np.pi) / h * np.exp(-z2)
        lorentz = (2.0 / (np.pi * h)) / (1.0 + 4.0 * (dx / h) ** 2)
        total += peaks.area[sl] @ (eta * lorentz + (1.0 - eta) * gauss)
    return total


@dataclass(frozen=True)
class Background:
    """A smooth background, defined in Q so it looks alike at every wavelength.

    level × (1 + air·exp(−Q/air_q) + Σ humps); the two amorphous humps sit at d ≈ 4.4 and 3.5 Å
    (15–25° for Cu: Kapton, separator, electrolyte), ``slope`` adds a gentle rise in Q
    (fluorescence/Compton).
    """

    air: float = 1.5
    air_q_inv_A: float = 0.5
    humps: tuple[tuple[float, float, float], ...] = ((0.35, 4.4, 0.18), (0.25, 3.5, 0.15))
    slope: float = 0.03

    def shape(self, two_theta_deg: np.ndarray, wavelength_A: float) -> np.ndarray:
        """Relative background (≈1 at high angle) on the 2θ grid, (n_points,)."""
        q = ax.two_theta_to_q(two_theta_deg, wavelength_A)
        out = 1.0 + self.air * np.exp(-q / self.air_q_inv_A) + self.slope * q
        for amplitude, d_A, sigma_q in self.humps:
            out += amplitude * np.exp(-0.5 * ((q - 2.0 * np.pi / d_A) / sigma_q) ** 2)
        return out
