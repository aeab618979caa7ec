"""The Indexing dock: a stored series peak fit of a simulated P2/O3 series is indexed in the
background, the table names the expected (phase, hkl), overrides change the table and the cells,
and the lattice plot draws the LatticeSeries arrays unchanged."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from analysis.peak_indexing_run import index_and_fit_lattices
from analysis.phase_library import load_library
from analysis.sequential_fit import fit_series
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario
from app.gui.indexing_panel import AUTO, EXCLUDE, candidate_phases, parse_hkl
from app.gui.lattice_plot import QUANTITIES, lattice_quantity
from app.gui.main_window import MainWindow
from tests.analysis.test_peak_indexing_run import BE_100, P2_002, PHASES, WINDOWS

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
P2_104 = 5
JOB_TIMEOUT_MS = 120_000   # generous: the shared test machine may be busy


@lru_cache(maxsize=1)
def fitted():
    sim = simulate(get_scenario("p2o3_op4"), n_scans=40, two_theta_range=(12, 50), step_deg=0.03, seed=2)
    return sim, fit_series(sim.series, WINDOWS, workers=1)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("OPERANDO_XRD_CONFIG", str(tmp_path / "config"))
    sim, result = fitted()
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.session.set_series(sim.series, "simulated")
    win.session.set_fit_result(result)
    for name in PHASES:
        win.phase_tools.model.set_shown(name, True)
    yield win
    win.runner.wait_all()


def run_and_wait(qtbot, panel, action) -> None:
    with qtbot.waitSignal(panel.controller.results_changed, timeout=JOB_TIMEOUT_MS):
        action()


def select_peak(panel, peak: int) -> None:
    panel.table.selectRow(peak)   # rows are the global peaks in order
    assert panel.selected_peak() == peak


def test_index_fills_the_table_and_the_plot_draws_the_lattice_arrays(window, qtbot):
    panel = window.indexing_panel
    assert panel.index_button.isEnabled()
    run_and_wait(qtbot, panel, panel.index_button.click)
    assert panel.table.rowCount() == len(WINDOWS)
    label, mean, phase, hkl, source, _scans = panel.row_texts(P2_002)
    assert (label, phase, hkl, source) == ("P2 (002) #0", "P2", "0 0 2", "auto")
    assert float(mean) == pytest.approx(np.nanmean(fitted()[1].center[:, P2_002]), abs=1e-3)  # 3 decimals shown
    assert panel.row_texts(BE_100)[2:4] == ["Be", "1 0 0"]
    # The controller's numbers are those of the analysis call with the same inputs.
    sim, result = fitted()
    library = load_library()
    _, lattice = index_and_fit_lattices(result, [library[n] for n in PHASES], sim.series.wavelength_A)
    np.testing.assert_array_equal(panel.controller.lattice["P2"].parameters["c"], lattice["P2"].parameters["c"])
    view = panel.plot
    assert sorted(view.curves) == ["P2"]          # O3 has too few reflections here to be refined
    for quantity in QUANTITIES:
        view.quantity_combo.setCurrentIndex(view.quantity_combo.findData(quantity))
        values, errors = lattice_quantity(panel.controller.lattice["P2"], quantity)
        x, y = view.curves["P2"].getData()
        np.testing.assert_array_equal(x, np.arange(sim.series.n_scans))
        np.testing.assert_array_equal(y, values)
        ok = np.isfinite(values) & np.isfinite(errors)
        np.testing.assert_array_equal(view.error_bars["P2"].opts["height"], 2.0 * errors[ok])
    view.quantity_combo.setCurrentIndex(view.quantity_combo.findData("c"))
    np.testing.assert_array_equal(view.curves["P2"].getData()[1], lattice["P2"].parameters["c"])


def test_clicking_a_point_selects_its_scan(window, qtbot):
    panel = window.indexing_panel
    run_and_wait(qtbot, panel, panel.index_button.click)
    curve = panel.plot.curves["P2"]
    with qtbot.waitSignal(window.session.scan_changed, timeout=1000) as blocker:
        panel.plot._on_points_clicked(curve, [curve.scatter.points()[30]])   # after the OP4 gap
    assert blocker.args == [30] and window.session.current_scan == 30
    assert panel.plot.marker.value() == pytest.approx(30.0)


def test_overrides_change_the_table_and_the_cells(window, qtbot):
    panel = window.indexing_panel
    run_and_wait(qtbot, panel, panel.index_button.click)
    c_auto = panel.controller.lattice["P2"].parameters["c"].copy()
    assert np.isfinite(c_auto).sum() > 20
    # Exclude P2 (104): P2 keeps two reflections for two free parameters, so no scan is refined.
    select_peak(panel, P2_104)
    panel.phase_combo.setCurrentText(EXCLUDE)
    run_and_wait(qtbot, panel, panel.apply_button.click)
    assert panel.row_texts(P2_104)[2:5] == ["excluded", "", "manual"]
    assert np.all(np.isnan(panel.controller.lattice["P2"].parameters["c"]))
    assert "P2" not in panel.plot.curves
    # Another (phase, hkl) for the Be peak: the table says so, the cathode cells do not care.
    select_peak(panel, BE_100)
    panel.phase_combo.setCurrentText("Al")
    panel.hkl_edit.setText("2 0 0")
    run_and_wait(qtbot, panel, panel.apply_button.click)
    assert panel.row_texts(BE_100)[2:5] == ["Al", "2 0 0", "manual"]
    # Back to automatic for P2 (104): the first cells return.
    select_peak(panel, P2_104)
    panel.phase_combo.setCurrentText(AUTO)
    run_and_wait(qtbot, panel, panel.apply_button.click)
    assert panel.row_texts(P2_104)[2:5] == ["P2", "1 0 4", "auto"]
    np.testing.assert_array_equal(panel.controller.lattice["P2"].parameters["c"], c_auto)


def test_zero_shift_option_reaches_the_lattice_fit(window, qtbot):
    panel = window.indexing_panel
    run_and_wait(qtbot, panel, panel.index_button.click)
    assert np.isfinite(panel.controller.lattice["P2"].volume_A3).any()
    messages = []
    panel.controller.message.connect(lambda text, _ms: messages.append(text))
    run_and_wait(qtbot, panel, lambda: panel.zero_check.setChecked(True))
    assert panel.controller.zero_shift
    # P2 has three windows' reflections for a, c and the zero: none left to estimate an error,
    # so the fit refuses every scan (and says so) rather than report an exact-fit cell.
    assert np.all(np.isnan(panel.controller.lattice["P2"].volume_A3))
    assert messages and "no phase" in messages[-1]


def test_a_bad_hkl_is_refused_with_a_message(window, qtbot, monkeypatch):
    panel = window.indexing_panel
    run_and_wait(qtbot, panel, panel.index_button.click)
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[2]))
    select_peak(panel, P2_002)
    panel.phase_combo.setCurrentText("O3")
    panel.hkl_edit.setText("zero zero three")
    panel.apply_button.click()
    assert shown and "three integers" in shown[0]
    assert panel.controller.manual == {}


def test_a_new_peak_fit_clears_the_indexing(window, qtbot):
    panel = window.indexing_panel
    run_and_wait(qtbot, panel, panel.index_button.click)
    window.session.set_fit_result(None)
    assert panel.table.rowCount() == 0 and panel.plot.curves == {}
    assert not panel.index_button.isEnabled()


@pytest.mark.parametrize("text, hkl", [("1 0 4", (1, 0, 4)), ("(0, 0, 3)", (0, 0, 3)), ("104", (1, 0, 4)),
                                       ("1 -1 0", (1, -1, 0)), ("1 0", None), ("abc", None)])
def test_parse_hkl(text, hkl):
    assert parse_hkl(text) == hkl


def test_candidate_phases_ticked_else_the_analysis_phases(window):
    from types import SimpleNamespace

    model = window.phase_tools.model
    analysis = SimpleNamespace(present_phases=lambda: ["P2", "O3"], settings=SimpleNamespace(parasitic=("Be", "Al")))
    assert [p.name for p in candidate_phases(model, analysis)] == list(PHASES)     # ticked, in ticking order
    for name in PHASES:
        model.set_shown(name, False)
    assert [p.name for p in candidate_phases(model, analysis)] == ["P2", "O3", "Be", "Al"]
    assert candidate_phases(model, None) == []
