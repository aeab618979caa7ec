"""File → Export: publication figure, map as matrix CSV, series as NeXus, events as CSV / JSON.

What is exported is what the map shows: the raw series, or the background-subtracted one while
View → Subtract background is on (the subtraction is named in the series' notes). Files are
written off the GUI thread (a 2,000 × 5,000 matrix CSV takes seconds); failures reach the user
through the error dialog, never as a traceback.
"""

from __future__ import annotations

import os
from typing import Callable, Optional, Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from analysis import export
from analysis.events import Event
from analysis.series import ScanSeries

from .error_dialog import show_error
from .figure_dialog import FigureDialog
from .jobs import JobRunner
from .session import Session

MATRIX_ROWS = {"Matrix CSV, rows = time in h (*.csv)": "time_h",
               "Matrix CSV, rows = cell voltage in V (*.csv)": "voltage"}
"""File-dialog filter -> what the first column holds."""
NEXUS_FILTER = "NeXus HDF5 (*.nxs *.h5 *.hdf5)"
EVENTS_FORMATS = {"Events CSV (*.csv)": ".csv", "Events JSON (*.json)": ".json"}
EXPORT_JOB = "export"


class ExportFailure(Exception):
    """A write that failed: the file and the problem in the user's words."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def shown_series(session: Session) -> Optional[ScanSeries]:
    """The open series as the map shows it: raw, or background-subtracted (with a note saying so)."""
    if session.series is None or not session.showing_subtracted():
        return session.series
    return session.series.with_intensity(session.map_intensity(),
                                         note=f"background subtracted ({session.background_label})")


def session_events(session: Session) -> tuple[Event, ...]:
    """The session's events, whatever holds them (a sequence, or a store with ``events``); () if none."""
    store = getattr(session, "events", None)
    if store is None:
        return ()
    if not isinstance(store, Sequence) and hasattr(store, "events"):
        store = store.events
        store = store() if callable(store) else store
    return tuple(e for e in store if isinstance(e, Event))


def with_suffix(path: str, suffix: str) -> str:
    """``path`` ending in ``suffix`` (added when the user typed a name without one)."""
    return path if os.path.splitext(path)[1] else path + suffix


