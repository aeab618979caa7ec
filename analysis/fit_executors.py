"""Run :class:`~analysis.fit_tasks.FitTask` lists serially, on a process pool, or on Dask.

All three forward progress as ``report(n_scans_done_increment)`` and honour a
:class:`~analysis.cancel.CancelToken`: workers check a shared event before every scan, and the
parent raises :class:`~analysis.cancel.Cancelled` once they have stopped.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import replace
from typing import Callable, Optional, Sequence

from .cancel import CancelToken, check
from .fit_tasks import FitTask, TaskRows, run_task

Report = Callable[[int], None]


class _TokenEvent:
    """``is_set()`` view of a CancelToken for in-process tasks."""

    def __init__(self, token: Optional[CancelToken]) -> None:
        self._token = token

    def is_set(self) -> bool:
        return self._token is not None and self._token.cancelled


def run_serial(tasks: Sequence[FitTask], report: Report, cancel: Optional[CancelToken]) -> list[TaskRows]:
    event = _TokenEvent(cancel)
    return [run_task(replace(t, cancel=event), report) for t in tasks]


def _drain(q, report: Report) -> None:
    while True:
        try:
            report(q.get_nowait())
        except queue.Empty:
            return


def default_start_method() -> str:
    """"fork" in a single-threaded process (scripts, CLI: ~0.05 s start-up); "forkserver" when
    other Python threads run (the GUI), because forking a threaded process can deadlock. The
    forkserver costs ~1 s once per session (it imports numpy/scipy/lmfit)."""
    if "fork" not in mp.get_all_start_methods():
        return "spawn"
    return "fork" if threading.active_count() == 1 else "forkserver"


def run_process_pool(tasks: Sequence[FitTask], report: Report, cancel: Optional[CancelToken],
                     workers: int, start_method: Optional[str] = None) -> list[TaskRows]:
    """Tasks on ``workers`` processes; the cancel event and progress queue are Manager proxies,
    so they travel inside each task."""
    start_method = start_method or default_start_method()
    ctx = mp.get_context(start_method)
    if start_method == "forkserver":
        ctx.set_forkserver_preload(["analysis.fit_tasks"])
    with ctx.Manager() as manager, ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        event, progress_q = manager.Event(), manager.Queue()
        futures = {pool.submit(run_task, replace(t, cancel=event, progress=progress_q)): i
                   for i, t in enumerate(tasks)}
        results: list = [None] * len(tasks)
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                _drain(progress_q, report)
                if cancel is not None and cancel.cancelled:
                    event.set()
                for f in done:
                    results[futures[f]] = f.result()
        except BaseException:
            event.set()
            for f in pending:
                f.cancel()
            raise
        _drain(progress_q, report)
    check(cancel)
    return results


def run_dask(tasks: Sequence[FitTask], report: Report, cancel: Optional[CancelToken],
             scheduler: str) -> list[TaskRows]:
    """Tasks on a Dask cluster: ``scheduler`` is an address or ``"local"`` (a LocalCluster)."""
    from distributed import Client, Event, LocalCluster, wait as dask_wait  # optional dependency

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None) if scheduler == "local" else None
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            event = Event(f"operando-xrd-cancel-{id(tasks)}", client=client)
            futures = client.map(run_task, [replace(t, cancel=event) for t in tasks], pure=False)
            pending = list(futures)
            while pending:
                try:
                    done = dask_wait(pending, timeout=0.1, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    done = set()
                for f in done:
                    report(len(tasks[futures.index(f)].rows))
                pending = [f for f in pending if f not in done]
                if cancel is not None and cancel.cancelled:
                    event.set()
            results = client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
    check(cancel)
    return results
