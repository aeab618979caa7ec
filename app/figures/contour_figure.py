"""The operando contour figure: 2θ windows side by side, time up, voltage/parameter panels right."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import AutoMinorLocator, FixedLocator, MaxNLocator

from analysis.events import Event
from analysis.series import ScanSeries

from . import annotations
from .fonts import figure_rc
from .layout import plan_row
from .map_data import (TWO_THETA_LABEL, centers_to_edges, color_norm, map_axis, scale_intensity, scan_rows_h,
                       window_slices)
from .panels import ParameterInput, SidePanel, TraceInput, parameter_panels, trace_panel
from .presets import CM_PER_IN, FigureStyle

SCALE_LABELS = {"linear": "Intensity (a.u.)", "sqrt": "√Intensity (a.u.)", "log": "log Intensity (a.u.)"}
PANEL_LABELS = {"voltage": "Voltage (V)", "x": "Na content x"}


def window_ticks(lo: float, hi: float, width_in: float, font_size_pt: float, *, trim_lo: bool,
                 trim_hi: bool, label_extent_em: float | None = None) -> list[float]:
    """Major tick positions for a window ``width_in`` long: about one per 2.2 em.

    At a broken-axis edge (``trim_lo``/``trim_hi``) a tick is kept only if its label, centred on
    it, ends at least 0.25 em inside the window, so labels of neighbouring windows (or of a side
    panel) never touch. A label's extent along the axis is its text width (a horizontal axis) or
    ``label_extent_em`` (a vertical axis, where it is the text height).
    """
    nbins = max(1, int(width_in * 72.0 / (2.2 * font_size_pt)))
    ticks = [float(t) for t in MaxNLocator(nbins=nbins, steps=[1, 2, 5, 10]).tick_values(lo, hi) if lo <= t <= hi]
    data_per_pt = (hi - lo) / (width_in * 72.0)

    def clear(t: float, text: str) -> bool:
        extent = _label_width_em(text) if label_extent_em is None else label_extent_em
        reach = (extent / 2 + 0.25) * font_size_pt * data_per_pt
        return (not trim_lo or t - reach >= lo) and (not trim_hi or t + reach <= hi)

    return [t for t, text in zip(ticks, _tick_texts(ticks)) if clear(t, text)] or ticks[:1]


def _tick_texts(ticks: Sequence[float]) -> list[str]:
    """Labels as matplotlib's default formatter draws them: every tick with the decimals of the
    most precise one (35.5, 36.0, 36.5)."""
    decimals = max((len(np.format_float_positional(t, precision=6, trim="-").partition(".")[2]) for t in ticks),
                   default=0)
    return [f"{t:.{decimals}f}" for t in ticks]


def _label_width_em(text: str) -> float:
    """Rough width of a number label in em: digits ~0.64 em, '.' ~0.32 em (DejaVu/Arial metrics)."""
    return sum(0.32 if ch == "." else 0.64 for ch in text)


def panel_ticks(lo: float, hi: float, width_in: float, font_size_pt: float) -> list[float]:
    """As many 'nice' ticks as fit in a narrow panel, none hugging its edges.

    Ticks fit when neighbouring labels keep at least 0.5 em between them.
    """
    span, width_pt = hi - lo, width_in * 72.0
    best: list[float] = []
    for nbins in (5, 4, 3, 2, 1):
        ticks = MaxNLocator(nbins=nbins, steps=[1, 2, 5, 10]).tick_values(lo, hi)
        inside = [float(t) for t in ticks if lo + 0.06 * span <= t <= hi - 0.06 * span]
        if not inside:
            continue
        widest = max(_label_width_em(text) for text in _tick_texts(inside))
        spacing_pt = (ticks[1] - ticks[0]) / span * width_pt if len(ticks) > 1 else width_pt
        if len(inside) == 1 or spacing_pt >= (widest + 0.5) * font_size_pt:
            return inside
        best = inside
    return best[:1]


def _draw_windows(fig: Figure, rects, x: np.ndarray, x_label: str, z: np.ndarray, y_edges: np.ndarray,
                  windows, style: FigureStyle, trim_last: bool) -> tuple[list[Axes], object]:
    """One pcolormesh per window sharing the colour scale; ``trim_last`` keeps the last window's
    right-most tick label clear of a side panel."""
    slices = window_slices(x, windows)
    norm = color_norm(z, slices, style.clip_percentiles)
    x_edges = centers_to_edges(x)
    axes, mesh = [], None
    for rect, (lo, hi), s in zip(rects, windows, slices):
        ax = fig.add_axes(rect, sharey=axes[0] if axes else None, label="map")
        mesh = ax.pcolormesh(x_edges[s.start:s.stop + 1], y_edges, z[:, s], cmap=style.cmap, norm=norm,
                             shading="flat", rasterized=True)
        ax.set_xlim(lo, hi)
        width_in = rect[2] * fig.get_size_inches()[0]
        ax.xaxis.set_major_locator(FixedLocator(window_ticks(lo, hi, width_in, style.font_size_pt,
                                                             trim_lo=bool(axes), trim_hi=trim_last or s is not slices[-1])))
        ax.xaxis.set_minor_locator(AutoMinorLocator())
        ax.yaxis.set_minor_locator(AutoMinorLocator())
        axes.append(ax)
    axes[0].set_ylim(y_edges[0], y_edges[-1])
    if style.y_axis == "time":
        axes[0].yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10]))
    axes[0].set_ylabel("Time (h)" if style.y_axis == "time" else "Scan")
    # one x label centred under all windows: the label's x is in the first axes' coordinates
    left, right = rects[0][0], rects[-1][0] + rects[-1][2]
    axes[0].set_xlabel(x_label)
    axes[0].xaxis.label.set_x(((left + right) / 2 - left) / rects[0][2])
    return axes, mesh


def _visible(y: np.ndarray, panel: SidePanel, y_lim: tuple[float, float]):
    """The part of a panel's curve inside the map's time range (plus one point beyond each end),
    so a longer echem record does not stretch the panel's value axis."""
    lo, hi = min(y_lim), max(y_lim)
    finite = np.isfinite(y)  # times outside the scans have no scan index (NaN) in scan mode
    y, values = y[finite], panel.values[finite]
    errors = None if panel.errors is None else panel.errors[finite]
    inside = np.flatnonzero((y >= lo) & (y <= hi))
    if inside.size == 0:
        return y[:0], values[:0], None if errors is None else errors[:0]
    keep = slice(max(inside[0] - 1, 0), inside[-1] + 2)
    return y[keep], values[keep], None if errors is None else errors[keep]