class ExportController(QObject):
    """Owns the Export submenu (``menu``) and runs the writes as ``export`` jobs.

    Signals: ``exported(path)`` after a file is written, ``failed(message)`` after the error
    dialog was shown, ``message(text, ms)`` for the status bar.
    """

    exported = Signal(str)
    failed = Signal(str)
    message = Signal(str, int)

    def __init__(self, session: Session, runner: JobRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._session, self._runner, self._parent = session, runner, parent
        self.figure_dialog: Optional[FigureDialog] = None
        self.menu = QMenu("E&xport", parent)
        self.figure_action = self._action("&Figure…", self.export_figure, "Ctrl+Shift+E")
        self.matrix_action = self._action("Map as &matrix CSV…", self.export_matrix)
        self.nexus_action = self._action("Series as &NeXus HDF5…", self.export_nexus)
        self.events_action = self._action("&Events as CSV / JSON…", self.export_events)
        self.menu.aboutToShow.connect(self._update_enabled)
        session.series_changed.connect(self._update_enabled)
        events_changed = getattr(getattr(session, "events", None), "events_changed", None)
        if events_changed is not None:   # the session's undoable event store
            events_changed.connect(self._update_enabled)
        self._update_enabled()

    def _action(self, text: str, slot: Callable, shortcut: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    @Slot()
    def _update_enabled(self, *_args) -> None:
        has_series = self._session.series is not None
        for action in (self.figure_action, self.matrix_action, self.nexus_action):
            action.setEnabled(has_series)
        self.events_action.setEnabled(bool(session_events(self._session)))

    # -- what the user picks ---------------------------------------------------------------------
    @Slot()
    def export_figure(self) -> Optional[FigureDialog]:
        """Open the figure dialog on the shown series, per-scan voltage / Na content and the events."""
        session = self._session
        series = shown_series(session)
        if series is None:
            return None
        if self.figure_dialog is not None:
            self.figure_dialog.close()
        self.figure_dialog = FigureDialog(series, voltage=session.voltage_at_scans(),
                                          events=session_events(session), na_x=session.sodium_at_scans(),
                                          parent=self._parent)
        self.figure_dialog.exported.connect(self._on_figure_exported)
        self.figure_dialog.show()
        return self.figure_dialog

    @Slot()
    def export_matrix(self) -> None:
        if self._session.series is None:
            return
        path, chosen = self._ask_path("Export map as matrix CSV", "_map.csv", ";;".join(MATRIX_ROWS))
        if path:
            self.write_matrix(with_suffix(path, ".csv"), MATRIX_ROWS.get(chosen, "time_h"))

    @Slot()
    def export_nexus(self) -> None:
        if self._session.series is None:
            return
        path, _ = self._ask_path("Export series as NeXus HDF5", "_series.nxs", NEXUS_FILTER)
        if path:
            self.write_nexus(with_suffix(path, ".nxs"))

    @Slot()
    def export_events(self) -> None:
        if not session_events(self._session):
            return
        path, chosen = self._ask_path("Export events", "_events.csv", ";;".join(EVENTS_FORMATS))
        if path:
            self.write_events(with_suffix(path, EVENTS_FORMATS.get(chosen, ".csv")))

    def _ask_path(self, title: str, suffix: str, filters: str) -> tuple[str, str]:
        label = self._session.source_label
        stem = os.path.splitext(label.rstrip("/\\"))[0] if label and os.path.exists(label) else ""
        return QFileDialog.getSaveFileName(self._parent, title, stem + suffix if stem else "", filters)

    # -- writing (also the programmatic entry points) -----------------------------------------------
    def write_matrix(self, path: str, rows: str = "time_h") -> None:
        """Write the shown map to ``path``; ``rows`` is ``"time_h"`` or ``"voltage"`` (first column)."""
        series = shown_series(self._session)
        voltage = None
        if rows == "voltage":
            voltage = self._session.voltage_at_scans()
            if voltage is None:
                self._fail(path, "no electrochemistry is loaded, so there is no voltage for the rows")
                return
        self._start(path, lambda: export.write_series_matrix_csv(path, series, voltage_V=voltage))

    def write_nexus(self, path: str) -> None:
        """Write the shown series, per-scan voltage and (when set up) Na content x as NeXus HDF5."""
        series, session = shown_series(self._session), self._session
        na_x = session.sodium_at_scans()
        results = {"na_content_x": np.asarray(na_x)} if na_x is not None else None
        self._start(path, lambda: export.write_nexus(path, series, voltage_V=session.voltage_at_scans(),
                                                     results=results))

    def write_events(self, path: str) -> None:
        """Write the session's events as JSON (``.json``) or CSV (anything else)."""
        events = session_events(self._session)
        writer = export.write_events_json if path.lower().endswith(".json") else export.write_events_csv
        self._start(path, lambda: writer(path, events))

    def _start(self, path: str, write: Callable[[], None]) -> None:
        kind = f"{EXPORT_JOB}:{os.path.abspath(path)}"   # one job per file; exports to different files coexist
        self.message.emit(f"Writing {os.path.basename(path)}…", 0)

        def work(_progress, _cancel) -> str:
            try:
                write()
            except OSError as exc:   # unwritable folder, full disk, file locked by another program
                raise ExportFailure(path, exc.strerror or str(exc)) from exc
            except Exception as exc:
                raise ExportFailure(path, f"unexpected {type(exc).__name__}: {exc}") from exc
            return path
        self._runner.start(kind, work, connect=self._connect_job)

    def _connect_job(self, signals) -> None:
        signals.succeeded.connect(self._on_written)
        signals.failed.connect(self._on_write_failed)

    @Slot(object)
    def _on_written(self, path: str) -> None:
        self.message.emit(f"Exported {path}", 8000)
        self.exported.emit(path)

    @Slot(object)
    def _on_write_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ExportFailure):
            self._fail(exc.path, exc.problem)
        else:
            self._fail("the export file", f"unexpected {type(exc).__name__}: {exc}")

    @Slot(str)
    def _on_figure_exported(self, path: str) -> None:
        self.message.emit(f"Exported {path}", 8000)
        self.exported.emit(path)

    def _fail(self, path: str, problem: str) -> None:
        text = f"Could not write {path}\n\n{problem}"
        self.message.emit("Export failed", 8000)
        show_error(self._parent, text, title="Export failed")
        self.failed.emit(text)
