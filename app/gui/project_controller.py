"""File → New / Open / Save project, autosave and recovery, and the window title.

A project (:mod:`analysis.project`) holds the inputs the session was read from, every setting,
named result arrays and the events. Opening one reads the inputs again through the load
controller and applies the rest once the series has arrived. Components that own settings or
results of their own (fit windows, phases, backgrounds …) plug in with
:meth:`ProjectController.register_settings` / :meth:`register_results`; what nobody claims is kept
and written back unchanged, so a project never loses data this build does not understand.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Signal, SignalInstance, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QWidget

from analysis import project as pj
from analysis.errors import InputError

from .actions import make_action
from .error_dialog import show_error
from .jobs import JobRunner
from .load_controller import LoadController, LoadResult
from .project_inputs import ask, checksum_inputs, fingerprint, locate_inputs
from .project_settings import SESSION_KEYS, apply_session_settings, session_settings
from .session import Session

PROJECT_FILTER = f"operando-xrd project (*{pj.PROJECT_SUFFIX});;All files (*)"
AUTOSAVE_INTERVAL_MS = 60_000
CHECKSUM_JOB = "input_checksums"


@dataclass(frozen=True)
class _Pending:
    """A project read from disk, waiting for its inputs to load."""

    path: Path
    project: pj.Project
    recovered: bool
    untitled: bool = False   # an autosave of a session that was never saved as a project


class ProjectController(QObject):
    """Owns the project actions (``actions``), the autosave timer and the title.

    Signals: ``title_changed(text)`` (with Qt's ``[*]`` placeholder), ``modified_changed(bool)``,
    ``opened(path)`` once a project is fully restored, ``saved(path)``, ``message(text, ms)``.
    """

    title_changed = Signal(str)
    modified_changed = Signal(bool)
    opened = Signal(str)
    saved = Signal(str)
    message = Signal(str, int)

    def __init__(self, session: Session, loader: LoadController, settings: QSettings, parent: QWidget,
                 autosave_interval_ms: int = AUTOSAVE_INTERVAL_MS, runner: Optional[JobRunner] = None) -> None:
        super().__init__(parent)
        self._session, self._loader, self._runner = session, loader, runner
        self._store = session.events
        self._autosave_dir = _autosave_dir(settings)
        self.path: Optional[Path] = None
        self._pattern_paths: tuple[str, ...] = ()
        self._echem_path = ""
        self._dirty = False
        self._pending: Optional[_Pending] = None
        self._unclaimed_settings: dict = {}
        self._unclaimed_results: dict[str, np.ndarray] = {}
        self._settings: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        self._defaults: dict[str, Any] = {}   # key -> value applied when a project lacks the key
        self._results: dict[str, tuple[Callable[[], dict], Callable[[dict], None]]] = {}
        self._checksums: dict[tuple, tuple[str, int]] = {}
        self.new_action = make_action(self, "&New Project", QKeySequence.StandardKey.New, self.new_project)
        self.open_action = make_action(self, "Open &Project…", "Ctrl+Alt+O", self._on_open_triggered)
        self.save_action = make_action(self, "&Save Project", QKeySequence.StandardKey.Save, self.save)
        self.save_as_action = make_action(self, "Save Project &As…", QKeySequence.StandardKey.SaveAs, self.save_as)
        self.recover_action = make_action(self, "&Recover Unsaved Session…", None, self._on_recover_triggered)
        # one name per window and start time, so a new session never overwrites an older one's autosave
        self._untitled_name = f"untitled-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{id(self):x}{pj.PROJECT_SUFFIX}"
        self._recovered_from: Optional[Path] = None
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_interval_ms)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        loader.busy_changed.connect(self._on_load_busy)
        loader.loaded.connect(self._on_loaded)
        loader.failed.connect(self._on_load_ended)
        loader.cancelled.connect(self._on_load_ended)
        for signal in (session.display_changed, session.echem_changed):
            signal.connect(self._on_session_edited)
        session.source_changed.connect(self._emit_state)
        self._events_clean = True
        self._store.undo_stack.cleanChanged.connect(self._on_clean_changed)
        # the session (and the undo stack in it) goes before this controller when the window is
        # destroyed, and the dying stack still reports itself clean: stop listening first
        session.destroyed.connect(self._on_session_destroyed)
        self._session_alive = True

    @property
    def actions(self) -> list[QAction]:
        return [self.new_action, self.open_action, self.save_action, self.save_as_action, self.recover_action]

    # -- extension points ------------------------------------------------------------------
    def register_settings(self, key: str, get: Callable[[], Any], set_: Callable[[Any], None],
                          changed: Optional[SignalInstance] = None, default: Any = None) -> None:
        """Save ``get()`` (JSON-compatible) under ``key``; on opening, ``set_(value)`` restores it.
        ``changed`` (any signal) marks the project modified. ``default`` (if not None): opening a
        project without ``key`` (older) calls ``set_(default)``, so nothing carries over from the
        session it replaces; without one, ``set_`` is not called."""
        self._settings[key] = (get, set_)
        if default is not None:
            self._defaults[key] = default
        if changed is not None:
            changed.connect(self._on_session_edited)

    def register_results(self, prefix: str, get: Callable[[], dict], set_: Callable[[dict], None],
                         changed: Optional[SignalInstance] = None) -> None:
        """Save ``get()`` (name -> ndarray) as ``prefix/name``; on opening, ``set_`` gets them back
        (an empty dict when the project has none)."""
        self._results[prefix.strip("/")] = (get, set_)
        if changed is not None:
            changed.connect(self._on_session_edited)

    # -- state -----------------------------------------------------------------------------
    @property
    def is_modified(self) -> bool:
        return self._dirty or not self._events_clean

    def title(self) -> str:
        if self.path is not None:
            name = self.path.stem
        else:
            name = os.path.basename(self._session.source_label.rstrip("/\\")) or "Untitled"
        return f"{name}[*] — operando-xrd"

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        self._events_clean = clean
        self._emit_state()

    @Slot()
    def _on_session_destroyed(self, *_args) -> None:
        self._session_alive = False

    @Slot()
    def _emit_state(self, *_args) -> None:
        if not self._session_alive:
            return
        self.title_changed.emit(self.title())
        self.modified_changed.emit(self.is_modified)

    @Slot()
    def _on_session_edited(self, *_args) -> None:
        if self._pending is None and self._session.series is not None:
            self._dirty = True
            self._emit_state()

    # -- what is saved ---------------------------------------------------------------------
    def current_settings(self) -> dict:
        settings = dict(self._unclaimed_settings)
        settings.update(session_settings(self._session))
        for key, (get, _) in self._settings.items():
            settings[key] = get()
        return settings

    def current_results(self) -> dict[str, np.ndarray]:
        results = dict(self._unclaimed_results)
        for prefix, (get, _) in self._results.items():
            results.update({f"{prefix}/{name}": np.asarray(value) for name, value in get().items()})
        return results

    def current_project(self, project_path: str | os.PathLike) -> pj.Project:
        """The session as a project to be written at ``project_path`` (input paths relative to it)."""
        inputs = [self._input_ref(p, "patterns", project_path) for p in self._pattern_paths]
        if self._echem_path and self._session.echem is not None:
            inputs.append(self._input_ref(self._echem_path, "echem", project_path))
        return pj.Project(inputs=tuple(inputs), settings=self.current_settings(),
                          results=self.current_results(), events=self._store.events())

    def _input_ref(self, path: str, role: str, project_path) -> pj.InputRef:
        """Checksums are cached per file state (names, sizes, modification times) so an
        autosave does not read every input again."""
        absolute = os.path.abspath(path)
        key = (absolute, fingerprint(absolute))
        if key not in self._checksums:
            self._checksums[key] = pj.input_checksum(absolute)
        sha, size = self._checksums[key]
        kind = "folder" if os.path.isdir(absolute) else "file"
        return pj.InputRef(role, absolute, pj.relative_path(absolute, project_path), kind, sha, size)

    def _start_checksums(self) -> None:
        """Checksum the inputs off the GUI thread, so the first save need not read them all
        (a save before the job ends computes what is still missing itself)."""
        if self._runner is None:
            return
        paths = [os.path.abspath(p) for p in self._pattern_paths + ((self._echem_path,) if self._echem_path else ())]

        self._runner.start(CHECKSUM_JOB, partial(checksum_inputs, paths), connect=self._connect_checksum_job)

    def _connect_checksum_job(self, signals) -> None:
        signals.succeeded.connect(self._on_checksums_computed)

    @Slot(object)
    def _on_checksums_computed(self, sums: dict) -> None:
        self._checksums.update(sums)

    # -- saving ----------------------------------------------------------------------------
    @Slot()
    def save(self) -> bool:
        return self.save_as() if self.path is None else self.save_to(self.path)

    @Slot()
    def save_as(self) -> bool:
        start = str(self.path) if self.path is not None else ""
        path, _ = QFileDialog.getSaveFileName(self.parent(), "Save project", start, PROJECT_FILTER)
        if not path:
            return False
        if not os.path.splitext(path)[1]:
            path += pj.PROJECT_SUFFIX
        return self.save_to(path)

    def save_to(self, path: str | os.PathLike) -> bool:
        """Write the project atomically to ``path``; it becomes the current project file."""
        path = Path(path)
        try:
            pj.save_project(path, self.current_project(path))
        except (OSError, ValueError) as exc:
            show_error(self.parent(), f"Could not save {path}\n\n{exc}\n\nThe previous file, if any, is unchanged.",
                       title="Save failed")
            return False
        previous_autosave = self.autosave_target()
        self.path = path
        for stale in {previous_autosave, self.autosave_target(), self._recovered_from} - {None}:
            stale.unlink(missing_ok=True)
        self._recovered_from = None
        self._dirty = False
        self._store.undo_stack.setClean()
        self._emit_state()
        self.saved.emit(str(path))
        self.message.emit(f"Saved {path.name}", 4000)
        return True

    def autosave_target(self) -> Path:
        if self.path is not None:
            return pj.autosave_path(self.path)
        return self._autosave_dir / self._untitled_name

    @Slot()
    def autosave(self, announce: bool = True) -> Optional[Path]:
        """Write unsaved changes to :meth:`autosave_target` (never to the project file itself)."""
        if not self.is_modified or self._pending is not None or self._session.series is None:
            return None
        target = self.autosave_target()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            pj.save_project(target, self.current_project(self.path or target))
        except (OSError, ValueError) as exc:
            self.message.emit(f"Autosave failed: {exc}", 8000)
            return None
        if announce:
            self.message.emit(f"Autosaved to {target}", 3000)
        return target

    # -- opening ---------------------------------------------------------------------------
    @Slot()
    def new_project(self) -> None:
        """Close the data and events (unsaved changes go to the autosave first)."""
        self.autosave(announce=False)
        self._pending = None
        self.path = self._recovered_from = None
        self._pattern_paths, self._echem_path = (), ""
        self._unclaimed_settings, self._unclaimed_results = {}, {}
        self._session.set_series(None)
        self._session.set_echem(None)
        self._store.reset()
        self._dirty = False
        self._emit_state()

    @Slot()
    def _on_open_triggered(self) -> None:
        start = str(self.path.parent) if self.path is not None else ""
        path, _ = QFileDialog.getOpenFileName(self.parent(), "Open project", start, PROJECT_FILTER)
        if path:
            self.open_project(path)

    @Slot()
    def _on_recover_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent(), "Recover an unsaved session", str(self._autosave_dir),
                                              PROJECT_FILTER)
        if path:
            self.open_project(path, untitled=True)

    def open_project(self, path: str | os.PathLike, untitled: bool = False) -> bool:
        """Read a project, offer a newer autosave, check its inputs, and start loading them.

        ``untitled``: ``path`` is the autosave of a session never saved as a project; it opens
        as unsaved work (Save asks for a name, and the autosave is removed once saved).
        Returns False (after telling the user why) when it cannot be opened. The session is
        restored once the inputs have loaded (``opened`` is emitted then).
        """
        path = Path(path).absolute()
        source, recovered = path, untitled
        autosave = None if untitled else pj.newer_autosave(path)
        if autosave is not None and ask(self.parent(), "Recover unsaved changes?",
                                         f"An autosave of {path.name} is newer than the project file.\n\n"
                                         "Open the autosaved state instead?"):
            source, recovered = autosave, True
        try:
            project = pj.load_project(source)
            inputs = locate_inputs(project, path, self.parent())
        except InputError as exc:
            show_error(self.parent(), f"Could not open project {path}\n\n{exc}")
            return False
        self.autosave(announce=False)   # the session being replaced keeps its unsaved changes
        self._pending = _Pending(path, project, recovered, untitled)
        patterns = [p for role, p in inputs if role == "patterns"]
        echem = next((p for role, p in inputs if role == "echem"), None)
        if patterns:
            self._loader.open_paths(patterns, echem)
        else:
            self._apply(self._pending)
        return True

    @Slot(object)
    def _on_loaded(self, result: LoadResult) -> None:
        if result.series is not None:
            self._pattern_paths = tuple(result.pattern_paths)
        if result.echem is not None:
            self._echem_path = result.echem_label
        self._start_checksums()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._apply(pending)
            return
        if result.series is not None:
            # new data: the old events and results belong to other scans (the autosave written
            # when the load started keeps them)
            self.path = self._recovered_from = None
            self._unclaimed_settings, self._unclaimed_results = {}, {}
            self._store.reset()
        self._dirty = True
        self._emit_state()

    @Slot(bool)
    def _on_load_busy(self, busy: bool) -> None:
        if busy:
            self.autosave(announce=False)

    @Slot()
    def _on_load_ended(self, *_args) -> None:
        self._pending = None

    def _apply(self, pending: _Pending) -> None:
        project = pending.project
        self._pending = pending   # keeps the settings below from marking the project modified
        try:
            self._apply_settings(project.settings)
            self._apply_results(project.results)
            self._store.reset(project.events)
        finally:
            self._pending = None
        self.path = None if pending.untitled else pending.path
        self._recovered_from = pending.path if pending.untitled else None
        self._dirty = pending.recovered
        self._emit_state()
        self.opened.emit(str(pending.path))

    def _apply_settings(self, settings: dict) -> None:
        for key, (_, set_) in self._settings.items():
            if key in settings:
                set_(settings[key])
            elif key in self._defaults:
                set_(self._defaults[key])
        apply_session_settings(self._session, settings)   # last: the current scan wins
        known = set(SESSION_KEYS) | set(self._settings)
        self._unclaimed_settings = {k: v for k, v in settings.items() if k not in known}

    def _apply_results(self, results: dict[str, np.ndarray]) -> None:
        claimed: set[str] = set()
        for prefix, (_, set_) in self._results.items():
            mine = {name[len(prefix) + 1:]: value for name, value in results.items() if name.startswith(prefix + "/")}
            claimed.update(f"{prefix}/{name}" for name in mine)
            set_(mine)
        self._unclaimed_results = {k: v for k, v in results.items() if k not in claimed}


def _autosave_dir(settings: QSettings) -> Path:
    """Beside the settings file when it is one (the config dir, or a test's temporary folder),
    else the platform's app-data folder (e.g. when settings live in the Windows registry)."""
    name = settings.fileName()
    if settings.format() == QSettings.Format.IniFormat or os.path.isabs(name) and os.path.splitext(name)[1]:
        return Path(name).parent / "autosave"
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)) / "autosave"

