"""A load that finished just before Cancel (its success already queued) leaves the session as it was."""

import threading

import pytest

import analysis.readers
from tests.conftest import drifting_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

WAIT_MS = 20000


def test_success_queued_before_cancel_is_not_applied(main_window, qtbot, monkeypatch, tmp_path):
    window = main_window()
    before, _ = drifting_peak_series(n_scans=3, n_points=50)
    window.session.set_series(before, "before")
    late, _ = drifting_peak_series(n_scans=5, n_points=60)
    release = threading.Event()

    def gated_load(path, *, progress=None, cancel=None):
        assert release.wait(WAIT_MS / 1000)
        return late

    monkeypatch.setattr(analysis.readers, "load_series", gated_load)
    loaded = []
    window.loader.loaded.connect(loaded.append)
    window.open_paths([tmp_path / "scans"])
    release.set()
    # the job ends on its pool thread; its queued signals wait for this (GUI) thread's event loop
    assert window.runner._pool.waitForDone(WAIT_MS)
    with qtbot.waitSignal(window.loader.cancelled, timeout=WAIT_MS):
        window.loader.cancel()
    assert window.session.series is before and loaded == []


def test_a_load_that_is_not_cancelled_is_applied(main_window, qtbot, monkeypatch, tmp_path):
    window = main_window()
    late, _ = drifting_peak_series(n_scans=5, n_points=60)
    monkeypatch.setattr(analysis.readers, "load_series", lambda path, *, progress=None, cancel=None: late)
    with qtbot.waitSignal(window.loader.loaded, timeout=WAIT_MS):
        window.open_paths([tmp_path / "scans"])
    assert window.session.series is late
