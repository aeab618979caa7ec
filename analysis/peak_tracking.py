"""A cheap tracker that follows peak maxima through a stack, for seeding independent fits."""

from __future__ import annotations

import numpy as np


def scan_order(n_scans: int, start: int, direction: str) -> list[tuple[int, int]]:
    """``(row, seed_row)`` pairs in fitting order; ``seed_row`` is -1 for the starting scan.

    "forward" fits start → last, then start-1 → first (seeded from the scan after it);
    "backward" fits start → first, then start+1 → last. Every scan is fitted once.
    """
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', not {direction!r}")
    if not 0 <= start < n_scans:
        raise ValueError(f"start scan {start} outside 0..{n_scans - 1}")
    up = [(r, r - 1) for r in range(start + 1, n_scans)]
    down = [(r, r + 1) for r in range(start - 1, -1, -1)]
    return [(start, -1)] + (up + down if direction == "forward" else down + up)


def track_maxima(x_deg: np.ndarray, y: np.ndarray, order: list[tuple[int, int]], centers0: np.ndarray,
                 fwhm0: np.ndarray, k_noise: float = 3.0) -> np.ndarray:
    """Follow each peak's local maximum from scan to scan, (n_scans, n_peaks) centers in degrees.

    y: (n_scans, n_points) window data; centers0, fwhm0: (n_peaks,) at the starting scan. Each scan
    searches ±1 FWHM around the center tracked on its seed scan (3-point smoothing, parabolic
    refinement of the maximum); where the local maximum does not rise ``k_noise`` σ above the
    window's median, the previous center is kept, so a vanishing peak holds its last position.
    """
    n_peaks = centers0.size
    step = float(np.median(np.diff(x_deg)))
    half = np.maximum(np.round(fwhm0 / step).astype(int), 2)
    y = np.where(np.isfinite(y), y, 0.0)  # gaps cannot hold a maximum
    smooth = (y[:, :-2] + y[:, 1:-1] + y[:, 2:]) / 3.0
    xs = x_deg[1:-1]
    floor = np.median(smooth, axis=1) + k_noise * _noise_rows(y)
    out = np.empty((y.shape[0], n_peaks))
    for row, seed in order:
        prev = centers0 if seed < 0 else out[seed]
        idx = np.clip(np.searchsorted(xs, prev), 0, xs.size - 1)
        lo, hi = np.maximum(idx - half, 1), np.minimum(idx + half, xs.size - 2)
        new = prev.copy()
        for p in range(n_peaks):
            j = lo[p] + int(np.argmax(smooth[row, lo[p]:hi[p] + 1]))
            if smooth[row, j] > floor[row] and 0 < j < xs.size - 1:
                a, b, c = smooth[row, j - 1:j + 2]
                den = a - 2 * b + c
                new[p] = xs[j] + (0.5 * (a - c) / den * step if den < 0 else 0.0)
        out[row] = new
    return out


def _noise_rows(y: np.ndarray) -> np.ndarray:
    """Per-scan noise σ from second differences (vectorised :func:`noise_sigma`)."""
    d2 = y[:, :-2] - 2.0 * y[:, 1:-1] + y[:, 2:]
    mad = np.median(np.abs(d2 - np.median(d2, axis=1, keepdims=True)), axis=1)
    return 1.4826 * mad / np.sqrt(6.0)
