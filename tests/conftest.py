"""Shared factories for synthetic series with known truth."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

from analysis.series import ScanSeries


def gaussian(x, center, fwhm, area):
    sigma = fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    return area / (sigma * np.sqrt(2.0 * np.pi)) * np.exp(-0.5 * ((x - center) / sigma) ** 2)


def drifting_peak_series(n_scans=20, n_points=500, lo=10.0, hi=20.0, center0=14.0, drift=0.05,
                         fwhm=0.2, area=50.0, background=10.0, wavelength_A=1.5406, seed=0):
    """A series with one Gaussian peak whose center moves ``drift`` degrees per scan (Poisson noise)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(lo, hi, n_points)
    centers = center0 + drift * np.arange(n_scans)
    clean = np.array([background + gaussian(x, c, fwhm, area) for c in centers])
    noisy = rng.poisson(clean * 100) / 100.0
    return ScanSeries(x=x, intensity=noisy, time_s=60.0 * np.arange(n_scans), wavelength_A=wavelength_A,
                      source=tuple(f"synthetic_{i}" for i in range(n_scans)), layout="synthetic"), centers


@pytest.fixture
def drifting_series():
    """(series, true_centers_deg) for a 20-scan series with one drifting Gaussian peak."""
    return drifting_peak_series()
