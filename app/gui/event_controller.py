"""Turns event intents (from overlays, the events panel and menu actions) into store commands.

Owns the Edit-menu actions: Undo / Redo, Add Event at Current Scan (E), Delete Event (Del),
Accept / Reject Detected Event. Selecting an event moves the session to its scan.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QWidget

from analysis.events import Event

from .actions import make_action
from .event_overlay import EventOverlay
from .event_store import NO_SELECTION, EventStore
from .events_panel import EventsPanel
from .session import Session


class EventController(QObject):
    """Connects views of the events to the :class:`EventStore`; asks for labels with a dialog."""

    def __init__(self, session: Session, store: EventStore, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self._session, self._store = session, store
        self.overlays: list[EventOverlay] = []
        stack = store.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(_unique(QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
                                              + [QKeySequence("Ctrl+Shift+Z")]))
        self.add_action = make_action(self, "Add &Event at Current Scan", "E", self.add_at_current_scan)
        self.delete_action = make_action(self, "&Delete Event", QKeySequence.StandardKey.Delete,
                                         self._on_delete_selected)
        self.accept_action = make_action(self, "&Accept Detected Event", None, self._on_accept_selected)
        self.reject_action = make_action(self, "Re&ject Detected Event", None, self._on_reject_selected)
        session.series_changed.connect(self._update_actions)
        store.selection_changed.connect(self._update_actions)
        store.events_changed.connect(self._update_actions)
        self._update_actions()

    @property
    def actions(self) -> list[QAction]:
        """The Edit-menu actions in menu order (None marks a separator)."""
        return [self.undo_action, self.redo_action, None, self.add_action, self.delete_action,
                self.accept_action, self.reject_action]

    # -- wiring ----------------------------------------------------------------------------
    def attach_plot(self, plot_item: pg.PlotItem, scans_along: str = "y",
                    scan_coordinates: Optional[Callable[[], np.ndarray]] = None) -> EventOverlay:
        """Draw the events on ``plot_item`` and listen to what the user does with them there."""
        # the overlay lives exactly as long as the plot's scene, whose click signal it listens to
        # (parented elsewhere, teardown order made PySide crash now and then)
        overlay = EventOverlay(self._session, self._store, plot_item, scans_along, scan_coordinates, plot_item.scene())
        overlay.select_requested.connect(self.select)
        overlay.move_requested.connect(self._on_move_requested)
        overlay.rename_requested.connect(self.rename)
        overlay.delete_requested.connect(self._on_delete_requested)
        overlay.accept_requested.connect(self._on_accept_requested)
        overlay.add_requested.connect(self.add_at)
        self.overlays.append(overlay)
        return overlay

    def attach_panel(self, panel: EventsPanel) -> None:
        panel.add_requested.connect(self.add_at_current_scan)
        panel.select_requested.connect(self.select)
        panel.accept_requested.connect(self._on_accept_requested)
        panel.reject_requested.connect(self._on_reject_requested)
        panel.delete_requested.connect(self._on_delete_requested)

    # -- intents → commands ----------------------------------------------------------------
    @Slot(int)
    def add_at(self, scan: int) -> int:
        """Add a manual event at ``scan`` and select it; returns its id (-1 without a series)."""
        if self._session.series is None:
            return NO_SELECTION
        scan = int(np.clip(scan, 0, self._session.series.n_scans - 1))
        return self._store.add(Event(scan, scan, source="manual"))

    @Slot()
    def add_at_current_scan(self) -> int:
        return self.add_at(self._session.current_scan)

    @Slot(int)
    def select(self, event_id: int) -> None:
        self._store.select(event_id)
        event = self._store.get(event_id)
        if event is not None:
            self._session.set_current_scan(event.scan)

    @Slot(int)
    def rename(self, event_id: int) -> None:
        """Ask for a new label (the dialog is pre-filled with the current one)."""
        event = self._store.get(event_id)
        if event is None:
            return
        label, ok = QInputDialog.getText(self.parent(), "Rename event",
                                         f"Label for the event at scan {event.scan}:", text=event.label)
        if ok:
            self._store.rename(event_id, label.strip())

    @Slot(int, int, int)
    def _on_move_requested(self, event_id: int, scan: int, end_scan: int) -> None:
        if self._store.get(event_id) is None or self._session.series is None:
            return
        last = self._session.series.n_scans - 1
        lo, hi = sorted((int(np.clip(scan, 0, last)), int(np.clip(end_scan, 0, last))))
        self._store.move(event_id, lo, hi)

    @Slot(int)
    def _on_delete_requested(self, event_id: int) -> None:
        if self._store.get(event_id) is not None:
            self._store.remove(event_id)

    @Slot(int)
    def _on_accept_requested(self, event_id: int) -> None:
        if self._store.get(event_id) is not None:
            self._store.accept(event_id)

    @Slot(int)
    def _on_reject_requested(self, event_id: int) -> None:
        if self._store.get(event_id) is not None:
            self._store.reject(event_id)

    @Slot()
    def _on_delete_selected(self) -> None:
        self._on_delete_requested(self._store.selected_id)

    @Slot()
    def _on_accept_selected(self) -> None:
        self._on_accept_requested(self._store.selected_id)

    @Slot()
    def _on_reject_selected(self) -> None:
        event = self._store.selected
        if event is not None and event.source == "auto":
            self._store.reject(self._store.selected_id)

    @Slot()
    def _update_actions(self, *_args) -> None:
        selected = self._store.selected
        self.add_action.setEnabled(self._session.series is not None)
        self.delete_action.setEnabled(selected is not None)
        auto = selected is not None and selected.source == "auto"
        self.accept_action.setEnabled(auto)
        self.reject_action.setEnabled(auto)


def _unique(sequences: list[QKeySequence]) -> list[QKeySequence]:
    seen: list[QKeySequence] = []
    for sequence in sequences:
        if sequence not in seen:
            seen.append(sequence)
    return seen
