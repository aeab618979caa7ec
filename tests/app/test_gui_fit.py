"""The fitting panel driven like a user: windows from the panel and the plots, peaks clicked on the
pattern, Fit current scan, Fit series in the background, Cancel; assertions on the drawn data."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

import app.gui.fit_controller as fit_controller
from analysis.fit_windows import FitWindow, tied
from analysis.peak_fitting import fit_scan
from app.gui.fit_controller import FIT_JOB
from app.gui.fit_window_edits import rebuilt, with_n_peaks, with_peak_added
from tests.app.fit_series_factory import WINDOW_DEG, two_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

K_SIGMA = 4.0
"""Fitted centres must lie within 4 standard errors of the truth (a false failure ~6e-5 per check;
the errors are trustworthy because the series carries its true noise σ)."""
JOB_TIMEOUT_MS = 60000


@pytest.fixture
def window(main_window):
    win = main_window(job_timeout_ms=JOB_TIMEOUT_MS)
    series, centers = two_peak_series()
    win.session.set_series(series, "synthetic")
    win.fitting.workers = 1   # 20 fits run in the job's thread either way; no worker processes in tests
    win.truth = centers
    return win


def add_two_peak_window(win) -> FitWindow:
    """Through the intents: a window drawn on the pattern, then 2 peaks in the panel's spin box."""
    index = win.fit_overlay.draw_window(*WINDOW_DEG)
    assert index == 0
    win.fit_panel.n_peaks_spin.setValue(2)
    return win.fitting.windows[0]


def click_pattern(qtbot, win, x_deg: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A real mouse click on the pattern plot at 2θ ``x_deg`` (halfway up the plot)."""
    view, vb = win.pattern_view, win.pattern_view.plot_item.vb
    y_mid = float(np.mean(vb.viewRange()[1]))
    pos = view.mapFromScene(vb.mapViewToScene(QPointF(x_deg, y_mid)))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def drag(qtbot, viewport, start, end, modifiers) -> None:
    """A left-button drag from ``start`` to ``end`` (widget pixels). Mouse events are sent by hand
    because QTest's move carries no pressed buttons; the pauses let pyqtgraph, which drops mouse
    moves that come faster than its rate limit, take every one."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, start, left), (QEvent.Type.MouseMove, end, left),
                               (QEvent.Type.MouseButtonRelease, end, none)):
        event = QMouseEvent(kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)), left, buttons, modifiers)
        QApplication.sendEvent(viewport, event)
        qtbot.wait(60)


def test_fit_current_scan_draws_the_fit_of_fit_scan(window, qtbot):
    w = add_two_peak_window(window)
    window.session.set_current_scan(7)
    qtbot.mouseClick(window.fit_panel.fit_scan_button, Qt.MouseButton.LeftButton)
    series = window.session.series
    expected = fit_scan(series.two_theta_deg, series.intensity[7], w, sigma=series.sigma[7])
    x, y = window.fit_overlay.best_curves[0].getData()
    np.testing.assert_allclose(x, expected.x_deg)
    np.testing.assert_allclose(y, expected.best, rtol=1e-9)   # same inputs, same deterministic fit
    _, resid = window.fit_overlay.residual_curves[0].getData()
    np.testing.assert_allclose(resid - resid.mean(), expected.residual - expected.residual.mean(), rtol=1e-9)
    fits = window.fitting.shown_fits()
    assert np.all(np.abs(fits[0].centers_deg - window.truth[7]) < K_SIGMA * expected.center_err)
    assert window.session.fit_result is None   # a single-scan fit is not a series result


def test_windows_from_panel_add_button_and_region_drag(window, qtbot):
    window.pattern_view.plot_item.setXRange(12.0, 17.0, padding=0)
    qtbot.mouseClick(window.fit_panel.add_button, Qt.MouseButton.LeftButton)
    w = window.fitting.windows[0]
    assert w.lo_deg == pytest.approx(14.0, abs=0.05) and w.hi_deg == pytest.approx(15.0, abs=0.05)   # middle fifth
    pattern_region, map_region = window.fit_overlay.regions[0]
    pattern_region.setRegion((13.6, 15.2))
    pattern_region.sigRegionChangeFinished.emit(pattern_region)   # what the end of a mouse drag emits
    w = window.fitting.windows[0]
    assert (w.lo_deg, w.hi_deg) == pytest.approx((13.6, 15.2))
    assert map_region.getRegion() == pytest.approx((13.6, 15.2))
    assert window.fit_panel.lo_spin.value() == pytest.approx(13.6)


