"""File → Export driven through the menu actions with the save dialog patched; every file is read back."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

import app.gui.export_controller as export_controller
from analysis.echem import EchemData
from analysis.events import Event
from analysis.export import read_events_csv, read_events_json, read_matrix_csv
from app.gui.export_controller import EVENTS_FORMATS, MATRIX_ROWS, NEXUS_FILTER
from app.gui.main_window import MainWindow
from tests.conftest import drifting_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

N_SCANS, N_POINTS = 12, 400
RAMP_END_S = 800.0   # echem record 0..800 s covers every mid-scan time (60 i + 30 s, i < 12)
WRITE_TIMEOUT_MS = 20000
EVENTS = (Event(scan=3, end_scan=5, label="P2 → O2", from_phases="P2", to_phases="O2", kind="two-phase",
                source="auto", note="detected, then reviewed", confidence=0.8125),
          Event(scan=9, end_scan=9, label="mark, with comma", note='a "quoted" note'))


def ramp_echem() -> EchemData:
    """3 V at t = 0 rising 1 V per RAMP_END_S, with a constant 0.1 mA current."""
    t = np.linspace(0.0, RAMP_END_S, 401)
    return EchemData(time_s=t, voltage_V=3.0 + t / RAMP_END_S, current_mA=np.full(t.size, 0.1),
                     capacity_mAh=None, start_epoch_s=None, source="synthetic")


def hand_voltage(scan: int, offset_s: float = 0.0) -> float:
    """The ramp at scan ``scan``'s mid-exposure (60 scan + 30 s on the series clock), echem clock
    shifted by ``offset_s``; NaN outside the record."""
    t_s = 60.0 * scan + 30.0 - offset_s
    return 3.0 + t_s / RAMP_END_S if 0.0 <= t_s <= RAMP_END_S else float("nan")


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    series, _ = drifting_peak_series(n_scans=N_SCANS, n_points=N_POINTS)
    win.session.set_series(series, "synthetic")
    win.session.set_echem(ramp_echem(), "ramp.csv")
    yield win
    win.runner.wait_all()
    # take the events (and their overlay lines) away while the plots still exist: event-band lines
    # left in a scene that is torn down later crash pyqtgraph (boundingRect without a view box)
    win.session.events.reset()


@pytest.fixture
def save_as(monkeypatch):
    """Make the save dialog answer (path, chosen filter); returns a setter."""
    answer = {}

    def fake(_parent, _title, _folder, filters):
        assert answer["filter"] in filters.split(";;")   # the offered choices include the one "picked"
        return answer["path"], answer["filter"]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))

    def set_answer(path, chosen):
        answer.update(path=str(path), filter=chosen)
    return set_answer


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda _p, title, text: shown.append((title, text))))
    return shown


def trigger_and_wait(qtbot, window, action):
    with qtbot.waitSignal(window.exports.exported, timeout=WRITE_TIMEOUT_MS) as blocker:
        action.trigger()
    return blocker.args[0]


def test_menu_lists_exports_under_file(window):
    file_menu = window.menuBar().actions()[0].menu()
    export_menu = next(a.menu() for a in file_menu.actions() if a.menu() is not None)
    texts = [a.text() for a in export_menu.actions()]
    # other exports (peak fits …) may follow these four
    assert texts[:4] == ["&Figure…", "Map as &matrix CSV…", "Series as &NeXus HDF5…", "&Events as CSV / JSON…"]


def test_matrix_csv_with_time_rows_reads_back_as_the_series(window, qtbot, tmp_path, save_as):
    save_as(tmp_path / "map", next(f for f, rows in MATRIX_ROWS.items() if rows == "time_h"))
    path = trigger_and_wait(qtbot, window, window.exports.matrix_action)
    assert path == str(tmp_path / "map.csv")   # the suffix is added to a bare name
    corner, x, rows, intensity = read_matrix_csv(path)
    series = window.session.series
    assert corner == "time_h \\ two_theta_deg"
    # floats are written with repr, so the round trip is exact
    np.testing.assert_array_equal(x, series.x)
    np.testing.assert_array_equal(rows, series.time_s / 3600.0)
    np.testing.assert_array_equal(intensity, series.intensity)


def test_matrix_csv_with_voltage_rows_follows_clock_offset(window, qtbot, tmp_path, save_as):
    window.session.set_clock_offset_s(-120.0)
    save_as(tmp_path / "map_v.csv", next(f for f, rows in MATRIX_ROWS.items() if rows == "voltage"))
    path = trigger_and_wait(qtbot, window, window.exports.matrix_action)
    corner, _x, rows, intensity = read_matrix_csv(path)
    assert corner == "voltage_V \\ two_theta_deg"
    expected = [hand_voltage(i, offset_s=-120.0) for i in range(N_SCANS)]
    assert np.isnan(expected[-1])   # the last scan (810 s on the echem clock) is past the record
    np.testing.assert_allclose(rows, expected, rtol=0, atol=1e-12)   # linear interpolation of a line: exact to rounding
    np.testing.assert_array_equal(intensity, window.session.series.intensity)


def test_nexus_export_holds_map_axes_and_voltage(window, qtbot, tmp_path, save_as):
    save_as(tmp_path / "series.nxs", NEXUS_FILTER)
    path = trigger_and_wait(qtbot, window, window.exports.nexus_action)
    series = window.session.series
    with h5py.File(path, "r") as fh:
        assert fh.attrs["default"] == "entry" and fh["entry"].attrs["default"] == "map"
        data = fh["entry/map"]
        assert data.attrs["NX_class"] == "NXdata" and data.attrs["signal"] == "intensity"
        assert list(data.attrs["axes"]) == ["time", "two_theta"]
        np.testing.assert_array_equal(data["intensity"][()], series.intensity)
        np.testing.assert_array_equal(data["two_theta"][()], series.x)
        assert data["two_theta"].attrs["units"] == "deg"
        np.testing.assert_array_equal(data["time"][()], series.time_s)
        np.testing.assert_allclose(data["voltage"][()], [hand_voltage(i) for i in range(N_SCANS)], rtol=0, atol=1e-12)
        assert fh["entry/instrument/monochromator/wavelength"][()] == pytest.approx(series.wavelength_A)


@pytest.mark.parametrize("chosen", list(EVENTS_FORMATS))
def test_events_round_trip(window, qtbot, tmp_path, save_as, chosen):
    assert not window.exports.events_action.isEnabled()
    for event in EVENTS:
        window.session.events.add(event)
    assert window.exports.events_action.isEnabled()   # follows the store's events_changed
    save_as(tmp_path / "events", chosen)
    path = trigger_and_wait(qtbot, window, window.exports.events_action)
    reader = read_events_json if path.endswith(".json") else read_events_csv
    assert path.endswith(EVENTS_FORMATS[chosen])
    assert tuple(reader(path)) == EVENTS


def test_events_from_a_store_object(window, monkeypatch):
    class Store:   # the shape of the undoable event store: events() returns the events in order
        def events(self):
            return EVENTS
    monkeypatch.setattr(window.session, "events", Store(), raising=False)
    assert export_controller.session_events(window.session) == EVENTS


def test_events_action_disabled_without_events(window):
    window.exports.menu.aboutToShow.emit()
    assert not window.exports.events_action.isEnabled()
    assert window.exports.matrix_action.isEnabled()


def test_unwritable_path_shows_error_dialog_not_traceback(window, qtbot, tmp_path, save_as, errors):
    missing = tmp_path / "no_such_folder" / "map.csv"
    save_as(missing, next(iter(MATRIX_ROWS)))
    with qtbot.waitSignal(window.exports.failed, timeout=WRITE_TIMEOUT_MS):
        window.exports.matrix_action.trigger()
    assert len(errors) == 1
    title, text = errors[0]
    assert title == "Export failed" and str(missing) in text and "Traceback" not in text
    assert not missing.exists()


def test_voltage_rows_without_echem_is_an_error(window, tmp_path, save_as, errors):
    window.session.set_echem(None)
    save_as(tmp_path / "map.csv", next(f for f, rows in MATRIX_ROWS.items() if rows == "voltage"))
    window.exports.matrix_action.trigger()
    assert len(errors) == 1 and "no electrochemistry" in errors[0][1]
    assert not (tmp_path / "map.csv").exists()


def test_cancelled_save_dialog_writes_nothing(window, tmp_path, save_as, errors):
    save_as("", NEXUS_FILTER)
    window.exports.nexus_action.trigger()
    assert errors == [] and not list(tmp_path.rglob("*.nxs"))


def test_figure_dialog_gets_series_voltage_x_and_events(window, monkeypatch):
    opened = {}

    class FakeDialog:
        def __init__(self, series, voltage=None, events=(), *, na_x=None, parent=None):
            opened.update(series=series, voltage=voltage, events=events, na_x=na_x)
            self.exported = type("S", (), {"connect": lambda self, slot: None})()

        def show(self):
            opened["shown"] = True

    monkeypatch.setattr(export_controller, "FigureDialog", FakeDialog)
    for event in EVENTS:
        window.session.events.add(event)
    window.session.set_clock_offset_s(60.0)
    window.exports.figure_action.trigger()
    assert opened["shown"] and opened["series"] is window.session.series
    np.testing.assert_allclose(opened["voltage"], [hand_voltage(i, offset_s=60.0) for i in range(N_SCANS)],
                               rtol=0, atol=1e-12)
    assert opened["events"] == EVENTS and opened["na_x"] is None   # no Na parameters set


def test_real_figure_dialog_opens(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("OPERANDO_XRD_CONFIG", str(tmp_path / "config"))   # presets go to a scratch folder
    dialog = window.exports.export_figure()
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    dialog.close()
