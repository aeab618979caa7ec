"""Fitting windows chosen automatically from the series, for headless runs with no windows given."""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks, peak_widths

from .background import SnipBackground, compute_background
from .fit_windows import FitWindow, Kalpha2
from .peak_models import ka2_center_deg
from .peak_finding import find_window_peaks, noise_sigma_rows
from .series import ScanSeries


def _regions(x_deg: np.ndarray, excess: np.ndarray, noise: float, max_windows: int) -> list[tuple[float, float, float]]:
    """(lo, hi, weight) regions around the strongest peaks of ``excess`` (above-background maximum projection)."""
    idx, props = find_peaks(excess, prominence=10.0 * noise)
    if idx.size == 0:
        return []
    step = float(np.median(np.diff(x_deg)))
    widths = peak_widths(excess, idx, rel_height=0.5)[0] * step
    order = np.argsort(props["prominences"])[::-1][: 3 * max_windows]
    regions = sorted((x_deg[i] - 3.0 * w - 0.1, x_deg[i] + 3.0 * w + 0.1, float(props["prominences"][k]))
                     for k, (i, w) in enumerate(zip(idx, widths)) if k in set(order))
    merged: list[list[float]] = []
    for lo, hi, weight in regions:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
            merged[-1][2] = max(merged[-1][2], weight)
        else:
            merged.append([lo, hi, weight])
    strongest = sorted(merged, key=lambda r: r[2], reverse=True)[:max_windows]
    lo_x, hi_x = float(x_deg[0]), float(x_deg[-1])
    return sorted((max(lo, lo_x), min(hi, hi_x), w) for lo, hi, w in strongest)


def _count_without_kalpha2(found, kalpha2: bool) -> int:
    """Found peaks, not counting one that sits where a stronger one's Cu Kα2 companion falls."""
    centers, fwhm = found.center_deg, found.fwhm_deg
    if not kalpha2 or centers.size < 2:
        return int(centers.size)
    companions = ka2_center_deg(centers)
    n = centers.size
    for j in range(1, n):  # strongest first: j can only be the companion of a stronger i < j
        if np.any(np.abs(companions[:j] - centers[j]) < 0.5 * fwhm[:j]):
            n -= 1
    return n


def _peak_count(x_deg: np.ndarray, stack: np.ndarray, lo: float, hi: float, max_peaks: int, kalpha2: bool) -> int:
    """The most peaks found at once in any scan of the window (at least 1, at most ``max_peaks``)."""
    sel = (x_deg >= lo) & (x_deg <= hi)
    xs, ys = x_deg[sel], stack[:, sel]
    rows = np.linspace(0, ys.shape[0] - 1, min(ys.shape[0], 40)).astype(int)
    counts = [_count_without_kalpha2(find_window_peaks(xs, ys[r], 2 * max_peaks, prominence_k=6.0), kalpha2)
              for r in rows]
    return int(np.clip(max(counts, default=1), 1, max_peaks))


def automatic_windows(series: ScanSeries, *, max_windows: int = 4, max_peaks: int = 3,
                      kalpha2: bool = False, model: str = "pseudo_voigt") -> tuple[FitWindow, ...]:
    """Windows around the strongest features of the series' maximum projection over all scans.

    Moving peaks sweep a band in the maximum projection, so each window covers a peak's whole
    travel; its number of peaks is the most found at once in any scan. Returns () for a series
    with no peak 10 noise σ above the background.
    """
    x = series.two_theta_deg
    stack = series.intensity
    top = stack.max(axis=0)
    excess = top - compute_background(x, top, SnipBackground())
    noise = float(np.median(noise_sigma_rows(stack[:: max(1, stack.shape[0] // 20)])))
    windows = []
    for k, (lo, hi, _) in enumerate(_regions(x, excess, noise, max_windows)):
        n = _peak_count(x, stack, lo, hi, max_peaks, kalpha2)
        windows.append(FitWindow.with_n_peaks(round(lo, 3), round(hi, 3), n, model=model,
                                              ka2=Kalpha2(enabled=kalpha2), name=f"auto {k + 1}"))
    return tuple(windows)
