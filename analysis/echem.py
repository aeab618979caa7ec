"""Electrochemistry beside the diffraction: load a cycler record, align it to the scans, and
turn charge passed into the sodium content x of Na_xMO2.

Reading (file formats, column titles, units) is in :mod:`analysis.echem_readers`; this module
converts the picked columns to numbers, checks them, and does the alignment and Faraday maths.

Time that is not monotonic: equal consecutive time stamps are kept in file order (EC-Lab writes
two points at the same time when a step changes, and both ``np.interp`` and the trapezoid rule
handle them). Time that goes backwards is an error naming the line: it means records were
joined out of order or a clock was reset, and sorting would silently mix two experiments.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import echem_readers as rd
from .errors import InputError, read_failure
from .series import ScanSeries, frozen_array

FARADAY_C_MOL = 96485.33212
"""Faraday constant, C/mol (CODATA 2018, exact)."""
COULOMB_PER_MAH = 3.6
_FIELD_UNITS = {"time": "s", "voltage": "V", "current": "mA", "capacity": "mAh", "x": "1"}


@dataclass(frozen=True, eq=False)
class EchemData:
    """An electrochemistry record (all arrays (n,), one entry per recorded point).

    time_s:         seconds since the record's own start (EC-Lab ``time/s``; need not start at 0)
    voltage_V:      cell (working-electrode) voltage, V
    current_mA:     current, mA, positive on charge (oxidation of the cathode), or None
    capacity_mAh:   charge column as written (may reset per step), mAh, or None
    start_epoch_s:  POSIX time at ``time_s == 0`` when the file says (naive times read as UTC)
    source:         file path
    x:              Na content written by the cycler (EC-Lab ``x`` column), or None
    notes:          things the user should be told (assumed units, ...)
    """

    time_s: np.ndarray
    voltage_V: np.ndarray
    current_mA: Optional[np.ndarray]
    capacity_mAh: Optional[np.ndarray]
    start_epoch_s: Optional[float]
    source: str
    x: Optional[np.ndarray] = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("time_s", "voltage_V", "current_mA", "capacity_mAh", "x"):
            object.__setattr__(self, name, frozen_array(getattr(self, name)))
        n = self.time_s.shape
        for name in ("voltage_V", "current_mA", "capacity_mAh", "x"):
            value = getattr(self, name)
            if value is not None and value.shape != n:
                raise ValueError(f"{name} {value.shape} does not match time_s {n}")
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def n_points(self) -> int:
        return self.time_s.size


def load_echem(path: str | os.PathLike) -> EchemData:
    """Read an EC-Lab ``.mpt`` text export or a delimited table (``,`` ``;`` or tab; decimal
    commas allowed with ``;``/tab) with time, voltage and optionally current/capacity/x columns
    found by their titles; units are taken from the titles and converted to s, V, mA, mAh.

    Raises :class:`InputError` naming the file and the problem for anything it cannot read.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise read_failure(path, exc, "an electrochemistry file") from None
    table = rd.read_table(path, rd.decode_text(path, raw))
    columns = rd.find_columns(path, table.header)
    return _build(path, table, columns)


def _build(path: str, table: rd.TextTable, columns: dict[str, rd.Column]) -> EchemData:
    listing = ", ".join(repr(t) for t in table.header if t.strip())
    if "voltage" not in columns:
        raise InputError(path, f"no voltage column (columns: {listing})")
    if "time" not in columns and "timestamp" not in columns:
        raise InputError(path, f"no time column (columns: {listing})")
    roles = list(columns)
    cells, line_numbers, short_line = rd.pick_cells(table, [columns[r].index for r in roles])
    if short_line is not None:
        raise InputError(path, f"line {short_line} has fewer fields than the column header")
    if not line_numbers:
        raise InputError(path, "no data rows after the column header")
    picked = dict(zip(roles, cells))
    lines = np.asarray(line_numbers)
    values = {r: _numbers(path, columns[r], picked[r], lines, table.decimal_comma)
              for r in roles if r not in ("time", "timestamp")}
    time_s, start_epoch_s = _time(path, columns, picked, lines, table)
    for role, array in (("time", time_s), ("voltage", values["voltage"])):
        _require_finite(path, role, array, lines)
    _require_not_backwards(path, time_s, lines)
    notes = tuple(f"column {c.title!r} has no unit; read as {_FIELD_UNITS[c.role]}"
                  for r, c in columns.items() if c.assumed_unit and not (r == "time" and ":" in picked[r][0]))
    return EchemData(time_s=time_s, voltage_V=values["voltage"], current_mA=values.get("current"),
                     capacity_mAh=values.get("capacity"), start_epoch_s=start_epoch_s, source=path,
                     x=values.get("x"), notes=notes)


