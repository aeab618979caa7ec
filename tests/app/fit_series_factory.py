"""A synthetic series for the fitting-panel tests: two pseudo-Voigt peaks with known drifting
centres on a flat background with Gaussian noise of known σ (passed as the series' σ)."""

from __future__ import annotations

import numpy as np

from analysis.peak_models import profile
from analysis.series import ScanSeries

WINDOW_DEG = (13.5, 15.3)
NOISE = 3.0          # counts, σ of the added Gaussian noise, also the series' sigma
BACKGROUND = 100.0   # counts
FWHM_DEG = 0.15
AREA = 30.0          # counts × degrees, a peak ~160 counts high: ~50 σ


def true_centers(n_scans: int) -> np.ndarray:
    """(n_scans, 2): peak 0 drifts up 0.01° per scan from 14.0°, peak 1 down from 14.8°."""
    i = np.arange(n_scans)
    return np.column_stack([14.0 + 0.01 * i, 14.8 - 0.01 * i])


def two_peak_series(n_scans: int = 20, seed: int = 3, absent_scans=()) -> tuple[ScanSeries, np.ndarray]:
    """(series on 10-20° 2θ in 0.01° steps, true centres (n_scans, 2) in degrees); peak 1 is left
    out of the scans in ``absent_scans`` (its true centre there is NaN)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(10.0, 20.0, 1001)
    centers = true_centers(n_scans)
    centers[list(absent_scans), 1] = np.nan
    rows = [BACKGROUND + sum(profile("pseudo_voigt", x, c, FWHM_DEG, AREA, (0.5,)) for c in cs if np.isfinite(c))
            + rng.normal(0.0, NOISE, x.size) for cs in centers]
    series = ScanSeries(x=x, intensity=np.array(rows), time_s=600.0 * np.arange(n_scans), wavelength_A=1.5406,
                        sigma=np.full((n_scans, x.size), NOISE), source=tuple(f"s{i}" for i in range(n_scans)),
                        layout="synthetic")
    return series, centers
