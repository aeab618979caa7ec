"""Figure styles: journal presets and the JSON store of named user presets."""

from __future__ import annotations

import json

import pytest

from app.figures.presets import CM_PER_IN, FigureStyle, builtin_presets
from app.figures.style_store import CONFIG_ENV, StyleStore, config_dir


def test_journal_column_widths():
    p = builtin_presets()
    assert p["rsc-single"].width_cm == 8.3 and p["rsc-double"].width_cm == 17.1
    assert p["acs-single"].size_in[0] == pytest.approx(3.25, rel=1e-15)  # cm → in → cm round trip
    assert p["acs-double"].size_in[0] == pytest.approx(7.0, rel=1e-15)
    assert p["elsevier-single"].width_cm == 9.0 and p["elsevier-double"].width_cm == 19.0
    assert all(s.font_size_pt == 7.0 for s in p.values())
    assert p["rsc-single"].size_in == (8.3 / CM_PER_IN, p["rsc-single"].height_cm / CM_PER_IN)


def test_style_validates_choices():
    with pytest.raises(ValueError, match="scaling"):
        FigureStyle(scaling="cube")
    with pytest.raises(ValueError, match="y_axis"):
        FigureStyle(y_axis="voltage")
    with pytest.raises(ValueError, match="panel"):
        FigureStyle(panel="current")
    with pytest.raises(ValueError, match="hi > lo"):
        FigureStyle(windows=((17, 15),))


def test_style_dict_round_trip_through_json():
    style = FigureStyle(name="mine", windows=((15, 17.5), (40, 44)), scaling="log", panel=None, dpi=300)
    back = FigureStyle.from_dict(json.loads(json.dumps(style.to_dict())))
    assert back == style
    assert FigureStyle.from_dict({**style.to_dict(), "added_in_a_later_version": 1}) == style


def test_store_saves_loads_lists_and_deletes(tmp_path):
    store = StyleStore(tmp_path)
    style = builtin_presets()["rsc-single"].with_changes(cmap="magma", windows=((15.0, 17.0),))
    saved = store.save(style, "rsc-magma")
    assert saved.name == "rsc-magma"
    again = StyleStore(tmp_path)  # a new session reads the file
    assert again.get("rsc-magma") == saved
    assert again.names()[-1] == "rsc-magma" and "rsc-single" in again.names()
    assert [p.name for p in tmp_path.iterdir()] == ["figure_styles.json"]  # no temp files left behind
    again.delete("rsc-magma")
    with pytest.raises(KeyError):
        again.get("rsc-magma")


def test_store_refuses_to_shadow_builtin_presets(tmp_path):
    with pytest.raises(ValueError, match="built-in"):
        StyleStore(tmp_path).save(FigureStyle(name="rsc-single"))
    assert not (tmp_path / "figure_styles.json").exists()


def test_store_location_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "cfg"))
    assert config_dir() == tmp_path / "cfg"
    assert config_dir(tmp_path / "explicit") == tmp_path / "explicit"  # parameter beats environment
    StyleStore().save(FigureStyle(name="env-style"))
    assert json.loads((tmp_path / "cfg" / "figure_styles.json").read_text())["env-style"]["name"] == "env-style"


def test_store_reports_a_corrupt_file(tmp_path):
    (tmp_path / "figure_styles.json").write_text("{not json")
    with pytest.raises(ValueError, match="figure_styles.json"):
        StyleStore(tmp_path).get("anything")
