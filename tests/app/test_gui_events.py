"""Events in the GUI: the undoable store, lines and bands on the plots, the list panel, the Edit actions."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QInputDialog

from analysis.events import Event
from app.gui.event_overlay import SOURCE_COLORS
from app.gui.event_store import NO_SELECTION, EventStore
from app.gui.events_panel import COLUMNS
from tests.app.test_gui_window import write_xy_folder
from tests.conftest import drifting_peak_series

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

N_SCANS = 12
LOAD_TIMEOUT_MS = 20000


# -- the store alone ------------------------------------------------------------------------
@pytest.fixture
def store(qtbot):
    return EventStore()


def test_store_commands_undo_and_redo_in_order(store):
    a = store.add(Event(3, 3))
    b = store.add(Event(8, 10, label="range"))
    store.move(a, 5)
    store.rename(a, "onset")
    store.remove(b)
    assert store.events() == (Event(5, 5, label="onset"),)
    assert store.undo_stack.count() == 5
    store.undo_stack.undo()                       # the range comes back under its old id
    assert store.get(b) == Event(8, 10, label="range")
    store.undo_stack.undo()
    store.undo_stack.undo()
    assert store.events() == (Event(3, 3), Event(8, 10, label="range"))
    store.undo_stack.redo()
    store.undo_stack.redo()
    store.undo_stack.redo()
    assert store.events() == (Event(5, 5, label="onset"),)
    assert store.undo_stack.index() == 5


def test_range_keeps_its_length_when_moved(store):
    i = store.add(Event(4, 7))
    store.move(i, 10)
    assert store.get(i) == Event(10, 13)
    store.move(i, 2, 2)
    assert store.get(i) == Event(2, 2)


def test_moving_to_the_same_place_or_same_label_records_nothing(store):
    i = store.add(Event(4, 4, label="x"))
    store.move(i, 4)
    store.rename(i, "x")
    store.update(i, note="")
    assert store.undo_stack.count() == 1


def test_accept_reviews_and_reject_removes_detected_events(store):
    auto = Event(6, 9, from_phases="P2", to_phases="O2", kind="two-phase", source="auto", confidence=0.8)
    store.reset([auto, Event(2, 2, source="auto")])
    (first, _), (second, _) = store.items()
    store.accept(second)
    assert store.get(second).source == "edited"
    store.reject(first)
    assert store.events() == (auto.edited(),)
    store.undo_stack.undo()
    store.undo_stack.undo()
    assert store.events() == (Event(2, 2, source="auto"), auto)


def test_detection_replaces_only_unreviewed_events_in_one_step(store):
    store.reset([Event(1, 1, source="auto"), Event(2, 2, source="manual"), Event(3, 3, source="edited")])
    store.replace_auto([Event(7, 8, source="auto", confidence=0.5)])
    assert store.events() == (Event(2, 2), Event(3, 3, source="edited"), Event(7, 8, source="auto", confidence=0.5))
    assert store.undo_stack.count() == 1
    store.undo_stack.undo()
    assert store.events()[0] == Event(1, 1, source="auto")


def test_reset_clears_history_and_selection(store):
    i = store.add(Event(1, 1))
    assert store.selected_id == i
    store.reset([Event(4, 4)])
    assert store.undo_stack.count() == 0 and store.undo_stack.isClean()
    assert store.selected_id == NO_SELECTION


# -- through the window ---------------------------------------------------------------------
@pytest.fixture
def window(main_window):
    win = main_window()
    return win


@pytest.fixture
def loaded(window, qtbot, tmp_path):
    series, _ = drifting_peak_series(n_scans=N_SCANS, n_points=300)
    folder = write_xy_folder(tmp_path / "scans", series)
    with qtbot.waitSignal(window.loader.loaded, timeout=LOAD_TIMEOUT_MS):
        window.open_paths([folder])
    return window


def scene_point(view, x, y):
    """Widget coordinates of data point (x, y) on a pyqtgraph view's single plot."""
    vb = view.plot_item.vb if hasattr(view, "plot_item") else view
    return view.mapFromScene(vb.mapViewToScene(QPointF(x, y)))


