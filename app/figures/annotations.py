"""Things drawn on top of the map axes: broken-axis slashes, event lines and labels, phase ticks."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.axes import Axes

from analysis.events import Event

from .layout import PT_PER_IN

MAP_EVENT_COLOR = "white"
PANEL_EVENT_COLOR = "0.35"
PANEL_BAND_COLOR = "0.85"
PHASE_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def mark_broken_axes(windows: Sequence[Axes], line_width_pt: float) -> None:
    """Hide the inner spines between adjacent windows and draw a pair of slashes at each break."""
    slash = [(-1.0, -1.6), (1.0, 1.6)]  # marker vertices: a steep diagonal stroke
    style = dict(marker=slash, markersize=4.0, linestyle="none", color="k", mec="k",
                 mew=line_width_pt, clip_on=False)
    for left, right in zip(windows[:-1], windows[1:]):
        left.spines["right"].set_visible(False)
        right.spines["left"].set_visible(False)
        right.tick_params(axis="y", which="both", left=False, labelleft=False)
        left.plot([1, 1], [0, 1], transform=left.transAxes, **style)
        right.plot([0, 0], [0, 1], transform=right.transAxes, **style)


def event_span(event: Event, scan_y: np.ndarray) -> tuple[float, float] | None:
    """(y_start, y_end) of an event on the vertical axis, or None when it is outside the series."""
    n = scan_y.size
    if event.scan >= n or event.scan < 0:
        return None
    return float(scan_y[event.scan]), float(scan_y[min(event.end_scan, n - 1)])


def draw_event_lines(map_axes: Sequence[Axes], panel_axes: Sequence[Axes], events: Sequence[Event],
                     scan_y: np.ndarray, line_width_pt: float) -> list[tuple[float, Event]]:
    """Dashed lines across the map (both ends for a span) and lines/bands on the side panels.

    Returns ``[(y, event)]`` for the events that fall inside the series, for labelling.
    """
    placed = []
    for event in events:
        span = event_span(event, scan_y)
        if span is None:
            continue
        y0, y1 = span
        for ax in map_axes:
            for y in {y0, y1}:
                ax.axhline(y, color=MAP_EVENT_COLOR, lw=line_width_pt, ls=(0, (4, 2)), alpha=0.9)
        for ax in panel_axes:
            if y1 > y0:
                ax.axhspan(y0, y1, color=PANEL_BAND_COLOR, lw=0, zorder=0)
            ax.axhline(y0, color=PANEL_EVENT_COLOR, lw=line_width_pt, ls=(0, (4, 2)), zorder=1)
        placed.append((y0, event))
    return placed


def label_layout(fracs: Sequence[float], min_gap: float) -> list[tuple[int, float]]:
    """``(column, height)`` for labels that sit just above lines at heights ``fracs`` (axes fraction).

    Column 0 is the left edge of the map, column 1 the right edge. Going up, a label takes the
    left column if it is free at its line, else the right one if free there, else the column
    where it moves up least; labels closer than ``min_gap`` in one column are pushed up, and a
    column that runs past the top is pushed back down. Returns one entry per label, in order.
    """
    order = [int(i) for i in np.argsort(fracs, kind="stable")]
    cols, pos = [0] * len(fracs), [0.0] * len(fracs)
    last = [-np.inf, -np.inf]
    for i in order:
        shifts = [max(0.0, last[c] + min_gap - fracs[i]) for c in (0, 1)]
        col = 0 if shifts[0] == 0 else 1 if shifts[1] == 0 else int(shifts[1] < shifts[0])
        cols[i], pos[i] = col, fracs[i] + shifts[col]
        last[col] = pos[i]
    for col in (0, 1):
        ceiling = 1.0 - min_gap
        for i in (j for j in reversed(order) if cols[j] == col):
            pos[i] = min(pos[i], ceiling)
            ceiling = pos[i] - min_gap
    return [(c, float(p)) for c, p in zip(cols, pos)]


def draw_event_labels(ax: Axes, placed: list[tuple[float, Event]], font_size_pt: float) -> None:
    """Event labels over ``ax`` at its left or right edge, on a pale box so they read over any colour.

    They are figure texts positioned in ``ax``'s coordinates, so a long label is drawn above
    neighbouring axes rather than hidden under them.
    """
    if not placed:
        return
    lo, hi = ax.get_ylim()
    height_pt = ax.get_position().height * ax.figure.get_size_inches()[1] * PT_PER_IN
    fracs = [(y - lo) / (hi - lo) for y, _ in placed]
    gap = 1.55 * font_size_pt / height_pt
    for (_, event), (col, frac) in zip(placed, label_layout(fracs, gap)):
        ax.figure.text(0.975 if col else 0.025, frac + 0.15 * gap, event.display_label, transform=ax.transAxes,
                       ha="right" if col else "left", va="bottom", fontsize=font_size_pt, color="k",
                       bbox=dict(boxstyle="square,pad=0.12", fc="white", ec="none", alpha=0.8))


def _in_range(positions, lo: float, hi: float) -> np.ndarray:
    pos = np.asarray(positions, dtype=float)
    return pos[(pos >= min(lo, hi)) & (pos <= max(lo, hi))]


def draw_phase_ticks(strips: Sequence[Axes], ticks: Sequence[tuple[str, np.ndarray]],
                     line_width_pt: float, font_size_pt: float) -> None:
    """One row of short vertical ticks per phase in each strip, the phase names left of the first.

    ticks: ``[(phase_name, two_theta_deg (n,)), ...]``, top row first. Strips share x with their map window.
    """
    n = len(ticks)
    for strip in strips:
        strip.set_ylim(0, n)
        strip.set_axis_off()
        for row, (name, positions) in enumerate(ticks):
            y = n - row - 1
            strip.vlines(_in_range(positions, *strip.get_xlim()), y + 0.15, y + 0.85,
                         color=PHASE_COLORS[row % len(PHASE_COLORS)], lw=line_width_pt * 1.2)
    first = strips[0]
    for row, (name, _) in enumerate(ticks):
        first.text(-0.02, n - row - 0.5, name, transform=first.get_yaxis_transform(), ha="right",
                   va="center", fontsize=font_size_pt, color=PHASE_COLORS[row % len(PHASE_COLORS)])


def draw_phase_tick_columns(strips: Sequence[Axes], ticks: Sequence[tuple[str, np.ndarray]],
                            line_width_pt: float, font_size_pt: float) -> None:
    """The transposed form for a map with 2θ up: one column of short horizontal ticks per phase
    in each strip, the phase names written upwards above the columns of the top strip.

    strips: bottom-up, each sharing y with its map window; ticks as for :func:`draw_phase_ticks`,
    first phase in the left column.
    """
    n = len(ticks)
    for strip in strips:
        strip.set_xlim(0, n)
        strip.set_axis_off()
        for col, (name, positions) in enumerate(ticks):
            strip.hlines(_in_range(positions, *strip.get_ylim()), col + 0.15, col + 0.85,
                         color=PHASE_COLORS[col % len(PHASE_COLORS)], lw=line_width_pt * 1.2)
    top = strips[-1]
    for col, (name, _) in enumerate(ticks):
        top.text(col + 0.5, 1.0, " " + name, transform=top.get_xaxis_transform(), rotation=90, ha="center",
                 va="bottom", fontsize=font_size_pt, color=PHASE_COLORS[col % len(PHASE_COLORS)])
