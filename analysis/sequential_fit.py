"""Fit windows across a whole series: :func:`fit_series` -> :class:`SeriesFitResult`.

Two strategies give each scan its start values:

* ``"chain"``: each scan starts from its neighbour's result (forward or backward from any
  starting scan). Each window's chain is serial; windows run in parallel.
* ``"tracked"``: the starting scan is fitted, a cheap tracker follows each peak's maximum
  through the stack (:func:`analysis.peak_tracking.track_maxima`), and every scan is then fitted
  independently from the tracked seeds, in balanced chunks across workers.

``benchmarks/bench_fit.py`` measures both; the faster one with equal accuracy is
:data:`DEFAULT_STRATEGY`. On 1,000 scans × 3 windows × 2 pseudo-Voigt peaks (2 shared cores)
"tracked" took 1.8 s on 2 workers (1.5 CPU-s serially) and "chain" 9.7 s, with identical
accuracy. The chain remains as the alternative: every start value, not only the center,
comes from the neighbouring fit. Both pick up a peak that jumps further than its tracker or
seed can follow through the fresh-guess retry of :func:`analysis.peak_fitting.fit_scan`.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Optional, Sequence

import numpy as np

from .cancel import CancelToken, ProgressFn, ProgressThrottle, check
from .fit_executors import run_dask, run_process_pool, run_serial
from .fit_results import SeriesFitResult
from .fit_tasks import PER_PEAK, FitTask, TaskRows
from .fit_windows import FitWindow
from .peak_fitting import FitOptions, fit_scan, window_slice
from .peak_tracking import scan_order, track_maxima
from .series import ScanSeries

STRATEGIES = ("chain", "tracked")
DEFAULT_STRATEGY = "tracked"
CHUNK_SCANS = 64
"""Scans per independent task: the same chunks serially and in parallel, hence the same numbers."""
MIN_PARALLEL_FITS = 200
"""Below this many scan×window fits, worker start-up costs more than it saves: run serially."""


def default_workers() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def fit_series(series: ScanSeries, windows: Sequence[FitWindow], *, direction: str = "forward",
               start_scan: Optional[int] = None, progress: Optional[ProgressFn] = None,
               cancel: Optional[CancelToken] = None, workers: Optional[int] = None,
               options: FitOptions = FitOptions(), strategy: str = DEFAULT_STRATEGY,
               scheduler: Optional[str] = None, scans=None) -> SeriesFitResult:
    """Fit every window on every scan of ``series``.

    direction, start_scan: fitting starts at ``start_scan`` (default: the first scan going
        forward, the last going backward) and proceeds in ``direction``, then covers the rest
        (see :func:`analysis.peak_tracking.scan_order`); seeds follow that order.
    progress(done, total): in scan×window fits, throttled to ≥1 % steps
    cancel: checked before every scan, also inside worker processes; raises ``Cancelled``
    workers: processes (default: usable cores); 1, or fewer than ``MIN_PARALLEL_FITS`` fits, runs
        in this process
    scheduler: a Dask scheduler address or ``"local"`` to run the same tasks on Dask
    scans: a slice or index list to fit only those scans (``start_scan`` must be one of them);
        ``result.scan`` then holds their indices in the series
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    if scans is not None:
        idx = np.arange(series.n_scans)[scans]
        if start_scan is not None and start_scan not in idx:
            raise ValueError(f"start scan {start_scan} is not among the scans to fit")
        start = None if start_scan is None else int(np.flatnonzero(idx == start_scan)[0])
        res = fit_series(series.subset(idx), windows, direction=direction, start_scan=start,
                         progress=progress, cancel=cancel, workers=workers, options=options,
                         strategy=strategy, scheduler=scheduler)
        return replace(res, scan=idx.astype(int))
    windows = tuple(windows)
    n = series.n_scans
    start = start_scan if start_scan is not None else (0 if direction == "forward" else n - 1)
    order = scan_order(n, start, direction)
    x = series.two_theta_deg
    check(cancel)
    tick = ProgressThrottle(progress, n * len(windows))
    done = [0]

    def report(k: int) -> None:
        done[0] += k
        tick(done[0])

    workers = default_workers() if workers is None else max(int(workers), 1)
    parallel = scheduler is not None or (workers > 1 and n * len(windows) >= MIN_PARALLEL_FITS)
    if strategy == "chain":
        tasks = [_chain_task(series, x, wi, w, order, options) for wi, w in enumerate(windows)]
    else:
        tasks = [t for wi, w in enumerate(windows)
                 for t in _tracked_tasks(series, x, wi, w, order, options)]
    if scheduler is not None:
        rows = run_dask(tasks, report, cancel, scheduler)
    elif parallel:
        rows = run_process_pool(tasks, report, cancel, workers)
    else:
        rows = run_serial(tasks, report, cancel)
    return assemble(series, windows, rows)


