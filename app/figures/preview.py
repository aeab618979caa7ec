"""A lighter copy of a series for interactive previews: fewer scans and points, peaks kept."""

from __future__ import annotations

import numpy as np

from dataclasses import replace
from typing import Sequence

from analysis.events import Event
from analysis.series import ScanSeries


def decimate_for_preview(series: ScanSeries, max_scans: int = 400, max_points: int = 1500
                         ) -> tuple[ScanSeries, np.ndarray]:
    """At most ``max_scans`` scans (every k-th) and ``max_points`` points (block maxima).

    Returns ``(lighter series, kept scan indices (n_kept,))``. Block maxima rather than every
    k-th point, so a narrow peak never falls between samples; each block's x is its mean.
    The result is for looking at only, never for analysis.
    """
    scan_step = max(int(np.ceil(series.n_scans / max_scans)), 1)
    point_step = int(np.ceil(series.n_points / max_points))
    idx = np.arange(0, series.n_scans, scan_step)
    if scan_step == 1 and point_step <= 1:
        return series, idx
    intensity, time_s = series.intensity[idx], series.time_s[idx]
    x = series.x
    if point_step > 1:
        starts = np.arange(0, series.n_points, point_step)
        intensity = np.maximum.reduceat(intensity, starts, axis=1)
        x = np.add.reduceat(x, starts) / np.diff(np.append(starts, series.n_points))
    light = ScanSeries(x=x, intensity=intensity, time_s=time_s, x_kind=series.x_kind,
                       wavelength_A=series.wavelength_A, time_source=series.time_source,
                       start_epoch_s=series.start_epoch_s, layout=series.layout)
    return light, idx


def remap_events(events: Sequence[Event], kept_scans: np.ndarray) -> list[Event]:
    """Events re-indexed onto the kept scans (each scan goes to the nearest kept one at or before it)."""
    def to_kept(scan: int) -> int:
        return max(int(np.searchsorted(kept_scans, scan, side="right")) - 1, 0)
    return [replace(e, scan=to_kept(e.scan), end_scan=to_kept(e.end_scan)) for e in events]
