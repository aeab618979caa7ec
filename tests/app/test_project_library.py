"""The project restores the analysis setup: phase-library edits (with their exact numbers, without
writing the user's phase folder) and the last Analyze settings; Analyze uses the edited library.

Data: a simulated P2 solid solution (12 scans, c 11.17 → 11.34 → 11.17 Å) saved as .xy files."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

import analysis.project as pj
from analysis.phase_library import load_library, phase_to_dict
from analysis.pipeline import AnalysisSettings
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario
from app.gui.analysis_controller import AnalysisDialog
from app.gui.library_editor import PhaseEditorDialog
from tests.app.test_gui_window import write_xy_folder

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

LOAD_TIMEOUT_MS = 20000
RUN_TIMEOUT_MS = 300_000   # a generous ceiling for a loaded 2-core machine, not a speed claim
C_TOLERANCE_A = 0.01       # the acceptance for refined c
USER_PHASE = "P2 mine"


@pytest.fixture
def sim():
    return simulate(get_scenario("p2_solid_solution"), n_scans=12, two_theta_range=(12.0, 50.0), step_deg=0.03,
                    seed=3)


@pytest.fixture
def folder(tmp_path, sim):
    return write_xy_folder(tmp_path / "scans", sim.series)


@pytest.fixture
def make_window(main_window, tmp_path, monkeypatch):
    """``make(config_name)``: a main window whose user phase folder is ``tmp_path/config_name/phases``."""
    def make(config_name: str):
        monkeypatch.setenv("OPERANDO_XRD_CONFIG", str(tmp_path / config_name))
        return main_window(RUN_TIMEOUT_MS)
    return make


def load(window, qtbot, folder):
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        window.open_paths([str(folder)])


def reopen(make_window, qtbot, path):
    window = make_window("fresh_config")
    with qtbot.waitSignal(window.project.opened, timeout=LOAD_TIMEOUT_MS):
        assert window.project.open_project(path)
    return window


def edit_in_dialog(window, monkeypatch, name: str, **fields) -> None:
    """Open the phase editor on ``name`` as the Phases dock does, change ``fields`` and save."""
    def exec_(dialog):
        if "new_name" in fields:
            dialog.name_edit.setText(fields["new_name"])
        if "c" in fields:
            dialog.cell_spins["c"].setValue(fields["c"])
        dialog.save()
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(PhaseEditorDialog, "exec", exec_)
    window.phase_tools.edit_phase(name)


def checked(widget) -> set[str]:
    return {widget.item(i).text() for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked}


def analyze_through_dialog(window, qtbot, monkeypatch, only: str) -> None:
    """Analysis → Analyze… with only the cathode ``only`` ticked, Kα2 on, no peak fits."""
    def exec_(dialog):
        for i in range(dialog.phase_list.count()):
            item = dialog.phase_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() == only else Qt.CheckState.Unchecked)
        dialog.kalpha2_combo.setCurrentIndex(dialog.kalpha2_combo.findText("on"))
        dialog.peaks_combo.setCurrentIndex(dialog.peaks_combo.findData("none"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AnalysisDialog, "exec", exec_)
    controller = window.phase_tools.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        controller.analyze_action.trigger()


def true_c(sim) -> np.ndarray:
    return sim.truth.cells[:, list(sim.truth.phases).index("P2"), 2]


def located_c(result, name: str) -> np.ndarray:
    dec = result.decomposition
    return np.asarray(dec.cells)[:, list(dec.phases).index(name), 2]


def test_user_phase_and_analyze_settings_come_back_in_a_fresh_window(make_window, qtbot, monkeypatch, tmp_path,
                                                                      folder, sim):
    first = make_window("config")
    load(first, qtbot, folder)
    edit_in_dialog(first, monkeypatch, "P2", new_name=USER_PHASE)   # P2 saved under a new name
    mine = first.phase_tools.model.library[USER_PHASE]
    analyze_through_dialog(first, qtbot, monkeypatch, USER_PHASE)
    result = first.session.analysis_result
    # Analyze used the session's library: the user phase was fitted and located at the true cells
    assert result is not None and result.sequence == USER_PHASE
    np.testing.assert_allclose(located_c(result, USER_PHASE), true_c(sim), atol=C_TOLERANCE_A)
    saved_settings = first.phase_tools.controller.last_settings
    assert saved_settings.phases == (USER_PHASE,) and saved_settings.kalpha2 is True
    assert not saved_settings.fit_peaks
    path = tmp_path / "session.oxrd"
    assert first.project.save_to(path)
    stored = pj.load_project(path).settings
    # only what differs from the bundled library is stored
    assert [d["name"] for d in stored["library"]["phases"]] == [USER_PHASE]
    assert AnalysisSettings.from_dict(stored["analysis"]) == saved_settings

    second = reopen(make_window, qtbot, path)   # an empty user phase folder
    tools = second.phase_tools
    assert phase_to_dict(tools.model.library[USER_PHASE]) == phase_to_dict(mine)
    assert tools.controller.library[USER_PHASE] is tools.model.library[USER_PHASE]
    assert not (tmp_path / "fresh_config" / "phases").exists()   # the user's folder is not written
    assert tools.controller.last_settings == saved_settings
    dialog = AnalysisDialog(tools.controller.library, tools.controller.last_settings, 0)
    qtbot.addWidget(dialog)
    assert checked(dialog.phase_list) == {USER_PHASE}
    assert dialog.kalpha2_combo.currentText() == "on" and dialog.peaks_combo.currentData() == "none"
    assert not second.project.is_modified

    # the reopened session's Analyze knows the project's phase (the bundled library does not)
    controller = tools.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        controller.analyze(controller.last_settings)
    again = second.session.analysis_result
    assert again is not None and again is not result and again.sequence == USER_PHASE
    np.testing.assert_allclose(located_c(again, USER_PHASE), located_c(result, USER_PHASE), atol=1e-9)


def test_an_edited_bundled_phase_overrides_the_library_of_the_reopened_session(make_window, qtbot, monkeypatch,
                                                                               tmp_path, folder):
    bundled_c = load_library()["P2"].cell.c
    first = make_window("config")
    load(first, qtbot, folder)
    edit_in_dialog(first, monkeypatch, "P2", c=11.3)
    assert first.phase_tools.model.library["P2"].cell.c == 11.3 != bundled_c
    path = tmp_path / "edited.oxrd"
    assert first.project.save_to(path)
    assert [d["name"] for d in pj.load_project(path).settings["library"]["phases"]] == ["P2"]

    second = reopen(make_window, qtbot, path)
    tools = second.phase_tools
    p2 = tools.model.library["P2"]
    assert p2.cell.c == 11.3 and p2.cell.a == load_library()["P2"].cell.a
    assert tools.model.phase("P2").cell.c == 11.3   # the tick marks' working copy
    assert tools.controller.library["P2"].cell.c == 11.3
    assert tools.plots.library["P2"].cell.c == 11.3
    assert not (tmp_path / "fresh_config" / "phases").exists()
    # a project of an unedited session stores no phases
    third = make_window("other_config")
    load(third, qtbot, folder)
    plain = tmp_path / "plain.oxrd"
    assert third.project.save_to(plain)
    assert pj.load_project(plain).settings["library"] == {"phases": []}


def test_a_headless_rerun_opens_in_the_window(make_window, qtbot, monkeypatch, tmp_path, folder, sim):
    """GUI → ``operando-xrd analyze PROJECT`` → GUI: the re-run's project shows its result, the
    user phase and the Analyze settings."""
    from app.cli import main

    first = make_window("config")
    load(first, qtbot, folder)
    edit_in_dialog(first, monkeypatch, "P2", new_name=USER_PHASE)
    first.phase_tools.controller.last_settings = AnalysisSettings(phases=(USER_PHASE,), fit_peaks=False)
    path = tmp_path / "gui.oxrd"
    assert first.project.save_to(path)
    out = tmp_path / "rerun"
    assert main(["analyze", str(path), "--out", str(out)]) == 0

    second = reopen(make_window, qtbot, out / "analysis.oxrd")
    result = second.session.analysis_result
    assert result is not None and result.sequence == USER_PHASE
    np.testing.assert_allclose(located_c(result, USER_PHASE), true_c(sim), atol=C_TOLERANCE_A)
    assert phase_to_dict(second.phase_tools.model.library[USER_PHASE]) == phase_to_dict(
        first.phase_tools.model.library[USER_PHASE])
    assert second.phase_tools.controller.last_settings.phases == (USER_PHASE,)
    assert second.phase_tools.sequence_label.text() == USER_PHASE


def test_project_edits_end_with_the_session(make_window, qtbot, monkeypatch, tmp_path, folder):
    """A reopened project's phases belong to it: loading other data brings back the file library."""
    first = make_window("config")
    load(first, qtbot, folder)
    edit_in_dialog(first, monkeypatch, "P2", c=11.3)
    path = tmp_path / "edited.oxrd"
    assert first.project.save_to(path)
    second = reopen(make_window, qtbot, path)
    assert second.phase_tools.model.library["P2"].cell.c == 11.3
    load(second, qtbot, folder)   # the same files, opened as new data
    bundled = load_library()["P2"]
    assert phase_to_dict(second.phase_tools.model.library["P2"]) == phase_to_dict(bundled)
    assert phase_to_dict(second.phase_tools.controller.library["P2"]) == phase_to_dict(bundled)
