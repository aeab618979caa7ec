"""Events drawn on a plot whose scan axis is shared with the map: a line per single-scan event,
a translucent band per scan range, each with its label, coloured by source.

The overlay renders the :class:`EventStore` and emits intent; it never changes the store.
Dragging snaps to whole scans when the move is turned into ``move_requested``; the store's
answer (or its silence, for a move to the same scan) redraws the item at a whole scan.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, QPointF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QCursor
from PySide6.QtWidgets import QMenu

from analysis.events import Event

from .event_store import EventStore
from .session import Session

SOURCE_COLORS = {"auto": "#ffb300", "manual": "#66bb6a", "edited": "#ce93d8"}
"""Detected-and-unreviewed events in amber (dashed), hand-made in green, reviewed in lilac."""
_BAND_ALPHA = 45
_Z_VALUE = 8   # above the image, below the scan cursor (10)


def event_pen(event: Event, selected: bool) -> pg.QtGui.QPen:
    style = Qt.PenStyle.DashLine if event.source == "auto" else Qt.PenStyle.SolidLine
    return pg.mkPen(SOURCE_COLORS[event.source], width=3 if selected else 1.5, style=style)


class _EventLine(pg.InfiniteLine):
    """A single-scan event. Clicks are turned into the overlay's intents."""

    def __init__(self, overlay: "EventOverlay", event_id: int, angle: int) -> None:
        super().__init__(angle=angle, movable=True)
        self.event_id = event_id
        self._overlay = overlay
        self.text = pg.InfLineLabel(self, "", position=0.97, anchors=[(1, 1), (1, 1)])

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph override
        if self._overlay.handle_item_click(self.event_id, ev):
            return
        super().mouseClickEvent(ev)


class _EventBand(pg.LinearRegionItem):
    """A scan-range event: its edges sit on the first and last scans."""

    def __init__(self, overlay: "EventOverlay", event_id: int, orientation: str) -> None:
        super().__init__(orientation=orientation, movable=True)
        self.event_id = event_id
        self._overlay = overlay
        self.text = pg.InfLineLabel(self.lines[1], "", position=0.97, anchors=[(1, 1), (1, 1)])

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph override
        if self._overlay.handle_item_click(self.event_id, ev):
            return
        super().mouseClickEvent(ev)


