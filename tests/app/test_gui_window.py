"""The main window driven like a user: drop files, click rows, switch scaling, load echem, fail, cancel."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox
from PySide6.QtGui import QDragEnterEvent, QDropEvent

import analysis.readers
from analysis.cancel import Cancelled
from app.gui.main_window import MainWindow
from tests.conftest import drifting_peak_series

# the offscreen platform warns when a top-level window is shown; harmless, and not ours
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

N_SCANS, N_POINTS = 12, 400
F32_RTOL = 1e-6   # the map holds float32; a few float32 epsilons of relative error
LOAD_TIMEOUT_MS = 20000


def write_xy_folder(folder, series):
    """One two-column .xy file per scan (2θ in degrees, intensity), named so they sort in order,
    with a start time in the header so the reader recovers ``series.time_s``."""
    folder.mkdir()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i, row in enumerate(series.intensity):
        stamp = (start + timedelta(seconds=float(series.time_s[i]))).isoformat()
        header = f"start_time: {stamp}\nwavelength: {series.wavelength_A} A\n2theta_deg intensity"
        np.savetxt(folder / f"scan_{i:03d}.xy", np.column_stack([series.x, row]), fmt="%.8f", header=header)
    return folder


def drop(target, paths):
    """Drag file URLs onto ``target`` and drop them, as the OS would (Qt delivers a drop only
    to a widget that accepted the drag-enter). Returns the drop event."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    center = target.rect().center()
    QApplication.sendEvent(target, QDragEnterEvent(center, *args))
    event = QDropEvent(QPointF(center), *args)
    QApplication.sendEvent(target, event)
    return event


@pytest.fixture
def truth():
    series, _ = drifting_peak_series(n_scans=N_SCANS, n_points=N_POINTS)
    return series


@pytest.fixture
def window(main_window):
    return main_window()


@pytest.fixture
def loaded(window, qtbot, tmp_path, truth):
    folder = write_xy_folder(tmp_path / "scans", truth)
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        event = drop(window, [folder])
    assert event.isAccepted()
    return window


@pytest.fixture
def errors(monkeypatch):
    """Every critical message box the app tries to show, as (title, text); none is shown."""
    calls = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: calls.append((title, text)))
    return calls


def test_dropped_folder_fills_map_and_pattern(loaded, truth):
    window = loaded
    image = window.contour_view.image_item.image
    assert image.shape == (N_SCANS, N_POINTS)
    np.testing.assert_allclose(image, np.sqrt(truth.intensity), rtol=F32_RTOL)   # default scaling is sqrt
    x_range = window.contour_view.plot_item.viewRange()[0]
    assert x_range == pytest.approx([truth.x[0], truth.x[-1]], abs=1e-6)   # file holds 8 decimals
    # the pattern plot shares the map's x range through setXLink
    assert window.pattern_view.plot_item.viewRange()[0] == pytest.approx(x_range, abs=1e-9)
    x, y = window.pattern_view.curve.getData()
    np.testing.assert_allclose(x, truth.x, atol=1e-8)
    np.testing.assert_allclose(y, truth.intensity[0], atol=1e-8)
    assert f"{N_SCANS} scans" in window.status.scans_label.text()
    assert window.status.file_label.text() == "scans"


def _click_row(qtbot, window, scan):
    view = window.contour_view
    vb = view.plot_item.vb
    scene_point = vb.mapViewToScene(QPointF(float(np.mean(vb.viewRange()[0])), float(scan)))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene_point))


def test_clicking_a_row_shows_that_scan(loaded, qtbot, truth):
    window = loaded
    _click_row(qtbot, window, 7)
    qtbot.waitUntil(lambda: window.session.current_scan == 7, timeout=3000)
    np.testing.assert_allclose(window.pattern_view.curve.getData()[1], truth.intensity[7], atol=1e-8)
    assert window.contour_view.cursor.value() == pytest.approx(7.0)
    assert window.toolbar.scan_spin.value() == 7


def test_keys_and_spin_box_step_through_scans(loaded, qtbot, truth):
    window = loaded
    window.toolbar.scan_spin.setValue(4)
    assert window.session.current_scan == 4
    window.contour_view.setFocus()
    qtbot.keyClick(window.contour_view, Qt.Key.Key_Up)
    assert window.session.current_scan == 5
    qtbot.keyClick(window.contour_view, Qt.Key.Key_PageDown)
    assert window.session.current_scan == 0   # clamped at the first scan
    np.testing.assert_allclose(window.pattern_view.curve.getData()[1], truth.intensity[0], atol=1e-8)


