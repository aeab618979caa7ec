"""Save and load :class:`~analysis.fit_results.SeriesFitResult` as HDF5 and as ``peaks.csv``.

HDF5 (group ``peak_fit`` by default): attributes ``format = "operando-xrd/peak_fit"``,
``version``, ``windows_json``, ``wavelength_A`` (absent when unknown); datasets ``scan``,
``time_s``, every per-peak quantity and its ``*_err`` (n_scans, n_peaks), ``peak_flags`` and
``window_flags`` (strings), ``redchi``, ``rwp``, ``success`` (n_scans, n_windows), and
``values/w{i}``, ``stderr/w{i}`` with a ``param_names`` attribute.

CSV (``peaks.csv``): ``#`` comment lines carry the format, wavelength and windows (JSON); then one
row per scan per peak with the columns of :data:`CSV_COLUMNS`. ``window`` and ``peak`` are
0-based indices (window order as in the comment; peak within its window). ``eta`` is the shape
parameter (eta, or m for Pearson VII); ``rwp`` is in percent; ``flags`` joins window and peak
flags with ``|``; ``params`` lists the row's window parameters as ``name=value:stderr;...``.
Numbers are written with full precision, so a file loads back identical.
"""

from __future__ import annotations

import csv
from pathlib import Path

import h5py
import numpy as np

from .errors import InputError
from .fit_results import PEAK_QUANTITIES, SeriesFitResult
from .fit_windows import windows_from_json, windows_to_json

FORMAT = "operando-xrd/peak_fit"
VERSION = 1
CSV_COLUMNS = ("scan", "window", "peak", "center", "center_err", "fwhm", "fwhm_err", "area", "area_err",
               "height", "height_err", "eta", "d_A", "q_inv_A", "redchi", "rwp", "flags",
               "eta_err", "time_s", "success", "params")
WINDOW_FLAGS = ("recovered", "poor_fit", "failed")
_PER_PEAK = tuple(q + s for q in PEAK_QUANTITIES for s in ("", "_err"))


def save_hdf5(result: SeriesFitResult, path, group: str = "peak_fit") -> None:
    """Write ``result`` into ``group`` of the HDF5 file at ``path`` (replacing that group)."""
    text = h5py.string_dtype()
    with h5py.File(path, "a") as f:
        if group in f:
            del f[group]
        g = f.create_group(group)
        g.attrs["format"], g.attrs["version"] = FORMAT, VERSION
        g.attrs["windows_json"] = windows_to_json(result.windows)
        if result.wavelength_A:
            g.attrs["wavelength_A"] = float(result.wavelength_A)
        g["scan"], g["time_s"] = result.scan, result.time_s
        for name in _PER_PEAK + ("redchi", "rwp"):
            g[name] = getattr(result, name)
        g["success"] = result.success.astype(np.uint8)
        g.create_dataset("peak_flags", data=result.peak_flags.astype(str).astype(object), dtype=text)
        g.create_dataset("window_flags", data=result.window_flags.astype(str).astype(object), dtype=text)
        for key in ("values", "stderr"):
            sub = g.create_group(key)
            for i, (w, arr) in enumerate(zip(result.windows, getattr(result, key))):
                sub[f"w{i}"] = arr
                sub[f"w{i}"].attrs["param_names"] = list(w.param_names)


def load_hdf5(path, group: str = "peak_fit") -> SeriesFitResult:
    """Read a result written by :func:`save_hdf5`."""
    with h5py.File(path, "r") as f:
        if group not in f or f[group].attrs.get("format") != FORMAT:
            raise InputError(str(path), f"no operando-xrd peak-fit results in group '{group}'")
        g = f[group]
        windows = windows_from_json(g.attrs["windows_json"])
        arrays = {name: g[name][()] for name in _PER_PEAK + ("redchi", "rwp")}
        wl = g.attrs.get("wavelength_A")
        return SeriesFitResult(
            windows=windows, scan=g["scan"][()], time_s=g["time_s"][()],
            wavelength_A=None if wl is None else float(wl), **arrays,
            peak_flags=np.array(g["peak_flags"].asstr()[()], dtype=object),
            window_flags=np.array(g["window_flags"].asstr()[()], dtype=object),
            success=g["success"][()].astype(bool),
            values=tuple(g["values"][f"w{i}"][()] for i in range(len(windows))),
            stderr=tuple(g["stderr"][f"w{i}"][()] for i in range(len(windows))))


def _num(v) -> str:
    return repr(float(v))


