"""The Indexing dock's options and overrides are saved in the project and apply again after
reopening (data: a simulated P2 solid solution, 12 scans, three one-peak windows)."""

from __future__ import annotations

import pytest

import analysis.project as pj
from analysis.fit_windows import FitWindow, Kalpha2
from analysis.indexing import ManualAssignment
from analysis.sequential_fit import fit_series
from tests.app.test_project_library import folder, load, make_window, reopen, sim  # noqa: F401 (fixtures)

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
JOB_TIMEOUT_MS = 120_000   # generous: the shared test machine may be busy
KA2 = Kalpha2(enabled=True)   # the simulator's instrument has Cu Kα2
WINDOWS = (FitWindow(15.0, 16.5, (15.7,), ka2=KA2, name="P2 (002)"),
           FitWindow(38.6, 40.4, (39.4,), ka2=KA2, name="P2 (102)"),
           FitWindow(48.0, 49.9, (48.9,), ka2=KA2, name="P2 (104)"))
CANDIDATES = ("P2", "Be", "BeO", "Al")


def index_and_wait(qtbot, panel, action) -> None:
    with qtbot.waitSignal(panel.controller.results_changed, timeout=JOB_TIMEOUT_MS):
        action()


def tick_candidates(window) -> None:
    for name in CANDIDATES:
        window.phase_tools.model.set_shown(name, True)


def test_overrides_and_options_come_back(make_window, qtbot, tmp_path, folder, sim):  # noqa: F811
    first = make_window("config")
    load(first, qtbot, folder)
    first.session.set_fit_result(fit_series(first.session.series, WINDOWS, workers=1))
    tick_candidates(first)
    panel = first.indexing_panel
    index_and_wait(qtbot, panel, panel.index_button.click)
    index_and_wait(qtbot, panel, lambda: panel.controller.set_override(2, None))
    index_and_wait(qtbot, panel, lambda: panel.controller.set_override(1, "P2", (1, 0, 2)))
    index_and_wait(qtbot, panel, lambda: panel.zero_check.setChecked(True))
    expected = {2: ManualAssignment(2, None, None), 1: ManualAssignment(1, "P2", (1, 0, 2))}
    assert panel.controller.manual == expected
    path = tmp_path / "indexed.oxrd"
    assert first.project.save_to(path)
    stored = pj.load_project(path).settings["indexing"]
    assert stored.pop("indexed")["n_peaks"] == 3   # the outcome's record: see test_project_indexing_rerun
    assert stored == {
        "zero_shift": True, "displacement": False, "n_peaks": 3,
        "overrides": [{"peak": 2, "phase": None, "hkl": None}, {"peak": 1, "phase": "P2", "hkl": [1, 0, 2]}]}

    second = reopen(make_window, qtbot, path)
    panel = second.indexing_panel
    controller = panel.controller
    assert second.session.fit_result is not None and second.session.fit_result.center.shape[1] == 3
    assert controller.manual == expected and controller.manual_n_peaks == 3
    assert panel.zero_check.isChecked() and controller.zero_shift
    assert not panel.displacement_check.isChecked() and not controller.displacement
    assert not second.project.is_modified
    # indexing again in the reopened session applies them
    tick_candidates(second)
    index_and_wait(qtbot, panel, panel.index_button.click)
    assert panel.row_texts(2)[2:5] == ["excluded", "", "manual"]
    assert panel.row_texts(1)[2:5] == ["P2", "1 0 2", "manual"]
    assert panel.row_texts(0)[2:5] == ["P2", "0 0 2", "auto"]