def _time(path, columns, picked, lines, table) -> tuple[np.ndarray, Optional[float]]:
    """Relative time in s and the POSIX time at time zero (header, else timestamp column)."""
    stamps = None
    column = columns.get("time")
    if column is not None and rd.parse_timestamp(picked["time"][0]) is not None:
        stamps = picked["time"]            # a "Time" column holding date-times
    elif column is None:
        stamps = picked["timestamp"]
    if stamps is not None:
        epoch = _timestamps(path, stamps, lines)
        return epoch - epoch[0], float(epoch[0])
    time_s = _numbers(path, column, picked["time"], lines, table.decimal_comma)
    start = table.start_epoch_s
    if start is None and "timestamp" in columns:
        first = rd.parse_timestamp(picked["timestamp"][0])
        if first is not None and np.isfinite(time_s[0]):
            start = first - float(time_s[0])
    return time_s, start


def _timestamps(path: str, cells: list[str], lines: np.ndarray) -> np.ndarray:
    out = np.empty(len(cells))
    for i, cell in enumerate(cells):
        value = rd.parse_timestamp(cell)
        if value is None:
            raise InputError(path, f"line {lines[i]}: {cell.strip()!r} is not a date-time")
        out[i] = value
    return out


def _numbers(path: str, column: rd.Column, cells: list[str], lines: np.ndarray,
             decimal_comma: bool) -> np.ndarray:
    """The column's cells as floats in s / V / mA / mAh; empty cells become NaN."""
    text = np.char.strip(np.asarray(cells, dtype=str))
    text = np.char.strip(text, '"')
    if decimal_comma:
        text = np.char.replace(text, ",", ".")
    text = np.where(text == "", "nan", text)
    if column.clock or (column.role == "time" and text.size and ":" in str(text[0])):
        return _clock_seconds(path, column, text, lines)
    try:
        return text.astype(float) * column.scale
    except ValueError:
        bad = next(i for i, t in enumerate(text) if not _is_float(t))
        raise InputError(path, f"line {lines[bad]}: {cells[bad].strip()!r} in column {column.title!r} "
                               f"is not a number") from None


