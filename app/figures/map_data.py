"""The numbers behind a map: axis in 2θ, intensity scaling, cell edges, window slices, colour limits."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.colors import Normalize

from analysis import axis as ax_units
from analysis.series import ScanSeries

TWO_THETA_LABEL = ax_units.AXIS_LABELS[ax_units.TWO_THETA]


def map_axis(series: ScanSeries) -> tuple[np.ndarray, np.ndarray, str]:
    """(x increasing, intensity columns in the same order, axis label) for the map.

    2θ in degrees when it can be had (a d-spacing axis turns round when converted), else the
    series' own axis; phase ticks, given in 2θ, then cannot be placed.
    """
    if series.x_kind == ax_units.TWO_THETA or series.wavelength_A is not None:
        x, label = series.two_theta_deg, TWO_THETA_LABEL
    else:
        x, label = series.x, ax_units.AXIS_LABELS[series.x_kind]
    if x.size > 1 and x[0] > x[-1]:
        return x[::-1], series.intensity[:, ::-1], label
    return x, series.intensity, label


def scale_intensity(intensity: np.ndarray, scaling: str) -> np.ndarray:
    """Intensity (n_scans, n_points) mapped for display: linear, sqrt (negatives → 0) or log10.

    For log, values ≤ 0 are set to the smallest positive value so the map has no holes.
    """
    z = np.asarray(intensity, dtype=float)
    if scaling == "linear":
        return z
    if scaling == "sqrt":
        return np.sqrt(np.clip(z, 0.0, None))
    positive = z[z > 0]
    floor = positive.min() if positive.size else 1.0
    return np.log10(np.where(z > 0, z, floor))


def centers_to_edges(centers: np.ndarray) -> np.ndarray:
    """(n+1,) cell edges around (n,) increasing centres (half a step beyond each end)."""
    c = np.asarray(centers, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def window_slices(x: np.ndarray, windows: Sequence[tuple[float, float]]) -> list[slice]:
    """Index ranges covering each window plus one point either side, so cells reach the edges."""
    slices = []
    for lo, hi in windows:
        i0 = max(int(np.searchsorted(x, lo, side="left")) - 1, 0)
        i1 = min(int(np.searchsorted(x, hi, side="right")) + 1, x.size)
        if i1 - i0 < 2:
            raise ValueError(f"window {lo:g}–{hi:g} holds no data (axis spans {x[0]:g}–{x[-1]:g})")
        slices.append(slice(i0, i1))
    return slices


def color_norm(z: np.ndarray, slices: list[slice], percentiles: tuple[float, float]) -> Normalize:
    values = np.concatenate([z[:, s].ravel() for s in slices])
    values = values[np.isfinite(values)]
    lo, hi = np.percentile(values, percentiles) if values.size else (0.0, 1.0)
    return Normalize(vmin=float(lo), vmax=float(hi) if hi > lo else float(lo) + 1.0)


def scan_rows_h(series: ScanSeries) -> tuple[np.ndarray, np.ndarray]:
    """(row edges (n_scans+1,), mid-scan times (n_scans,)) in hours on the series clock.

    Scan i is drawn from its start to the next scan's start, the last one as long as the
    median spacing (one minute for a single scan); per-scan values (voltage at mid-scan, as
    :func:`analysis.echem.voltage_at_scans` gives it, fitted parameters) sit at the row middles.
    """
    start_h = series.time_s / 3600.0
    step_h = float(np.median(np.diff(start_h))) if start_h.size > 1 else 1.0 / 60.0
    edges = np.append(start_h, start_h[-1] + step_h)
    return edges, 0.5 * (edges[:-1] + edges[1:])
