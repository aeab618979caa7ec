"""Per-scan parameters (lattice parameters, volume change, phase fractions) against time or voltage."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import AutoMinorLocator, MaxNLocator

from analysis.events import Event

from . import annotations
from .fonts import figure_rc
from .layout import PT_PER_IN
from .panels import ParameterInput, parameter_label, split_parameter
from .presets import FigureStyle

X_AXES = {"time": "Time (h)", "scan": "Scan", "voltage": "Voltage (V)"}
PANEL_GAP_IN = 0.06
SERIES_COLORS = ("k", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")


def _x_values(x_axis: str, time_h: np.ndarray, voltage: Optional[np.ndarray]) -> np.ndarray:
    if x_axis not in X_AXES:
        raise ValueError(f"x_axis must be one of {tuple(X_AXES)}, not {x_axis!r}")
    if x_axis == "voltage":
        if voltage is None:
            raise ValueError("x_axis='voltage' needs the per-scan voltage")
        return np.asarray(voltage, dtype=float)
    return time_h if x_axis == "time" else np.arange(time_h.size, dtype=float)


def _stacked_axes(fig: Figure, n: int, font_size_pt: float) -> list[Axes]:
    """n axes stacked top to bottom, sharing x, with margins sized for the font."""
    width_in, height_in = fig.get_size_inches()
    em = font_size_pt / PT_PER_IN
    left, right, bottom, top = 5.4 * em + 0.03, 1.0 * em, 3.5 * em + 0.04, 0.9 * em
    panel_h = (height_in - bottom - top - PANEL_GAP_IN * (n - 1)) / n
    if panel_h <= 0.2 or width_in - left - right <= 0.3:
        raise ValueError(f"figure {width_in:.2f}x{height_in:.2f} in is too small for {n} panels")
    axes: list[Axes] = []
    for i in range(n):
        y = bottom + (n - 1 - i) * (panel_h + PANEL_GAP_IN)
        rect = (left / width_in, y / height_in, (width_in - left - right) / width_in, panel_h / height_in)
        axes.append(fig.add_axes(rect, sharex=axes[0] if axes else None))
    for ax in axes[:-1]:
        ax.tick_params(axis="x", which="both", labelbottom=False)
    return axes


def plot_parameter_group(ax: Axes, x: np.ndarray, group: Sequence[str], parameters, labels, style: FigureStyle) -> None:
    for k, name in enumerate(group):
        values, errors = split_parameter(name, parameters[name], x.size)
        ax.errorbar(x, values, yerr=errors, fmt="o-", ms=2.0, lw=style.line_width_pt * 0.8, mew=0,
                    color=SERIES_COLORS[k % len(SERIES_COLORS)], elinewidth=style.line_width_pt * 0.8,
                    label=parameter_label(name, labels))
    if len(group) == 1:
        ax.set_ylabel(parameter_label(group[0], labels))
    else:
        ax.legend(frameon=False, handlelength=1.2, borderaxespad=0.2, labelspacing=0.2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_minor_locator(AutoMinorLocator())
    ax.xaxis.set_minor_locator(AutoMinorLocator())


def render_parameter_figure(parameters: Mapping[str, ParameterInput], style: FigureStyle, *,
                            time_h: np.ndarray, voltage: Optional[np.ndarray] = None, x_axis: str = "time",
                            groups: Optional[Sequence[Sequence[str]]] = None,
                            labels: Optional[Mapping[str, str]] = None,
                            group_labels: Optional[Sequence[str]] = None,
                            events: Sequence[Event] = ()) -> Figure:
    """Stacked panels of per-scan parameters sharing the x axis (time in h, scan, or voltage).

    parameters: ``{name: values (n_scans,) or (values, errors)}``; time_h, voltage: (n_scans,)
    groups:     names drawn together in one panel (with a legend), e.g. phase fractions;
                default one panel per parameter, in the mapping's order
    events:     drawn as dashed vertical lines when x is time or scan
    """
    time_h = np.asarray(time_h, dtype=float)
    x = _x_values(x_axis, time_h, voltage)
    groups = [list(g) for g in groups] if groups else [[name] for name in parameters]
    with mpl.rc_context(figure_rc(style.font_family, style.font_size_pt, style.line_width_pt)):
        fig = Figure(figsize=style.size_in, dpi=100)
        axes = _stacked_axes(fig, len(groups), style.font_size_pt)
        for i, (ax, group) in enumerate(zip(axes, groups)):
            plot_parameter_group(ax, x, group, parameters, labels, style)
            if group_labels and i < len(group_labels) and group_labels[i]:
                ax.set_ylabel(group_labels[i])
        axes[-1].set_xlabel(X_AXES[x_axis])
        fig.align_ylabels(axes)
        if style.show_events and events and x_axis != "voltage":
            scan_x = x
            for event in events:
                span = annotations.event_span(event, scan_x)
                for ax in axes if span else ():
                    ax.axvline(span[0], color=annotations.PANEL_EVENT_COLOR, lw=style.line_width_pt,
                               ls=(0, (4, 2)), zorder=0)
        fig.draw_without_rendering()
    return fig