def _clock_seconds(path: str, column: rd.Column, text: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Seconds from ``[D-]h:mm:ss[.f]`` cells (Neware/Arbin style elapsed time)."""
    pattern = re.compile(r"^(?:(\d+)-)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$")
    out = np.empty(text.size)
    for i, cell in enumerate(text):
        m = pattern.match(str(cell))
        if m is None:
            raise InputError(path, f"line {lines[i]}: {str(cell)!r} in column {column.title!r} "
                                   f"is not a time h:mm:ss")
        days = int(m[1]) if m[1] else 0
        out[i] = ((days * 24 + int(m[2])) * 60 + int(m[3])) * 60 + float(m[4])
    return out


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _require_finite(path: str, role: str, values: np.ndarray, lines: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InputError(path, f"line {lines[bad[0]]}: {role} value missing ({bad.size} rows without one)")


def _require_not_backwards(path: str, time_s: np.ndarray, lines: np.ndarray) -> None:
    back = np.flatnonzero(np.diff(time_s) < 0)
    if back.size:
        i = back[0] + 1
        raise InputError(path, f"line {lines[i]}: time goes backwards ({time_s[i]:g} s after "
                               f"{time_s[i - 1]:g} s) at {back.size} place(s); records joined out of "
                               f"order or a clock reset - fix or split the file")


# --------------------------------------------------------------------------- alignment

def mid_scan_times_s(series: ScanSeries, scan_duration_s: Optional[float] = None) -> np.ndarray:
    """(n_scans,) mid-exposure time of each scan on the series clock, s.

    Scan start + duration/2; without a duration the median spacing of the scan times stands in
    for it, and a single scan is taken at its start.
    """
    start = np.asarray(series.time_s, dtype=float)
    if scan_duration_s is None:
        scan_duration_s = float(np.median(np.diff(start))) if start.size > 1 else 0.0
    return start + 0.5 * float(scan_duration_s)


def scan_times_on_echem_clock(echem: EchemData, series: ScanSeries, *, clock_offset_s: float = 0.0,
                              scan_duration_s: Optional[float] = None) -> np.ndarray:
    """(n_scans,) the mid-scan times expressed as ``echem.time_s`` values, s.

    ``clock_offset_s`` is added to the echem clock (-3600 when the potentiostat's clock runs
    one hour ahead). When both records carry absolute start times they are used; otherwise
    both records are assumed to start together.
    """
    mid = mid_scan_times_s(series, scan_duration_s)
    if series.start_epoch_s is not None and echem.start_epoch_s is not None:
        return series.start_epoch_s + mid - (echem.start_epoch_s + clock_offset_s)
    return mid - clock_offset_s


def alignment_note(echem: EchemData, series: ScanSeries) -> str:
    """One sentence for the user saying how :func:`scan_times_on_echem_clock` lines the records up."""
    if series.start_epoch_s is None or echem.start_epoch_s is None:
        missing = " and ".join(name for name, start in (("the scans", series.start_epoch_s),
                                                          ("the echem file", echem.start_epoch_s))
                               if start is None)
        note = f"echem record and first scan assumed to start together (no absolute time in {missing})"
    else:
        note = "aligned on absolute start times"
        if series.time_source == "mtime":
            note += ("; scan times are file modification times (true UTC) while cycler times are "
                     "local clock times: a time-zone difference shows up as a clock offset")
    if series.time_source == "index":
        note += "; the scans have no times (1 s per scan index), so this alignment is not meaningful"
    return note


def voltage_at_scans(echem: EchemData, series: ScanSeries, *, clock_offset_s: float = 0.0,
                     scan_duration_s: Optional[float] = None) -> np.ndarray:
    """(n_scans,) cell voltage at mid-scan, V, linearly interpolated; NaN outside the record."""
    t = scan_times_on_echem_clock(echem, series, clock_offset_s=clock_offset_s,
                                  scan_duration_s=scan_duration_s)
    return np.interp(t, echem.time_s, echem.voltage_V, left=np.nan, right=np.nan)


# --------------------------------------------------------------------------- sodium content

def charge_passed_mAh(echem: EchemData) -> np.ndarray:
    """(n,) charge passed since the first point, mAh, positive on charge.

    Cumulative trapezoid integral of the current when the file has a complete current column
    (capacity columns of EC-Lab/Neware may reset at each step); else the capacity column
    relative to its first value.
    """
    if echem.current_mA is not None and np.all(np.isfinite(echem.current_mA)):
        steps = 0.5 * (echem.current_mA[1:] + echem.current_mA[:-1]) * np.diff(echem.time_s)
        return np.concatenate(([0.0], np.cumsum(steps))) / 3600.0
    if echem.capacity_mAh is not None and np.all(np.isfinite(echem.capacity_mAh)):
        return echem.capacity_mAh - echem.capacity_mAh[0]
    raise InputError(echem.source, "no complete current or capacity column: cannot compute the Na content")


def sodium_content(echem: EchemData, *, active_mass_g: float, molar_mass_g_mol: float, x0: float,
                   electrons_per_na: float = 1.0) -> np.ndarray:
    """(n,) Na content x at each echem point by Faraday's law.

    Δx = 3.6·Q[mAh]·M / (F·m·n); charging (positive current) removes Na, so x = x0 − Δx.
    ``active_mass_g`` is the active material mass in g, ``molar_mass_g_mol`` its molar mass at
    composition x0, ``electrons_per_na`` the electrons transferred per Na removed.
    """
    for name, value in (("active mass", active_mass_g), ("molar mass", molar_mass_g_mol),
                        ("electrons per Na", electrons_per_na)):
        if not (np.isfinite(value) and value > 0):
            raise InputError(None, f"{name} must be a positive number, not {value!r}")
    moles_active = active_mass_g / molar_mass_g_mol
    delta_x = COULOMB_PER_MAH * charge_passed_mAh(echem) / (FARADAY_C_MOL * moles_active * electrons_per_na)
    return float(x0) - delta_x


def sodium_at_scans(echem: EchemData, series: ScanSeries, *, active_mass_g: float,
                    molar_mass_g_mol: float, x0: float, electrons_per_na: float = 1.0,
                    clock_offset_s: float = 0.0, scan_duration_s: Optional[float] = None) -> np.ndarray:
    """(n_scans,) Na content x at mid-scan, aligned exactly as :func:`voltage_at_scans`; NaN outside."""
    x = sodium_content(echem, active_mass_g=active_mass_g, molar_mass_g_mol=molar_mass_g_mol, x0=x0,
                       electrons_per_na=electrons_per_na)
    t = scan_times_on_echem_clock(echem, series, clock_offset_s=clock_offset_s,
                                  scan_duration_s=scan_duration_s)
    return np.interp(t, echem.time_s, x, left=np.nan, right=np.nan)
