"""``run_gui``: opens the given paths (and electrochemistry) in a window and runs the event loop."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.gui import application
from app.gui.main_window import MainWindow
from tests.app.test_gui_window import write_xy_folder
from tests.conftest import drifting_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def test_run_gui_opens_series_and_echem_then_returns_exit_code(qtbot, tmp_path, monkeypatch):
    series, _ = drifting_peak_series(n_scans=8, n_points=200)
    folder = write_xy_folder(tmp_path / "scans", series)
    csv = tmp_path / "cell.csv"
    csv.write_text("time_s,voltage_V\n" + "".join(f"{t},{3.0 + t / 1000}\n" for t in range(0, 430, 10)))   # within the scans (0–420 s)
    settings_path = str(tmp_path / "settings.ini")
    monkeypatch.setattr(application, "MainWindow",
                        lambda: MainWindow(settings=QSettings(settings_path, QSettings.Format.IniFormat)))
    themed = []
    monkeypatch.setattr(application, "apply_theme", themed.append)   # keep the test app's style unchanged
    seen = {}

    def finish_when_loaded():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        win = windows[0] if windows else None
        if win is None or win.session.series is None or win.session.echem is None:
            QTimer.singleShot(20, finish_when_loaded)
            return
        seen["shape"] = win.session.series.intensity.shape
        seen["visible"] = win.isVisible()
        seen["voltage"] = win.voltage_view.curve.getData()[0]
        seen["window"] = win
        QApplication.instance().exit(3)

    app = QApplication.instance()
    # closing the last window inside exec() would leave a posted Quit event that ends the
    # event loops of later tests; close it after exec() has returned, with auto-quit off
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    QTimer.singleShot(0, finish_when_loaded)
    try:
        assert application.run_gui([str(folder)], str(csv)) == 3
    finally:
        if "window" in seen:
            seen["window"].close()
        app.setQuitOnLastWindowClosed(quit_on_close)
    assert seen["shape"] == (8, 200) and seen["visible"]
    np.testing.assert_allclose(seen["voltage"], 3.0 + np.arange(0, 430, 10) / 1000)
    assert themed == [QApplication.instance()]


def test_unexpected_gui_error_reaches_a_dialog_and_the_hook_is_restored(monkeypatch):
    import sys

    from app.gui import application

    shown, printed = [], []
    monkeypatch.setattr(application, "show_error", lambda parent, message, title="": shown.append((title, message)))
    monkeypatch.setattr(sys, "excepthook", lambda *exc_info: printed.append(exc_info[1]))
    before = sys.excepthook
    previous = application.install_exception_dialog(window=None)
    try:
        try:
            raise RuntimeError("plot went away")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = previous
    assert previous is before
    assert len(printed) == 1  # the previous hook still prints the traceback
    assert len(shown) == 1 and "RuntimeError: plot went away" in shown[0][1]
