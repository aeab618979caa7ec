"""A unit of fitting work that can run in this process, a worker process or a Dask worker.

A :class:`FitTask` is one window over some scans: either a seeded chain (each scan starts from
the result of the scan named by ``seed_links``) or independent fits from explicit seeds. It
returns a :class:`TaskRows` of plain arrays, cheap to pickle back to the parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .batch_fit import batch_solve, heights
from .cancel import Cancelled
from .fit_engine import fixed_names, linear_layout
from .fit_windows import FitWindow
from .peak_finding import estimated_sigma_rows
from .peak_fitting import FitOptions, fit_scan
from .window_model import WindowModel

PER_PEAK = ("center", "center_err", "fwhm", "fwhm_err", "area", "area_err", "height", "height_err",
            "shape", "shape_err")


@dataclass(frozen=True, eq=False)
class FitTask:
    """window_index, window: which window; x_deg (n_points,) its grid; y (m, n_points) the scans;
    sigma (m, n_points) or None; rows (m,) their rows in the series; seed_links (m,) index within
    this task of the scan whose result seeds each scan, or -1 to use ``seeds[k]`` (a dict or None);
    cancel: anything with ``is_set()`` (threading/multiprocessing/Dask event) or None;
    progress: anything with ``put(n_done_increment)`` or None."""

    window_index: int
    window: FitWindow
    x_deg: np.ndarray
    y: np.ndarray
    sigma: Optional[np.ndarray]
    rows: np.ndarray
    seed_links: np.ndarray
    seeds: tuple
    options: FitOptions
    cancel: Any = None
    progress: Any = None


@dataclass(frozen=True, eq=False)
class TaskRows:
    """Results of a task: every array has the task's m rows first."""

    window_index: int
    rows: np.ndarray
    values: np.ndarray
    stderr: np.ndarray
    per_peak: dict
    peak_flags: list
    flags: list
    redchi: np.ndarray
    rwp: np.ndarray
    success: np.ndarray


BATCH_SIZE = 32
"""Scans solved together by the vectorised engine; the cancel event is checked between batches."""


def run_task(task: FitTask, report: Optional[Callable[[int], None]] = None) -> TaskRows:
    """Fit every scan of ``task`` in order; checks the cancel event before each scan (each batch
    of :data:`BATCH_SIZE` scans on the vectorised path)."""
    m, n_peaks, n_par = len(task.rows), task.window.n_peaks, len(task.window.param_names)
    model = WindowModel(task.window, task.x_deg)
    out = TaskRows(task.window_index, np.asarray(task.rows), np.full((m, n_par), np.nan),
                   np.full((m, n_par), np.nan), {q: np.full((m, n_peaks), np.nan) for q in PER_PEAK},
                   [("",) * n_peaks] * m, [()] * m, np.full(m, np.nan), np.full(m, np.nan),
                   np.zeros(m, dtype=bool))
    notify = report if report is not None else (task.progress.put if task.progress is not None else None)
    layout = None if task.options.engine == "lmfit" else linear_layout(model, fixed_names(model))
    clean = np.all(np.isfinite(task.y)) and (task.sigma is None or np.all(task.sigma > 0))
    if layout is not None and clean and np.all(np.asarray(task.seed_links) < 0) and all(task.seeds):
        for start in range(0, m, BATCH_SIZE):
            if task.cancel is not None and task.cancel.is_set():
                raise Cancelled()
            _run_batch(task, model, layout, out, np.arange(start, min(start + BATCH_SIZE, m)))
            if notify is not None:
                notify(min(start + BATCH_SIZE, m) - start)
        return out
    seeds: list = [None] * m
    pending = 0
    for k in range(m):
        if task.cancel is not None and task.cancel.is_set():
            raise Cancelled()
        link = int(task.seed_links[k])
        seed = seeds[link] if link >= 0 else task.seeds[k]
        sigma = None if task.sigma is None else task.sigma[k]
        fit = fit_scan(task.x_deg, task.y[k], task.window, seed, sigma=sigma, options=task.options, model=model)
        seeds[k] = fit.seed()
        _record(out, k, fit)
        pending += 1
        if pending >= 8 or k == m - 1:
            if notify is not None:
                notify(pending)
            pending = 0
    return out


def _run_batch(task: FitTask, model: WindowModel, layout, out: TaskRows, ks: np.ndarray) -> None:
    """Solve scans ``ks`` of the task together; refit the rejected ones one by one."""
    y = np.asarray(task.y[ks], dtype=float)
    sigma = estimated_sigma_rows(y) if task.sigma is None else np.asarray(task.sigma[ks], dtype=float)
    v0 = np.array([model.seeded_guess(y[j], task.seeds[k]) for j, k in enumerate(ks)])
    opt = task.options
    sol = batch_solve(model, y, 1.0 / sigma, v0, layout, opt.absent_k, opt.redchi_max, opt.rwp_max)
    ok = np.flatnonzero(sol.accepted)
    _record_batch(out, model, ks[ok], sol, ok)
    for j in np.flatnonzero(~sol.accepted):
        k = int(ks[j])
        fit = fit_scan(task.x_deg, task.y[k], task.window, task.seeds[k],
                       sigma=None if task.sigma is None else task.sigma[k], options=task.options, model=model)
        _record(out, k, fit)


def _record_batch(out: TaskRows, model: WindowModel, ks, sol, idx) -> None:
    values, cov = sol.values[idx], sol.covariance[idx]
    with np.errstate(invalid="ignore"):
        err = np.sqrt(np.einsum("ijj->ij", cov))
    out.values[ks], out.stderr[ks] = values, err
    starts = np.array([sl.start for sl in model.peak_slices])
    for j, q in enumerate(("center", "fwhm", "area")):
        out.per_peak[q][ks] = values[:, starts + j]
        out.per_peak[q + "_err"][ks] = err[:, starts + j]
    if model.n_shape:
        out.per_peak["shape"][ks], out.per_peak["shape_err"][ks] = values[:, starts + 3], err[:, starts + 3]
    else:
        out.per_peak["shape"][ks] = 1.0 if model.window.model == "lorentzian" else 0.0
        out.per_peak["shape_err"][ks] = 0.0
    out.per_peak["height"][ks], out.per_peak["height_err"][ks] = heights(model, values, cov)
    out.redchi[ks], out.rwp[ks], out.success[ks] = sol.redchi[idx], sol.rwp[idx], True


def _record(out: TaskRows, k: int, fit) -> None:
    out.values[k] = fit.values
    out.stderr[k] = fit.stderr
    for q in PER_PEAK:
        out.per_peak[q][k] = getattr(fit, q)
    out.peak_flags[k] = fit.peak_flags
    out.flags[k] = fit.flags
    out.redchi[k], out.rwp[k], out.success[k] = fit.redchi, fit.rwp, fit.success
