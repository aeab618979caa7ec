"""Publication figures: every format is written and parses back, layout and content as asked."""

from __future__ import annotations

import logging
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator
from PIL import Image

from analysis.events import Event
from analysis.series import ScanSeries
from app.figures import annotations
from app.figures.command import figure_from_args, parse_window, resolve_style
from app.figures.contour_figure import _tick_texts, render_contour_figure, render_contour_with_parameters, window_ticks
from app.figures.map_data import centers_to_edges, scale_intensity
from app.figures.fonts import installed_families, resolve_font_family
from app.figures.parameter_figure import render_parameter_figure
from app.figures.presets import CM_PER_IN, FigureStyle, builtin_presets
from app.figures.saving import save_figure


def operando_series(n_scans=30, n_points=800):
    """Two peaks (near 16° and 43°) drifting over 10 h on a flat background; voltage 2.2→4.4→2.2 V."""
    tt = np.linspace(10.0, 50.0, n_points)
    t_h = np.linspace(0.0, 10.0, n_scans)
    frac = np.where(t_h < 5, t_h / 5, 2 - t_h / 5)
    intensity = 10 + 500 * np.exp(-0.5 * ((tt - (15.8 - 0.3 * frac[:, None])) / 0.1) ** 2) \
        + 200 * np.exp(-0.5 * ((tt - (43.0 + 0.3 * frac[:, None])) / 0.12) ** 2)
    series = ScanSeries(x=tt, intensity=intensity, time_s=t_h * 3600.0, wavelength_A=1.5406)
    return series, 2.2 + 2.2 * frac


EVENTS = (Event(scan=8, end_scan=12, label="P2 → O2", kind="two-phase"),
          Event(scan=15, end_scan=15, label="Top of charge"))
TICKS = (("P2", np.array([15.8, 36.3, 43.4])), ("O2", np.array([17.5, 45.1])))


@pytest.fixture
def figure():
    series, volts = operando_series()
    style = builtin_presets()["rsc-single"].with_changes(windows=((14.0, 18.0), (41.0, 45.0)))
    return render_contour_figure(series, style, voltage=volts, events=EVENTS, ticks=TICKS), style


def _map_axes(fig):
    maps = [a for a in fig.axes if a.get_label() == "map"]
    assert all(any(isinstance(c, QuadMesh) for c in a.collections) for a in maps)
    return maps


# --- file formats ----------------------------------------------------------------------------

def test_png_pixel_size_is_dpi_times_size(tmp_path, figure):
    fig, style = figure
    path = save_figure(fig, tmp_path / "f.png", dpi=300)
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width_px, height_px = struct.unpack(">II", head[16:24])
    w_in, h_in = style.width_cm / CM_PER_IN, style.height_cm / CM_PER_IN
    # matplotlib truncates the float product size × dpi to whole pixels: allow one pixel
    assert abs(width_px - w_in * 300) <= 1 and abs(height_px - h_in * 300) <= 1
    with Image.open(path) as im:
        # pHYs stores whole pixels per metre: 300 dpi → 11811 px/m → 299.9994 dpi (±0.0127 at most)
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.0127)


def test_tiff_opens_with_size_and_dpi(tmp_path, figure):
    fig, style = figure
    path = save_figure(fig, tmp_path / "f.tiff", dpi=150)
    with Image.open(path) as im:
        assert im.format == "TIFF" and im.mode == "RGB"
        assert abs(im.size[0] - style.width_cm / CM_PER_IN * 150) <= 1  # truncation, as for PNG
        assert im.info["dpi"] == pytest.approx((150, 150))
    assert save_figure(fig, tmp_path / "g.tif", dpi=72).read_bytes()[:2] in (b"II", b"MM")


