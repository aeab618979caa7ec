"""Electrochemistry toolbar: clock offset re-aligns the voltage panel; Na content x replaces V."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from analysis.echem import EchemData
from app.gui.echem_controls import SodiumDialog, format_offset, parse_offset
from app.gui.main_window import MainWindow
from tests.conftest import drifting_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

N_SCANS, N_POINTS = 12, 200
RAMP_END_S = 800.0
CURRENT_MA = 0.1
FARADAY = 96485.33212   # C/mol, CODATA 2018 (exact in SI)
MASS_G, MOLAR_MASS, X0 = 0.005, 100.0, 0.85


def ramp_echem(current=True) -> EchemData:
    t = np.linspace(0.0, RAMP_END_S, 401)
    return EchemData(time_s=t, voltage_V=3.0 + t / RAMP_END_S,
                     current_mA=np.full(t.size, CURRENT_MA) if current else None,
                     capacity_mAh=None, start_epoch_s=None, source="ramp.csv")


@pytest.fixture
def window(main_window):
    win = main_window()
    series, _ = drifting_peak_series(n_scans=N_SCANS, n_points=N_POINTS)
    win.session.set_series(series, "synthetic")
    win.session.set_echem(ramp_echem(), "ramp.csv")
    return win


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda _p, title, text: shown.append((title, text))))
    return shown


def accept_sodium_dialog(monkeypatch, mass_g=MASS_G, molar_mass=MOLAR_MASS, x0=X0):
    def fake_exec(dialog):
        dialog.mass_mg.setValue(mass_g * 1000.0)
        dialog.molar_mass.setValue(molar_mass)
        dialog.x0.setValue(x0)
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(SodiumDialog, "exec", fake_exec)


@pytest.mark.parametrize("seconds, text", [(-3600.0, "-1:00:00"), (90.5, "+0:01:30.5"), (0.0, "+0:00:00"),
                                           (5400.0, "+1:30:00"), (-59.9, "-0:00:59.9")])
def test_offset_text_round_trip(seconds, text):
    assert format_offset(seconds) == text
    assert parse_offset(text) == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize("text, seconds", [("-1", -3600.0), ("-1:30", -5400.0), ("2:00:05", 7205.0)])
def test_offset_shorthands(text, seconds):
    assert parse_offset(text) == seconds


@pytest.mark.parametrize("text", ["", "+", "abc", "1:xx"])
def test_offset_unreadable(text):
    assert parse_offset(text) is None


def test_offset_spin_moves_voltage_marker_to_hand_value(window, qtbot):
    window.session.set_current_scan(6)
    mx, _ = window.voltage_view.marker.getData()
    assert mx[0] == pytest.approx(3.0 + 390.0 / RAMP_END_S, abs=1e-12)   # scan 6 at mid-exposure 390 s
    spin = window.echem_toolbar.offset_spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "-0:02:00")
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    assert window.session.clock_offset_s == -120.0
    # offset -120 s: echem time = scan time + 120 s, so scan 6 reads the ramp at 510 s
    mx, my = window.voltage_view.marker.getData()
    assert mx[0] == pytest.approx(3.0 + 510.0 / RAMP_END_S, abs=1e-12) and my[0] == 6.0
    assert window.session.voltage_at_scans()[6] == pytest.approx(3.0 + 510.0 / RAMP_END_S, abs=1e-12)
    # the curve moves by the same 2 minutes: echem t = 0 now sits at series time -120 s, before the
    # map's first row (which starts at 0 s, scan -0.5), so the first drawn sample is echem t = 120 s
    v, y = window.voltage_view.curve.getData()
    assert v[0] == pytest.approx(3.0 + 120.0 / RAMP_END_S, abs=1e-12)   # echem samples every 2 s
    assert y[0] == pytest.approx(-0.5, abs=1e-9)


def test_session_change_updates_spin(window):
    window.session.set_clock_offset_s(3723.0)
    assert window.echem_toolbar.offset_spin.text() == "+1:02:03"


def test_sodium_dialog_shows_x_in_voltage_panel(window, monkeypatch):
    accept_sodium_dialog(monkeypatch)
    window.session.set_current_scan(6)
    assert window.echem_toolbar.ask_sodium() is not None
    assert window.session.shown_echem_quantity() == "x"
    assert window.voltage_view.plot_item.getAxis("bottom").labelText == "Na content x"
    # constant 0.1 mA for 390 s -> Q = 0.1·390/3600 mAh; Δx = 3.6 Q M / (F m)
    charge_mAh = CURRENT_MA * 390.0 / 3600.0
    x_hand = X0 - 3.6 * charge_mAh * MOLAR_MASS / (FARADAY * MASS_G)
    mx, _ = window.voltage_view.marker.getData()
    assert mx[0] == pytest.approx(x_hand, abs=1e-12)
    assert f"x = {x_hand:.3f}" in window.pattern_view.plot_item.titleLabel.text
    v, _ = window.voltage_view.curve.getData()
    assert v[0] == pytest.approx(X0, abs=1e-12)   # no charge passed at the first echem point
    combo = window.echem_toolbar.quantity_combo
    combo.setCurrentIndex(combo.findData("voltage"))
    mx, _ = window.voltage_view.marker.getData()
    assert mx[0] == pytest.approx(3.0 + 390.0 / RAMP_END_S, abs=1e-12)


def test_sodium_follows_clock_offset(window, monkeypatch):
    accept_sodium_dialog(monkeypatch)
    window.echem_toolbar.ask_sodium()
    window.session.set_clock_offset_s(-120.0)
    x = window.session.sodium_at_scans()
    charge_mAh = CURRENT_MA * (60.0 * 3 + 30.0 + 120.0) / 3600.0
    assert x[3] == pytest.approx(X0 - 3.6 * charge_mAh * MOLAR_MASS / (FARADAY * MASS_G), abs=1e-12)


def test_sodium_without_current_is_refused_with_message(window, monkeypatch, errors):
    window.session.set_echem(ramp_echem(current=False), "no_current.csv")
    accept_sodium_dialog(monkeypatch)
    assert window.echem_toolbar.ask_sodium() is None
    assert len(errors) == 1 and errors[0][0] == "Na content"
    assert "ramp.csv" in errors[0][1] and "current" in errors[0][1] and "Traceback" not in errors[0][1]
    assert window.session.sodium is None and window.session.shown_echem_quantity() == "voltage"
    combo = window.echem_toolbar.quantity_combo
    assert not combo.model().item(combo.findData("x")).isEnabled()


def test_controls_disabled_without_echem(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    bar = win.echem_toolbar
    assert not bar.offset_spin.isEnabled() and not bar.sodium_action.isEnabled()
    win.session.set_echem(ramp_echem(), "ramp.csv")
    assert bar.offset_spin.isEnabled() and bar.sodium_action.isEnabled()
