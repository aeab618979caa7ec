"""Label events through the GUI, save the project, reopen it in a new window: identical session."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

import analysis.project as pj
from analysis.events import Event
from tests.app.test_gui_events import double_click, scene_point
from tests.app.test_gui_window import write_xy_folder
from tests.conftest import drifting_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

N_SCANS = 12
LOAD_TIMEOUT_MS = 20000


@pytest.fixture
def make_window(main_window):
    return main_window


@pytest.fixture
def dialogs(monkeypatch):
    """Every message box the app shows, as (kind, text); questions are answered from ``answers``."""
    calls, answers = [], []

    def record(kind, reply=None):
        def show(parent, title, text, *args, **kwargs):
            calls.append((kind, text))
            return answers.pop(0) if kind == "question" else reply
        return show

    monkeypatch.setattr(QMessageBox, "critical", record("critical"))
    monkeypatch.setattr(QMessageBox, "warning", record("warning"))
    monkeypatch.setattr(QMessageBox, "question", record("question"))
    return calls, answers


@pytest.fixture
def folder(tmp_path):
    series, _ = drifting_peak_series(n_scans=N_SCANS, n_points=300)
    return write_xy_folder(tmp_path / "scans", series)


def load(window, qtbot, paths):
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        window.open_paths(paths)


def reopen(make_window, qtbot, path):
    window = make_window()
    with qtbot.waitSignal(window.project.opened, timeout=LOAD_TIMEOUT_MS):
        assert window.project.open_project(path)
    return window


def label_events(window, qtbot, monkeypatch):
    """Add, move, rename, delete and undo as a user would: keys, clicks, a drag, the dialog."""
    controller, view, store = window.event_controller, window.contour_view, window.session.events
    x = float(np.mean(view.plot_item.vb.viewRange()[0]))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.session.set_current_scan(2)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_E)                          # add at the current scan
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     pos=scene_point(view, x, 9.0))             # add with Ctrl+click
    (first, _), (second, _) = store.items()
    line = controller.overlays[0].item(first)
    line.setValue(3.8)                                          # dragged to scan 4 (item API: offscreen
    line.sigPositionChangeFinished.emit(line)                   # mouse drags do not carry buttons)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("P2 → O2 onset", True))
    double_click(view.viewport(), scene_point(view, x, 4.0))    # rename
    controller.select(second)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert store.get(second) is None
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)   # the deletion is undone
    window.session.set_current_scan(6)
    qtbot.keyClick(view, Qt.Key.Key_E)
    third = store.selected_id
    qtbot.keyClick(view, Qt.Key.Key_Delete)                     # the newest (selected) goes
    # add, add, move, rename, add, delete: the undone deletion left the history when the third add came
    assert store.get(third) is None and store.undo_stack.count() == 6
    return store.events()


def test_label_save_close_reopen_gives_identical_events_and_settings(make_window, qtbot, folder, tmp_path,
                                                                     monkeypatch, dialogs):
    window = make_window()
    load(window, qtbot, [folder])
    events = label_events(window, qtbot, monkeypatch)
    assert events == (Event(4, 4, label="P2 → O2 onset"), Event(9, 9))
    window.session.set_colormap("magma")
    window.session.set_scaling("log")
    window.session.set_y_axis("time_h")
    window.session.set_clock_offset_s(-3600.0)
    window.session.set_current_scan(7)
    assert window.isWindowModified()
    path = tmp_path / "beamtime.oxrd"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "beamtime"), ""))
    window.project.save_as_action.trigger()                     # the suffix is added
    assert path.exists() and not window.isWindowModified()
    assert window.windowTitle() == "beamtime[*] — operando-xrd"
    window.close()

    again = reopen(make_window, qtbot, path)
    assert again.session.events.events() == events
    s = again.session
    assert (s.colormap, s.scaling, s.y_axis, s.clock_offset_s, s.current_scan) == ("magma", "log", "time_h", -3600.0, 7)
    assert s.series.n_scans == N_SCANS and s.source_label == str(folder)
    assert not again.isWindowModified() and again.project.path == path
    assert again.event_controller.overlays[0].item(again.session.events.items()[0][0]).value() == \
        pytest.approx(s.scan_y()[4])                             # drawn in hours, at scan 4
    assert dialogs[0] == []                                     # no warning: inputs unchanged
    again.event_controller.add_at(1)
    assert again.isWindowModified()
    again.event_controller.undo_action.trigger()
    assert not again.isWindowModified()                         # back at the saved state


def test_interrupted_save_keeps_the_previous_project(make_window, qtbot, folder, tmp_path, monkeypatch, dialogs):
    calls, _ = dialogs
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(3)
    path = tmp_path / "p.oxrd"
    assert window.project.save_to(path)
    before = path.read_bytes()
    window.event_controller.add_at(8)

    def crash(src, dst):
        raise OSError("no space left on device")

    monkeypatch.setattr(pj.os, "replace", crash)
    assert not window.project.save_to(path)
    assert calls and calls[-1][0] == "critical" and "no space left" in calls[-1][1]
    assert path.read_bytes() == before
    assert pj.load_project(path).events == (Event(3, 3),)
    assert window.isWindowModified()                            # the unsaved change is still unsaved
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_changed_input_warns_but_opens(make_window, qtbot, folder, tmp_path, dialogs):
    calls, _ = dialogs
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(5)
    path = tmp_path / "p.oxrd"
    window.project.save_to(path)
    window.close()
    first = sorted(folder.iterdir())[0]
    first.write_text(first.read_text().replace("start_time", "start_time") + "# edited later\n")
    again = reopen(make_window, qtbot, path)
    assert [kind for kind, _ in calls] == ["warning"]
    assert str(folder) in calls[0][1]
    assert again.session.events.events() == (Event(5, 5),)


def test_missing_input_is_named_when_not_located(make_window, qtbot, folder, tmp_path, dialogs):
    calls, answers = dialogs
    window = make_window()
    load(window, qtbot, [folder])
    path = tmp_path / "p.oxrd"
    window.project.save_to(path)
    window.close()
    folder.rename(tmp_path / "elsewhere")
    again = make_window()
    answers.append(QMessageBox.StandardButton.No)               # "Locate it?" → No
    assert not again.project.open_project(path)
    assert [kind for kind, _ in calls] == ["question", "critical"]
    assert str(folder) in calls[1][1] and "missing" in calls[1][1]
    assert again.session.series is None


def test_missing_input_can_be_located(make_window, qtbot, folder, tmp_path, dialogs, monkeypatch):
    calls, answers = dialogs
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(2)
    path = tmp_path / "p.oxrd"
    window.project.save_to(path)
    window.close()
    moved = folder.rename(tmp_path / "elsewhere")
    answers.append(QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(moved))
    again = reopen(make_window, qtbot, path)
    assert [kind for kind, _ in calls] == ["question"]           # same content: no checksum warning
    assert again.session.source_label == str(moved)
    assert again.session.events.events() == (Event(2, 2),)


def test_newer_format_is_refused_with_its_version(make_window, tmp_path, dialogs):
    calls, _ = dialogs
    path = pj.save_project(tmp_path / "future.oxrd", pj.Project())
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = 99
    window = make_window()
    assert not window.project.open_project(path)
    assert "newer operando-xrd (project format 99)" in calls[0][1]


def test_autosave_is_offered_when_newer(make_window, qtbot, folder, tmp_path, dialogs):
    calls, answers = dialogs
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(1)
    path = tmp_path / "p.oxrd"
    window.project.save_to(path)
    window.event_controller.add_at(10)                          # not saved…
    window.close()                                              # …but autosaved on close
    autosave = pj.autosave_path(path)
    assert autosave.exists()
    stamp = path.stat().st_mtime_ns
    os.utime(autosave, ns=(stamp + 10**9, stamp + 10**9))     # coarse file clocks: make "newer" certain
    answers.append(QMessageBox.StandardButton.Yes)
    again = reopen(make_window, qtbot, path)
    assert [kind for kind, _ in calls] == ["question"]
    assert again.session.events.events() == (Event(1, 1), Event(10, 10))
    assert again.isWindowModified() and again.project.path == path
    assert again.project.save()                                 # saving removes the autosave
    assert not autosave.exists()
    assert pj.load_project(path).events == (Event(1, 1), Event(10, 10))


def test_unsaved_session_autosaves_beside_the_settings(make_window, qtbot, folder, tmp_path):
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(4)
    target = window.project.autosave()
    assert target.parent == tmp_path / "autosave" and target.suffix == ".oxrd"
    assert pj.load_project(target).events == (Event(4, 4),)


def test_unsaved_session_can_be_recovered_and_saved(make_window, qtbot, folder, tmp_path, monkeypatch):
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(4)
    window.session.set_colormap("inferno")
    window.close()                                              # autosaved on close
    autosaves = list((tmp_path / "autosave").iterdir())
    assert len(autosaves) == 1
    again = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(autosaves[0]), ""))
    with qtbot.waitSignal(again.project.opened, timeout=LOAD_TIMEOUT_MS):
        again.project.recover_action.trigger()
    assert again.session.events.events() == (Event(4, 4),) and again.session.colormap == "inferno"
    assert again.project.path is None and again.isWindowModified()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "kept.oxrd"), ""))
    assert again.project.save()
    assert not autosaves[0].exists()                            # recovered work now lives in the project


def test_new_data_starts_a_new_project(make_window, qtbot, folder, tmp_path):
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(4)
    window.project.save_to(tmp_path / "p.oxrd")
    load(window, qtbot, [folder])
    assert len(window.session.events) == 0 and window.project.path is None
    assert window.windowTitle() == "scans[*] — operando-xrd"


def test_fit_windows_results_and_background_are_restored(make_window, qtbot, folder, tmp_path):
    from dataclasses import fields

    from analysis.background import ArplsBackground
    from analysis.fit_results import SeriesFitResult
    from analysis.fit_windows import FitWindow
    window = make_window()
    load(window, qtbot, [folder])
    window.fitting.add_window(13.5, 15.0, n_peaks=1)
    window.fitting.set_window(0, FitWindow(13.5, 15.0, peaks=(14.1,), model="gaussian", name="main"))
    s = window.session
    empty = SeriesFitResult.empty(window.fitting.windows, scan=range(N_SCANS), time_s=s.series.time_s,
                                  wavelength_A=s.series.wavelength_A)
    result = SeriesFitResult(**{**{f.name: getattr(empty, f.name) for f in fields(SeriesFitResult)},
                                "center": 14.0 + 0.05 * np.arange(N_SCANS)[:, None]})
    s.set_fit_result(result)
    window.background.set_method(ArplsBackground(lam=1e4))
    with qtbot.waitSignal(window.background.computed, timeout=LOAD_TIMEOUT_MS):
        window.background.toggle_action.setChecked(True)
    path = tmp_path / "fit.oxrd"
    assert window.project.save_to(path)
    window.close()

    again = reopen(make_window, qtbot, path)
    assert again.fitting.windows == window.fitting.windows
    np.testing.assert_array_equal(again.session.fit_result.center, result.center)   # stored exactly
    assert again.session.fit_result.windows == result.windows
    assert again.background.method == ArplsBackground(lam=1e4)
    assert again.session.subtract_background and again.background.toggle_action.isChecked()
    assert not again.isWindowModified()


def test_events_are_drawn_on_the_fit_result_plot(make_window, qtbot, folder):
    window = make_window()
    load(window, qtbot, [folder])
    event_id = window.event_controller.add_at(6)
    overlay = window.event_controller.overlays[2]
    assert overlay.plot_item is window.parameter_view.plot_item
    assert overlay.item(event_id).angle == 90 and overlay.item(event_id).value() == pytest.approx(6.0)
    combo = window.parameter_view.x_combo
    combo.setCurrentIndex(combo.findData("time_h"))
    assert overlay.item(event_id).value() == pytest.approx(window.session.scan_mid_time_s()[6] / 3600.0)


def test_opening_a_project_autosaves_the_session_it_replaces(make_window, qtbot, folder, tmp_path, dialogs):
    window = make_window()
    load(window, qtbot, [folder])
    window.event_controller.add_at(3)
    other = tmp_path / "other.oxrd"
    assert window.project.save_to(other)
    window.event_controller.add_at(5)                           # unsaved
    with qtbot.waitSignal(window.project.opened, timeout=LOAD_TIMEOUT_MS):
        window.project.open_project(other)
    assert window.session.events.events() == (Event(3, 3),)
    assert pj.load_project(pj.autosave_path(other)).events == (Event(3, 3), Event(5, 5))


def test_input_checksums_are_computed_in_the_background(make_window, qtbot, folder, tmp_path, monkeypatch):
    window = make_window()
    load(window, qtbot, [folder])
    qtbot.waitUntil(lambda: not window.runner.is_busy("input_checksums"), timeout=LOAD_TIMEOUT_MS)
    expected = pj.input_checksum(folder)
    calls = []
    monkeypatch.setattr(pj, "input_checksum", lambda path: calls.append(path) or ("0" * 64, 0))
    assert window.project.save_to(tmp_path / "p.oxrd")
    assert calls == []                                          # the save used the background result
    ref, = pj.load_project(tmp_path / "p.oxrd").inputs
    assert (ref.sha256, ref.size_bytes) == expected
