"""A stack of 1-D patterns from one HDF5/NeXus file (pyFAI, NXazint1d, Dioptas batch, ewoks/BLISS)."""

from __future__ import annotations

import os
from typing import Optional

import hdf5plugin  # noqa: F401  (registers bitshuffle/LZ4/... filters before h5py reads facility files)
import h5py
import numpy as np

from ..cancel import CancelToken, ProgressFn, ProgressThrottle, check
from ..errors import InputError
from ..series import ScanSeries
from . import hdf5_meta as meta
from .header import MIN_EPOCH_S
from .hdf5_find import StackLocation, find_stack

_H5_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError)
"""What h5py raises for damaged files, missing filters or dangling links."""

READ_BLOCKS = 20
"""The stack is read in this many row blocks so that progress and cancel stay responsive."""


def load_hdf5(path: str | os.PathLike, *, progress: Optional[ProgressFn] = None,
              cancel: Optional[CancelToken] = None) -> ScanSeries:
    """Find the pattern stack in an HDF5/NeXus file and return it as a series.

    Raises :class:`InputError` when the file cannot be opened or holds no pattern stack.
    """
    path = os.fspath(path)
    try:
        f = h5py.File(path, "r", locking=False)
    except OSError as err:
        raise InputError(path, f"cannot open as HDF5 ({err})") from None
    with f:
        try:
            loc, others = find_stack(f)
        except _H5_ERRORS as err:
            raise InputError(path, f"cannot read the file's structure ({err})") from None
        if loc is None:
            raise InputError(path, "no stack of 1-D patterns found (no NXdata with signal/axes and no 2-D "
                                   "dataset with a matching monotonic axis)")
        try:
            return _read(path, loc, others, progress, cancel)
        except InputError:
            raise
        except _H5_ERRORS as err:
            raise InputError(path, f"cannot read {loc.signal.name} ({err})") from None


def _read(path, loc: StackLocation, others, progress, cancel) -> ScanSeries:
    notes: list[str] = []
    if others:
        notes.append(f"file holds {len(others) + 1} pattern stacks; loaded {loc.signal.name}, "
                     f"not {', '.join(others[:3])}{' …' if len(others) > 3 else ''}")
    intensity = _read_matrix(loc.signal, loc.transposed, progress, cancel)
    sigma = _read_matrix(loc.errors, loc.transposed, None, cancel) if loc.errors is not None else None
    kind, scale = meta.axis_kind(loc.axis, notes)
    x = np.asarray(loc.axis[()], dtype=float) * scale
    if loc.transposed:
        notes.append(f"{loc.signal.name} stored as (points, scans); transposed")
    x, intensity, sigma = _clean(path, loc, x, intensity, sigma, notes)
    entry = meta.entry_of(loc.signal)
    time_s, start, time_source = _times(loc, intensity.shape[0], entry, notes)
    name = os.path.basename(path)
    source = tuple(f"{name}::{loc.signal.name}[{i}]" for i in range(intensity.shape[0]))
    return ScanSeries(x=x, intensity=intensity, sigma=sigma, time_s=time_s, x_kind=kind, start_epoch_s=start,
                      time_source=time_source, wavelength_A=meta.wavelength_A(entry), source=source,
                      layout=loc.how, notes=tuple(notes))


def _read_matrix(ds: h5py.Dataset, transposed: bool, progress, cancel) -> np.ndarray:
    """The dataset as a float (n_scans, n_points) array, read in row blocks with progress and cancel."""
    shape = [n for n in ds.shape if n != 1] or [1]
    if ds.ndim == 1 or len(shape) == 1 and ds.ndim > 1 and ds.shape[-1] == shape[0]:
        data = np.asarray(ds[()], dtype=float).reshape(1, -1)
        return data.T.copy() if transposed else data
    rows = ds.shape[0]
    out = np.empty(ds.shape, dtype=float)
    step = max(1, -(-rows // READ_BLOCKS))
    throttle = ProgressThrottle(progress, rows)
    for start in range(0, rows, step):
        check(cancel)
        out[start:start + step] = ds[start:start + step]
        throttle(min(rows, start + step))
    out = out.reshape(shape)
    return np.ascontiguousarray(out.T) if transposed else out


def _clean(path, loc, x, intensity, sigma, notes):
    """Drop all-NaN edge bins, refuse other NaN, make x increasing."""
    finite = np.isfinite(intensity)
    empty_bins = ~finite.any(axis=0)
    if empty_bins.any() and not empty_bins.all():
        keep = ~empty_bins
        notes.append(f"dropped {int(empty_bins.sum())} axis points with no data in any scan")
        x, intensity = x[keep], intensity[:, keep]
        sigma = None if sigma is None else sigma[:, keep]
        finite = finite[:, keep]
    if not finite.all():
        scan = int(np.argmax(~finite.all(axis=1)))
        raise InputError(path, f"{int((~finite).sum())} NaN or infinite values in {loc.signal.name} "
                               f"(first in scan {scan})")
    if sigma is not None and not np.all(np.isfinite(sigma)):
        notes.append(f"{loc.errors.name} has NaN values; uncertainties dropped")
        sigma = None
    if not np.all(np.isfinite(x)):
        raise InputError(path, f"axis {loc.axis.name} has NaN values")
    if x.size > 1 and x[-1] < x[0]:
        notes.append(f"axis {loc.axis.name} was decreasing; reversed")
        x, intensity = x[::-1].copy(), intensity[:, ::-1].copy()
        sigma = None if sigma is None else sigma[:, ::-1].copy()
    if x.size > 1 and not np.all(np.diff(x) > 0):
        raise InputError(path, f"axis {loc.axis.name} is not strictly monotonic")
    return x, intensity, sigma


def _times(loc, n_scans, entry, notes) -> tuple[np.ndarray, float | None, str]:
    t, ds = meta.scan_times(loc.group, n_scans)
    start = meta.start_epoch_s(entry)
    if t is not None:
        notes.append(f"scan times from {ds.name}")
        if t[0] > MIN_EPOCH_S:
            return t - t[0], float(t[0]), "file"
        # elapsed times count from the entry's start_time, so the first scan began t[0] after it
        return t - t[0], (None if start is None else start + float(t[0])), "file"
    if n_scans > 1:
        notes.append("no per-scan times in the file; scan index used as time (1 s per scan)")
    return np.arange(n_scans, dtype=float), start, "index"