class EventOverlay(QObject):
    """The store's events on ``plot_item``; horizontal items when scans run up the y axis
    (map, voltage panel), vertical ones when they run along x (parameter plots).

    ``scan_coordinates()`` gives each scan's coordinate on that axis (default: the session's
    map rows, index or hours). Intents: ``select_requested(id)``, ``move_requested(id, scan,
    end_scan)``, ``rename_requested(id)``, ``delete_requested(id)``, ``accept_requested(id)``,
    ``add_requested(scan)`` (Ctrl+click or "Add event here" on an empty spot).
    """

    select_requested = Signal(int)
    move_requested = Signal(int, int, int)
    rename_requested = Signal(int)
    delete_requested = Signal(int)
    accept_requested = Signal(int)
    add_requested = Signal(int)

    def __init__(self, session: Session, store: EventStore, plot_item: pg.PlotItem, scans_along: str = "y",
                 scan_coordinates: Optional[Callable[[], np.ndarray]] = None, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        if scans_along not in ("x", "y"):
            raise ValueError(f"scans_along must be 'x' or 'y', not {scans_along!r}")
        self._session, self._store, self.plot_item = session, store, plot_item
        self._along_y = scans_along == "y"
        self._coordinates = scan_coordinates or session.scan_y
        self._items: dict[int, pg.GraphicsObject] = {}
        self.menu: Optional[QMenu] = None
        store.events_changed.connect(self.redraw)
        store.selection_changed.connect(self.redraw)
        session.series_changed.connect(self.redraw)
        session.display_changed.connect(self.redraw)
        plot_item.scene().sigMouseClicked.connect(self._on_scene_clicked)
        # the view goes before its scene deletes the items: take ours out while all still exist
        # (labelled lines left for the scene's own teardown crashed pyqtgraph now and then)
        plot_item.getViewWidget().destroyed.connect(self._on_view_destroyed)
        self._view_alive = True
        self.redraw()

    def item(self, event_id: int) -> Optional[pg.GraphicsObject]:
        """The line or band drawn for ``event_id`` (for tests and tooltips)."""
        return self._items.get(event_id)

    # -- store → drawing -------------------------------------------------------------------
    @Slot()
    def _on_view_destroyed(self, *_args) -> None:
        self._view_alive = False
        # when the overlay itself is being torn down first, its attributes may already be gone;
        # a plot inside a dock can lose its ViewBox before the view: then nothing is left to remove
        items = getattr(self, "_items", {})
        plot = getattr(self, "plot_item", None)
        if plot is None or not (shiboken6.isValid(plot) and shiboken6.isValid(plot.vb)):
            items.clear()
        for event_id in list(items):
            self._drop(event_id)

    @Slot()
    def redraw(self, *_args) -> None:
        if not self._view_alive:
            return
        ys = self._coordinates() if self._session.series is not None else np.zeros(0)
        wanted = dict(self._store.items()) if ys.size else {}
        for event_id in [i for i in self._items if i not in wanted]:
            self._drop(event_id)
        for event_id, event in wanted.items():
            self._draw(event_id, event, ys)

    def _draw(self, event_id: int, event: Event, ys: np.ndarray) -> None:
        single = event.end_scan == event.scan
        item = self._items.get(event_id)
        if item is not None and isinstance(item, _EventLine) != single:
            self._drop(event_id)
            item = None
        if item is None:
            item = self._make(event_id, single)
        last = ys.size - 1
        lo, hi = float(ys[min(event.scan, last)]), float(ys[min(event.end_scan, last)])
        selected = event_id == self._store.selected_id
        pen = event_pen(event, selected)
        color = QColor(SOURCE_COLORS[event.source])
        if single:
            item.blockSignals(True)
            item.setValue(lo)
            item.blockSignals(False)
            item.setPen(pen)
        else:
            item.blockSignals(True)
            item.setRegion((lo, hi))
            item.blockSignals(False)
            color.setAlpha(_BAND_ALPHA * (2 if selected else 1))
            item.setBrush(pg.mkBrush(color))
            for line in item.lines:
                line.setPen(pen)
            color.setAlpha(255)
        item.text.setText(event.display_label)
        item.text.setColor(color)
        item.setToolTip(_tooltip(event))

    def _make(self, event_id: int, single: bool) -> pg.GraphicsObject:
        if single:
            item = _EventLine(self, event_id, angle=0 if self._along_y else 90)
            item.sigPositionChangeFinished.connect(self._on_line_moved)
        else:
            item = _EventBand(self, event_id, "horizontal" if self._along_y else "vertical")
            item.sigRegionChangeFinished.connect(self._on_band_moved)
        item.setZValue(_Z_VALUE)
        self.plot_item.addItem(item, ignoreBounds=True)
        self._items[event_id] = item
        return item

    def _drop(self, event_id: int) -> None:
        item = self._items.pop(event_id)
        self.plot_item.removeItem(item)

    # -- user → intent ---------------------------------------------------------------------
    def scan_at(self, coordinate: float) -> int:
        """The scan whose coordinate is nearest to ``coordinate`` (the snapping rule)."""
        ys = self._coordinates()
        return int(np.argmin(np.abs(ys - coordinate))) if ys.size else 0

    @Slot(object)
    def _on_line_moved(self, line: _EventLine) -> None:
        scan = self.scan_at(line.value())
        self.move_requested.emit(line.event_id, scan, scan)
        self.redraw()   # snap back onto a whole scan even when the store did not change

    @Slot(object)
    def _on_band_moved(self, band: _EventBand) -> None:
        lo, hi = band.getRegion()
        self.move_requested.emit(band.event_id, self.scan_at(lo), self.scan_at(hi))
        self.redraw()

    def handle_item_click(self, event_id: int, ev) -> bool:
        """Left click selects, double click asks to rename, right click opens the event menu."""
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.select_requested.emit(event_id)
            if ev.double():
                self.rename_requested.emit(event_id)
            return True
        if ev.button() == Qt.MouseButton.RightButton and not getattr(self._items.get(event_id), "moving", False):
            ev.accept()
            self.select_requested.emit(event_id)
            self._popup(self.event_menu(event_id))
            return True
        return False

    def event_menu(self, event_id: int) -> QMenu:
        """Rename / delete, and accept / reject for a detected event."""
        menu = QMenu()
        menu.addAction("Rename…").triggered.connect(lambda: self.rename_requested.emit(event_id))
        event = self._store.get(event_id)
        if event is not None and event.source == "auto":
            menu.addAction("Accept").triggered.connect(lambda: self.accept_requested.emit(event_id))
            menu.addAction("Reject").triggered.connect(lambda: self.delete_requested.emit(event_id))
        else:
            menu.addAction("Delete").triggered.connect(lambda: self.delete_requested.emit(event_id))
        return menu

    def empty_menu(self, scan: int) -> QMenu:
        menu = QMenu()
        menu.addAction(f"Add event here (scan {scan})").triggered.connect(lambda: self.add_requested.emit(scan))
        return menu

    def _popup(self, menu: QMenu) -> None:
        self.menu = menu   # keep it alive while shown; non-blocking so tests can drive it
        menu.popup(QCursor.pos())

    @Slot(object)
    def _on_scene_clicked(self, ev) -> None:
        vb = self.plot_item.vb
        if ev.isAccepted() or self._session.series is None or not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        point: QPointF = vb.mapSceneToView(ev.scenePos())
        scan = self.scan_at(point.y() if self._along_y else point.x())
        ctrl = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ev.button() == Qt.MouseButton.LeftButton and ctrl:
            ev.accept()
            self.add_requested.emit(scan)
        elif ev.button() == Qt.MouseButton.RightButton and not self.plot_item.menuEnabled():
            ev.accept()
            self._popup(self.empty_menu(scan))


def _tooltip(event: Event) -> str:
    span = f"scan {event.scan}" if event.end_scan == event.scan else f"scans {event.scan}–{event.end_scan}"
    parts = [event.display_label, span, f"source: {event.source}"]
    if event.confidence is not None:
        parts.append(f"confidence {event.confidence:.2f}")
    if event.note:
        parts.append(event.note)
    return "\n".join(parts)