@pytest.mark.parametrize("scaling, expected", [("linear", lambda i: i), ("log", np.log10)])
def test_scaling_combo_changes_image(loaded, truth, scaling, expected):
    window = loaded
    combo = window.toolbar.scaling_combo
    combo.setCurrentIndex(combo.findData(scaling))
    assert window.session.scaling == scaling
    np.testing.assert_allclose(window.contour_view.image_item.image, expected(truth.intensity), rtol=F32_RTOL)
    lo, hi = window.contour_view.image_item.getLevels()
    assert expected(truth.intensity.min()) <= lo < hi <= expected(truth.intensity.max()) + 1e-6


def test_time_axis_places_rows_in_hours(loaded, truth):
    window = loaded
    window.time_axis_action.trigger()
    assert window.session.y_axis == "time_h"
    rect = window.contour_view.image_item.mapRectToParent(window.contour_view.image_item.boundingRect())
    step_h = 60.0 / 3600.0   # the synthetic series has one scan a minute
    # each row spans its scan's acquisition: from its start to the next scan's start
    assert rect.top() == pytest.approx(0.0, abs=1e-12) and rect.bottom() == pytest.approx(N_SCANS * step_h)
    window.session.set_current_scan(3)
    assert window.contour_view.cursor.value() == pytest.approx(3.5 * step_h)   # mid-exposure
    assert "Time (h)" in window.status.axis_label.text()


def test_dropped_echem_csv_shows_voltage_sharing_y(loaded, qtbot, tmp_path, truth):
    window = loaded
    time_s = np.linspace(0.0, truth.time_s[-1], 200)
    voltage_V = 3.0 + time_s / truth.time_s[-1]   # a 3 → 4 V ramp over the series
    csv = tmp_path / "cell.csv"
    csv.write_text("time_s,voltage_V\n" + "".join(f"{t:.6f},{v:.6f}\n" for t, v in zip(time_s, voltage_V)))
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        drop(window, [csv])
    assert window.session.series is not None and window.session.echem is not None
    assert window.voltage_view.showing_plot
    v, y = window.voltage_view.curve.getData()
    np.testing.assert_allclose(v, voltage_V, atol=1e-6)
    # scans start every minute from t = 0, so mid-exposure of scan i is at 60 i + 30 s and
    # echem time t sits at scan index t / 60 - 0.5 (rows are centred on mid-exposure)
    np.testing.assert_allclose(y, time_s / 60.0 - 0.5, atol=1e-6)
    contour_vb, voltage_vb = window.contour_view.plot_item.vb, window.voltage_view.plot_item.vb
    assert voltage_vb.linkedView(voltage_vb.YAxis) is contour_vb
    assert voltage_vb.viewRange()[1] == pytest.approx(contour_vb.viewRange()[1])
    window.session.set_current_scan(6)
    mx, my = window.voltage_view.marker.getData()
    # voltage at mid-scan (t = 6.5 min) of the ramp
    assert mx[0] == pytest.approx(3.0 + 6.5 * 60.0 / truth.time_s[-1], abs=1e-5) and my[0] == 6.0


def test_lone_pattern_csv_with_series_open_becomes_new_series(loaded, qtbot, tmp_path, errors):
    window = loaded
    csv = tmp_path / "single.csv"
    x = np.linspace(5.0, 25.0, 101)
    np.savetxt(csv, np.column_stack([x, 10 + x]), delimiter=",", header="2theta,intensity", comments="# ")
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        drop(window, [csv])
    assert errors == []
    assert window.session.series.n_scans == 1 and window.session.series.x[0] == pytest.approx(5.0)


def test_bad_file_shows_error_and_keeps_series(loaded, qtbot, tmp_path, errors):
    window = loaded
    before = window.session.series
    bad = tmp_path / "broken_scan.xy"
    bad.write_text("this is not a diffraction pattern\nat all\n")
    with qtbot.waitSignal(window.loader.failed, timeout=LOAD_TIMEOUT_MS):
        drop(window, [bad])
    assert len(errors) == 1
    title, text = errors[0]
    assert "broken_scan.xy" in text and "Traceback" not in text
    assert window.session.series is before
    assert window.contour_view.image_item.image.shape == (N_SCANS, N_POINTS)


def test_cancelling_a_load_keeps_previous_series(loaded, qtbot, monkeypatch, tmp_path, errors):
    window = loaded
    before = window.session.series
    started = threading.Event()

    def slow_load(path, *, progress=None, cancel=None):
        started.set()
        for i in range(2000):
            cancel.raise_if_cancelled()
            progress(i, 2000)
            threading.Event().wait(0.005)
        raise AssertionError("the load was never cancelled")

    monkeypatch.setattr(analysis.readers, "load_series", slow_load)
    window.open_paths([tmp_path / "scans"])
    assert started.wait(5.0)
    qtbot.waitUntil(window.status.cancel_button.isVisible, timeout=3000)
    with qtbot.waitSignal(window.loader.cancelled, timeout=LOAD_TIMEOUT_MS):
        qtbot.mouseClick(window.status.cancel_button, Qt.MouseButton.LeftButton)
    assert window.session.series is before and errors == []
    qtbot.waitUntil(lambda: not window.status.cancel_button.isVisible(), timeout=3000)


