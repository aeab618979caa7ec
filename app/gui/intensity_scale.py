"""Intensity scalings for the contour map and robust display levels, on float32 arrays.

Pure numpy (no Qt) so the numbers are testable on their own. Everything is vectorised over
the whole stack: a 2,000 × 5,000 map costs a few tens of milliseconds.
"""

from __future__ import annotations

import numpy as np

_LEVEL_SAMPLE = 1_000_000
"""Percentiles are taken on at most about this many evenly strided pixels: enough for 0.1 %
precision on the levels, and it keeps ``np.percentile`` off the full 10⁷-pixel stack."""


def scale_intensity(intensity: np.ndarray, scaling: str) -> np.ndarray:
    """The (n_scans, n_points) stack as a new float32 array for display.

    ``linear``: unchanged. ``sqrt``: √I, with negative values (after background subtraction)
    shown as 0. ``log``: log₁₀ I, with values ≤ 0 clipped to the smallest positive intensity
    so that they show as the darkest colour rather than as holes.

    Works in place on one float32 buffer: on a 10⁷-pixel stack, fresh 40 MB temporaries cost
    more in page faults than the arithmetic itself.
    """
    if scaling not in ("linear", "sqrt", "log"):
        raise ValueError(f"unknown scaling {scaling!r}")
    image = np.array(intensity, dtype=np.float32, copy=True)
    if scaling == "sqrt":
        np.maximum(image, np.float32(0.0), out=image)
        np.sqrt(image, out=image)
    elif scaling == "log":
        floor = np.min(image, where=image > 0, initial=np.inf)
        np.maximum(image, np.float32(floor if np.isfinite(floor) else 1.0), out=image)
        np.log10(image, out=image)
    return image


def robust_levels(image: np.ndarray, low_pct: float = 0.5, high_pct: float = 99.8) -> tuple[float, float]:
    """Display levels (lo, hi) from percentiles of a strided sample, ignoring NaN.

    Percentiles instead of min/max so that a few hot pixels or a detector gap do not wash
    out the map. Returns a non-empty interval even for a constant image.
    """
    flat = image.reshape(-1)
    step = max(flat.size // _LEVEL_SAMPLE, 1)
    sample = flat[::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(sample, [low_pct, high_pct])
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        pad = abs(lo) * 1e-3 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi
