"""The fit-results plot and export: plotted data equal the result arrays, absent peaks are gaps,
a clicked point moves the window to that scan's fit, File → Export writes the result table."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from analysis import fit_results_io
from analysis.echem import EchemData
from analysis.fit_windows import FitWindow
from analysis.sequential_fit import fit_series
from app.gui.fit_controller import EXPORT_FILTERS
from app.gui.parameter_view import ALL_PEAKS, QUANTITIES, quantity_values
from tests.app.fit_series_factory import WINDOW_DEG, two_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

ABSENT_SCANS = (6, 7, 8, 9)
N_SCANS = 20


@pytest.fixture
def window(main_window):
    win = main_window()
    series, _ = two_peak_series(N_SCANS, absent_scans=ABSENT_SCANS)
    win.session.set_series(series, "synthetic")
    # a record on the same clock: 3.0 V at t = 0 rising 0.1 V per hour
    t_s = np.linspace(0.0, 600.0 * N_SCANS, 401)
    win.session.set_echem(EchemData(t_s, 3.0 + t_s / 36000.0, None, None, None, "synthetic"), "synthetic")
    win.result = fit_series(series, [FitWindow(*WINDOW_DEG, peaks=(14.0, 14.8))], workers=1)
    win.session.set_fit_result(win.result)
    return win


def choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


@pytest.mark.parametrize("quantity", list(QUANTITIES))
def test_plotted_values_are_the_result_arrays(window, quantity):
    view, result = window.parameter_view, window.result
    choose(view.quantity_combo, quantity)
    choose(view.peak_combo, ALL_PEAKS)
    values, errors = quantity_values(result, quantity)
    assert len(view.curves) == result.n_peaks
    for k, curve in enumerate(view.curves):
        x, y = curve.getData()
        np.testing.assert_array_equal(x, result.scan)
        np.testing.assert_array_equal(y, values[:, k])   # NaN where absent: a gap, not a point
        if errors is not None:
            ok = np.isfinite(values[:, k]) & np.isfinite(errors[:, k])
            np.testing.assert_array_equal(view.error_bars[k].opts["y"], values[ok, k])
            np.testing.assert_array_equal(view.error_bars[k].opts["height"], 2.0 * errors[ok, k])


def test_absent_peak_is_a_gap(window):
    view = window.parameter_view
    choose(view.peak_combo, "p:1")
    assert len(view.curves) == 1
    _, y = view.curves[0].getData()
    assert np.isnan(y[list(ABSENT_SCANS)]).all() and np.isfinite(np.delete(y, ABSENT_SCANS)).all()
    assert view.curves[0].opts["connect"] == "finite"


def test_suspect_fits_are_ringed(window):
    view = window.parameter_view
    flagged = window.result.copy()
    flagged.window_flags[3, 0] = "poor_fit"          # the whole window on scan 3
    flagged.peak_flags[11, 1] = "at_bound"           # one peak on scan 11
    flagged.window_flags[12, 0] = "recovered"        # a recovery is not suspect
    window.session.set_fit_result(flagged)
    choose(view.peak_combo, "w:0")
    rings = [m.getData() for m in view.flag_marks]
    np.testing.assert_array_equal(rings[0][0], [3.0])
    np.testing.assert_array_equal(rings[0][1], flagged.center[[3], 0])
    np.testing.assert_array_equal(rings[1][0], [3.0, 11.0])
    np.testing.assert_array_equal(rings[1][1], flagged.center[[3, 11], 1])


def test_peak_choices(window):
    view = window.parameter_view
    assert view.peak_combo.currentData() == "w:0"   # the first window's peaks by default
    assert [c.name() for c in view.curves] == list(window.result.peak_labels)
    choose(view.peak_combo, "p:0")
    np.testing.assert_array_equal(view.curves[0].getData()[1], window.result.center[:, 0])


def test_x_axis_scan_time_and_voltage(window):
    view, session = window.parameter_view, window.session
    choose(view.x_combo, "time_h")
    np.testing.assert_array_equal(view.curves[0].getData()[0], session.scan_mid_time_s() / 3600.0)
    choose(view.x_combo, "voltage")
    x = view.curves[0].getData()[0]
    np.testing.assert_array_equal(x, session.voltage_at_scans())
    # the record rises 0.1 V/h, scans are 600 s apart and sampled at mid-exposure (+300 s)
    np.testing.assert_allclose(x, 3.0 + (600.0 * np.arange(N_SCANS) + 300.0) / 36000.0, atol=1e-9)
    assert view.marker.value() == pytest.approx(x[session.current_scan])


def test_voltage_axis_needs_electrochemistry(window):
    view = window.parameter_view
    choose(view.x_combo, "voltage")
    window.session.set_echem(None)
    assert view.x_combo.currentData() == "scan"
    assert not view.x_combo.model().item(view.x_combo.findData("voltage")).isEnabled()


def test_clicking_a_point_jumps_to_its_scan_and_fit(window, qtbot):
    view = window.parameter_view
    choose(view.quantity_combo, "center")
    view.plot_item.vb.autoRange(padding=0.1)
    scatter = view.curves[0].scatter
    point = scatter.points()[13]
    pos = view.plot_widget.mapFromScene(view.plot_item.vb.mapViewToScene(point.pos()))
    with qtbot.waitSignal(window.session.scan_changed) as changed:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert changed.args == [13] and window.session.current_scan == 13
    assert view.marker.value() == pytest.approx(13.0)
    xw, best, _, _ = window.result.curves(window.session.series.two_theta_deg, 13, 0)
    np.testing.assert_array_equal(window.fit_overlay.best_curves[0].getData()[1], best)
    # the handler itself, with another point
    view._on_points_clicked(view.curves[0], [scatter.points()[2]])
    assert window.session.current_scan == 2


@pytest.mark.parametrize("suffix,loader", [(".csv", fit_results_io.load_csv), (".h5", fit_results_io.load_hdf5)])
def test_export_writes_the_result_table(window, tmp_path, monkeypatch, suffix, loader):
    target = tmp_path / "peaks"
    chosen = next(f for f, ext in EXPORT_FILTERS.items() if ext == suffix)   # the typed name has no suffix
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(target), chosen))
    assert window.fitting.export_action in window.exports.menu.actions()
    window.fitting.export_action.trigger()
    assert loader(str(target) + suffix).equals(window.result)


def test_export_needs_a_result_and_reports_failure(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[2]))
    bad = tmp_path / "missing_folder" / "peaks.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(bad), ""))
    assert window.fitting.export_result() is None
    assert shown and str(bad) in shown[0]
    window.session.set_fit_result(None)
    assert not window.fitting.export_action.isEnabled()
    assert window.parameter_view.curves == []
