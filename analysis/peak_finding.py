"""Noise estimates and automatic peak finding inside a fitting window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks, peak_widths

_MAD_TO_SIGMA = 1.4826
_SECOND_DIFF_SCALE = float(np.sqrt(6.0))


def noise_sigma(y: np.ndarray) -> float:
    """Robust standard deviation of white noise on ``y`` (n_points,), in intensity units.

    Uses the median absolute deviation of second differences: for white noise of standard
    deviation σ, ``y[i-1] - 2y[i] + y[i+1]`` has standard deviation √6 σ, and smooth signal
    (background, peaks several points wide) contributes little to the median.
    """
    y = np.asarray(y, dtype=float)
    if y.size < 5:
        return float(np.std(y)) or 1.0
    return float(noise_sigma_rows(y[None, :])[0])


def noise_sigma_rows(y: np.ndarray) -> np.ndarray:
    """:func:`noise_sigma` of every row of ``y`` (m, n_points >= 5), (m,)."""
    d2 = y[:, :-2] - 2.0 * y[:, 1:-1] + y[:, 2:]
    mad = np.median(np.abs(d2 - np.median(d2, axis=1, keepdims=True)), axis=1)
    sigma = _MAD_TO_SIGMA * mad / _SECOND_DIFF_SCALE
    fallback = np.std(d2, axis=1) / _SECOND_DIFF_SCALE
    return np.where(sigma > 0, sigma, np.where(fallback > 0, fallback, 1.0))


def edge_line(x: np.ndarray, y: np.ndarray, edge_fraction: float = 0.1) -> np.ndarray:
    """A straight baseline through the medians of the first and last ``edge_fraction`` of points."""
    n = max(int(edge_fraction * x.size), 2)
    x0, y0 = float(np.mean(x[:n])), float(np.median(y[:n]))
    x1, y1 = float(np.mean(x[-n:])), float(np.median(y[-n:]))
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


@dataclass(frozen=True)
class FoundPeaks:
    """Peaks found in one window, strongest first.

    center_deg, fwhm_deg, height: (n_found,) in degrees and intensity above the edge line
    noise_sigma:                  the noise estimate used for the prominence threshold
    """

    center_deg: np.ndarray
    fwhm_deg: np.ndarray
    height: np.ndarray
    noise_sigma: float


def find_window_peaks(x_deg: np.ndarray, y: np.ndarray, n_peaks: int, prominence_k: float = 3.0
                      ) -> FoundPeaks:
    """Up to ``n_peaks`` peaks of ``y`` on ``x_deg`` (n_points,), the most prominent first.

    A peak counts when its prominence exceeds ``prominence_k`` times :func:`noise_sigma`; a
    3-point running mean is applied first so single-point noise spikes do not win.
    """
    x_deg = np.asarray(x_deg, dtype=float)
    y = np.asarray(y, dtype=float)
    sigma = noise_sigma(y)
    net = y - edge_line(x_deg, y)
    smooth = np.convolve(net, np.ones(3) / 3.0, mode="same")
    idx, props = find_peaks(smooth, prominence=prominence_k * sigma)
    order = np.argsort(props["prominences"])[::-1][:n_peaks]
    idx = idx[order]
    step = float(np.median(np.diff(x_deg))) if x_deg.size > 1 else 1.0
    if idx.size:
        widths = peak_widths(smooth, idx, rel_height=0.5)[0] * step
    else:
        widths = np.empty(0)
    return FoundPeaks(center_deg=x_deg[idx], fwhm_deg=np.maximum(widths, 2.0 * step),
                      height=np.maximum(smooth[idx], 0.0), noise_sigma=sigma)


def estimated_sigma(y: np.ndarray) -> np.ndarray:
    """Per-point noise σ (n_points,) for data that come without uncertainties.

    Counting noise grows with intensity, so when the data sit on a clearly positive baseline
    (median above 3 noise σ) the variance is taken proportional to the locally smoothed
    intensity, ``σ_i² = σ0² · max(ỹ_i, m) / m`` with σ0 from :func:`noise_sigma` and m the
    median of ỹ (5-point running mean, which keeps the data-weighting bias well below the
    statistical error). Otherwise (e.g. background-subtracted data) σ is constant.
    """
    y = np.asarray(y, dtype=float)
    if y.size < 5:
        return np.full(y.size, noise_sigma(y))
    return estimated_sigma_rows(y[None, :])[0]


def estimated_sigma_rows(y: np.ndarray) -> np.ndarray:
    """:func:`estimated_sigma` of every row of ``y`` (m, n_points >= 5), (m, n_points)."""
    sigma0 = noise_sigma_rows(y)[:, None]
    smooth = y.copy()
    smooth[:, 2:-2] = (y[:, :-4] + y[:, 1:-3] + y[:, 2:-2] + y[:, 3:-1] + y[:, 4:]) / 5.0
    m = np.median(smooth, axis=1, keepdims=True)
    counts_like = m > 3.0 * sigma0
    ratio = np.where(counts_like, np.maximum(smooth, m) / np.where(counts_like, m, 1.0), 1.0)
    return sigma0 * np.sqrt(ratio)
