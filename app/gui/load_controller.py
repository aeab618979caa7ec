"""Turning paths (opened, dropped or given on the command line) into session state, off the GUI thread."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from typing import Any, Optional, Sequence

from PySide6.QtCore import QObject, Signal, Slot

from analysis import echem, readers
from analysis.cancel import CancelToken, ProgressFn
from analysis.errors import InputError

from .error_dialog import describe_failure
from .jobs import JobRunner
from .session import Session

ECHEM_SUFFIXES = (".mpt",)
"""Always electrochemistry (EC-Lab text export)."""
AMBIGUOUS_SUFFIXES = (".csv",)
"""Electrochemistry or a pattern: decided by context (see :func:`classify_paths`)."""
LOAD_JOB = "load"


@dataclass(frozen=True)
class LoadRequest:
    """What to load: pattern inputs (files or one folder), an electrochemistry file, or both.

    ``echem_fallback``: a lone ``.csv`` dropped while a series is open is tried as
    electrochemistry first and read as patterns only if that fails.
    """

    pattern_paths: tuple[str, ...] = ()
    echem_path: Optional[str] = None
    echem_fallback: bool = False

    @property
    def description(self) -> str:
        paths = self.pattern_paths + ((self.echem_path,) if self.echem_path else ())
        return ", ".join(os.path.basename(p.rstrip("/\\")) or p for p in paths)


@dataclass(frozen=True)
class LoadResult:
    series: Any = None
    series_label: str = ""
    echem: Any = None
    echem_label: str = ""
    pattern_paths: tuple[str, ...] = ()   # what the series was read from (kept by the project)


def classify_paths(paths: Sequence[str], has_series: bool) -> LoadRequest:
    """Decide what dropped paths are.

    ``.mpt`` files are electrochemistry. A single ``.csv`` is electrochemistry when a series is
    already open or pattern inputs are dropped with it (a lone ``.csv`` on an empty window,
    or several ``.csv`` files, are patterns). Everything else (folders, .xy, .xye, .nxs, .h5 …)
    goes to the pattern reader.
    """
    paths = [os.fspath(p) for p in paths]
    suffix = {p: os.path.splitext(p)[1].lower() for p in paths}
    echem = [p for p in paths if suffix[p] in ECHEM_SUFFIXES]
    csvs = [p for p in paths if suffix[p] in AMBIGUOUS_SUFFIXES]
    others = [p for p in paths if p not in echem and p not in csvs]
    if len(csvs) == 1 and not echem and (has_series or others):
        lone = has_series and not others
        return LoadRequest(tuple(others), csvs[0], echem_fallback=lone)
    if len(echem) > 1:
        raise InputError(echem[1], "only one electrochemistry file can be loaded at a time")
    return LoadRequest(tuple(others + csvs), echem[0] if echem else None)


def series_label(paths: Sequence[str]) -> str:
    """How the status bar names the opened input: the file, the folder, or 'N files in folder'."""
    if len(paths) == 1:
        return os.fspath(paths[0])
    folder = os.path.dirname(os.fspath(paths[0]))
    return f"{len(paths)} files in {folder}"


def load_inputs(request: LoadRequest, progress: ProgressFn, cancel: CancelToken) -> LoadResult:
    """Read what ``request`` names (runs on a pool thread; raises InputError for bad input)."""
    if request.echem_fallback:
        return _load_echem_or_patterns(request.echem_path, progress, cancel)
    series = record = None
    if request.pattern_paths:
        arg = request.pattern_paths[0] if len(request.pattern_paths) == 1 else list(request.pattern_paths)
        series = readers.load_series(arg, progress=progress, cancel=cancel)
    if request.echem_path:
        cancel.raise_if_cancelled()
        record = echem.load_echem(request.echem_path)
    return LoadResult(series, series_label(request.pattern_paths) if series is not None else "",
                      record, request.echem_path or "", request.pattern_paths if series is not None else ())


def _load_echem_or_patterns(path: str, progress: ProgressFn, cancel: CancelToken) -> LoadResult:
    try:
        return LoadResult(echem=echem.load_echem(path), echem_label=path)
    except InputError as echem_error:
        try:
            return LoadResult(series=readers.load_series(path, progress=progress, cancel=cancel),
                              series_label=path, pattern_paths=(path,))
        except InputError as pattern_error:
            raise InputError(path, f"{echem_error.problem} (as electrochemistry); "
                                   f"{pattern_error.problem} (as a diffraction pattern)") from None


class LoadController(QObject):
    """Runs :func:`load_inputs` as the ``load`` job and applies the result to the session.

    A new request cancels the one in flight. Failures and cancellation leave the session as
    it was. Signals: ``busy_changed(bool)``, ``progressed(done, total)``,
    ``failed(message)`` (a user-facing text naming the file), ``cancelled()``, ``loaded(result)``.
    """

    busy_changed = Signal(bool)
    progressed = Signal(int, int)
    failed = Signal(str)
    cancelled = Signal()
    loaded = Signal(object)

    def __init__(self, session: Session, runner: JobRunner, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self._request: Optional[LoadRequest] = None
        runner.busy_changed.connect(self._on_busy_changed)

    def open_paths(self, paths: Sequence[str], echem_path: Optional[str] = None) -> None:
        """Open pattern inputs (one file, one folder, or several files) and optionally echem."""
        self.submit(LoadRequest(tuple(os.fspath(p) for p in paths), echem_path))

    def open_echem(self, path: str) -> None:
        self.submit(LoadRequest((), os.fspath(path)))

    def open_dropped(self, paths: Sequence[str]) -> None:
        try:
            request = classify_paths(paths, self._session.series is not None)
        except InputError as exc:
            self.failed.emit(describe_failure(exc, ", ".join(paths)))
            return
        self.submit(request)

    def submit(self, request: LoadRequest) -> None:
        if not request.pattern_paths and not request.echem_path:
            return
        self._request = request
        self._runner.start(LOAD_JOB, partial(load_inputs, request), progressed=self.progressed,
                           succeeded=self._on_succeeded, failed=self._on_failed, cancelled=self.cancelled)

    @Slot()
    def cancel(self) -> None:
        self._runner.cancel(LOAD_JOB)

    @Slot(str, bool)
    def _on_busy_changed(self, kind: str, busy: bool) -> None:
        if kind == LOAD_JOB:
            self.busy_changed.emit(busy)

    @Slot(object)
    def _on_succeeded(self, result: LoadResult) -> None:
        job = self._runner.current(LOAD_JOB)
        if job is None or job.signals is not self.sender():
            # cancelled or superseded after it had finished (its success was already queued)
            if job is None:
                self.cancelled.emit()
            return
        if result.series is not None:
            self._session.set_series(result.series, result.series_label)
        if result.echem is not None:
            self._session.set_echem(result.echem, result.echem_label)
        self.loaded.emit(result)

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        what = self._request.description if self._request else "the input"
        self.failed.emit(describe_failure(exc, what))
