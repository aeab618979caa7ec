"""Data export: Origin-friendly matrix CSV, results CSV, NeXus/HDF5, event lists (CSV and JSON).

Every text format writes floats with ``repr`` (shortest string that reads back to the same
float64), so a write followed by the matching ``read_*`` gives identical arrays.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
from typing import Mapping, Optional, Sequence, Union

import h5py
import numpy as np

from . import axis as ax
from .events import Event
from .series import ScanSeries

PathLike = Union[str, os.PathLike]
ResultInput = Union[np.ndarray, Sequence[float], tuple]
"""A per-scan result: values (n_scans,) or ``(values, errors)`` with errors None or (n_scans,)."""

NEXUS_AXIS = {  # x_kind -> (dataset name, NeXus units, long name)
    ax.TWO_THETA: ("two_theta", "deg", "2θ (°)"),
    ax.Q: ("q", "1/angstrom", "Q (Å⁻¹)"),
    ax.D: ("d", "angstrom", "d (Å)"),
}
EVENT_FIELDS = tuple(Event.__dataclass_fields__)


def _fmt(value: float) -> str:
    return repr(float(value))


# --- matrix CSV ------------------------------------------------------------------------------

def write_matrix_csv(path: PathLike, x: np.ndarray, rows: np.ndarray, intensity: np.ndarray, *,
                     corner: str = "time_h \\ two_theta_deg") -> None:
    """The map as a matrix CSV: first row ``corner, x...``; then one row per scan ``row, I...``.

    x: (n_points,) column coordinates (2θ in degrees); rows: (n_scans,) row coordinates (time in
    hours, or voltage); intensity: (n_scans, n_points). Origin imports this as a matrix with
    X values in the first row and Y values in the first column.
    """
    x, rows, z = (np.asarray(a, dtype=float) for a in (x, rows, intensity))
    if z.shape != (rows.size, x.size):
        raise ValueError(f"intensity {z.shape} does not match {rows.size} rows × {x.size} columns")
    if any(c in corner for c in ',"\n\r'):
        raise ValueError("the corner label may not contain commas, quotes or line breaks")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(corner + "," + ",".join(map(_fmt, x)) + "\n")
        for r, line in zip(rows.tolist(), z.tolist()):
            fh.write(_fmt(r) + "," + ",".join(map(repr, line)) + "\n")


def read_matrix_csv(path: PathLike) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`write_matrix_csv`: ``(corner, x (n_points,), rows (n_scans,), intensity)``."""
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split(",")
        body = np.loadtxt(fh, delimiter=",", dtype=float, ndmin=2)
    x = np.array([float(v) for v in header[1:]])
    if body.shape[1] != x.size + 1:
        raise ValueError(f"{path}: {body.shape[1] - 1} values per row but {x.size} in the header")
    return header[0], x, body[:, 0].copy(), body[:, 1:].copy()


def write_series_matrix_csv(path: PathLike, series: ScanSeries, *, voltage_V: Optional[np.ndarray] = None
                            ) -> None:
    """The series as a matrix CSV over 2θ (or its own axis when there is no wavelength).

    Rows are time in hours, or the per-scan voltage (n_scans,) when ``voltage_V`` is given.
    """
    kind = ax.TWO_THETA if series.x_kind == ax.TWO_THETA or series.wavelength_A else series.x_kind
    x = series.axis_as(kind)
    if voltage_V is not None:
        rows, row_name = np.asarray(voltage_V, dtype=float), "voltage_V"
    else:
        rows, row_name = series.time_s / 3600.0, "time_h"
    order = np.argsort(x)  # d runs backwards when converted; Origin wants increasing columns
    write_matrix_csv(path, x[order], rows, series.intensity[:, order], corner=f"{row_name} \\ {kind}")


# --- results CSV -----------------------------------------------------------------------------