def _window_data(series, x, window):
    sel = window_slice(x, window)
    need = len(window.param_names) + 2
    if sel.stop - sel.start < need:
        raise ValueError(f"window {window.label} holds {max(sel.stop - sel.start, 0)} points of the "
                         f"series; fitting it needs at least {need}")
    sigma = None if series.sigma is None else series.sigma[:, sel]
    return sel, x[sel], series.intensity[:, sel], sigma


def _chain_task(series, x, wi, window, order, options) -> FitTask:
    sel, xw, y, sigma = _window_data(series, x, window)
    rows = np.array([r for r, _ in order])
    position = {r: k for k, r in enumerate(rows)}
    links = np.array([position[s] if s >= 0 else -1 for _, s in order])
    return FitTask(wi, window, xw, np.ascontiguousarray(y[rows]), None if sigma is None else sigma[rows],
                   rows, links, (None,) * rows.size, options)


def _tracked_tasks(series, x, wi, window, order, options) -> list[FitTask]:
    sel, xw, y, sigma = _window_data(series, x, window)
    start = order[0][0]
    first = fit_scan(xw, y[start], window, sigma=None if sigma is None else sigma[start], options=options)
    seed0 = first.seed()
    centers0 = np.array([seed0[f"p{i}_center"] for i in range(window.n_peaks)])
    fwhm0 = np.array([seed0[f"p{i}_fwhm"] for i in range(window.n_peaks)])
    tracked = track_maxima(xw, np.asarray(y, dtype=float), order, centers0, fwhm0)
    rows = np.arange(series.n_scans)
    tasks = []
    for chunk in np.array_split(rows, max(rows.size // CHUNK_SCANS, 1)):
        seeds = tuple({**seed0, **{f"p{i}_center": float(tracked[r, i]) for i in range(window.n_peaks)}}
                      for r in chunk)
        tasks.append(FitTask(wi, window, xw, np.ascontiguousarray(y[chunk]),
                             None if sigma is None else sigma[chunk], chunk,
                             np.full(chunk.size, -1), seeds, options))
    return tasks


def assemble(series: ScanSeries, windows: Sequence[FitWindow], parts: Sequence[TaskRows]) -> SeriesFitResult:
    """Put task results into one :class:`SeriesFitResult` (rows in series order)."""
    res = SeriesFitResult.empty(windows, np.arange(series.n_scans), series.time_s, series.wavelength_A)
    for part in parts:
        wi, rows = part.window_index, part.rows
        cols = res.peak_slice(wi)
        res.values[wi][rows] = part.values
        res.stderr[wi][rows] = part.stderr
        for q in PER_PEAK:
            getattr(res, q)[rows, cols] = part.per_peak[q]
        for k, r in enumerate(rows):
            res.peak_flags[r, cols] = list(part.peak_flags[k])
            res.window_flags[r, wi] = "|".join(part.flags[k])
        res.redchi[rows, wi] = part.redchi
        res.rwp[rows, wi] = part.rwp
        res.success[rows, wi] = part.success
    return res
