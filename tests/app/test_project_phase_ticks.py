"""The Phases dock's ticked phases and their adjusted cells are saved in the project (setting
``phase_ticks``) and come back, drawn, in a fresh window; an older project without the setting
opens with nothing ticked.

Data: a simulated P2 solid solution (12 scans) saved as .xy files (fixtures of test_project_library)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

import analysis.project as pj
from analysis import crystallography as cr
from analysis.phase_library import load_library
from app.gui.phase_ticks import TICKS_KEY, PhaseTickModel
from tests.app.test_project_library import (LOAD_TIMEOUT_MS, USER_PHASE, edit_in_dialog, folder,  # noqa: F401
                                            load, make_window, reopen, sim)

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def tick(window, name: str) -> None:
    """Tick ``name`` in the Phases dock and select it, as a user does."""
    panel = window.phase_tools.panel
    item = panel.item_of(name)
    item.setCheckState(Qt.CheckState.Checked)
    panel.phase_list.setCurrentItem(item)


def checked_names(window) -> list[str]:
    panel = window.phase_tools.panel
    return [panel.phase_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(panel.phase_list.count())
            if panel.phase_list.item(i).checkState() == Qt.CheckState.Checked]


def cells(model) -> dict[str, cr.Cell]:
    return {name: phase.cell for name, phase in model.working.items()}


def test_ticked_phases_and_their_cells_come_back_drawn(make_window, qtbot, tmp_path, folder):  # noqa: F811
    first = make_window("config")
    load(first, qtbot, folder)
    panel, model, ticks = first.phase_tools.panel, first.phase_tools.model, first.phase_tools.ticks
    tick(first, "BeO")
    panel.spin_boxes["a"].setValue(2.7123)
    tick(first, "P2")
    panel.spin_boxes["c"].setValue(11.2468)
    panel.spin_boxes["a"].setValue(2.8531)
    model.select("O3")                         # a cell adjusted on a phase that is not ticked
    panel.spin_boxes["c"].setValue(16.0123)
    model.select("P2")
    library = load_library()
    assert model.shown == ["BeO", "P2"]
    assert (model.phase("P2").cell.a, model.phase("P2").cell.c) == (2.8531, 11.2468) != (
        library["P2"].cell.a, library["P2"].cell.c)
    assert first.project.is_modified           # ticking and adjusting are project changes
    drawn = {name: ticks.positions(name) for name in model.shown}
    assert all(x.size > 0 for x in drawn.values())
    path = tmp_path / "ticked.oxrd"
    assert first.project.save_to(path)
    stored = pj.load_project(path).settings[TICKS_KEY]
    assert stored["shown"] == ["BeO", "P2"] and stored["selected"] == "P2" and stored["on_map"] is True
    assert sorted(stored["cells"]) == ["BeO", "O3", "P2"]   # only the adjusted cells
    assert stored["cells"]["P2"] == {"a": 2.8531, "b": 2.8531, "c": 11.2468, "alpha": 90.0, "beta": 90.0,
                                     "gamma": 120.0}

    second = reopen(make_window, qtbot, path)   # an empty user phase folder
    tools = second.phase_tools
    assert tools.model.shown == ["BeO", "P2"]
    assert cells(tools.model) == cells(model)   # every working cell, exactly (JSON keeps float64)
    assert checked_names(second) == ["P2", "BeO"]   # the dock lists cathodes first
    assert tools.model.selected == "P2" and tools.panel.phase_list.currentItem() is tools.panel.item_of("P2")
    assert {p: box.value() for p, box in tools.panel.spin_boxes.items()} == {"a": 2.8531, "c": 11.2468}
    for name, x in drawn.items():               # the ticks are drawn where the first window drew them
        np.testing.assert_array_equal(tools.ticks.positions(name), x)
        assert name in tools.ticks.map_lines
    assert tools.panel.map_check.isChecked()
    assert not second.project.is_modified
    tools.panel.item_of("BeO").setCheckState(Qt.CheckState.Unchecked)
    assert tools.model.shown == ["P2"] and second.project.is_modified


def test_a_ticked_project_phase_comes_back_with_its_cell(make_window, qtbot, monkeypatch, tmp_path,
                                                        folder):  # noqa: F811
    """The ticks are restored after the project's library edits, so a phase of the project only
    (not in the user's folder of the reopening window) is ticked again with its adjusted cell."""
    first = make_window("config")
    load(first, qtbot, folder)
    edit_in_dialog(first, monkeypatch, "P2", new_name=USER_PHASE)
    tick(first, USER_PHASE)
    first.phase_tools.panel.spin_boxes["c"].setValue(11.3021)
    first.phase_tools.panel.map_check.setChecked(False)
    path = tmp_path / "mine.oxrd"
    assert first.project.save_to(path)

    second = reopen(make_window, qtbot, path)
    tools = second.phase_tools
    assert USER_PHASE in tools.model.library and tools.model.shown == [USER_PHASE]
    assert tools.model.phase(USER_PHASE).cell.c == 11.3021
    assert tools.model.library[USER_PHASE].cell.c == first.phase_tools.model.library[USER_PHASE].cell.c != 11.3021
    np.testing.assert_array_equal(tools.ticks.positions(USER_PHASE),
                                  first.phase_tools.ticks.positions(USER_PHASE))
    assert not tools.model.on_map and not tools.panel.map_check.isChecked() and not tools.ticks.map_lines


def test_an_older_project_without_the_setting_opens_with_nothing_ticked(make_window, qtbot, tmp_path,
                                                                        folder):  # noqa: F811
    first = make_window("config")
    load(first, qtbot, folder)
    tick(first, "P2")
    first.phase_tools.panel.spin_boxes["c"].setValue(11.3021)
    path = tmp_path / "older.oxrd"
    assert first.project.save_to(path)
    project = pj.load_project(path)
    del project.settings[TICKS_KEY]             # as a build before the setting existed wrote it
    pj.save_project(path, project)

    # in a fresh window, and in the window that still shows P2 ticked with its adjusted cell
    second = reopen(make_window, qtbot, path)
    assert first.phase_tools.model.shown == ["P2"] and first.phase_tools.model.phase("P2").cell.c == 11.3021
    with qtbot.waitSignal(first.project.opened, timeout=LOAD_TIMEOUT_MS):
        assert first.project.open_project(path)
    for window in (second, first):
        tools = window.phase_tools
        assert tools.model.shown == [] and checked_names(window) == [] and not tools.ticks.ticks
        assert all(tools.model.phase(n) is tools.model.library[n] for n in tools.model.library)
        assert window.session.series is not None and not window.project.is_modified
        assert TICKS_KEY in window.project.current_settings()   # the next save writes the setting


def test_restore_skips_what_the_library_lacks():
    model = PhaseTickModel(load_library())
    p2_c = model.library["P2"].cell.c
    skipped = model.restore({"shown": ["P2", "P2", "nowhere"], "selected": "nowhere", "on_map": False,
                             "cells": {"nowhere": {"a": 3.0}, "O3": {"a": "wide"}, "P2": {"a": 2.9, "c": p2_c}}})
    assert skipped == ["the cell of nowhere", "the cell of O3", "the ticks of nowhere"]
    assert model.shown == ["P2"] and model.selected == "" and not model.on_map
    assert model.phase("P2").cell == cr.Cell(2.9, 2.9, p2_c, 90.0, 90.0, 120.0)
    assert model.phase("O3") is model.library["O3"]
    assert model.restore("not a dict") == [] and model.shown == [] and model.phase("P2") is model.library["P2"]
