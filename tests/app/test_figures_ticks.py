"""Phase ticks: drawn in the side-by-side layout and when the panels are stacked under the map."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from app.figures import figure_from_args, render_contour_with_parameters, render_stacked_figure
from app.figures.annotations import PHASE_COLORS
from app.figures.presets import FigureStyle
from tests.app.test_figures import EVENTS, TICKS, operando_series

WINDOWS = ((14.0, 18.0), (41.0, 45.0))
# TICKS: P2 at 15.8, 36.3, 43.4 and O2 at 17.5, 45.1 → in the windows: 15.8, 17.5 | 43.4 (36.3 between
# the windows, 45.1 above the second one)
IN_RANGE = [[15.8, 17.5], [43.4]]


def _render(layout: str, **changes):
    series, volts = operando_series()
    c = np.linspace(11.1, 11.4, series.n_scans)
    style = FigureStyle(windows=WINDOWS, height_cm=12.0, **changes)
    render = render_stacked_figure if layout == "stacked" else render_contour_with_parameters
    return render(series, style, {"c_A": c}, voltage=volts, events=EVENTS, ticks=TICKS)


def _strips(fig):
    return [a for a in fig.axes if a.get_label() == "phase ticks"]


@pytest.mark.parametrize("layout, coord", [("side", 0), ("stacked", 1)])
def test_one_tick_per_reflection_in_range_in_both_layouts(layout, coord):
    """coord: the 2θ coordinate of a tick segment: x in the side layout, y when 2θ runs up."""
    strips = _strips(_render(layout))
    assert len(strips) == len(WINDOWS)
    segments = [[s for c in strip.collections for s in c.get_segments()] for strip in strips]
    assert sum(len(s) for s in segments) == 3
    positions = [sorted(float(s[0][coord]) for s in segs) for segs in segments]
    assert positions == IN_RANGE
    # one collection per phase per window, in the phase's colour, so a reader can tell P2 from O2
    for strip in strips:
        colours = [tuple(c.get_color()[0]) for c in strip.collections]
        assert len(colours) == len(TICKS)
        assert colours[0] != colours[1]


@pytest.mark.parametrize("layout", ["side", "stacked"])
def test_phase_names_are_drawn_once_and_inside_the_figure(layout):
    fig = _render(layout)
    renderer = FigureCanvasAgg(fig).get_renderer()
    names = [t for strip in _strips(fig) for t in strip.texts]
    assert sorted(t.get_text().strip() for t in names) == ["O2", "P2"]
    fig_box = fig.bbox
    for text in names:
        box = text.get_window_extent(renderer)
        # inside the canvas; 0.5 px slack for anti-aliased glyph extents
        assert box.x0 >= -0.5 and box.y0 >= -0.5 and box.x1 <= fig_box.x1 + 0.5 and box.y1 <= fig_box.y1 + 0.5
    assert [t.get_color() for t in sorted(names, key=lambda t: t.get_text().strip() != "P2")] == \
        list(PHASE_COLORS[:2])


def test_stacked_strips_sit_between_map_and_colour_bar():
    fig = _render("stacked")
    maps = [a for a in fig.axes if a.get_label() == "map"]
    (cbar,) = [a for a in fig.axes if a.get_label() == "colorbar"]
    for strip, ax in zip(_strips(fig), maps):
        s, m = strip.get_position(), ax.get_position()
        assert s.x0 > m.x1 and cbar.get_position().x0 > s.x1
        assert (s.y0, s.y1) == pytest.approx((m.y0, m.y1), abs=1e-12)  # same 2θ extent as its window
        assert strip.get_ylim() == ax.get_ylim()


@pytest.mark.parametrize("layout", ["side", "stacked"])
def test_ticks_off_draws_no_strips(layout):
    assert not _strips(_render(layout, show_ticks=False))


def test_figure_from_args_passes_ticks_to_the_stacked_layout(tmp_path):
    series, volts = operando_series()
    out = figure_from_args(series, tmp_path / "s.svg", layout="stacked", parameters={"c_A": np.ones(30)},
                           voltage=volts, ticks=TICKS, windows=WINDOWS, overrides={"height_cm": 12.0}, dpi=72)
    texts = ["".join(t.itertext()).strip() for t in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert "P2" in texts and "O2" in texts


def test_stacked_ticks_need_a_two_theta_axis():
    from analysis.series import ScanSeries
    series, _ = operando_series(n_scans=5, n_points=200)
    q_series = ScanSeries(x=series.axis_as("q_inv_A"), intensity=series.intensity, time_s=series.time_s,
                          x_kind="q_inv_A")
    with pytest.raises(ValueError, match="no wavelength"):
        render_stacked_figure(q_series, FigureStyle(panel=None), ticks=TICKS)
