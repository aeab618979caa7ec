"""Write a :class:`ScanSeries` as a folder of ``.xye`` files or as one NeXus/HDF5 file.

Both forms load back with :func:`analysis.readers.load_series` (header wavelength and dates in the
text files; an ``@default`` chain, NXdata with units, a ``time`` dataset and an NXmonochromator
in the NeXus file).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import h5py
import numpy as np

from . import axis as ax
from .series import ScanSeries

_TEXT_COLUMN = {ax.TWO_THETA: "2th_deg", ax.Q: "q_A^-1", ax.D: "d_A"}
_NEXUS_AXIS = {ax.TWO_THETA: ("two_theta", "deg"), ax.Q: ("q", "1/angstrom"), ax.D: ("d", "angstrom")}


def iso_time(epoch_s: float) -> str:
    """ISO 8601 in UTC with an explicit offset (``2026-03-02T09:15:00+00:00``); milliseconds are
    added only when the time is not a whole second."""
    epoch_s = float(epoch_s)
    whole = abs(epoch_s - round(epoch_s)) < 1e-6
    stamp = datetime.fromtimestamp(round(epoch_s) if whole else epoch_s, tz=timezone.utc)
    return stamp.isoformat(timespec="seconds" if whole else "milliseconds")


def _decimals(values: np.ndarray, most: int = 6) -> int:
    """Fewest decimals (≤ most) that print every value exactly to 1e-9."""
    for n in range(most + 1):
        if np.all(np.abs(np.round(values, n) - values) < 1e-9):
            return n
    return most


def sigma_decimals(sigma: np.ndarray) -> int:
    """Decimals that give the smallest positive sigma two significant digits (0..8).

    A Poisson σ estimated from N counts is itself uncertain by 1/(2√N), 3 % at N = 250, so more
    digits would only be noise and bytes.
    """
    positive = np.asarray(sigma)[np.asarray(sigma) > 0]
    smallest = float(positive.min()) if positive.size else 1.0
    return int(np.clip(1 - np.floor(np.log10(smallest)), 0, 8))


def _column_formats(series: ScanSeries, sigma: np.ndarray) -> tuple[str, str, str]:
    x_fmt = f"%.{max(_decimals(series.x), 2)}f"
    integer = np.all(series.intensity == np.round(series.intensity)) and np.all(np.abs(series.intensity) < 1e15)
    return x_fmt, ("%d" if integer else "%.6g"), f"%.{sigma_decimals(sigma)}f"


def _header(series: ScanSeries, i: int, comment: Optional[str]) -> str:
    lines = [comment] if comment else []
    if series.wavelength_A:
        lines.append(f"Wavelength: {series.wavelength_A:.6g} A")
    if series.start_epoch_s is not None:
        lines.append(f"Date: {iso_time(series.start_epoch_s + series.time_s[i])}")
    else:
        lines.append(f"time: {series.time_s[i]:.3f}")
    lines.append(f"{_TEXT_COLUMN[series.x_kind]} I sigma")
    return "\n".join(lines)


def write_xye_folder(series: ScanSeries, folder, stem: str = "scan", comment: Optional[str] = None) -> list[Path]:
    """One ``<stem>_<i>.xye`` per scan (zero-padded index, at least 3 digits) in ``folder``.

    Header: optional ``comment``, ``# Wavelength: <λ> A``, ``# Date: <ISO start time>`` (or
    ``# time: <s>`` when the series has no start time), then ``# 2th_deg I sigma``. The axis is
    printed with as few decimals as keep it exact; integer counts as integers; sigma with the
    decimals that give its smallest value two significant digits (√I when the series has none).
    Returns the paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(series.n_scans - 1)))
    sigma = series.sigma if series.sigma is not None else np.sqrt(np.maximum(series.intensity, 1.0))
    x_fmt, i_fmt, s_fmt = _column_formats(series, sigma)
    paths = []
    for i in range(series.n_scans):
        path = folder / f"{stem}_{i:0{width}d}.xye"
        columns = np.column_stack([series.x, series.intensity[i], sigma[i]])
        np.savetxt(path, columns, fmt=[x_fmt, i_fmt, s_fmt], header=_header(series, i, comment), comments="# ")
        paths.append(path)
    return paths


def _write_extra(group: h5py.Group, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, (dict, list, tuple)) and not _is_numeric_sequence(value):
            group.create_dataset(key, data=json.dumps(value, default=_json_default))
        elif isinstance(value, str):
            group.create_dataset(key, data=value)
        else:
            group.create_dataset(key, data=np.asarray(value))


def _is_numeric_sequence(value) -> bool:
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def write_nexus(series: ScanSeries, path, extra: Optional[dict] = None, *, dtype="float64",
                compression_level: int = 4) -> Path:
    """Write the series as NeXus/HDF5; returns the path.

    Layout: ``/@default="entry"``; ``/entry`` (NXentry, ``@default="data"``, ``start_time`` ISO,
    ``title``); ``/entry/data`` (NXdata, ``@signal="I"``, ``@axes=[".", "two_theta"]``) with ``I``
    (n_scans, n_points), ``I_errors``, ``two_theta`` (``@units="deg"``; ``q``/``d`` for other axes)
    and ``time`` (n_scans,) in s since ``start_time``; ``/entry/instrument/monochromator/wavelength``
    in Å (``@units="angstrom"``); ``extra`` items under ``/entry/extra`` (NXcollection; dicts and
    lists as JSON strings). Stacks are gzip-compressed, chunked per scan; ``dtype`` sets their
    precision (float32 keeps counts below 2²⁴ exact).
    """
    path = Path(path)
    axis_name, axis_units = _NEXUS_AXIS[series.x_kind]
    comp = dict(compression="gzip", compression_opts=compression_level, shuffle=True,
                chunks=(1, series.n_points))
    with h5py.File(os.fspath(path), "w") as f:
        f.attrs["default"] = "entry"
        entry = f.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        entry.create_dataset("title", data=series.layout or "operando series")
        if series.start_epoch_s is not None:
            entry.create_dataset("start_time", data=iso_time(series.start_epoch_s))
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "I", "axes": [".", axis_name],
                           f"{axis_name}_indices": 1, "time_indices": 0})
        data.create_dataset("I", data=np.asarray(series.intensity, dtype=dtype), **comp)
        if series.sigma is not None:
            data.create_dataset("I_errors", data=np.asarray(series.sigma, dtype=dtype), **comp)
        data.create_dataset(axis_name, data=series.x).attrs["units"] = axis_units
        data.create_dataset("time", data=series.time_s).attrs["units"] = "s"
        if series.wavelength_A:
            inst = entry.create_group("instrument")
            inst.attrs["NX_class"] = "NXinstrument"
            mono = inst.create_group("monochromator")
            mono.attrs["NX_class"] = "NXmonochromator"
            mono.create_dataset("wavelength", data=float(series.wavelength_A)).attrs["units"] = "angstrom"
        if extra:
            group = entry.create_group("extra")
            group.attrs["NX_class"] = "NXcollection"
            _write_extra(group, extra)
    return path