def _row_params(result, s, w, p_local) -> str:
    win = result.windows[w]
    own = set(win.peak_param_names(p_local))
    shared = {n for n in win.param_names if not n.startswith("p")}
    out = []
    for j, n in enumerate(win.param_names):
        if n in own or n in shared:
            out.append(f"{n}={_num(result.values[w][s, j])}:{_num(result.stderr[w][s, j])}")
    return ";".join(out)


def save_csv(result: SeriesFitResult, path) -> None:
    """Write ``peaks.csv``: one row per scan per peak (see the module docstring)."""
    d, q = result.d_A, result.q_inv_A
    pw, pl = result.peak_window, result.peak_in_window
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(f"# format={FORMAT} version={VERSION}\n")
        fh.write(f"# wavelength_A={'' if not result.wavelength_A else _num(result.wavelength_A)}\n")
        fh.write(f"# windows={windows_to_json(result.windows)}\n")
        out = csv.writer(fh)
        out.writerow(CSV_COLUMNS)
        for s in range(result.n_scans):
            for k in range(result.n_peaks):
                w = int(pw[k])
                out.writerow([
                    int(result.scan[s]), w, int(pl[k]),
                    *(_num(getattr(result, name)[s, k]) for name in
                      ("center", "center_err", "fwhm", "fwhm_err", "area", "area_err", "height", "height_err",
                       "shape")),
                    _num(d[s, k]), _num(q[s, k]), _num(result.redchi[s, w]), _num(result.rwp[s, w]),
                    result.flags(s, k), _num(result.shape_err[s, k]), _num(result.time_s[s]),
                    int(result.success[s, w]), _row_params(result, s, w, int(pl[k]))])


def _read_csv_header(fh, path):
    meta = {}
    line = ""
    for line in fh:
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition("=")
        meta[key.strip()] = value
    if "windows" not in meta:
        raise InputError(str(path), "not an operando-xrd peaks.csv (no '# windows=' line)")
    header = next(csv.reader([line]))
    if tuple(header[:len(CSV_COLUMNS)]) != CSV_COLUMNS:
        raise InputError(str(path), f"unexpected columns {header}")
    return meta, header


def load_csv(path) -> SeriesFitResult:
    """Read a ``peaks.csv`` written by :func:`save_csv` back into an identical result."""
    with open(path, newline="", encoding="utf-8") as fh:
        meta, header = _read_csv_header(fh, path)
        rows = [dict(zip(header, r)) for r in csv.reader(fh) if r]
    windows = windows_from_json(meta["windows"])
    wl = meta.get("wavelength_A", "").strip()
    scans = sorted({int(r["scan"]) for r in rows})
    row_of = {s: i for i, s in enumerate(scans)}
    times = {int(r["scan"]): float(r["time_s"]) for r in rows}
    res = SeriesFitResult.empty(windows, np.array(scans), np.array([times[s] for s in scans]),
                                float(wl) if wl else None)
    starts = np.cumsum([0] + [w.n_peaks for w in windows])
    for r in rows:
        s, w, p = row_of[int(r["scan"])], int(r["window"]), int(r["peak"])
        k = starts[w] + p
        for name in ("center", "center_err", "fwhm", "fwhm_err", "area", "area_err", "height", "height_err"):
            getattr(res, name)[s, k] = float(r[name])
        res.shape[s, k], res.shape_err[s, k] = float(r["eta"]), float(r["eta_err"])
        res.redchi[s, w], res.rwp[s, w], res.success[s, w] = float(r["redchi"]), float(r["rwp"]), r["success"] == "1"
        flags = [f for f in r["flags"].split("|") if f]
        res.window_flags[s, w] = "|".join(f for f in flags if f in WINDOW_FLAGS)
        res.peak_flags[s, k] = "|".join(f for f in flags if f not in WINDOW_FLAGS)
        names = windows[w].param_names
        for item in filter(None, r["params"].split(";")):
            n, _, val = item.partition("=")
            v, _, e = val.partition(":")
            j = names.index(n)
            res.values[w][s, j], res.stderr[w][s, j] = float(v), float(e)
    return res


def save(result: SeriesFitResult, path) -> None:
    """By extension: ``.csv`` -> :func:`save_csv`, ``.h5``/``.hdf5``/``.nxs`` -> :func:`save_hdf5`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        save_csv(result, path)
    elif suffix in (".h5", ".hdf5", ".nxs", ".hdf"):
        save_hdf5(result, path)
    else:
        raise ValueError(f"cannot tell the format of {path}: use .csv or .h5")


__all__ = ["save_hdf5", "load_hdf5", "save_csv", "load_csv", "save", "CSV_COLUMNS"]