def test_shift_drag_on_the_map_draws_a_window(window, qtbot):
    view, vb = window.contour_view, window.contour_view.plot_item.vb
    y = float(np.mean(vb.viewRange()[1]))
    start, end = (view.mapFromScene(vb.mapViewToScene(QPointF(x, y))) for x in (13.5, 15.3))
    drag(qtbot, view.viewport(), start, end, Qt.KeyboardModifier.ShiftModifier)
    assert len(window.fitting.windows) == 1
    pixel_deg = 10.0 / vb.width()   # the drag is exact to a pixel of the 10°-wide map
    w = window.fitting.windows[0]
    assert (w.lo_deg, w.hi_deg) == pytest.approx(WINDOW_DEG, abs=2 * pixel_deg)
    assert window.fit_overlay.regions[0][0].getRegion() == pytest.approx((w.lo_deg, w.hi_deg))   # also on the pattern


def test_plain_drag_still_pans(window, qtbot):
    view, vb = window.pattern_view, window.pattern_view.plot_item.vb
    before = vb.viewRange()[0]
    y = float(np.mean(vb.viewRange()[1]))
    start, end = (view.mapFromScene(vb.mapViewToScene(QPointF(x, y))) for x in (15.0, 13.0))
    drag(qtbot, view.viewport(), start, end, Qt.KeyboardModifier.NoModifier)
    assert window.fitting.windows == ()
    assert vb.viewRange()[0][0] > before[0] + 1.0   # dragged 2° to the left: the view moved right


def test_clicked_peaks_become_initial_positions(window, qtbot):
    window.fit_overlay.draw_window(*WINDOW_DEG)
    window.pattern_view.plot_item.setXRange(10.0, 20.0, padding=0)
    pixel_deg = 10.0 / window.pattern_view.plot_item.vb.width()
    click_pattern(qtbot, window, 14.8, Qt.KeyboardModifier.ControlModifier)
    assert window.fitting.windows[0].peaks == pytest.approx((14.8,), abs=2 * pixel_deg)
    click_pattern(qtbot, window, 14.0)   # a plain click outside pick mode adds nothing
    assert window.fitting.windows[0].n_peaks == 1
    window.fit_panel.pick_button.setChecked(True)
    click_pattern(qtbot, window, 14.0)
    peaks = window.fitting.windows[0].peaks
    assert peaks == pytest.approx((14.0, 14.8), abs=2 * pixel_deg)   # sorted low to high
    assert window.fit_panel.peaks_edit.text() == ", ".join(f"{p:.3f}" for p in peaks)
    seeds = sorted(line.value() for _, _, line in window.fit_overlay.seed_lines)
    assert seeds == pytest.approx(peaks)
    # the clicked seeds start the fit: the fit lands on the truth
    qtbot.mouseClick(window.fit_panel.fit_scan_button, Qt.MouseButton.LeftButton)
    fit = window.fitting.shown_fits()[0]
    series = window.session.series
    ref = fit_scan(series.two_theta_deg, series.intensity[0], window.fitting.windows[0], sigma=series.sigma[0])
    assert np.all(np.abs(fit.centers_deg - window.truth[0]) < K_SIGMA * ref.center_err)


def test_fit_series_in_the_background_stores_the_result(window, qtbot):
    add_two_peak_window(window)
    window.session.set_current_scan(10)
    with qtbot.waitSignal(window.fitting.series_done, timeout=JOB_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.fit_panel.fit_series_button, Qt.MouseButton.LeftButton)
        assert window.runner.is_busy(FIT_JOB)
        assert window.status.cancel_button.isVisibleTo(window.status)
    assert done.args == ["succeeded"]
    result = window.session.fit_result
    assert result.n_scans == 20 and result.n_peaks == 2
    bad = np.abs(result.center - window.truth) >= K_SIGMA * result.center_err
    assert not bad.any(), np.argwhere(bad)
    qtbot.waitUntil(lambda: not window.status.cancel_button.isVisibleTo(window.status))