def test_display_settings_persist(qtbot, tmp_path):
    path = str(tmp_path / "settings.ini")
    first = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.session.set_colormap("magma")
    first.session.set_scaling("log")
    first.close()
    second = MainWindow(settings=QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert (second.session.colormap, second.session.scaling) == ("magma", "log")
    assert second.toolbar.colormap_combo.currentData() == "magma"


def test_notes_reach_the_user_and_drops_work_on_child_views(window, qtbot, tmp_path, truth):
    folder = write_xy_folder(tmp_path / "with_readme", truth)
    (folder / "README.txt").write_text("beamtime notes, not a pattern\n")
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        drop(window.pattern_view.viewport(), [folder])   # a drop on a child view reaches the window
    notes = window.session.series.notes
    assert any("README.txt" in note for note in notes)
    assert window.status.notes_label.text().startswith(f"⚠ {len(notes)} note")
    assert "README.txt" in window.status.currentMessage()
    assert "README.txt" in window.info_view.text_of("Notes")


def test_map_pixels_follow_the_peak(loaded, truth):
    """Screenshot check: on the rendered map, the drifting peak is brighter than the background
    at its known position in the first and the last scan."""
    window = loaded
    view = window.contour_view
    window.session.set_colormap("grey")      # brightness = level on a grey map
    image = view.grab().toImage()
    vb = view.plot_item.vb
    _, centers = drifting_peak_series(n_scans=N_SCANS, n_points=N_POINTS)

    def brightness(x_deg, scan):
        point = view.mapFromScene(vb.mapViewToScene(QPointF(x_deg, float(scan))))
        return image.pixelColor(point).lightness()

    for scan in (1, N_SCANS - 2):   # rows away from the cursor line
        on_peak = brightness(centers[scan], scan)
        off_peak = brightness(centers[scan] - 2.0, scan)   # 10 FWHM away: background only
        assert on_peak > off_peak + 100   # of 255 grey levels: a clearly bright streak on a dark map


def _write_echem_csv(path, time_s, voltage_V):
    path.write_text("time_s,voltage_V\n" + "".join(f"{t:.6f},{v:.6f}\n" for t, v in zip(time_s, voltage_V)))
    return path


def test_folder_and_csv_dropped_together_on_empty_window(window, qtbot, tmp_path, truth):
    folder = write_xy_folder(tmp_path / "scans", truth)
    csv = _write_echem_csv(tmp_path / "cell.csv", [0.0, 600.0], [3.0, 4.0])
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        drop(window, [folder, csv])
    assert window.session.series.n_scans == N_SCANS
    np.testing.assert_allclose(window.session.echem.voltage_V, [3.0, 4.0])
    assert window.voltage_view.showing_plot


def test_echem_without_overlap_or_series_explains_itself(window, qtbot, tmp_path, truth):
    csv = _write_echem_csv(tmp_path / "cell.csv", [0.0, 600.0], [3.0, 4.0])
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        window.open_echem(str(csv))
    assert not window.voltage_view.showing_plot and "Open a pattern series" in window.voltage_view.hint.text()
    window.session.set_series(truth, "synthetic")
    assert window.voltage_view.showing_plot
    window.session.set_clock_offset_s(1e6)   # shifts the record far past the scans
    assert not window.voltage_view.showing_plot and "does not overlap" in window.voltage_view.hint.text()


def test_bad_echem_file_names_the_file(loaded, qtbot, tmp_path, errors):
    window = loaded
    bad = tmp_path / "no_voltage.csv"
    bad.write_text("time_s,temperature_C\n0,25\n1,25\n")
    with qtbot.waitSignal(window.loader.failed, timeout=LOAD_TIMEOUT_MS):
        window.open_echem(str(bad))
    assert len(errors) == 1 and "no_voltage.csv" in errors[0][1]
    assert window.session.echem is None and window.session.series is not None


def test_voltage_panel_is_as_tall_as_the_map(main_window, qtbot):
    # the two are y-linked and pyqtgraph aligns linked views on screen: a shorter voltage panel
    # would hide the first scans' part of the curve and their events
    first = main_window()
    first.left_splitter.setSizes([700, 100])   # a layout the user left, saved and restored below
    first.save_settings()
    window = main_window()
    for size in (None, (1600, 1000), (1200, 760)):
        if size:
            window.resize(*size)
        qtbot.waitUntil(lambda: window.voltage_view.height() == window.contour_view.height(), timeout=2000)
        assert window.right_splitter.sizes() == window.left_splitter.sizes()
