"""The one place where Qt meets the core's ``progress(done, total)`` and ``CancelToken`` hooks.

Long work is a plain callable ``work(progress, cancel) -> result``. A :class:`Job` runs it on
the runner's own ``QThreadPool`` and reports through a :class:`JobSignals` object created on the GUI
thread, so every signal is delivered to GUI-thread slots by a queued connection. A
:class:`JobRunner` keeps each job alive until it has finished and cancels the previous job
of the same kind when a new one starts.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from analysis.cancel import Cancelled, CancelToken, ProgressFn

Work = Callable[[ProgressFn, CancelToken], Any]


class JobSignals(QObject):
    """What a job reports. Exactly one of succeeded / failed / cancelled, then ``finished``."""

    progressed = Signal(int, int)     # done, total
    succeeded = Signal(object)        # the work's return value
    failed = Signal(object)           # the exception instance (never a traceback string)
    cancelled = Signal()
    finished = Signal()


class Job(QRunnable):
    """One run of ``work`` off the GUI thread. Construct on the GUI thread."""

    def __init__(self, kind: str, work: Work) -> None:
        super().__init__()
        self.setAutoDelete(False)      # the runner owns the Python object until ``finished``
        self.kind = kind
        self.token = CancelToken()
        self.signals = JobSignals()    # created here, i.e. on the GUI thread
        self._work = work

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:  # noqa: D401 - Qt override, runs on a pool thread
        try:
            result = self._work(self._report_progress, self.token)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # every failure is reported to the GUI, never raised in a pool thread
            if self.token.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.failed.emit(exc)
        else:
            # work that ignored the token still must not overwrite a newer request's result
            if self.token.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.succeeded.emit(result)
        finally:
            # even a BaseException from a library (SystemExit, KeyboardInterrupt) ends the job, so the
            # runner releases it and the GUI does not stay busy
            self.signals.finished.emit()

    def _report_progress(self, done: int, total: int) -> None:
        if not self.token.cancelled:
            self.signals.progressed.emit(int(done), int(total))


class JobRunner(QObject):
    """Starts jobs, keeps them alive until they finish, and lets only the newest of a kind win.

    ``busy_changed(kind, busy)`` tells the status bar when a kind starts or has no job left.
    """

    busy_changed = Signal(str, bool)

    def __init__(self, parent: Optional[QObject] = None, pool: Optional[QThreadPool] = None) -> None:
        super().__init__(parent)
        # a pool of its own, so that waiting for this runner's jobs never waits for anyone else's
        self._pool = pool or QThreadPool(self)
        self._alive: set[Job] = set()
        self._current: dict[str, Job] = {}

    def start(self, kind: str, work: Work, connect: Optional[Callable[[JobSignals], None]] = None,
              **slots: Callable) -> Job:
        """Cancel the running job of ``kind`` (if any) and start ``work``.

        ``slots`` name the receivers of the job's signals (``progressed=``, ``succeeded=``,
        ``failed=``, ``cancelled=``, ``finished=``); ``connect(signals)`` is for anything more. Both
        are connected before the job starts: a fast job can finish before ``start`` returns, and
        signals emitted before a connection exists are lost.
        """
        self.cancel(kind)
        job = Job(kind, work)
        for name, slot in slots.items():
            getattr(job.signals, name).connect(slot)
        if connect is not None:
            connect(job.signals)
        job.signals.finished.connect(self._on_job_finished)
        self._alive.add(job)
        self._current[kind] = job
        self.busy_changed.emit(kind, True)
        self._pool.start(job)
        return job

    def cancel(self, kind: str) -> None:
        """Ask the current job of ``kind`` to stop; its result, if any, is discarded."""
        job = self._current.pop(kind, None)
        if job is not None:
            job.cancel()
            self.busy_changed.emit(kind, False)

    def current(self, kind: str) -> Optional[Job]:
        return self._current.get(kind)

    def is_busy(self, kind: str) -> bool:
        return kind in self._current

    def wait_all(self, timeout_ms: int = 5000) -> bool:
        """Cancel every job of this runner and wait for them to end (used when the window closes)."""
        for kind in list(self._current):
            self.cancel(kind)
        return self._pool.waitForDone(timeout_ms)

    @Slot()
    def _on_job_finished(self) -> None:
        signals = self.sender()
        for job in list(self._alive):
            if job.signals is signals:
                self._alive.discard(job)
                if self._current.get(job.kind) is job:
                    del self._current[job.kind]
                    self.busy_changed.emit(job.kind, False)
