"""Shared GUI fixtures: a main window with throwaway settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from app.gui.main_window import MainWindow

DEFAULT_JOB_TIMEOUT_MS = 5000


@pytest.fixture
def main_window(qtbot, tmp_path):
    """A factory ``main_window(job_timeout_ms=5000) -> MainWindow``: a window whose QSettings live in
    ``tmp_path/settings.ini``, registered with qtbot, resized to 1400×900 and shown. At teardown each
    window made cancels its runner's jobs and waits up to ``job_timeout_ms`` for them to end."""
    made = []

    def make(job_timeout_ms: int = DEFAULT_JOB_TIMEOUT_MS) -> MainWindow:
        win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(win)
        win.resize(1400, 900)
        win.show()
        made.append((win, job_timeout_ms))
        return win

    yield make
    for win, job_timeout_ms in made:
        win.runner.wait_all(job_timeout_ms)
