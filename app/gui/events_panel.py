"""A dockable list of the events: a table over the store, with accept / reject / delete buttons.

Edits made in the table (scan, end, label, phases, kind, note) go through the store's undoable
commands. Selecting a row selects the event; the controller moves the map to its scan.
"""

from __future__ import annotations

from typing import Any, Optional

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QHBoxLayout, QHeaderView, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from analysis.events import Event

from .event_overlay import SOURCE_COLORS
from .event_store import NO_SELECTION, EventStore

COLUMNS = ("scan", "end_scan", "label", "from_phases", "to_phases", "kind", "source", "confidence", "note")
HEADERS = ("Scan", "End", "Label", "From", "To", "Kind", "Source", "Conf.", "Note")
EDITABLE = {"scan", "end_scan", "label", "from_phases", "to_phases", "kind", "note"}


class EventTableModel(QAbstractTableModel):
    """One row per event, in the store's order (by scan). Row ↔ id through :meth:`event_id`."""

    def __init__(self, store: EventStore, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._store = store
        self._rows: list[tuple[int, Event]] = store.items()
        store.events_changed.connect(self._on_events_changed)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self._rows[index.row()][1]
        column = COLUMNS[index.column()]
        value = getattr(event, column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == "confidence":
                return "" if value is None else f"{value:.2f}"
            if column == "label" and role == Qt.ItemDataRole.DisplayRole:
                return event.display_label
            return value
        if role == Qt.ItemDataRole.ForegroundRole and column == "source":
            return QColor(SOURCE_COLORS[event.source])
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and COLUMNS[index.column()] in EDITABLE:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        event_id, event = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if column in ("scan", "end_scan"):
            try:
                scan = int(value)
            except (TypeError, ValueError):
                return False
            if column == "scan":
                self._store.move(event_id, scan, max(scan, event.end_scan))
            else:
                self._store.move(event_id, min(event.scan, scan), scan)
        elif column == "label":
            self._store.rename(event_id, str(value))
        else:
            self._store.update(event_id, **{column: str(value)})
        return True

    def event_id(self, row: int) -> int:
        return self._rows[row][0] if 0 <= row < len(self._rows) else NO_SELECTION

    def row_of(self, event_id: int) -> int:
        return next((row for row, (i, _) in enumerate(self._rows) if i == event_id), -1)

    @Slot()
    def _on_events_changed(self) -> None:
        self.beginResetModel()
        self._rows = self._store.items()
        self.endResetModel()


class EventsPanel(QDockWidget):
    """The events table plus Add / Accept / Reject / Delete buttons.

    Buttons emit intent for the controller: ``add_requested()``, ``accept_requested(id)``,
    ``reject_requested(id)``, ``delete_requested(id)``; a row click emits ``select_requested(id)``.
    """

    add_requested = Signal()
    accept_requested = Signal(int)
    reject_requested = Signal(int)
    delete_requested = Signal(int)
    select_requested = Signal(int)

    def __init__(self, store: EventStore, parent: Optional[QWidget] = None) -> None:
        super().__init__("Events", parent)
        self.setObjectName("events_panel")
        self._store = store
        self._showing = False
        self.model = EventTableModel(store, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.buttons = {name: QPushButton(name) for name in ("Add", "Accept", "Reject", "Delete")}
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(row)
        self.setWidget(body)
        self.buttons["Add"].clicked.connect(self.add_requested)
        self.buttons["Accept"].clicked.connect(self._on_accept_clicked)
        self.buttons["Reject"].clicked.connect(self._on_reject_clicked)
        self.buttons["Delete"].clicked.connect(self._on_delete_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        store.selection_changed.connect(self._on_selection_changed)
        self.model.modelReset.connect(self._on_model_reset)
        self._update_buttons()

    @Slot()
    def _on_accept_clicked(self) -> None:
        if self._store.selected_id != NO_SELECTION:
            self.accept_requested.emit(self._store.selected_id)

    @Slot()
    def _on_reject_clicked(self) -> None:
        if self._store.selected_id != NO_SELECTION:
            self.reject_requested.emit(self._store.selected_id)

    @Slot()
    def _on_delete_clicked(self) -> None:
        if self._store.selected_id != NO_SELECTION:
            self.delete_requested.emit(self._store.selected_id)

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and not self._showing:
            self.select_requested.emit(self.model.event_id(current.row()))

    @Slot(int)
    def _on_selection_changed(self, event_id: int) -> None:
        self._show_selection(event_id)
        self._update_buttons()

    @Slot()
    def _on_model_reset(self) -> None:
        self._show_selection(self._store.selected_id)
        self._update_buttons()

    def _show_selection(self, event_id: int) -> None:
        selection = self.table.selectionModel()
        row = self.model.row_of(event_id)
        self._showing = True   # reflecting the store's selection is not a new request
        try:
            if row < 0:
                selection.clearSelection()
                return
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            selection.setCurrentIndex(self.model.index(row, 0), flags)
            self.table.scrollTo(self.model.index(row, 0))
        finally:
            self._showing = False

    def _update_buttons(self) -> None:
        event = self._store.selected
        auto = event is not None and event.source == "auto"
        self.buttons["Accept"].setEnabled(auto)
        self.buttons["Reject"].setEnabled(auto)
        self.buttons["Delete"].setEnabled(event is not None)