def _draw_panels(fig: Figure, rects, panels: Sequence[SidePanel], share: Axes, to_y, style: FigureStyle
                 ) -> list[Axes]:
    axes = []
    for rect, panel in zip(rects, panels):
        ax = fig.add_axes(rect, sharey=share, label="panel")
        y, values, errors = _visible(to_y(panel.time_h), panel, share.get_ylim())
        if panel.markers:
            ax.errorbar(values, y, xerr=errors, fmt="o", ms=1.8, color="k", ecolor="0.4",
                        elinewidth=style.line_width_pt * 0.8, mew=0)
        else:
            ax.plot(values, y, color="k", lw=style.line_width_pt * 1.3)
        ax.set_xlabel(panel.label)
        ax.margins(x=0.08)
        ax.tick_params(axis="y", which="both", labelleft=False)
        lo, hi = ax.get_xlim()
        width_in = rect[2] * fig.get_size_inches()[0]
        ax.xaxis.set_major_locator(FixedLocator(panel_ticks(lo, hi, width_in, style.font_size_pt)))
        ax.xaxis.set_minor_locator(AutoMinorLocator())
        axes.append(ax)
    return axes


def draw_colorbar(fig: Figure, rect, mesh, style: FigureStyle) -> None:
    cax = fig.add_axes(rect, label="colorbar")
    cbar = fig.colorbar(mesh, cax=cax)
    cbar.outline.set_linewidth(style.line_width_pt)
    lo, hi = mesh.norm.vmin, mesh.norm.vmax
    cbar.ax.yaxis.set_major_locator(FixedLocator([lo, hi]))
    low, high = cbar.ax.set_yticklabels(["Low", "High"], rotation=90)
    low.set_verticalalignment("bottom")  # keep both words inside the bar's height
    high.set_verticalalignment("top")
    cbar.ax.tick_params(length=0, pad=1.5)
    cbar.ax.minorticks_off()
    cbar.set_label(SCALE_LABELS[style.scaling], labelpad=1.0)


def _vertical_axis(series: ScanSeries, y_axis: str):
    """(row edges, y of each scan (n_scans,), function mapping hours to y) for time or scan index."""
    edges_h, mid_h = scan_rows_h(series)
    if y_axis == "time":
        return edges_h, mid_h, lambda t_h: t_h
    scan_y = np.arange(series.n_scans, dtype=float)
    # a time maps to the scan whose row holds it (row edges at ±0.5); outside the rows: NaN, not drawn
    index_edges = np.arange(series.n_scans + 1) - 0.5
    return index_edges, scan_y, lambda t_h: np.interp(t_h, edges_h, index_edges, left=np.nan, right=np.nan)