def _pdf_strings(data: bytes) -> list[str]:
    """Text shown by Tj/TJ operators in matplotlib's PDF (Type 42: 2-byte codes = UTF-16BE)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for array in re.findall(rb"\[(.*?)\]\s*TJ", content, re.S):
            parts = re.findall(rb"\(((?:\\.|[^\\)])*)\)", array, re.S)
            raw = b"".join(re.sub(rb"\\(.)", rb"\1", p, flags=re.S) for p in parts)
            texts.append(raw.decode("utf-16-be"))
    return texts


def test_pdf_keeps_text_as_text_and_rasterises_the_map(tmp_path, figure):
    fig, _ = figure
    data = save_figure(fig, tmp_path / "f.pdf", dpi=100).read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/FontFile2" in data  # TrueType embedded (pdf.fonttype 42), not Type 3 outlines
    assert b"/Subtype /Image" in data  # the map went in as a bitmap
    texts = _pdf_strings(data)
    for label in ("Voltage (V)", "Time (h)", "P2 → O2", "Top of charge", "2θ (°)"):
        assert label in texts


def test_svg_is_xml_with_event_labels_as_text(tmp_path, figure):
    fig, _ = figure
    root = ET.parse(save_figure(fig, tmp_path / "f.svg", dpi=100)).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    for label in ("P2 → O2", "Top of charge", "Voltage (V)", "O2"):
        assert label in texts
    assert len(list(root.iter(f"{ns}image"))) >= 2  # one raster per map window
    # text names the font it was measured with first, then a generic fallback for other machines
    style_text = ET.tostring(root, encoding="unicode")
    families = set(re.findall(r"font-family: ([^;\"]+)", style_text))
    assert families and all(f.startswith(f"'{resolve_font_family('Arial')}'") and f.endswith("sans-serif")
                            for f in families)


def test_unknown_extension_is_refused(tmp_path, figure):
    with pytest.raises(ValueError, match="unknown figure format"):
        save_figure(figure[0], tmp_path / "f.jpg")


# --- layout and content ----------------------------------------------------------------------

def test_broken_axis_figure_has_one_map_axes_per_window():
    series, volts = operando_series()
    for windows in (((14.0, 18.0),), ((14.0, 18.0), (41.0, 45.0)), ((12, 14), (15, 17), (42, 44))):
        style = FigureStyle(windows=windows)
        fig = render_contour_figure(series, style, voltage=volts)
        maps = _map_axes(fig)
        assert len(maps) == len(windows)
        assert [m.get_xlim() for m in maps] == [tuple(map(float, w)) for w in windows]
        # inner spines hidden at every break, outer ones kept
        assert maps[0].spines["left"].get_visible() and maps[-1].spines["right"].get_visible()
        assert all(not m.spines["right"].get_visible() for m in maps[:-1])


def test_figure_size_is_the_style_size(figure):
    fig, style = figure
    np.testing.assert_allclose(fig.get_size_inches(), [style.width_cm / 2.54, style.height_cm / 2.54])


def test_voltage_panel_shares_time_axis_and_shows_the_data():
    series, volts = operando_series()
    fig = render_contour_figure(series, FigureStyle(), voltage=volts)
    (panel,) = [a for a in fig.axes if a.get_xlabel() == "Voltage (V)"]
    (line,) = panel.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), volts)
    # per-scan values sit mid-scan: 30 scans over 10 h start 10/29 h apart
    np.testing.assert_allclose(line.get_ydata(), series.time_s / 3600.0 + 0.5 * 10 / 29, rtol=1e-12)
    assert panel.get_ylim() == _map_axes(fig)[0].get_ylim()


def test_continuous_voltage_record_in_scan_mode_maps_time_to_scan_index():
    series, _ = operando_series(n_scans=11)
    t_h = np.linspace(0, 10, 101)
    fig = render_contour_figure(series, FigureStyle(y_axis="scan"), voltage=(t_h, 2 + 0.1 * t_h))
    (panel,) = [a for a in fig.axes if a.get_xlabel() == "Voltage (V)"]
    # 11 scans one hour apart: scan i is the row from i h to i+1 h, drawn from index i-0.5 to i+0.5
    np.testing.assert_allclose(panel.get_lines()[0].get_ydata(), t_h - 0.5, atol=1e-12)
    assert _map_axes(fig)[0].get_ylim() == (-0.5, 10.5)


def test_na_content_panel_and_no_panel():
    series, volts = operando_series()
    x_na = np.linspace(0.67, 0.2, series.n_scans)
    fig = render_contour_figure(series, FigureStyle(panel="x"), voltage=volts, na_x=x_na)
    assert [a.get_xlabel() for a in fig.axes if a.get_xlabel()] == ["2θ (°)", "Na content x"]
    fig = render_contour_figure(series, FigureStyle(panel=None, show_colorbar=False), voltage=volts)
    assert [a.get_label() for a in fig.axes] == ["map"]


def test_events_outside_the_series_are_skipped_and_labels_drawn_once():
    series, volts = operando_series()
    events = EVENTS + (Event(scan=99, end_scan=99, label="elsewhere"),)
    fig = render_contour_figure(series, FigureStyle(), voltage=volts, events=events)
    assert sorted(t.get_text() for t in fig.texts) == ["P2 → O2", "Top of charge"]
    fig = render_contour_figure(series, FigureStyle(show_events=False), voltage=volts, events=events)
    assert not fig.texts


def test_phase_ticks_only_inside_each_window():
    series, _ = operando_series()
    fig = render_contour_figure(series, FigureStyle(windows=((14.0, 18.0), (41.0, 45.0)), panel=None),
                                ticks=TICKS)
    strips = [a for a in fig.axes if a.get_label() == "phase ticks"]
    assert len(strips) == 2
    # P2 has 15.8 in the first window and 43.4 in the second; O2 has 17.5 and nothing (45.1 > 45)
    segs = [sorted(float(s[0][0]) for c in strip.collections for s in c.get_segments()) for strip in strips]
    assert segs == [[15.8, 17.5], [43.4]]


def test_parameters_stack_beside_the_map_with_error_bars():
    series, volts = operando_series()
    c = np.linspace(11.1, 11.4, series.n_scans)
    err = np.full(series.n_scans, 0.01)
    fig = render_contour_with_parameters(series, FigureStyle(width_cm=17.1), {"c_A": (c, err), "V_A3": c * 3},
                                         voltage=volts)
    assert [a.get_xlabel() for a in fig.axes if a.get_label() == "panel"] == ["Voltage (V)", "c (Å)", "V (Å³)"]
    (c_axes,) = [a for a in fig.axes if a.get_xlabel() == "c (Å)"]
    np.testing.assert_array_equal(c_axes.get_lines()[0].get_xdata(), c)


def test_parameter_figure_panels_and_x_axes():
    t_h = np.linspace(0, 5, 6)
    params = {"c_A": (np.arange(6.0), np.full(6, 0.1)), "P2_frac": np.linspace(1, 0, 6),
              "O2_frac": np.linspace(0, 1, 6)}
    fig = render_parameter_figure(params, FigureStyle(), time_h=t_h, groups=[["c_A"], ["P2_frac", "O2_frac"]],
                                  events=EVENTS[:1])
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "c (Å)" and fig.axes[1].get_xlabel() == "Time (h)"
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), t_h)
    volts = np.linspace(3, 4, 6)
    fig = render_parameter_figure(params, FigureStyle(), time_h=t_h, voltage=volts, x_axis="voltage")
    assert len(fig.axes) == 3
    np.testing.assert_array_equal(fig.axes[2].get_lines()[0].get_xdata(), volts)
    with pytest.raises(ValueError, match="voltage"):
        render_parameter_figure(params, FigureStyle(), time_h=t_h, x_axis="voltage")


def test_no_findfont_messages_when_arial_is_missing(caplog):
    series, volts = operando_series()
    with caplog.at_level(logging.DEBUG - 1, logger="matplotlib.font_manager"):
        render_contour_figure(series, FigureStyle(font_family="Arial"), voltage=volts, events=EVENTS)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert resolve_font_family("Arial") in installed_families()
    assert resolve_font_family("No Such Font 123") in installed_families()


# --- pure helpers: known answers ---------------------------------------------------------------

def test_scaling_known_values():
    z = np.array([[4.0, -1.0, 100.0]])
    np.testing.assert_array_equal(scale_intensity(z, "linear"), z)
    np.testing.assert_array_equal(scale_intensity(z, "sqrt"), [[2.0, 0.0, 10.0]])
    # log: the non-positive value takes the smallest positive one (4)
    np.testing.assert_allclose(scale_intensity(z, "log"), [[np.log10(4), np.log10(4), 2.0]], rtol=1e-15)


def test_centers_to_edges_known_values():
    np.testing.assert_array_equal(centers_to_edges(np.array([0.0, 1.0, 3.0])), [-0.5, 0.5, 2.0, 4.0])


def test_label_layout_uses_the_right_column_before_shifting():
    # far apart: both left, at their lines
    assert annotations.label_layout([0.1, 0.5], 0.1) == [(0, 0.1), (0, 0.5)]
    # close: the second goes to the right column at its own height
    assert annotations.label_layout([0.5, 0.52], 0.1) == [(0, 0.5), (1, 0.52)]
    # three close: the third is pushed up in the left column (0.1 above the first)
    layout = annotations.label_layout([0.5, 0.52, 0.54], 0.1)
    assert [c for c, _ in layout] == [0, 1, 0]
    np.testing.assert_allclose([p for _, p in layout], [0.5, 0.52, 0.6], rtol=1e-12)
    # at the top: pushed back below 1 - gap, keeping the gap within a column
    layout = annotations.label_layout([0.95, 0.96, 0.97], 0.1)
    np.testing.assert_allclose([p for _, p in layout], [0.8, 0.9, 0.9], rtol=1e-12)


def test_panel_ticks_fit_the_panel_width():
    from app.figures.contour_figure import panel_ticks
    # 0.63 in (1.6 cm) at 7 pt: ticks 0.2 apart over 0.55 are 16.5 pt apart, labels 1.6 em + 0.5 em = 14.7 pt
    np.testing.assert_allclose(panel_ticks(0.145, 0.695, 1.6 / 2.54, 7.0), [0.2, 0.4, 0.6], rtol=1e-12)
    # 2.0..4.6 V: 0.5 V steps would be 8.7 pt apart (< 14.7 pt), so whole volts only
    assert panel_ticks(2.0, 4.6, 1.6 / 2.54, 7.0) == [3.0, 4.0]


def test_window_ticks_avoid_broken_edges():
    # 35.4..44.5 over 1.2 in (86.4 pt) at 7 pt: 0.1053 deg/pt. The label "36" is 1.28 em wide, so it
    # reaches (0.64 + 0.25) em = 6.23 pt = 0.656 deg left of its tick: past 35.4 at a broken edge.
    ticks = window_ticks(35.4, 44.5, 1.2, 7.0, trim_lo=True, trim_hi=False)
    assert ticks == [38.0, 40.0, 42.0, 44.0]
    assert window_ticks(35.4, 44.5, 1.2, 7.0, trim_lo=False, trim_hi=False)[0] == 36.0
    # from 35.2 the label "36" would end 0.8 - 0.656 deg inside: kept
    assert window_ticks(35.2, 44.5, 1.2, 7.0, trim_lo=True, trim_hi=False)[0] == 36.0
    # next to a side panel: 44 is 0.5 deg from the right edge of 35..44.5, inside its reach
    assert window_ticks(35.0, 44.5, 1.2, 7.0, trim_lo=False, trim_hi=True)[-1] == 42.0
    # a vertical axis: labels 1 em tall reach 0.75 em = 5.25 pt = 0.553 deg, so 36 from 35.4 stays
    assert window_ticks(35.4, 44.5, 1.2, 7.0, trim_lo=True, trim_hi=False, label_extent_em=1.0)[0] == 36.0


def test_contour_ticks_run_to_the_end_of_a_wide_window():
    """The sample data's map (10-80 deg, 3 in wide) beside a voltage panel: ticks every 5 deg; the
    label "75" reaches 6.23 pt = 2.0 deg right of its tick, clear of the edge, so it stays (a cut at
    12 % of the range stopped the labels at 70); "80" at the edge would run under the panel."""
    ticks = window_ticks(10.0, 80.0, 3.0, 7.0, trim_lo=False, trim_hi=True)
    assert ticks[0] == 10.0 and ticks[-1] == 75.0 and np.allclose(np.diff(ticks), 5.0)


# --- command-line entry ------------------------------------------------------------------------

def test_figure_from_args_writes_each_format(tmp_path):
    series, volts = operando_series()
    for name in ("f.png", "f.svg", "f.pdf", "f.tif"):
        out = figure_from_args(series, tmp_path / name, preset="acs-single", windows=("14:18", "41:45"),
                               voltage=volts, events=EVENTS, dpi=100)
        assert out.stat().st_size > 1000
    with Image.open(tmp_path / "f.png") as im:
        assert abs(im.size[0] - 3.25 * 100) <= 1  # ACS single column is 3.25 in
    c = np.linspace(11.1, 11.4, series.n_scans)
    for layout in ("side", "stacked"):
        out = figure_from_args(series, tmp_path / f"{layout}.svg", parameters={"c_A": c}, layout=layout,
                               voltage=volts, overrides={"height_cm": 11.0}, dpi=100)
        texts = ["".join(t.itertext()) for t in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")]
        assert "c (Å)" in texts


def test_figure_from_args_errors(tmp_path):
    series, _ = operando_series()
    with pytest.raises(KeyError, match="no figure style"):
        figure_from_args(series, tmp_path / "f.png", preset="nature-single", config_dir=tmp_path)
    with pytest.raises(ValueError, match="LO:HI"):
        figure_from_args(series, tmp_path / "f.png", windows=("15-17",))
    with pytest.raises(ValueError, match="unknown figure format"):
        figure_from_args(series, tmp_path / "f.bmp")
    with pytest.raises(ValueError, match="layout"):
        figure_from_args(series, tmp_path / "f.png", layout="transposed")
    with pytest.raises(ValueError, match="holds no data"):
        figure_from_args(series, tmp_path / "f.png", windows=("60:70",))
    assert not list(tmp_path.glob("f.*"))


def test_resolve_style_applies_windows_and_overrides(tmp_path):
    style = resolve_style("elsevier-double", config_dir=tmp_path, windows=["15:17", (40, 44)],
                          overrides={"scaling": "log"})
    assert style.width_cm == 19.0 and style.windows == ((15.0, 17.0), (40.0, 44.0)) and style.scaling == "log"
    assert parse_window("-1.5:2") == (-1.5, 2.0)


def test_longer_echem_record_is_cut_to_the_map_time_range():
    series, _ = operando_series()  # 0..10 h
    t_h = np.linspace(-5, 20, 251)  # 0.1 h steps
    volts = np.where((t_h >= 0) & (t_h <= 10), 3.0, 9.0)  # 9 V only outside the scans' time
    # the rows span 0..10.345 h (the last scan lasts the 10/29 h spacing), so 10.1..10.3 h are
    # inside (three 9 V points); on a time axis one more point beyond each end is kept (-0.1,
    # 10.4 h: five), on a scan axis times outside the rows have no scan index (three).
    for y_axis, outside in (("time", 5), ("scan", 3)):
        fig = render_contour_figure(series, FigureStyle(y_axis=y_axis), voltage=(t_h, volts))
        (panel,) = [a for a in fig.axes if a.get_label() == "panel"]
        shown = panel.get_lines()[0].get_xdata()
        assert np.count_nonzero(shown == 9.0) == outside
        assert np.count_nonzero(shown == 3.0) == 101


def test_figures_package_renders_headless_without_qt(tmp_path):
    """The figure code must run where Qt cannot even be imported (e.g. a cluster node)."""
    import subprocess
    import sys
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph'):\n"
        "            raise ImportError('Qt blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from analysis.series import ScanSeries\n"
        "from app.figures import FigureStyle, render_contour_figure, save_figure\n"
        "s = ScanSeries(x=np.linspace(10, 20, 50), intensity=np.ones((4, 50)), time_s=np.arange(4.0))\n"
        f"save_figure(render_contour_figure(s, FigureStyle()), {str(tmp_path / 'h.png')!r}, dpi=50)\n"
        "import matplotlib; print(matplotlib.get_backend())\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "h.png").stat().st_size > 0


def test_preview_decimation_keeps_peaks_and_block_means():
    from app.figures.preview import decimate_for_preview
    x = np.arange(10.0)
    intensity = np.zeros((6, 10))
    intensity[:, 3] = 7.0  # a one-point peak that every-other-point sampling would miss
    series = ScanSeries(x=x, intensity=intensity, time_s=np.arange(6.0) * 60)
    small, kept = decimate_for_preview(series, max_scans=3, max_points=5)
    np.testing.assert_array_equal(small.x, [0.5, 2.5, 4.5, 6.5, 8.5])
    np.testing.assert_array_equal(small.intensity[:, 1], 7.0)
    np.testing.assert_array_equal(small.time_s, [0.0, 120.0, 240.0])
    np.testing.assert_array_equal(kept, [0, 2, 4])
    assert decimate_for_preview(series)[0] is series
    from app.figures.preview import remap_events
    moved = remap_events([Event(scan=3, end_scan=5, label="a")], kept)
    assert (moved[0].scan, moved[0].end_scan, moved[0].label, moved[0].source) == (1, 2, "a", "manual")


def test_d_spacing_series_is_drawn_on_increasing_two_theta():
    series, _ = operando_series(n_scans=5, n_points=200)
    d_axis = series.axis_as("d_A")[::-1]  # increasing d = decreasing 2θ
    d_series = ScanSeries(x=d_axis, intensity=series.intensity[:, ::-1], time_s=series.time_s, x_kind="d_A",
                          wavelength_A=1.5406)
    fig = render_contour_figure(d_series, FigureStyle(windows=((14.0, 18.0),), panel=None))
    (mesh,) = _map_axes(fig)[0].collections
    # the peak at 15.8° lands in the same cells as for the 2θ series itself
    ref = render_contour_figure(series, FigureStyle(windows=((14.0, 18.0),), panel=None))
    np.testing.assert_allclose(mesh.get_array(), _map_axes(ref)[0].collections[0].get_array(), rtol=1e-12)
    np.testing.assert_allclose(mesh.get_coordinates(), _map_axes(ref)[0].collections[0].get_coordinates(),
                               rtol=1e-9)  # 2θ → d → 2θ round trip in floating point


def test_q_series_without_wavelength_uses_q_and_refuses_two_theta_ticks():
    series, _ = operando_series(n_scans=5, n_points=200)
    q_series = ScanSeries(x=series.axis_as("q_inv_A"), intensity=series.intensity, time_s=series.time_s,
                          x_kind="q_inv_A")
    fig = render_contour_figure(q_series, FigureStyle(panel=None))
    assert _map_axes(fig)[0].get_xlabel() == "Q (Å⁻¹)"
    with pytest.raises(ValueError, match="no wavelength"):
        render_contour_figure(q_series, FigureStyle(panel=None), ticks=TICKS)


def test_scan_rows_span_each_acquisition():
    from app.figures.map_data import scan_rows_h
    series = ScanSeries(x=np.arange(3.0), intensity=np.zeros((3, 3)), time_s=np.array([0.0, 1800.0, 3600.0]))
    edges, mid = scan_rows_h(series)
    np.testing.assert_array_equal(edges, [0.0, 0.5, 1.0, 1.5])  # last scan as long as the 0.5 h spacing
    np.testing.assert_array_equal(mid, [0.25, 0.75, 1.25])
    one = ScanSeries(x=np.arange(3.0), intensity=np.zeros((1, 3)), time_s=np.array([60.0]))
    np.testing.assert_allclose(scan_rows_h(one)[0], [60 / 3600, 120 / 3600], rtol=1e-15)  # one minute


def test_echem_record_on_series_clock_inverts_scan_alignment():
    from types import SimpleNamespace

    from analysis.echem import scan_times_on_echem_clock
    from app.figures import echem_on_series_clock
    series = ScanSeries(x=np.arange(3.0), intensity=np.zeros((4, 3)), time_s=np.arange(4) * 600.0,
                        start_epoch_s=1_000_000.0)
    echem = SimpleNamespace(time_s=np.linspace(0, 7200, 5), voltage_V=np.linspace(2, 4, 5),
                            start_epoch_s=1_000_000.0 - 1800.0)  # cycler started 30 min before the scans
    t_h, volts = echem_on_series_clock(echem, series, clock_offset_s=-3600.0)
    # echem t=0 is epoch 1e6 - 1800 on a clock 1 h ahead: 1e6 - 5400 → -1.5 h on the series clock
    np.testing.assert_allclose(t_h, np.linspace(0, 2, 5) - 1.5, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(volts, echem.voltage_V)
    # and mapping scan times to the echem clock and back is the identity
    mid_echem_s = scan_times_on_echem_clock(echem, series, clock_offset_s=-3600.0)
    back, _ = echem_on_series_clock(SimpleNamespace(time_s=mid_echem_s, voltage_V=mid_echem_s,
                                                    start_epoch_s=echem.start_epoch_s), series, clock_offset_s=-3600.0)
    np.testing.assert_allclose(back * 3600.0, series.time_s + 300.0, rtol=0, atol=1e-9)  # mid-scan
    no_epoch = SimpleNamespace(time_s=np.array([0.0, 3600.0]), voltage_V=np.array([3.0, 3.5]), start_epoch_s=None)
    np.testing.assert_allclose(echem_on_series_clock(no_epoch, series)[0], [0.0, 1.0])


def test_stacked_figure_shares_time_under_the_map(tmp_path):
    from app.figures import render_stacked_figure
    series, volts = operando_series()
    c = np.linspace(11.1, 11.4, series.n_scans)
    style = FigureStyle(windows=((14.0, 18.0), (41.0, 45.0)), height_cm=12.0)
    fig = render_stacked_figure(series, style, {"c_A": (c, np.full(c.size, 0.01)), "P2_frac": 1 - c / 12,
                                                "O2_frac": c / 12},
                                voltage=volts, events=EVENTS, groups=[["c_A"], ["P2_frac", "O2_frac"]],
                                group_labels=[None, "Phase fraction"])
    maps = _map_axes(fig)
    panels = [a for a in fig.axes if a.get_label() == "panel"]
    assert len(maps) == 2 and [m.get_ylim() for m in maps] == [(14.0, 18.0), (41.0, 45.0)]
    assert [p.get_ylabel() for p in panels] == ["Voltage (V)", "c (Å)", "Phase fraction"]
    # one time axis: 30 scans 10/29 h apart, the last row as long as the spacing
    for ax in maps + panels:
        np.testing.assert_allclose(ax.get_xlim(), (0.0, 10.0 + 10 / 29), rtol=1e-12)
    assert panels[-1].get_xlabel() == "Time (h)"
    np.testing.assert_allclose(panels[1].get_lines()[0].get_xdata(), series.time_s / 3600 + 5 / 29, rtol=1e-12)
    assert sorted(t.get_text().strip() for t in fig.texts) == ["P2 → O2", "Top of charge"]
    root = ET.parse(save_figure(fig, tmp_path / "s.svg", dpi=100)).getroot()
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Phase fraction" in texts and "Time (h)" in texts


def test_tick_widths_are_measured_on_the_labels_matplotlib_draws():
    ticks = [35.5, 36.0, 36.5]
    ax = Figure().add_subplot()
    ax.set_xlim(35.2, 36.9)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.figure.draw_without_rendering()
    drawn = [label.get_text() for label in ax.get_xticklabels()]
    assert drawn == _tick_texts(ticks) == ["35.5", "36.0", "36.5"]
    # on 35.9..37.2 over 1.2 in at 7 pt (0.01505 °/pt) the ticks are 0.5° apart and drawn "36.0",
    # 2.24 em wide (not the 1.28 em of "36"): it reaches 1.37 em = 9.6 pt = 0.144° left of 36.0,
    # past 35.9 at a broken edge ("36" would reach 0.094° and stay)
    assert window_ticks(35.9, 37.2, 1.2, 7.0, trim_lo=False, trim_hi=False) == [36.0, 36.5, 37.0]
    assert window_ticks(35.9, 37.2, 1.2, 7.0, trim_lo=True, trim_hi=False) == [36.5, 37.0]
