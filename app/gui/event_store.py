"""The events of the open series, with undo and redo: every change is a ``QUndoCommand``.

Events are :class:`analysis.events.Event` values (immutable). The store keys them by a stable
integer id, so a command can find its event again after others were added, moved or removed.
Accepting a detected event turns its source from ``"auto"`` into ``"edited"``: a person has
reviewed it. Re-running detection (:meth:`EventStore.replace_auto`) replaces only the
unreviewed ``"auto"`` events; manual and reviewed ones stay.
"""

from __future__ import annotations

from typing import Iterable, Optional

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from analysis.events import Event

NO_SELECTION = -1


class EventStore(QObject):
    """Events keyed by id, sorted by scan for display, changed only through undoable commands.

    events_changed(): any add / change / removal (also on undo and redo)
    selection_changed(id): the selected event's id, or ``NO_SELECTION``
    """

    events_changed = Signal()
    selection_changed = Signal(int)

    def __init__(self, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self._events: dict[int, Event] = {}
        self._next_id = 0
        self.selected_id = NO_SELECTION

    # -- reading --------------------------------------------------------------------------
    def items(self) -> list[tuple[int, Event]]:
        """(id, event) pairs ordered by start scan, then end scan, then creation."""
        return sorted(self._events.items(), key=lambda kv: (kv[1].scan, kv[1].end_scan, kv[0]))

    def events(self) -> tuple[Event, ...]:
        return tuple(e for _, e in self.items())

    def get(self, event_id: int) -> Optional[Event]:
        return self._events.get(event_id)

    def __len__(self) -> int:
        return len(self._events)

    @property
    def selected(self) -> Optional[Event]:
        return self._events.get(self.selected_id)

    # -- undoable changes ------------------------------------------------------------------
    def add(self, event: Event) -> int:
        """Add ``event``; returns its id (kept through undo / redo) and selects it."""
        event_id = self._take_id()
        self.undo_stack.push(_Put(self, event_id, None, event, f"Add event at scan {event.scan}"))
        self.select(event_id)
        return event_id

    def move(self, event_id: int, scan: int, end_scan: Optional[int] = None) -> None:
        """Move an event to start at ``scan``; a range keeps its length unless ``end_scan`` is given."""
        old = self._events[event_id]
        scan = max(int(scan), 0)
        end = scan + (old.end_scan - old.scan) if end_scan is None else max(int(end_scan), scan)
        if (scan, end) != (old.scan, old.end_scan):
            self._change(event_id, old.edited(scan=scan, end_scan=end), f"Move event to scan {scan}")

    def rename(self, event_id: int, label: str) -> None:
        old = self._events[event_id]
        if label != old.label:
            self._change(event_id, old.edited(label=label), f"Rename event to “{label}”")

    def update(self, event_id: int, **changes) -> None:
        """Change any fields (note, phases, kind …); an automatic event becomes "edited"."""
        old = self._events[event_id]
        new = old.edited(**changes)
        if new != old:
            self._change(event_id, new, "Edit event")

    def accept(self, event_id: int) -> None:
        """Mark a detected event as reviewed (source "auto" → "edited"); others are unchanged."""
        old = self._events[event_id]
        if old.source == "auto":
            self._change(event_id, old.edited(), f"Accept event at scan {old.scan}")

    def remove(self, event_id: int, text: str = "Delete event") -> None:
        old = self._events[event_id]
        self.undo_stack.push(_Put(self, event_id, old, None, f"{text} at scan {old.scan}"))

    def reject(self, event_id: int) -> None:
        self.remove(event_id, "Reject event")

    def replace_auto(self, events: Iterable[Event]) -> None:
        """Replace every unreviewed automatic event by ``events`` (one undoable step)."""
        events = list(events)
        macro = self.undo_stack
        macro.beginMacro(f"Detected events ({len(events)})")
        for event_id, old in list(self._events.items()):
            if old.source == "auto":
                macro.push(_Put(self, event_id, old, None, "Remove detected event"))
        for event in events:
            macro.push(_Put(self, self._take_id(), None, event, "Add detected event"))
        macro.endMacro()

    # -- not undoable ----------------------------------------------------------------------
    def reset(self, events: Iterable[Event] = ()) -> None:
        """Replace everything (a project was opened or new data loaded); clears the undo history."""
        self.undo_stack.clear()
        self._events = {}
        for event in events:
            self._events[self._take_id()] = event
        self.undo_stack.setClean()
        self.select(NO_SELECTION)
        self.events_changed.emit()

    def select(self, event_id: int) -> None:
        event_id = event_id if event_id in self._events else NO_SELECTION
        if event_id != self.selected_id:
            self.selected_id = event_id
            self.selection_changed.emit(event_id)

    # -- internals used by the commands ----------------------------------------------------
    def _change(self, event_id: int, new: Event, text: str) -> None:
        self.undo_stack.push(_Put(self, event_id, self._events[event_id], new, text))

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _put(self, event_id: int, event: Optional[Event]) -> None:
        if event is None:
            self._events.pop(event_id, None)
            if event_id == self.selected_id:
                self.select(NO_SELECTION)
        else:
            self._events[event_id] = event
        self.events_changed.emit()


class _Put(QUndoCommand):
    """Set the event under ``event_id`` from ``old`` to ``new`` (None means absent)."""

    def __init__(self, store: EventStore, event_id: int, old: Optional[Event], new: Optional[Event],
                 text: str) -> None:
        super().__init__(text)
        self._store, self._id, self._old, self._new = store, event_id, old, new

    def redo(self) -> None:
        self._store._put(self._id, self._new)

    def undo(self) -> None:
        self._store._put(self._id, self._old)
