"""The phase side of the window: phase-result plots equal the decomposition arrays, reflection
ticks sit at the library phase's 2θ and follow the cell spin boxes, "from analysis" takes the
refined cell, and the analysis result survives the project file's arrays."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from analysis import project as pj
from app.gui.phase_plots import QUANTITIES, cell_volume_A3, phase_quantity, volume_error_A3
from app.gui.phase_tools import analysis_arrays, analysis_from_arrays
from tests.app.phase_analysis_factory import analysed

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def window(main_window, tmp_path, monkeypatch):
    monkeypatch.setenv("OPERANDO_XRD_CONFIG", str(tmp_path / "config"))
    sim, result = analysed()
    win = main_window()
    win.session.set_series(sim.series, "simulated")
    win.session.set_echem(sim.echem, "simulated")
    win.session.set_analysis_result(result)
    win.result = result
    return win


def choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


@pytest.mark.parametrize("quantity", list(QUANTITIES))
def test_phase_plot_curves_are_the_decomposition_arrays(window, quantity):
    view, dec = window.phase_tools.plots, window.result.decomposition
    choose(view.quantity_combo, quantity)
    present = window.result.present_phases()
    assert sorted(view.curves) == sorted(present) == ["O3", "OP4", "P2", "P3"]
    values, errors = phase_quantity(dec, present, quantity, view.library)
    for j, name in enumerate(present):
        x, y = view.curves[name].getData()
        np.testing.assert_array_equal(x, np.arange(dec.fraction.shape[0]))
        np.testing.assert_array_equal(y, values[:, j])
        ok = np.isfinite(values[:, j]) & np.isfinite(errors[:, j])
        np.testing.assert_array_equal(view.error_bars[name].opts["y"], values[ok, j])
        np.testing.assert_array_equal(view.error_bars[name].opts["height"], 2.0 * errors[ok, j])


def test_phase_quantities_by_hand(window):
    """c and fractions are the arrays themselves; d_int = c / layers; volume % is 0 where the phase
    first appears; hexagonal volume error σV/V = √((2σa/a)² + (σc/c)²)."""
    dec = window.result.decomposition
    names = ["P2", "O3", "P3", "OP4"]
    cols = [dec.phases.index(n) for n in names]
    c, _ = phase_quantity(dec, names, "c")
    np.testing.assert_array_equal(c, dec.cells[:, cols, 2])
    f, ferr = phase_quantity(dec, names, "fraction")
    located = np.isfinite(dec.cells[:, cols, 2])
    np.testing.assert_array_equal(f[located], dec.fraction[:, cols][located])
    np.testing.assert_array_equal(ferr[located], dec.fraction_err[:, cols][located])
    assert np.isnan(f[~located]).all() and (~located).any()   # absent: gaps, not zeros
    d_int, _ = phase_quantity(dec, names, "d_int", window.phase_tools.plots.library)
    np.testing.assert_allclose(d_int, dec.cells[:, cols, 2] / np.array([2, 3, 3, 4]), rtol=1e-15)
    pct, _ = phase_quantity(dec, names, "volume_pct")
    for j in range(len(names)):
        first = np.flatnonzero(np.isfinite(pct[:, j]))[0]
        assert pct[first, j] == 0.0
    assert np.isnan(c).any()   # absent scans are gaps, not zeros
    cell = np.array([[2.9, 2.9, 11.2, 90.0, 90.0, 120.0]])
    err = np.array([[0.002, 0.0, 0.01, 0.0, 0.0, 0.0]])
    v = np.sqrt(3.0) / 2.0 * 2.9 ** 2 * 11.2
    assert cell_volume_A3(cell)[0] == pytest.approx(v, rel=1e-12)
    expected = v * np.hypot(2 * 0.002 / 2.9, 0.01 / 11.2)
    # finite-difference slope with a 1e-6 relative step: agreement to ~1e-5 relative
    assert volume_error_A3(cell, err)[0] == pytest.approx(expected, rel=1e-5)


def test_clicking_a_point_after_a_gap_jumps_to_its_scan(window, qtbot):
    view = window.phase_tools.plots
    window.phase_tools.plots_dock.raise_()
    choose(view.quantity_combo, "c")
    c = view.curves["OP4"].getData()[1]
    scan = int(np.flatnonzero(np.isfinite(c))[2])   # OP4 appears mid-series: points follow a gap
    view.plot_item.vb.autoRange(padding=0.1)
    point = next(p for p in view.curves["OP4"].scatter.points() if p.pos().x() == scan)
    pos = view.plot_widget.mapFromScene(view.plot_item.vb.mapViewToScene(point.pos()))
    with qtbot.waitSignal(window.session.scan_changed) as changed:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert changed.args == [scan] and window.session.current_scan == scan
    assert view.marker.value() == pytest.approx(scan)


def tick(window, name: str) -> None:
    item = window.phase_tools.panel.item_of(name)
    item.setCheckState(Qt.CheckState.Checked)
    window.phase_tools.panel.phase_list.setCurrentItem(item)


def test_ticks_are_the_phase_reflections_and_follow_the_c_spin_box(window):
    tools, series = window.phase_tools, window.session.series
    tick(window, "P2")
    window_deg = (float(series.two_theta_deg.min()), float(series.two_theta_deg.max()))
    expected = tools.model.library["P2"].reflections(series.wavelength_A, window_deg).two_theta_deg
    np.testing.assert_array_equal(tools.ticks.positions("P2"), expected)
    assert "P2" in tools.ticks.map_lines
    tools.panel.spin_boxes["c"].setValue(11.40)
    # hand check: (002) has d = c/2, so 2θ = 2·asin(λ / (2·c/2))
    two_theta_002 = np.degrees(2.0 * np.arcsin(series.wavelength_A / 11.40))
    assert tools.ticks.positions("P2")[0] == pytest.approx(two_theta_002, abs=1e-9)
    moved = tools.model.phase("P2").reflections(series.wavelength_A, window_deg).two_theta_deg
    np.testing.assert_array_equal(tools.ticks.positions("P2"), moved)
    assert not np.array_equal(moved, expected)
    hkl = tools.ticks.reflections["P2"].hkl[0]
    assert tuple(hkl) == (0, 0, 2)
    assert "(0 0 2)" in tools.ticks.ticks["P2"].data["data"][0]
    # the tick row lies below the current pattern
    assert tools.ticks.ticks["P2"].getData()[1].max() < window.session.map_intensity()[0].min()
    tools.panel.map_check.setChecked(False)
    assert "P2" not in tools.ticks.map_lines and tools.ticks.positions("P2").size == moved.size


def test_cell_from_analysis_at_the_current_scan(window):
    tools, dec = window.phase_tools, window.result.decomposition
    j = dec.phases.index("P2")
    scan = int(np.flatnonzero(np.isfinite(dec.cells[:, j, 2]))[0])
    window.session.set_current_scan(scan)
    tick(window, "P2")
    assert tools.panel.from_analysis_button.isEnabled()
    tools.panel.from_analysis_button.click()
    cell = tools.model.phase("P2").cell
    assert (cell.a, cell.c) == (dec.cells[scan, j, 0], dec.cells[scan, j, 2])
    assert tools.panel.spin_boxes["c"].value() == pytest.approx(dec.cells[scan, j, 2], abs=5e-5)  # 4 decimals
    tools.panel.reset_button.click()
    assert tools.model.phase("P2") is tools.model.library["P2"]


def test_analysis_survives_the_project_arrays(window):
    result = window.result
    restored = analysis_from_arrays(analysis_arrays(result))
    assert restored.sequence == result.sequence
    assert restored.present_phases() == result.present_phases()
    np.testing.assert_array_equal(restored.decomposition.cells, result.decomposition.cells)
    np.testing.assert_array_equal(restored.decomposition.fraction_err, result.decomposition.fraction_err)
    again = analysis_from_arrays(analysis_arrays(restored))   # saving a reopened project keeps it
    np.testing.assert_array_equal(again.decomposition.fraction, result.decomposition.fraction)
    window.session.set_analysis_result(restored)
    choose(window.phase_tools.plots.quantity_combo, "c")
    np.testing.assert_array_equal(window.phase_tools.plots.curves["P2"].getData()[1],
                                  phase_quantity(result.decomposition, ["P2"], "c")[0][:, 0])


def test_project_file_holds_the_analysis(window, tmp_path):
    assert window.project.save_to(tmp_path / "p.oxrd")
    results = pj.load_project(tmp_path / "p.oxrd").results
    mine = {k[len("analysis/"):]: v for k, v in results.items() if k.startswith("analysis/")}
    restored = analysis_from_arrays(mine)
    assert restored.sequence == window.result.sequence
    np.testing.assert_array_equal(restored.decomposition.cells, window.result.decomposition.cells)


def test_other_data_clear_the_analysis(window):
    series = window.session.series
    window.session.set_series(series.subset(np.arange(series.n_scans)), "same scans, other data")
    assert window.session.analysis_result is None
    assert window.phase_tools.plots.curves == {} and window.phase_tools.sequence_label.text() == ""


def test_fraction_axis_says_what_the_fractions_are():
    from types import SimpleNamespace

    from app.gui.phase_plots import fraction_label

    assert "calibrated scale factors" in fraction_label(SimpleNamespace(fraction_kind="weight"))
    uncalibrated = fraction_label(SimpleNamespace(fraction_kind="weight (library-intensity model)"))
    assert "library intensities" in uncalibrated and "once calibrated" in uncalibrated