def test_scan_change_draws_the_stored_fit_without_refitting(window, qtbot, monkeypatch):
    add_two_peak_window(window)
    with qtbot.waitSignal(window.fitting.series_done, timeout=JOB_TIMEOUT_MS):
        window.fitting.fit_whole_series()
    result = window.session.fit_result

    def no_refit(*_args, **_kw):
        raise AssertionError("a stored fit must be drawn, not refitted")
    monkeypatch.setattr(fit_controller, "fit_scan", no_refit)
    window.session.set_current_scan(13)
    xw, best, background, components = result.curves(window.session.series.two_theta_deg, 13, 0)
    x, y = window.fit_overlay.best_curves[0].getData()
    np.testing.assert_array_equal(x, xw)
    np.testing.assert_array_equal(y, best)
    components_drawn = [c.getData()[1] for c in window.fit_overlay.component_curves[0]]
    np.testing.assert_array_equal(components_drawn, background + components)   # both peaks, on the local background


def test_fit_current_scan_replaces_the_scan_in_the_stored_result(window, qtbot):
    add_two_peak_window(window)
    with qtbot.waitSignal(window.fitting.series_done, timeout=JOB_TIMEOUT_MS):
        window.fitting.fit_whole_series()
    before = window.session.fit_result
    window.session.set_current_scan(4)
    with qtbot.waitSignal(window.session.fit_result_changed):
        window.fitting.fit_current_scan()
    after = window.session.fit_result
    series = window.session.series
    fresh = fit_scan(series.two_theta_deg, series.intensity[4], window.fitting.windows[0], sigma=series.sigma[4])
    np.testing.assert_array_equal(after.center[4], fresh.center)
    np.testing.assert_array_equal(np.delete(after.center, 4, axis=0), np.delete(before.center, 4, axis=0))


def gate_after(n_reports: int):
    """A fit_series that stops after ``n_reports`` progress reports until its token is cancelled
    (so the test can cancel mid-series deterministically); the real fit otherwise."""
    real = fit_controller.fit_series
    reached = threading.Event()

    def gated_fit_series(series, windows, *, progress, cancel, **kw):
        def gated(done, total):
            progress(done, total)
            if done >= n_reports:
                reached.set()
                deadline = time.monotonic() + JOB_TIMEOUT_MS / 1000
                while not cancel.cancelled and time.monotonic() < deadline:
                    time.sleep(0.005)
        return real(series, windows, progress=gated, cancel=cancel, **kw)
    return gated_fit_series, reached


def test_cancel_mid_series_keeps_the_previous_result_and_the_window_responsive(window, qtbot, monkeypatch):
    add_two_peak_window(window)
    with qtbot.waitSignal(window.fitting.series_done, timeout=JOB_TIMEOUT_MS):
        window.fitting.fit_whole_series()
    previous = window.session.fit_result
    gated, reached = gate_after(5)
    monkeypatch.setattr(fit_controller, "fit_series", gated)
    window.fitting.fit_whole_series()
    qtbot.waitUntil(reached.is_set, timeout=JOB_TIMEOUT_MS)
    # the job is held mid-series; the GUI thread still fits, navigates and redraws
    window.session.set_current_scan(9)
    assert window.fitting.fit_current_scan()[0].success
    assert window.toolbar.scan_spin.value() == 9
    with qtbot.waitSignal(window.fitting.series_done, timeout=JOB_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.status.cancel_button, Qt.MouseButton.LeftButton)
    assert done.args == ["cancelled"]
    assert window.session.fit_result.scan.size == 20
    np.testing.assert_array_equal(np.delete(window.session.fit_result.center, 9, axis=0),
                                  np.delete(previous.center, 9, axis=0))   # only the manual refit of scan 9
    assert not window.runner.is_busy(FIT_JOB)


def test_cancel_before_any_result_stores_nothing(window, qtbot, monkeypatch):
    add_two_peak_window(window)
    gated, reached = gate_after(2)
    monkeypatch.setattr(fit_controller, "fit_series", gated)
    window.fitting.fit_whole_series()
    qtbot.waitUntil(reached.is_set, timeout=JOB_TIMEOUT_MS)
    with qtbot.waitSignal(window.fitting.series_done, timeout=JOB_TIMEOUT_MS) as done:
        window.fit_panel.cancel_button.click()
    assert done.args == ["cancelled"] and window.session.fit_result is None