def _annotate(fig: Figure, row, map_axes: list[Axes], panel_axes: list[Axes], events: Sequence[Event],
              ticks: Sequence, scan_y: np.ndarray, style: FigureStyle) -> None:
    """Phase tick strips above the windows; event lines on map and panels, labels on the widest window."""
    if ticks:
        strips = [fig.add_axes(r, sharex=a, label="phase ticks") for r, a in zip(row.strips, map_axes)]
        annotations.draw_phase_ticks(strips, ticks, style.line_width_pt, style.font_size_pt)
    if style.show_events and events:
        placed = annotations.draw_event_lines(map_axes, panel_axes, events, scan_y, style.line_width_pt)
        widest = max(map_axes, key=lambda a: a.get_position().width)
        annotations.draw_event_labels(widest, placed, style.font_size_pt)


def render_map_with_panels(series: ScanSeries, style: FigureStyle, panels: Sequence[SidePanel], *,
                           events: Sequence[Event] = (), ticks: Sequence[tuple[str, np.ndarray]] = ()
                           ) -> Figure:
    """The contour map with any side panels (all sharing the vertical time/scan axis).

    Axes carry labels (``Axes.get_label()``) saying what they are: ``"map"`` (one per window),
    ``"panel"``, ``"colorbar"``, ``"phase ticks"``.
    """
    x, intensity, x_label = map_axis(series)
    ticks = tuple(ticks) if style.show_ticks else ()
    if ticks and x_label != TWO_THETA_LABEL:
        raise ValueError("phase ticks are given in 2θ, but the series has no wavelength to convert "
                         f"its {series.x_kind} axis")
    windows = style.windows or ((float(x[0]), float(x[-1])),)
    y_edges, scan_y, to_y = _vertical_axis(series, style.y_axis)
    with mpl.rc_context(figure_rc(style.font_family, style.font_size_pt, style.line_width_pt)):
        fig = Figure(figsize=style.size_in, dpi=100)
        row = plan_row(fig, [hi - lo for lo, hi in windows], len(panels), style.panel_width_cm / CM_PER_IN,
                       font_size_pt=style.font_size_pt, colorbar=style.show_colorbar, tick_rows=len(ticks))
        map_axes, mesh = _draw_windows(fig, row.windows, x, x_label, scale_intensity(intensity, style.scaling),
                                       y_edges, windows, style, trim_last=bool(panels))
        panel_axes = _draw_panels(fig, row.panels, panels, map_axes[0], to_y, style)
        annotations.mark_broken_axes(map_axes, style.line_width_pt)
        if style.show_colorbar:
            draw_colorbar(fig, row.colorbar, mesh, style)
        _annotate(fig, row, map_axes, panel_axes, events, ticks, scan_y, style)
        fig.draw_without_rendering()  # creates every tick label under this rc, not the caller's
    return fig


def side_panels_for(series: ScanSeries, style: FigureStyle, voltage: Optional[TraceInput],
                    na_x: Optional[TraceInput]) -> list[SidePanel]:
    """The voltage or Na-content panel that ``style.panel`` asks for, when its data was given."""
    time_h = scan_rows_h(series)[1]
    if style.panel == "voltage" and voltage is not None:
        return [trace_panel(PANEL_LABELS["voltage"], voltage, time_h)]
    if style.panel == "x" and na_x is not None:
        return [trace_panel(PANEL_LABELS["x"], na_x, time_h)]
    return []


def render_contour_figure(series: ScanSeries, style: FigureStyle, *, voltage: Optional[TraceInput] = None,
                          na_x: Optional[TraceInput] = None, events: Sequence[Event] = (),
                          ticks: Sequence[tuple[str, np.ndarray]] = ()) -> Figure:
    """Contour map of ``series`` with a voltage (or Na content) panel, colour bar, events, phase ticks.

    voltage, na_x: per-scan values (n_scans,), drawn at mid-scan, or a continuous record
                   ``(time_h, values)`` with hours on the series clock (0 = first scan starts)
    ticks:         ``[(phase_name, two_theta_deg (n,)), ...]`` drawn above the map
    """
    return render_map_with_panels(series, style, side_panels_for(series, style, voltage, na_x),
                                  events=events, ticks=ticks)


def render_contour_with_parameters(series: ScanSeries, style: FigureStyle,
                                   parameters: Mapping[str, ParameterInput], *,
                                   labels: Optional[Mapping[str, str]] = None,
                                   voltage: Optional[TraceInput] = None, na_x: Optional[TraceInput] = None,
                                   events: Sequence[Event] = (),
                                   ticks: Sequence[tuple[str, np.ndarray]] = ()) -> Figure:
    """The contour figure with one more side panel per per-scan parameter (values ± errors).

    parameters: ``{name: values (n_scans,) or (values, errors)}``; names like ``c_A`` get ``c (Å)``
    """
    panels = side_panels_for(series, style, voltage, na_x)
    panels += parameter_panels(parameters, scan_rows_h(series)[1], labels)
    return render_map_with_panels(series, style, panels, events=events, ticks=ticks)