def double_click(widget, pos):
    """Press, release, double-click, release: the sequence a real double click delivers (and the
    one pyqtgraph needs to report ``ev.double()``)."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    local, global_ = QPointF(pos), QPointF(widget.mapToGlobal(pos))
    for kind, buttons in ((QEvent.Type.MouseButtonPress, left), (QEvent.Type.MouseButtonRelease, none),
                          (QEvent.Type.MouseButtonDblClick, left), (QEvent.Type.MouseButtonRelease, none)):
        QApplication.sendEvent(widget, QMouseEvent(kind, local, global_, left, buttons, Qt.KeyboardModifier.NoModifier))


def map_x(window):
    return float(np.mean(window.contour_view.plot_item.vb.viewRange()[0]))


def test_shortcut_adds_event_at_current_scan_on_map_and_voltage_plot(loaded, qtbot):
    window = loaded
    window.session.set_current_scan(5)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.contour_view.setFocus()
    qtbot.keyClick(window.contour_view, Qt.Key.Key_E)
    store = window.session.events
    assert store.events() == (Event(5, 5, source="manual"),)
    (event_id, _), = store.items()
    for overlay in window.event_controller.overlays:
        line = overlay.item(event_id)
        assert line.value() == pytest.approx(5.0)
        assert line.pen.color().name() == SOURCE_COLORS["manual"]
        assert line.text.toPlainText() == "scan 5"


def test_ctrl_click_on_the_map_adds_an_event_there(loaded, qtbot):
    window = loaded
    view = window.contour_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     pos=scene_point(view, map_x(window), 7.2))
    assert window.session.events.events() == (Event(7, 7, source="manual"),)
    # a plain click only moves the cursor
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=scene_point(view, map_x(window), 3.0))
    assert len(window.session.events) == 1 and window.session.current_scan == 3


def test_drag_snaps_to_whole_scans_and_is_undoable(loaded):
    window = loaded
    store = window.session.events
    event_id = window.event_controller.add_at(2)
    line = window.event_controller.overlays[0].item(event_id)
    line.setValue(6.4)                            # where the mouse let go
    line.sigPositionChangeFinished.emit(line)
    assert store.get(event_id) == Event(6, 6)
    assert line.value() == pytest.approx(6.0)     # redrawn on the whole scan
    assert window.event_controller.overlays[1].item(event_id).value() == pytest.approx(6.0)   # voltage panel too
    window.event_controller.undo_action.trigger()
    assert store.get(event_id) == Event(2, 2) and line.value() == pytest.approx(2.0)


def test_dragging_a_band_edge_changes_the_range(loaded):
    window = loaded
    store = window.session.events
    store.reset([Event(3, 5, label="mixed", source="auto")])
    (event_id, _), = store.items()
    band = window.event_controller.overlays[0].item(event_id)
    assert band.getRegion() == pytest.approx((3.0, 5.0))
    band.lines[1].setValue(8.7)
    band.sigRegionChangeFinished.emit(band)
    assert store.get(event_id) == Event(3, 9, label="mixed", source="edited")   # moved by hand: reviewed
    assert band.getRegion() == pytest.approx((3.0, 9.0))


def test_double_click_renames_with_the_dialog(loaded, qtbot, monkeypatch):
    window = loaded
    event_id = window.event_controller.add_at(4)
    asked = []

    def get_text(parent, title, label, *args, **kwargs):
        asked.append(kwargs.get("text"))
        return "  Na ordering  ", True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    view = window.contour_view
    double_click(view.viewport(), scene_point(view, map_x(window), 4.0))
    assert asked == [""]
    assert window.session.events.get(event_id).label == "Na ordering"
    assert window.event_controller.overlays[0].item(event_id).text.toPlainText() == "Na ordering"


def test_cancelled_rename_changes_nothing(loaded, monkeypatch):
    window = loaded
    event_id = window.event_controller.add_at(4)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("ignored", False))
    window.event_controller.rename(event_id)
    assert window.session.events.get(event_id) == Event(4, 4)


def test_delete_key_removes_the_selected_event(loaded, qtbot):
    window = loaded
    store = window.session.events
    keep = window.event_controller.add_at(1)
    gone = window.event_controller.add_at(9)
    assert store.selected_id == gone
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.contour_view.setFocus()
    qtbot.keyClick(window.contour_view, Qt.Key.Key_Delete)
    assert [i for i, _ in store.items()] == [keep]
    assert window.event_controller.overlays[0].item(gone) is None
    assert not window.event_controller.delete_action.isEnabled()
    window.event_controller.undo_action.trigger()
    assert [i for i, _ in store.items()] == [keep, gone]


def test_undo_redo_actions_follow_the_stack(loaded):
    window = loaded
    controller = window.event_controller
    assert not controller.undo_action.isEnabled()
    event_id = controller.add_at(3)
    window.session.events.rename(event_id, "a")
    assert controller.undo_action.isEnabled() and not controller.redo_action.isEnabled()
    assert controller.undo_action.text() == "&Undo Rename event to “a”"
    assert "Ctrl+Shift+Z" in [s.toString() for s in controller.redo_action.shortcuts()]
    controller.undo_action.trigger()
    controller.undo_action.trigger()
    assert len(window.session.events) == 0 and not controller.undo_action.isEnabled()
    controller.redo_action.trigger()
    controller.redo_action.trigger()
    assert window.session.events.events() == (Event(3, 3, label="a"),)


def test_bands_and_lines_follow_the_time_axis(loaded):
    window = loaded
    store = window.session.events
    store.reset([Event(2, 2), Event(4, 6, source="auto")])
    (line_id, _), (band_id, _) = store.items()
    window.session.set_y_axis("time_h")
    hours = window.session.scan_y()
    overlay = window.event_controller.overlays[0]
    assert overlay.item(line_id).value() == pytest.approx(hours[2])
    assert overlay.item(band_id).getRegion() == pytest.approx((hours[4], hours[6]))
    assert overlay.item(band_id).lines[0].pen.style() == Qt.PenStyle.DashLine   # unreviewed detection


def test_events_panel_lists_edits_and_selects(loaded):
    window = loaded
    store = window.session.events
    store.reset([Event(8, 10, from_phases="P2", to_phases="O2", kind="two-phase", source="auto", confidence=0.75),
                 Event(2, 2, label="start")])
    panel = window.events_panel
    model = panel.model
    cell = lambda row, name: model.data(model.index(row, COLUMNS.index(name)))   # noqa: E731
    assert [cell(0, "scan"), cell(0, "label"), cell(1, "scan"), cell(1, "confidence")] == [2, "start", 8, "0.75"]
    panel.table.selectRow(1)                         # selecting a row jumps to its scan
    assert window.session.current_scan == 8
    assert panel.buttons["Accept"].isEnabled() and panel.buttons["Reject"].isEnabled()
    assert model.setData(model.index(1, COLUMNS.index("note")), "seen in (003) too")
    auto_id = model.event_id(1)
    assert store.get(auto_id).note == "seen in (003) too" and store.get(auto_id).source == "edited"
    assert not panel.buttons["Accept"].isEnabled()   # now reviewed
    assert model.setData(model.index(1, COLUMNS.index("end_scan")), "11")
    assert (store.get(auto_id).scan, store.get(auto_id).end_scan) == (8, 11)
    panel.buttons["Delete"].click()
    assert store.events() == (Event(2, 2, label="start"),)
    window.event_controller.undo_action.trigger()
    assert model.rowCount() == 2


def test_reject_button_removes_a_detected_event(loaded):
    window = loaded
    store = window.session.events
    store.reset([Event(5, 5, source="auto")])
    window.events_panel.table.selectRow(0)
    window.events_panel.buttons["Reject"].click()
    assert len(store) == 0
    assert store.undo_stack.undoText() == "Reject event at scan 5"


def test_event_menu_offers_accept_for_detected_events(loaded):
    window = loaded
    store = window.session.events
    store.reset([Event(5, 5, source="auto")])
    (event_id, _), = store.items()
    menu = window.event_controller.overlays[0].event_menu(event_id)
    assert [a.text() for a in menu.actions()] == ["Rename…", "Accept", "Reject"]
    menu.actions()[1].trigger()
    assert store.get(event_id).source == "edited"
    reviewed_menu = window.event_controller.overlays[0].event_menu(event_id)
    assert [a.text() for a in reviewed_menu.actions()] == ["Rename…", "Delete"]


def test_events_reach_the_export_controller(loaded):
    from app.gui.export_controller import session_events
    window = loaded
    window.event_controller.add_at(3)
    assert session_events(window.session) == (Event(3, 3),)


# a popup menu on the offscreen platform: it cannot raise windows or grab the keyboard
@pytest.mark.qt_log_ignore(r"This plugin does not support (raise|grabbing the keyboard)")
def test_right_click_on_the_map_offers_add_event_here(loaded, qtbot):
    window = loaded
    view = window.contour_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=scene_point(view, map_x(window), 5.0))
    overlay = window.event_controller.overlays[0]
    menu = overlay.menu
    assert menu is not None and [a.text() for a in menu.actions()] == ["Add event here (scan 5)"]
    menu.actions()[0].trigger()
    menu.close()
    assert window.session.events.events() == (Event(5, 5),)
