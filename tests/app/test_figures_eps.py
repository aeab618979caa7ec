"""EPS output: a proper EPSF header and bounding box, Type 42 text, the map as one bitmap per window."""

from __future__ import annotations

import logging
import re

import pytest
from matplotlib import font_manager, ft2font

from app.cli import main
from app.figures.contour_figure import render_contour_figure
from app.figures.fonts import resolve_font_family
from app.figures.layout import PT_PER_IN
from app.figures.presets import CM_PER_IN, builtin_presets
from app.figures.saving import save_figure
from tests.app.test_figures import EVENTS, TICKS, operando_series

GLYPH_LINE = re.compile(rb"^-?[\d.]+ -?[\d.]+ m /(\S+) glyphshow$")
# "W H 8 [W 0 0 -H 0 H]" then "... colorimage": one RGB bitmap W x H pixels
IMAGE_HEADER = re.compile(rb"([\d.]+) ([\d.]+) scale\n/DataString \d+ string def\n(\d+) (\d+) 8 \[")


def _figure(preset="rsc-single", **changes):
    series, volts = operando_series()
    style = builtin_presets()[preset].with_changes(windows=((14.0, 18.0), (41.0, 45.0)), **changes)
    return render_contour_figure(series, style, voltage=volts, events=EVENTS, ticks=TICKS), style


def _glyph_runs(data: bytes) -> list[tuple[str, ...]]:
    """Consecutive ``x y m /name glyphshow`` lines: the glyph names of one drawn string each."""
    runs, run = [], []
    for line in data.splitlines():
        match = GLYPH_LINE.match(line)
        if match:
            run.append(match.group(1).decode("ascii"))
        elif run:
            runs.append(tuple(run))
            run = []
    return runs


def _glyph_names(text: str, family: str) -> tuple[str, ...]:
    """The glyph names matplotlib writes for ``text`` in ``family`` (the font's own post table names)."""
    font = ft2font.FT2Font(font_manager.findfont(family, fallback_to_default=False))
    return tuple(font.get_glyph_name(font.get_char_index(ord(ch))) for ch in text)


@pytest.mark.parametrize("preset", ["rsc-single", "acs-double"])
def test_eps_header_and_bounding_box_are_the_preset_size(tmp_path, preset):
    fig, style = _figure(preset)
    data = save_figure(fig, tmp_path / "f.eps", dpi=100).read_bytes()
    first_line = data.split(b"\n", 1)[0]
    assert first_line.startswith(b"%!PS-Adobe") and b"EPSF" in first_line
    width_pt, height_pt = style.width_cm / CM_PER_IN * PT_PER_IN, style.height_cm / CM_PER_IN * PT_PER_IN
    llx, lly, urx, ury = map(int, re.search(rb"^%%BoundingBox: (\d+) (\d+) (\d+) (\d+)$", data, re.M).groups())
    # whole points in the DSC comment: rounding puts each edge within 1 pt of the figure size
    assert (llx, lly) == (0, 0)
    assert abs(urx - width_pt) <= 1 and abs(ury - height_pt) <= 1
    hires = re.search(rb"^%%HiResBoundingBox: (\S+) (\S+) (\S+) (\S+)$", data, re.M).groups()
    # written with 6 decimals
    assert [float(v) for v in hires] == pytest.approx([0, 0, width_pt, height_pt], abs=1e-5)


def test_eps_text_is_type42_text(tmp_path):
    fig, style = _figure()
    data = save_figure(fig, tmp_path / "f.eps", dpi=100).read_bytes()
    assert b"/FontType 42 def" in data and b"/FontType 3 def" not in data
    runs = _glyph_runs(data)
    family = resolve_font_family(style.font_family)
    for label in ("P2 → O2", "Top of charge", "Voltage (V)", "Time (h)", "O2"):
        assert _glyph_names(label, family) in runs, label


def test_eps_map_is_one_bitmap_per_window_at_the_dpi(tmp_path):
    fig, _ = _figure(show_colorbar=False)
    maps = [a for a in fig.axes if a.get_label() == "map"]
    for dpi in (72, 150):
        data = save_figure(fig, tmp_path / f"f{dpi}.eps", dpi=dpi).read_bytes()
        assert data.count(b" colorimage") + len(re.findall(rb"\bimage\b", data)) == len(maps)
        images = IMAGE_HEADER.findall(data)
        assert len(images) == len(maps)
        for (w_pt, h_pt, w_px, h_px), ax in zip(images, maps):
            box = ax.get_position()
            size_in = fig.get_size_inches()
            # the bitmap covers the axes, sampled at dpi: the raster region is the axes' box widened
            # to whole pixels at each edge (up to 1 px per edge), and placed at its pixel size
            assert abs(int(w_px) - box.width * size_in[0] * dpi) <= 2
            assert abs(int(h_px) - box.height * size_in[1] * dpi) <= 2
            assert float(w_pt) == pytest.approx(int(w_px) / dpi * PT_PER_IN, abs=0.01)  # %g-printed pt
            assert float(h_pt) == pytest.approx(int(h_px) / dpi * PT_PER_IN, abs=0.01)


def test_eps_without_rasterising_would_have_no_bitmap(tmp_path):
    """Guards the check above: the same figure with the meshes drawn as vectors holds no image."""
    fig, _ = _figure(show_colorbar=False)
    for ax in fig.axes:
        for mesh in ax.collections:
            mesh.set_rasterized(False)
    data = save_figure(fig, tmp_path / "v.eps", dpi=100).read_bytes()
    assert b"colorimage" not in data and not IMAGE_HEADER.search(data)


def test_eps_save_logs_no_transparency_notice(tmp_path, caplog):
    fig, _ = _figure()
    with caplog.at_level(logging.WARNING):
        save_figure(fig, tmp_path / "f.eps", dpi=72)
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")]


def test_cli_writes_eps(tmp_path, capsys):
    import numpy as np
    folder = tmp_path / "series"
    folder.mkdir()
    x = np.linspace(10.0, 40.0, 301)
    for i in range(4):
        y = 50 + 500 * np.exp(-0.5 * ((x - 20 - 0.1 * i) / 0.1) ** 2)
        np.savetxt(folder / f"scan_{i}.xy", np.c_[x, y], header="Wavelength: 0.7093 A\n2th_deg I")
    out = tmp_path / "fig.eps"
    assert main(["figure", str(folder), "-o", str(out), "--preset", "elsevier-single", "--dpi", "100"]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%!PS-Adobe") and b"EPSF" in data.split(b"\n", 1)[0]
    urx = int(re.search(rb"^%%BoundingBox: 0 0 (\d+) \d+$", data, re.M).group(1))
    assert abs(urx - 9.0 / CM_PER_IN * PT_PER_IN) <= 1  # Elsevier single column: 90 mm
    assert "wrote" in capsys.readouterr().out