def test_panel_settings_reach_the_window(window, qtbot):
    add_two_peak_window(window)
    panel = window.fit_panel
    panel.ka2_check.setChecked(True)
    panel.ka2_ratio.setValue(0.48)
    panel.model_combo.setCurrentIndex(panel.model_combo.findData("pearson7"))
    panel.bg_spin.setValue(2)
    panel.shared_check.setChecked(True)
    w = window.fitting.windows[0]
    assert (w.ka2.enabled, w.ka2.ratio, w.model, w.background_order) == (True, 0.48, "pearson7", 2)
    assert w.constraint_map == {"p1_fwhm": tied("p0_fwhm")}
    panel.constraints.add_row()
    row = panel.constraints.rowCount() - 1
    panel.constraints.cellWidget(row, 0).setCurrentText("p0_m")
    panel.constraints.cellWidget(row, 1).setCurrentText("fixed")
    panel.constraints.item(row, 2).setText("2.5")
    w = window.fitting.windows[0]
    assert w.constraint_map["p0_m"].kind == "fixed" and w.constraint_map["p0_m"].value == 2.5
    assert w.constraint_map["p1_fwhm"] == tied("p0_fwhm")   # the shared width survives the table edit
    panel.peaks_edit.setText("14.01, auto")
    panel.peaks_edit.editingFinished.emit()
    assert window.fitting.windows[0].peaks == (14.01, None)
    fit = window.fitting.fit_current_scan()[0]
    assert fit.values[fit.names.index("p0_m")] == 2.5
    assert fit.fwhm[1] == pytest.approx(fit.fwhm[0])


def test_find_peaks_fills_initial_positions_from_the_current_scan(window):
    add_two_peak_window(window)
    window.session.set_current_scan(3)
    assert window.fitting.find_peaks(0) == 2
    # found maxima on a 0.01° grid after a 3-point running mean: within 2 steps of the truth
    np.testing.assert_allclose(window.fitting.windows[0].peaks, window.truth[3], atol=0.02)


def test_window_edits_keep_only_meaningful_constraints():
    w = FitWindow(13.5, 15.3, peaks=(14.0, 14.8)).with_shared_fwhm().with_constraint("p1_eta", tied("p0_eta"))
    one = with_n_peaks(w, 1)
    assert one.peaks == (14.0,) and one.constraints == ()
    three = with_peak_added(w, 14.4)
    assert three.peaks == (14.0, 14.4, 14.8)
    assert three.constraint_map["p2_fwhm"] == tied("p0_fwhm")   # the shared width covers the new peak
    assert rebuilt(w, model="gaussian").constraint_map == {"p1_fwhm": tied("p0_fwhm")}   # no eta any more


def test_series_failure_is_shown_not_raised(window, qtbot, monkeypatch):
    add_two_peak_window(window)
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[2]))

    def broken(*_args, **_kw):
        raise RuntimeError("solver exploded")
    monkeypatch.setattr(fit_controller, "fit_series", broken)
    with qtbot.waitSignal(window.fitting.series_done, timeout=JOB_TIMEOUT_MS) as done:
        window.fitting.fit_whole_series()
    assert done.args == ["failed"] and "solver exploded" in shown[0]
    assert window.session.fit_result is None


def test_fit_follows_a_background_subtracted_pattern(window, qtbot):
    add_two_peak_window(window)
    series = window.session.series
    background = np.full(series.intensity.shape, 100.0) + 0.5 * (series.x - 15.0)   # a known sloping background
    window.session.set_background(series, background, "test")
    window.session.set_subtract_background(True)
    fit = window.fitting.fit_current_scan()[0]
    x, y = window.fit_overlay.best_curves[0].getData()
    np.testing.assert_allclose(y, fit.best - (100.0 + 0.5 * (fit.x_deg - 15.0)), rtol=1e-9)   # drawn over what is shown
    assert fit.y == pytest.approx(series.intensity[0][(series.x >= WINDOW_DEG[0]) & (series.x <= WINDOW_DEG[1])])


def test_removing_windows_clears_their_drawing(window, qtbot):
    add_two_peak_window(window)
    window.fit_overlay.draw_window(18.0, 19.0)
    window.fitting.fit_current_scan()
    assert sorted(window.fit_overlay.best_curves) == [0, 1]
    window.fitting.select(0)
    qtbot.mouseClick(window.fit_panel.remove_button, Qt.MouseButton.LeftButton)
    assert [w.lo_deg for w in window.fitting.windows] == [18.0]
    assert window.fit_overlay.best_curves == {} and len(window.fit_overlay.regions) == 1
    assert window.fit_panel.window_list.count() == 1
