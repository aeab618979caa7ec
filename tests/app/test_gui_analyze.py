"""Analyze in the window: a background run on a simulated series with known truth fills the event
store (auto events near the true onsets, manual and reviewed events kept), the sequence label and
the session's result; a cancelled run keeps the previous result."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from analysis.events import Event
from app.gui.main_window import MainWindow
from tests.app.phase_analysis_factory import SETTINGS, analysed, simulated

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")
RUN_TIMEOUT_MS = 600_000   # a generous ceiling for a loaded 2-core machine, not a speed claim
ONSET_TOLERANCE_SCANS = 3  # the acceptance: onsets within 3 scans of the truth


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("OPERANDO_XRD_CONFIG", str(tmp_path / "config"))
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    sim = simulated()
    win.session.set_series(sim.series, "simulated")
    win.session.set_echem(sim.echem, "simulated")
    yield win
    win.runner.wait_all(RUN_TIMEOUT_MS)
    win.session.events.reset()


def run(window, qtbot):
    controller = window.phase_tools.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        controller.analyze(SETTINGS)


def auto_events(store):
    return [e for e in store.events() if e.source == "auto"]


def test_analyze_fills_events_and_sequence_and_keeps_manual_events(window, qtbot):
    truth = simulated().truth
    store = window.session.events
    manual = Event(scan=60, end_scan=60, label="gas release?", source="manual")
    store.add(manual)
    run(window, qtbot)
    result = window.session.analysis_result
    assert result is not None and result.sequence == truth.sequence
    assert window.phase_tools.sequence_label.text() == truth.sequence
    found = auto_events(store)
    assert len(found) == len(truth.events)
    for got, true in zip(found, truth.events):
        assert (got.from_phases, got.to_phases) == (true.from_phases, true.to_phases)
        assert abs(got.scan - true.scan) <= ONSET_TOLERANCE_SCANS
    assert manual in store.events()
    assert not window.status.progress_bar.isVisible()   # the busy indicator is gone

    # review one detected event, then re-run: manual and reviewed stay, the auto ones are replaced
    first_id = next(i for i, e in store.items() if e.source == "auto")
    store.accept(first_id)
    reviewed = store.get(first_id)
    run(window, qtbot)
    events = store.events()
    assert manual in events and reviewed in events
    assert len(auto_events(store)) == len(truth.events)
    # the replacement is one undoable step: undo brings back the state before the re-run
    store.undo_stack.undo()
    assert len(auto_events(store)) == len(truth.events) - 1 and reviewed in store.events()


def test_cancel_keeps_the_previous_result(window, qtbot):
    _, previous = analysed()
    window.session.set_analysis_result(previous)
    before = window.session.events.events()
    controller = window.phase_tools.controller
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        controller.analyze(SETTINGS)
        window.status.cancel_button.click()
    assert window.session.analysis_result is previous
    assert window.session.events.events() == before
    assert window.phase_tools.sequence_label.text() == previous.sequence


def test_dialog_settings_reach_the_run(window, monkeypatch):
    """Analysis → Analyze… asks for settings; all cathodes ticked means "the whole library" (None)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialog

    from app.gui.analysis_controller import AnalysisDialog

    controller = window.phase_tools.controller
    started = []
    monkeypatch.setattr(controller, "analyze", started.append)

    def accept_with_o3_unticked(dialog):
        items = [dialog.phase_list.item(i) for i in range(dialog.phase_list.count())]
        next(i for i in items if i.text() == "O3").setCheckState(Qt.CheckState.Unchecked)
        dialog.kalpha2_combo.setCurrentIndex(dialog.kalpha2_combo.findText("off"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AnalysisDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    controller.analyze_action.trigger()
    assert started[-1].phases is None and started[-1].kalpha2 is None
    assert started[-1].parasitic == ("Al", "Be", "BeO") and started[-1].windows == ()
    assert started[-1].fit_peaks   # no fitting-panel windows: automatic windows
    monkeypatch.setattr(AnalysisDialog, "exec", accept_with_o3_unticked)
    controller.analyze_action.trigger()
    cathodes = [n for n, p in controller.library.items() if p.kind == "cathode"]
    assert started[-1].phases == tuple(n for n in cathodes if n != "O3")
    assert started[-1].kalpha2 is False


def test_automatic_peak_fits_fill_an_empty_fitting_panel(window, qtbot):
    from dataclasses import replace

    controller = window.phase_tools.controller
    assert window.fitting.windows == ()
    with qtbot.waitSignal(controller.ended, timeout=RUN_TIMEOUT_MS):
        controller.analyze(replace(SETTINGS, fit_peaks=True))
    peaks = window.session.analysis_result.peaks
    assert peaks is not None and len(peaks.windows) > 0
    assert window.fitting.windows == tuple(peaks.windows)    # the panel shows the windows found
    assert window.session.fit_result is peaks                # and the Fit results plot their fits
    # the strongest reflection of the series lies in one of the windows and was fitted in every scan
    series = window.session.series
    strongest = float(series.two_theta_deg[series.intensity.mean(axis=0).argmax()])
    inside = [i for i, w in enumerate(peaks.windows) if w.lo_deg <= strongest <= w.hi_deg]
    assert inside
    assert peaks.scan.size == series.n_scans
