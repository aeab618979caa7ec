"""Parsing many text files: serially for few files, in worker processes for many.

Text-to-float conversion holds the GIL (``np.array(tokens, float)``, ``np.loadtxt`` and
``np.fromstring`` all do), so threads do not help; processes do. Workers are started with the
``spawn`` method, which is safe in a multi-threaded GUI process and works the same on every OS.
As with any ``spawn`` pool, the workers import the caller's ``__main__`` module, so a script
that loads big folders needs the usual ``if __name__ == "__main__":`` guard. A worker returns
errors as plain values (``InputError`` needs two arguments and so is not re-created by unpickling).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from concurrent.futures.process import BrokenProcessPool
from typing import Optional, Sequence

from ..cancel import CancelToken, ProgressThrottle, check
from ..errors import InputError
from .text import NotAPattern, TextPattern, parse_pattern_file

PARALLEL_MIN_FILES = 400
"""Below this many files the ~0.3 s cost of starting worker processes is not worth paying."""
CHUNK_FILES = 50
MAX_WORKERS = 4

Outcome = tuple  # ("ok", TextPattern) | ("skip", path, problem) | ("error", path, problem)


def parse_one(path: str) -> Outcome:
    """Parse one file; a problem comes back as a value, never as an exception."""
    try:
        return ("ok", parse_pattern_file(path))
    except NotAPattern as err:
        return ("skip", path, err.problem)
    except InputError as err:
        return ("error", path, err.problem)


def parse_chunk(paths: Sequence[str]) -> list[Outcome]:
    return [parse_one(p) for p in paths]


def parse_files(paths: Sequence[str], progress=None, cancel: Optional[CancelToken] = None,
                workers: int | None = None) -> tuple[list[TextPattern], list[tuple[str, str]]]:
    """Parse ``paths`` in order; returns (patterns, skipped (path, problem) pairs).

    Raises the first :class:`InputError` of a file that looks like a pattern but is broken.
    ``workers`` overrides the automatic choice (0 or 1: serial).
    """
    if workers is None:
        workers = idle_cpus() if len(paths) >= PARALLEL_MIN_FILES and _can_spawn() else 1
    throttle = ProgressThrottle(progress, len(paths))
    outcomes: list[Outcome] = []
    if workers > 1:
        try:
            _parse_in_processes(paths, workers, throttle, cancel, outcomes)
        except (BrokenProcessPool, OSError):
            outcomes.clear()  # e.g. no /dev/shm or process limits: fall back to one process
    if not outcomes:
        for done, path in enumerate(paths, start=1):
            check(cancel)
            outcomes.append(parse_one(path))
            throttle(done)
    return _sort_outcomes(outcomes)


def idle_cpus() -> int:
    """How many worker processes are worth starting: the CPUs that the 1-minute load leaves idle.

    On a busy machine extra processes only add start-up and copying costs (measured: 2,000 files
    took 2.1 s with two workers vs 3.0 s in one process on an idle 2-core machine, but 10 s vs
    6 s at load 6.8), so this returns 1 (parse here) unless at least two CPUs are free.
    """
    cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        load = 0.0
    return max(1, min(MAX_WORKERS, int(cpus - load + 1.0)))


def _can_spawn() -> bool:
    """False where spawned workers would misbehave.

    A frozen app (PyInstaller) would start another copy of itself unless its entry point calls
    ``multiprocessing.freeze_support()``; a ``__main__`` read from stdin or a string cannot be
    re-imported by the workers. Both cases parse in this process instead.
    """
    if getattr(sys, "frozen", False):
        return False
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.exists(main_file)


def _parse_in_processes(paths, workers, throttle, cancel, outcomes) -> None:
    chunks = [list(paths[i:i + CHUNK_FILES]) for i in range(0, len(paths), CHUNK_FILES)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
        futures = [pool.submit(parse_chunk, chunk) for chunk in chunks]
        try:
            for future in futures:
                while True:
                    check(cancel)
                    try:
                        outcomes.extend(future.result(timeout=0.1))
                        break
                    except FutureTimeoutError:
                        continue
                throttle(len(outcomes))
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _sort_outcomes(outcomes: list[Outcome]) -> tuple[list[TextPattern], list[tuple[str, str]]]:
    patterns: list[TextPattern] = []
    skipped: list[tuple[str, str]] = []
    for outcome in outcomes:
        if outcome[0] == "error":
            raise InputError(outcome[1], outcome[2])
        if outcome[0] == "skip":
            skipped.append((outcome[1], outcome[2]))
        else:
            patterns.append(outcome[1])
    return patterns, skipped
