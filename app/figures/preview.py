"""Interactive previews: a lighter copy of the series (fewer scans and points, peaks kept) and
the figure drawn to an RGBA pixel array, safe to do off the GUI thread."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis.cancel import CancelToken, check
from analysis.events import Event
from analysis.series import ScanSeries

from .contour_figure import render_contour_figure
from .panels import TraceInput
from .presets import FigureStyle


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


def render_preview_rgba(series: ScanSeries, style: FigureStyle, width_px: int, *,
                        voltage: Optional[TraceInput] = None, na_x: Optional[TraceInput] = None,
                        events: Sequence[Event] = (), ticks: Sequence[tuple[str, np.ndarray]] = (),
                        cancel: Optional[CancelToken] = None) -> np.ndarray:
    """The contour figure drawn by the Agg canvas about ``width_px`` pixels wide.

    Returns RGBA pixels (height_px, width_px, 4) uint8, a copy the caller owns. Uses no pyplot
    and no GUI canvas, so it may run on a worker thread (one figure per call, nothing shared);
    ``cancel`` is checked between building and drawing. Raises ValueError as
    :func:`render_contour_figure` does (bad window, figure too small).
    """
    check(cancel)
    fig = render_contour_figure(series, style, voltage=voltage, na_x=na_x, events=events, ticks=ticks)
    check(cancel)
    fig.set_dpi(width_px / fig.get_size_inches()[0])
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.array(canvas.buffer_rgba(), dtype=np.uint8)