def write_results_csv(path: PathLike, columns: Mapping[str, Sequence]) -> None:
    """Columns of equal length to a CSV with a header row; floats exact (repr), text as is."""
    names = list(columns)
    data = [np.asarray(columns[n]) for n in names]
    lengths = {len(d) for d in data}
    if len(lengths) > 1:
        raise ValueError(f"result columns differ in length: {sorted(lengths)}")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for i in range(lengths.pop() if lengths else 0):
            writer.writerow([_cell(d[i]) for d in data])


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return "" if value is None else str(value)


def read_results_csv(path: PathLike) -> dict[str, np.ndarray]:
    """Inverse of :func:`write_results_csv`: numeric columns as float64 (empty → nan), else str."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    names, body = rows[0], rows[1:]
    out = {}
    for j, name in enumerate(names):
        cells = [r[j] for r in body]
        try:
            out[name] = np.array([float(c) if c else np.nan for c in cells], dtype=float)
        except ValueError:
            out[name] = np.array(cells, dtype=str)
    return out


# --- NeXus / HDF5 ----------------------------------------------------------------------------

def _nxgroup(parent: h5py.Group, name: str, nx_class: str) -> h5py.Group:
    g = parent.create_group(name)
    g.attrs["NX_class"] = nx_class
    return g


def _dataset(group: h5py.Group, name: str, data, units: Optional[str] = None,
             long_name: Optional[str] = None) -> h5py.Dataset:
    d = group.create_dataset(name, data=data)
    if units is not None:
        d.attrs["units"] = units
    if long_name is not None:
        d.attrs["long_name"] = long_name
    return d


def _split_result(name: str, value: ResultInput, n: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
    if isinstance(value, tuple) and len(value) == 2:
        values = np.asarray(value[0], dtype=float)
        errors = None if value[1] is None else np.asarray(value[1], dtype=float)
    else:
        values, errors = np.asarray(value, dtype=float), None
    if values.shape != (n,) or (errors is not None and errors.shape != (n,)):
        raise ValueError(f"result {name!r}: expected {n} values (and errors), one per scan")
    return values, errors


def _write_map(entry: h5py.Group, series: ScanSeries, voltage_V: Optional[np.ndarray]) -> None:
    name, units, long_name = NEXUS_AXIS[series.x_kind]
    data = _nxgroup(entry, "map", "NXdata")
    data.attrs["signal"] = "intensity"
    data.attrs["axes"] = ["time", name]
    data.attrs["time_indices"] = 0
    data.attrs[f"{name}_indices"] = 1
    _dataset(data, "intensity", series.intensity, "counts", "Intensity")
    if series.sigma is not None:
        _dataset(data, "intensity_errors", series.sigma, "counts")
    _dataset(data, name, series.x, units, long_name)
    _dataset(data, "time", series.time_s, "s", "Time since the first scan started (s)")
    _dataset(data, "scan", np.arange(series.n_scans), None, "Scan index")
    data.attrs["scan_indices"] = 0
    if voltage_V is not None:
        v = np.asarray(voltage_V, dtype=float)
        if v.shape != (series.n_scans,):
            raise ValueError(f"voltage: expected {series.n_scans} values, one per scan")
        _dataset(data, "voltage", v, "V", "Cell voltage (V)")
        data.attrs["voltage_indices"] = 0


def _write_results(entry: h5py.Group, series: ScanSeries, results: Mapping[str, ResultInput],
                   units: Mapping[str, str]) -> None:
    group = _nxgroup(entry, "results", "NXdata")
    names = list(results)
    group.attrs["signal"] = names[0]
    if len(names) > 1:
        group.attrs["auxiliary_signals"] = names[1:]
    group.attrs["axes"] = ["time"]
    group.attrs["time_indices"] = 0
    _dataset(group, "time", series.time_s, "s", "Time since the first scan started (s)")
    for name in names:
        values, errors = _split_result(name, results[name], series.n_scans)
        _dataset(group, name, values, units.get(name))
        if errors is not None:
            _dataset(group, f"{name}_errors", errors, units.get(name))


def write_nexus(path: PathLike, series: ScanSeries, *, voltage_V: Optional[np.ndarray] = None,
                results: Optional[Mapping[str, ResultInput]] = None,
                result_units: Optional[Mapping[str, str]] = None) -> None:
    """The series (and optional per-scan results) as NeXus HDF5.

    Layout: ``/@default=entry``; ``/entry`` (NXentry, ``@default=map``); ``/entry/map`` (NXdata,
    signal ``intensity`` (n_scans, n_points), axes ``time`` (s) and ``two_theta`` (deg) /
    ``q`` (1/angstrom) / ``d`` (angstrom), plus ``scan`` and ``voltage`` (V) on axis 0);
    ``/entry/results`` (NXdata over ``time``: one dataset per result, ``<name>_errors``);
    wavelength in ``/entry/instrument/monochromator/wavelength`` (angstrom).
    """
    with h5py.File(path, "w") as fh:
        fh.attrs["default"] = "entry"
        fh.attrs["creator"] = "operando-xrd"
        entry = _nxgroup(fh, "entry", "NXentry")
        entry.attrs["default"] = "map"
        if series.start_epoch_s is not None:
            start = _dt.datetime.fromtimestamp(series.start_epoch_s, tz=_dt.timezone.utc)
            entry.create_dataset("start_time", data=start.isoformat())
        entry.create_dataset("time_source", data=series.time_source)
        _write_map(entry, series, voltage_V)
        if series.wavelength_A is not None:
            mono = _nxgroup(_nxgroup(entry, "instrument", "NXinstrument"), "monochromator", "NXmonochromator")
            _dataset(mono, "wavelength", series.wavelength_A, "angstrom")
        if series.source:
            process = _nxgroup(entry, "process", "NXprocess")
            process.create_dataset("sources", data=np.array(series.source, dtype=h5py.string_dtype()))
        if results:
            _write_results(entry, series, results, result_units or {})


def export_series(path: PathLike, series: ScanSeries, *, voltage_V: Optional[np.ndarray] = None,
                  results: Optional[Mapping[str, ResultInput]] = None,
                  result_units: Optional[Mapping[str, str]] = None) -> str:
    """Write the series in the format the extension names; returns the format written.

    ``.csv``/``.txt``: matrix CSV (rows time in h, or voltage when given); ``.nxs``/``.h5``/
    ``.hdf5``/``.nx5``: NeXus with the map, voltage and any per-scan results.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext in (".csv", ".txt"):
        write_series_matrix_csv(path, series, voltage_V=voltage_V)
        return "matrix-csv"
    if ext in (".nxs", ".h5", ".hdf5", ".nx5"):
        write_nexus(path, series, voltage_V=voltage_V, results=results, result_units=result_units)
        return "nexus"
    raise ValueError(f"{path}: unknown export format {ext!r}; use .csv for a matrix or .nxs/.h5 for NeXus")


# --- events ----------------------------------------------------------------------------------

def write_events_json(path: PathLike, events: Sequence[Event]) -> None:
    """Events as a JSON list of :meth:`Event.to_dict` objects."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump([e.to_dict() for e in events], fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def read_events_json(path: PathLike) -> list[Event]:
    with open(path, encoding="utf-8") as fh:
        return [Event.from_dict(d) for d in json.load(fh)]


def write_events_csv(path: PathLike, events: Sequence[Event]) -> None:
    """Events as CSV, one column per :class:`Event` field; a missing confidence is an empty cell."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=EVENT_FIELDS)
        writer.writeheader()
        for e in events:
            writer.writerow({k: _cell(v) for k, v in e.to_dict().items()})


def read_events_csv(path: PathLike) -> list[Event]:
    """Inverse of :func:`write_events_csv`."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    events = []
    for row in rows:
        d = dict(row)
        d["scan"], d["end_scan"] = int(d["scan"]), int(d["end_scan"])
        d["confidence"] = float(d["confidence"]) if d.get("confidence") else None
        events.append(Event.from_dict(d))
    return events
