"""Time left to right: the map on top (2θ up, windows stacked with breaks), panels stacked under it.

The transposed companion of :mod:`.contour_figure`, for figures where lattice parameters,
volume change or phase fractions sit directly under the map on one shared time axis.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import AutoMinorLocator, FixedLocator

from analysis.events import Event
from analysis.series import ScanSeries

from . import annotations
from .contour_figure import PANEL_LABELS, draw_colorbar, window_ticks
from .fonts import figure_rc, resolve_font_family
from .layout import COLORBAR_GAP_IN, COLORBAR_WIDTH_IN, PT_PER_IN, WINDOW_GAP_IN
from .map_data import TWO_THETA_LABEL, color_norm, map_axis, scale_intensity, scan_rows_h, window_slices
from .panels import ParameterInput, TraceInput, trace_panel
from .parameter_figure import plot_parameter_group
from .presets import FigureStyle

PANEL_GAP_IN = 0.06
STRIP_GAP_IN = 0.03     # between the map and its phase-tick strip
TICK_COLUMN_EM = 1.15   # width of one phase's tick column, as in the side-by-side layout's rows


def _rects(fig: Figure, spans: list[float], n_lower: int, map_fraction: float, font_size_pt: float,
           colorbar: bool, tick_cols: int = 0, name_room_in: float = 0.0):
    """Figure-fraction rectangles: map windows bottom-up, lower panels top-down, colour bar, and
    one phase-tick strip right of each window (``tick_cols`` columns; ``name_room_in`` above the
    map for the phase names written upwards over the columns)."""
    width_in, height_in = fig.get_size_inches()
    em = font_size_pt / PT_PER_IN
    strips_w = tick_cols * TICK_COLUMN_EM * em
    left, bottom, top = 5.4 * em + 0.03, 3.5 * em + 0.04, 0.9 * em + (name_room_in if tick_cols else 0.0)
    right = (COLORBAR_GAP_IN + COLORBAR_WIDTH_IN + 2.9 * em) if colorbar else 1.0 * em
    right += STRIP_GAP_IN + strips_w if tick_cols else 0.0
    plot_w, plot_h = width_in - left - right, height_in - bottom - top
    lower_h = (plot_h * (1 - map_fraction) - PANEL_GAP_IN * n_lower) / n_lower if n_lower else 0.0
    map_h = plot_h - n_lower * (lower_h + PANEL_GAP_IN) - WINDOW_GAP_IN * (len(spans) - 1)
    if plot_w <= 0.3 or map_h <= 0.3 or (n_lower and lower_h <= 0.2):
        raise ValueError(f"figure {width_in:.2f}x{height_in:.2f} in is too small for this layout")
    shares = [max(s / sum(spans), 0.15) for s in spans]

    def rect(x, y, w, h):
        return (x / width_in, y / height_in, w / width_in, h / height_in)

    lower = [rect(left, bottom + (n_lower - 1 - i) * (lower_h + PANEL_GAP_IN), plot_w, lower_h)
             for i in range(n_lower)]
    y, windows, strips = bottom + n_lower * (lower_h + PANEL_GAP_IN), [], []
    for share in shares:
        h = share / sum(shares) * map_h
        windows.append(rect(left, y, plot_w, h))
        if tick_cols:
            strips.append(rect(left + plot_w + STRIP_GAP_IN, y, strips_w, h))
        y += h + WINDOW_GAP_IN
    map_top = y - WINDOW_GAP_IN
    map_bottom = bottom + n_lower * (lower_h + PANEL_GAP_IN)
    cbar_left = left + plot_w + (STRIP_GAP_IN + strips_w if tick_cols else 0.0) + COLORBAR_GAP_IN
    cbar = rect(cbar_left, map_bottom, COLORBAR_WIDTH_IN, map_top - map_bottom)
    return windows, lower, cbar if colorbar else None, strips


def _name_room_in(ticks: Sequence[tuple[str, np.ndarray]], style: FigureStyle) -> float:
    """Height (in) the longest phase name needs when written upwards above the tick columns."""
    if not ticks:
        return 0.0
    font = FontProperties(family=resolve_font_family(style.font_family), size=style.font_size_pt)
    widest_pt = max(TextToPath().get_text_width_height_descent(" " + name, font, ismath=False)[0]
                    for name, _ in ticks)
    return widest_pt / PT_PER_IN + 0.02


def _mark_vertical_breaks(windows: Sequence[Axes], line_width_pt: float) -> None:
    """Slashes between windows stacked bottom-up; inner spines and inner tick labels hidden."""
    slash = [(-1.0, -0.6), (1.0, 0.6)]
    style = dict(marker=slash, markersize=5.0, linestyle="none", color="k", mec="k", mew=line_width_pt,
                 clip_on=False)
    for lower, upper in zip(windows[:-1], windows[1:]):
        lower.spines["top"].set_visible(False)
        upper.spines["bottom"].set_visible(False)
        upper.tick_params(axis="x", which="both", bottom=False)
        lower.plot([0, 1], [1, 1], transform=lower.transAxes, **style)
        upper.plot([0, 1], [0, 0], transform=upper.transAxes, **style)


def _draw_map(fig: Figure, rects, series: ScanSeries, style: FigureStyle, windows, edges_h: np.ndarray):
    x, intensity, x_label = map_axis(series)
    z = scale_intensity(intensity, style.scaling)
    slices = window_slices(x, windows)
    norm = color_norm(z, slices, style.clip_percentiles)
    x_edges = np.concatenate([[2 * x[0] - x[1]], 0.5 * (x[1:] + x[:-1]), [2 * x[-1] - x[-2]]]) \
        if x.size > 1 else np.array([x[0] - 0.5, x[0] + 0.5])
    axes, mesh = [], None
    for i, (rect, (lo, hi), s) in enumerate(zip(rects, windows, slices)):
        ax = fig.add_axes(rect, sharex=axes[0] if axes else None, label="map")
        mesh = ax.pcolormesh(edges_h, x_edges[s.start:s.stop + 1], z[:, s].T, cmap=style.cmap, norm=norm,
                             shading="flat", rasterized=True)
        ax.set_ylim(lo, hi)
        height_in = rect[3] * fig.get_size_inches()[1]
        ax.yaxis.set_major_locator(FixedLocator(window_ticks(lo, hi, height_in, style.font_size_pt,
                                                             trim_lo=i > 0, trim_hi=i < len(windows) - 1,
                                                             label_extent_em=1.0)))
        ax.yaxis.set_minor_locator(AutoMinorLocator())
        axes.append(ax)
    bottom, top = rects[0][1], rects[-1][1] + rects[-1][3]
    axes[0].set_ylabel(x_label)
    axes[0].yaxis.label.set_y(((bottom + top) / 2 - bottom) / rects[0][3])
    return axes, mesh


def render_stacked_figure(series: ScanSeries, style: FigureStyle,
                          parameters: Optional[Mapping[str, ParameterInput]] = None, *,
                          voltage: Optional[TraceInput] = None, na_x: Optional[TraceInput] = None,
                          events: Sequence[Event] = (), ticks: Sequence[tuple[str, np.ndarray]] = (),
                          groups: Optional[Sequence[Sequence[str]]] = None,
                          labels: Optional[Mapping[str, str]] = None,
                          group_labels: Optional[Sequence[Optional[str]]] = None,
                          map_fraction: float = 0.5) -> Figure:
    """Map over time (h) on top, then the voltage (or Na content) panel, then parameter panels.

    parameters: ``{name: values (n_scans,) or (values, errors)}``, drawn at mid-scan times;
    groups: names sharing one panel (default one panel each), group_labels: their y labels
    (e.g. "Phase fraction"; None keeps the automatic one); map_fraction: share of the
    plotting height given to the map when there are panels below it; ticks:
    ``[(phase_name, two_theta_deg (n,)), ...]`` drawn as columns right of the map, names above them.
    ``style.y_axis`` does not apply here (time is always in hours, left to right).
    """
    parameters = parameters or {}
    groups = [list(g) for g in groups] if groups else [[name] for name in parameters]
    edges_h, mid_h = scan_rows_h(series)
    trace = {"voltage": voltage, "x": na_x}.get(style.panel) if style.panel else None
    x_full, _, x_label = map_axis(series)
    ticks = tuple(ticks) if style.show_ticks else ()
    if ticks and x_label != TWO_THETA_LABEL:
        raise ValueError("phase ticks are given in 2θ, but the series has no wavelength to convert "
                         f"its {series.x_kind} axis")
    windows = style.windows or ((float(x_full[0]), float(x_full[-1])),)
    with mpl.rc_context(figure_rc(style.font_family, style.font_size_pt, style.line_width_pt)):
        fig = Figure(figsize=style.size_in, dpi=100)
        n_lower = len(groups) + (trace is not None)
        map_rects, lower_rects, cbar_rect, strip_rects = _rects(
            fig, [hi - lo for lo, hi in windows], n_lower, map_fraction, style.font_size_pt, style.show_colorbar,
            tick_cols=len(ticks), name_room_in=_name_room_in(ticks, style))
        map_axes, mesh = _draw_map(fig, map_rects, series, style, windows, edges_h)
        _mark_vertical_breaks(map_axes, style.line_width_pt)
        if ticks:
            strips = [fig.add_axes(r, sharey=a, label="phase ticks") for r, a in zip(strip_rects, map_axes)]
            annotations.draw_phase_tick_columns(strips, ticks, style.line_width_pt, style.font_size_pt)
        lower = [fig.add_axes(r, sharex=map_axes[0], label="panel") for r in lower_rects]
        if trace is not None:
            panel = trace_panel(PANEL_LABELS[style.panel], trace, mid_h)
            lower[0].plot(panel.time_h, panel.values, color="k", lw=style.line_width_pt * 1.3)
            lower[0].set_ylabel(panel.label)
            lower[0].yaxis.set_minor_locator(AutoMinorLocator())
        for i, (ax, group) in enumerate(zip(lower[trace is not None:], groups)):
            plot_parameter_group(ax, mid_h, group, parameters, labels, style)
            if group_labels and i < len(group_labels) and group_labels[i]:
                ax.set_ylabel(group_labels[i])
        map_axes[0].set_xlim(edges_h[0], edges_h[-1])
        for ax in map_axes + lower[:-1]:
            ax.tick_params(axis="x", which="both", labelbottom=False)
        (lower or map_axes)[-1].set_xlabel("Time (h)")
        fig.align_ylabels(lower + map_axes[:1])
        if style.show_colorbar:
            draw_colorbar(fig, cbar_rect, mesh, style)
        if style.show_events and events:
            _draw_events(map_axes, lower, events, mid_h, style)
        fig.draw_without_rendering()
    return fig


def _draw_events(map_axes: list[Axes], lower: list[Axes], events: Sequence[Event], mid_h: np.ndarray,
                 style: FigureStyle) -> None:
    """Dashed vertical lines through map and panels; labels written upwards at the top window."""
    top = map_axes[-1]
    for event in events:
        span = annotations.event_span(event, mid_h)
        if span is None:
            continue
        for ax in map_axes:
            for t in {span[0], span[1]}:
                ax.axvline(t, color=annotations.MAP_EVENT_COLOR, lw=style.line_width_pt, ls=(0, (4, 2)), alpha=0.9)
        for ax in lower:
            if span[1] > span[0]:
                ax.axvspan(span[0], span[1], color=annotations.PANEL_BAND_COLOR, lw=0, zorder=0)
            ax.axvline(span[0], color=annotations.PANEL_EVENT_COLOR, lw=style.line_width_pt, ls=(0, (4, 2)),
                       zorder=1)
        top.figure.text(span[0], 0.97, " " + event.display_label, transform=top.get_xaxis_transform(),
                        rotation=90, ha="right", va="top", fontsize=style.font_size_pt, color="k",
                        bbox=dict(boxstyle="square,pad=0.12", fc="white", ec="none", alpha=0.8))
