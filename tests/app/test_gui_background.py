"""View → Subtract background: the map and pattern show raw − background; the series stays raw."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

import app.gui.background_controls as background_controls
from analysis.background import AnchorPolynomialBackground, ArplsBackground, SnipBackground
from analysis.cancel import check
from analysis.series import ScanSeries
from app.gui.background_controls import BackgroundDialog
from tests.conftest import gaussian

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

N_SCANS, N_POINTS = 8, 1001
NOISE = 2.0            # Gaussian noise σ, counts
PEAKS_DEG = (15.0, 25.0, 41.0, 52.0)
PEAK_FREE_DEG = (30.0, 37.0)
JOB_TIMEOUT_MS = 30000


def smooth_background(x):
    """A curved, slowly varying background: 150 counts at 35°, a slope and a bowl (order-2 polynomial)."""
    return 150.0 + 2.0 * (x - 35.0) + 0.05 * (x - 35.0) ** 2


def peaks_on_background(seed=1):
    rng = np.random.default_rng(seed)
    x = np.linspace(10.0, 60.0, N_POINTS)
    rows = []
    for i in range(N_SCANS):
        peaks = sum(gaussian(x, c + 0.02 * i, 0.25, 60.0) for c in PEAKS_DEG)   # ~225 counts high
        rows.append(smooth_background(x) + peaks + rng.normal(0.0, NOISE, x.size))
    return ScanSeries(x=x, intensity=np.array(rows), time_s=60.0 * np.arange(N_SCANS), wavelength_A=1.5406,
                      source=tuple(f"s{i}" for i in range(N_SCANS)), layout="synthetic")


@pytest.fixture
def window(main_window):
    win = main_window()
    win.session.set_scaling("linear")   # the image then holds the intensities themselves (as float32)
    win.session.set_series(peaks_on_background(), "synthetic")
    return win


def peak_free(x):
    return (x > PEAK_FREE_DEG[0]) & (x < PEAK_FREE_DEG[1])


def toggle_and_wait(qtbot, window, on=True):
    with qtbot.waitSignal(window.background.computed, timeout=JOB_TIMEOUT_MS):
        window.background.toggle_action.setChecked(on)


def test_toggle_removes_background_from_map_and_back(window, qtbot):
    series = window.session.series
    raw_image = window.contour_view.image_item.image.copy()
    quiet = peak_free(series.x)
    assert np.median(raw_image[:, quiet]) == pytest.approx(np.median(smooth_background(series.x[quiet])), abs=3 * NOISE)
    toggle_and_wait(qtbot, window)
    image = window.contour_view.image_item.image
    assert image.shape == (N_SCANS, N_POINTS)
    # the default SNIP smooths over 7 points before clipping, so it follows the middle of the noise,
    # not its lower envelope: the median residual over ~1,100 peak-free pixels is well inside σ / 2
    assert abs(np.median(image[:, quiet])) < 0.5 * NOISE
    # the peaks survive: at the first peak the subtracted height is the Gaussian's (60 / (0.25·1.0645)
    # = 225.5 counts) within 3 % (one noise σ is ~1 %, and SNIP may bite the peak base slightly)
    at_peak = np.argmin(np.abs(series.x - PEAKS_DEG[0]))
    assert image[0, at_peak] == pytest.approx(225.5, rel=0.03)
    assert window.session.series is series   # the data are untouched
    np.testing.assert_array_equal(series.intensity, peaks_on_background().intensity)
    window.background.toggle_action.setChecked(False)
    np.testing.assert_array_equal(window.contour_view.image_item.image, raw_image)


def test_pattern_shows_subtracted_when_on_and_background_curve_when_off(window, qtbot):
    toggle_and_wait(qtbot, window)
    session, view = window.session, window.pattern_view
    session.set_current_scan(3)
    x, y = view.curve.getData()
    np.testing.assert_allclose(y, session.series.intensity[3] - session.background[3])
    assert view.background_curve.getData()[0] is None or len(view.background_curve.getData()[0]) == 0
    assert "background subtracted" in view.plot_item.titleLabel.text
    window.background.toggle_action.setChecked(False)
    _, y = view.curve.getData()
    np.testing.assert_array_equal(y, session.series.intensity[3])
    _, bg = view.background_curve.getData()
    np.testing.assert_array_equal(bg, session.background[3])
    # away from the peaks the drawn background is the known smooth curve within one noise σ
    # (the 7-point smoothing leaves σ/√7 ≈ 0.8 counts of scatter)
    quiet = peak_free(session.series.x)
    assert np.max(np.abs(bg[quiet] - smooth_background(session.series.x[quiet]))) < NOISE


def test_anchor_polynomial_recovers_known_background(window, qtbot):
    windows = ((10.5, 13.0), (30.0, 37.0), (56.0, 59.5))
    with qtbot.waitSignal(window.background.computed, timeout=JOB_TIMEOUT_MS):
        window.background.set_method(AnchorPolynomialBackground(anchors_x=windows, order=2))
        window.background.toggle_action.setChecked(True)
    x = window.session.series.x
    # an order-2 least-squares fit through ~180 points of σ = 2 noise: the curve is good to ~1 count;
    # 3 counts leaves room for the extrapolation between anchors
    np.testing.assert_allclose(window.session.background[0], smooth_background(x), atol=3.0)
    assert abs(np.median(window.contour_view.image_item.image[:, peak_free(x)])) < NOISE


def test_new_series_while_on_is_subtracted_too(window, qtbot):
    toggle_and_wait(qtbot, window)
    shifted = peaks_on_background(seed=2)
    shifted = shifted.with_intensity(shifted.intensity + 100.0)
    with qtbot.waitSignal(window.background.computed, timeout=JOB_TIMEOUT_MS):
        window.session.set_series(shifted, "shifted")
    assert window.session.has_background()
    assert abs(np.median(window.contour_view.image_item.image[:, peak_free(shifted.x)])) < 0.5 * NOISE


def test_cancel_keeps_raw_map_and_unchecks(window, qtbot, monkeypatch):
    started, release = threading.Event(), threading.Event()

    def slow_stack(series, method, progress=None, cancel=None):
        started.set()
        release.wait(10)
        check(cancel)
        return np.zeros(series.intensity.shape)
    monkeypatch.setattr(background_controls, "background_stack", slow_stack)
    raw_image = window.contour_view.image_item.image.copy()
    window.background.toggle_action.setChecked(True)
    assert started.wait(10)
    assert window.status.cancel_button.isVisible()   # busy: progress bar and Cancel in the status bar
    with qtbot.waitSignal(window.runner.busy_changed, timeout=JOB_TIMEOUT_MS):
        window.status.cancel_button.click()
    release.set()
    qtbot.waitUntil(lambda: not window.background.toggle_action.isChecked(), timeout=JOB_TIMEOUT_MS)
    assert not window.session.has_background()
    np.testing.assert_array_equal(window.contour_view.image_item.image, raw_image)


def test_failure_reaches_error_dialog(window, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda _p, title, text: shown.append((title, text))))

    def broken(series, method, progress=None, cancel=None):
        raise ValueError("the anchor windows hold 1 points; a polynomial of order 2 needs at least 3")
    monkeypatch.setattr(background_controls, "background_stack", broken)
    window.background.toggle_action.setChecked(True)
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=JOB_TIMEOUT_MS)
    title, text = shown[0]
    assert title == "Background failed" and "anchor windows" in text and "Traceback" not in text
    assert not window.background.toggle_action.isChecked()


def test_parse_anchors():
    assert background_controls.parse_anchors("10-12, 33.5-35; 70–72") == ((10, 12), (33.5, 35), (70, 72))
    with pytest.raises(ValueError, match="10:12"):
        background_controls.parse_anchors("10:12")


def test_method_dialog_builds_what_it_shows(qtbot):
    dialog = BackgroundDialog(SnipBackground(max_half_window_x=1.5, smooth_half_window=2), "°")
    qtbot.addWidget(dialog)
    assert dialog.method() == SnipBackground(max_half_window_x=1.5, smooth_half_window=2)
    dialog.kind.setCurrentIndex(dialog.kind.findData("arpls"))
    assert dialog.method() == ArplsBackground()
    dialog.kind.setCurrentIndex(dialog.kind.findData("anchors"))
    dialog.anchors.setText("10-12, 30-37")
    dialog.order.setValue(1)
    assert dialog.method() == AnchorPolynomialBackground(anchors_x=((10, 12), (30, 37)), order=1)
    dialog.anchors.setText("10:12")
    dialog._on_ok()
    assert "10:12" in dialog.error_label.text() and dialog.result() != dialog.DialogCode.Accepted
