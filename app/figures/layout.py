"""Axes placement in physical units (inches), so text and gaps keep their size at any figure size.

The figure is a row: [map window 1][map window 2]...[side panel 1]...[colour bar], all sharing
one vertical extent, with an optional strip of phase tick marks above the map windows.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure

PT_PER_IN = 72.0
WINDOW_GAP_IN = 0.06     # between broken-axis map windows: room for the slashes
PANEL_GAP_IN = 0.07      # between the map and each side panel
COLORBAR_WIDTH_IN = 0.09
COLORBAR_GAP_IN = 0.07


@dataclass(frozen=True)
class RowLayout:
    """Figure-fraction rectangles ``(left, bottom, width, height)`` for every axes of the row."""

    windows: tuple[tuple[float, float, float, float], ...]
    strips: tuple[tuple[float, float, float, float], ...]
    panels: tuple[tuple[float, float, float, float], ...]
    colorbar: tuple[float, float, float, float] | None


def plan_row(fig: Figure, spans: list[float], n_panels: int, panel_width_in: float, *,
             font_size_pt: float, colorbar: bool, tick_rows: int) -> RowLayout:
    """Place map windows (widths proportional to ``spans``), side panels and the colour bar.

    Margins scale with the font size: room for tick labels plus an axis label on the left and
    at the bottom, for a rotated colour-bar label on the right.
    """
    width_in, height_in = fig.get_size_inches()
    em = font_size_pt / PT_PER_IN
    left, bottom = 4.3 * em + 0.03, 3.5 * em + 0.04
    right = (COLORBAR_GAP_IN + COLORBAR_WIDTH_IN + 2.9 * em) if colorbar else 0.6 * em + 0.02
    strip_h = tick_rows * 1.15 * em
    top = 0.7 * em + 0.02 + (strip_h + 0.03 if tick_rows else 0.0)
    plot_h = height_in - bottom - top
    panels_w = n_panels * (panel_width_in + PANEL_GAP_IN)
    maps_w = width_in - left - right - panels_w - WINDOW_GAP_IN * (len(spans) - 1)
    if plot_h <= 0.3 or maps_w <= 0.3:
        raise ValueError(f"figure {width_in:.2f}x{height_in:.2f} in is too small for this layout")
    # every window gets at least 15 % of the map width so a narrow window stays readable
    total = sum(spans)
    shares = [max(s / total, 0.15) for s in spans]
    shares = [s / sum(shares) for s in shares]

    def rect(x_in: float, y_in: float, w_in: float, h_in: float) -> tuple[float, float, float, float]:
        return (x_in / width_in, y_in / height_in, w_in / width_in, h_in / height_in)

    windows, strips, x = [], [], left
    for share in shares:
        w = share * maps_w
        windows.append(rect(x, bottom, w, plot_h))
        if tick_rows:
            strips.append(rect(x, bottom + plot_h + 0.03, w, strip_h))
        x += w + WINDOW_GAP_IN
    x += PANEL_GAP_IN - WINDOW_GAP_IN
    panels = []
    for _ in range(n_panels):
        panels.append(rect(x, bottom, panel_width_in, plot_h))
        x += panel_width_in + PANEL_GAP_IN
    cbar = rect(x - PANEL_GAP_IN + COLORBAR_GAP_IN, bottom, COLORBAR_WIDTH_IN, plot_h) if colorbar else None
    return RowLayout(tuple(windows), tuple(strips), tuple(panels), cbar)
