"""A reopened project that had an indexing outcome is indexed again in the background with the
phases (and cells) of that outcome and the saved overrides, so the Indexing table comes back as it
was without clicking Index; a project never indexed, or written before the outcome was recorded,
starts no indexing.

Data: a simulated P2 solid solution (12 scans, three one-peak windows; see test_project_indexing)."""

from __future__ import annotations

import numpy as np
import pytest

import analysis.project as pj
from analysis.sequential_fit import fit_series
from app.gui.indexing_controller import INDEX_JOB
from tests.app.test_project_indexing import CANDIDATES, JOB_TIMEOUT_MS, WINDOWS, index_and_wait, tick_candidates
from tests.app.test_project_library import folder, load, make_window, reopen, sim  # noqa: F401 (fixtures)

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
INDEXED_C_A = 11.25   # P2's tick cell when indexing (the simulated c runs 11.17 → 11.34 Å)
LATER_C_A = 11.40     # moved after indexing: the table does not follow, nor may the re-run


def table_rows(panel) -> list[list[str]]:
    return [panel.row_texts(row) for row in range(panel.table.rowCount())]


def lattice_arrays(controller) -> dict[str, np.ndarray]:
    """Refined free cell parameters (Å, deg), reflections used and zero shift per phase: (n_scans,) each."""
    arrays = {}
    for name, series in controller.lattice.items():
        arrays.update({f"{name}/{param}": np.asarray(v) for param, v in series.parameters.items()})
        arrays.update({f"{name}/{field}": np.asarray(getattr(series, field))
                       for field in ("n_reflections", "zero_deg")})
    return arrays


def indexed_first_window(make_window, qtbot, folder):  # noqa: F811
    """A window with P2 + parasitic phases ticked, indexed with P2 at c = 11.25 Å, peak 2 excluded,
    peak 1 forced to P2 (1 0 2), zero shift on; afterwards P2's tick cell is moved."""
    window = make_window("config")
    load(window, qtbot, folder)
    window.session.set_fit_result(fit_series(window.session.series, WINDOWS, workers=1))
    tick_candidates(window)
    window.phase_tools.model.set_cell("P2", c=INDEXED_C_A)
    panel = window.indexing_panel
    index_and_wait(qtbot, panel, panel.index_button.click)
    index_and_wait(qtbot, panel, lambda: panel.controller.set_override(2, None))
    index_and_wait(qtbot, panel, lambda: panel.controller.set_override(1, "P2", (1, 0, 2)))
    index_and_wait(qtbot, panel, lambda: panel.zero_check.setChecked(True))
    window.phase_tools.model.set_cell("P2", c=LATER_C_A)
    return window


def wait_for_table(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.indexing_panel.controller.indexed is not None, timeout=JOB_TIMEOUT_MS)


def test_the_table_comes_back_without_clicking_index(make_window, qtbot, tmp_path, folder):  # noqa: F811
    first = indexed_first_window(make_window, qtbot, folder)
    panel, controller = first.indexing_panel, first.indexing_panel.controller
    rows, lattice = table_rows(panel), lattice_arrays(controller)
    assert [r[2:5] for r in rows] == [["P2", "0 0 2", "auto"], ["P2", "1 0 2", "manual"], ["excluded", "", "manual"]]
    assert controller.phase_names == CANDIDATES
    path = tmp_path / "indexed.oxrd"
    assert first.project.save_to(path)
    stored = pj.load_project(path).settings["indexing"]["indexed"]
    assert stored["n_peaks"] == 3 and [d["name"] for d in stored["phases"]] == list(CANDIDATES)
    assert stored["phases"][0]["cell"]["c"] == INDEXED_C_A   # the cell indexed with, not the later tick cell

    second = reopen(make_window, qtbot, path)
    panel, again = second.indexing_panel, second.indexing_panel.controller
    # while the re-run is under way, a save still records the outcome
    assert second.project.current_settings()["indexing"]["indexed"] == stored
    wait_for_table(qtbot, second)
    assert table_rows(panel) == rows
    assert again.phase_names == CANDIDATES and again.manual == controller.manual and again.zero_shift
    assert [p.cell for p in again.indexed_phases] == [p.cell for p in controller.indexed_phases]
    assert again.indexed_phases[0].cell.c == INDEXED_C_A
    assert second.phase_tools.model.phase("P2").cell.c == LATER_C_A   # the tick cell is restored as it was
    assert lattice_arrays(again).keys() == lattice.keys()
    for key, values in lattice.items():   # the same inputs give the same numbers
        np.testing.assert_array_equal(lattice_arrays(again)[key], values, err_msg=key)
    assert panel.phases_label.text() == f"Indexed with: {', '.join(CANDIDATES)}"
    assert not second.project.is_modified
    assert second.project.current_settings()["indexing"]["indexed"] == stored


def test_no_indexing_is_started_without_a_recorded_outcome(make_window, qtbot, tmp_path, folder):  # noqa: F811
    first = indexed_first_window(make_window, qtbot, folder)
    older = tmp_path / "older.oxrd"
    assert first.project.save_to(older)
    project = pj.load_project(older)
    del project.settings["indexing"]["indexed"]   # as a build before the entry existed wrote it
    pj.save_project(older, project)
    oldest = tmp_path / "oldest.oxrd"
    del project.settings["indexing"]                # as a build before indexing was saved wrote it
    pj.save_project(oldest, project)
    first.session.set_fit_result(fit_series(first.session.series, WINDOWS[:2], workers=1))   # clears the outcome
    never = tmp_path / "never.oxrd"
    assert first.project.save_to(never)
    assert pj.load_project(never).settings["indexing"]["indexed"] is None

    for path, n_overrides in ((older, 2), (never, 0)):
        window = reopen(make_window, qtbot, path)
        controller = window.indexing_panel.controller
        assert not window.runner.is_busy(INDEX_JOB) and controller.indexed is None
        assert window.indexing_panel.table.rowCount() == 0 and len(controller.manual) == n_overrides
        assert window.project.current_settings()["indexing"]["indexed"] is None
        assert not window.project.is_modified
    # the oldest, opened in the window that indexed with zero shift: nothing of its indexing stays
    assert first.indexing_panel.controller.zero_shift
    with qtbot.waitSignal(first.project.opened, timeout=JOB_TIMEOUT_MS):
        assert first.project.open_project(oldest)
    controller = first.indexing_panel.controller
    assert not first.runner.is_busy(INDEX_JOB) and controller.indexed is None and not controller.manual
    assert not controller.zero_shift and not first.indexing_panel.zero_check.isChecked()
    assert first.indexing_panel.table.rowCount() == 0 and not first.project.is_modified
