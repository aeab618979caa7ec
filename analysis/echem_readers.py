"""Text readers for electrochemistry records: BioLogic EC-Lab ``.mpt`` exports and delimited tables.

These functions turn a file into a header (tuple of column titles) and data lines, and
recognise which column holds time, voltage, current, capacity, Na content or absolute
timestamps from the column titles, with the unit written in the title. Turning the picked
cells into numbers lives in :mod:`analysis.echem`.

Conventions
-----------
- Text is read as UTF-8 (with or without BOM), UTF-16 when it starts with a BOM, else latin-1
  (EC-Lab writes latin-1). A NUL byte in the first 64 kB marks a binary file.
- Delimiter: tab, then ``;``, then ``,`` - the first that yields a column header line. With tab
  or ``;`` a comma inside a number is a decimal comma.
- Timestamps without a time zone (EC-Lab ``Acquisition started on``, ISO columns without
  ``Z``/``+hh:mm``) are read as UTC, so that results never depend on the computer's time zone;
  a real difference between the potentiostat's and the diffractometer's clocks is what the
  user's clock offset is for.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from .errors import InputError

ROLES = ("time", "voltage", "current", "capacity", "x", "timestamp")

# Column names (lower case, ``<>()`` removed, runs of space/underscore collapsed to one space),
# best first. Step-relative times and the EC-Lab set point ``control/V/mA`` are deliberately absent.
_ROLE_NAMES = {
    "time": ("time", "test time", "total time", "elapsed time", "elapsed", "time elapsed", "run time",
             "t"),
    "voltage": ("ewe", "voltage", "e", "u", "ecell", "cell voltage", "potential", "cell potential",
                "ewe-ece"),
    "current": ("i", "current", "cell current"),
    "capacity": ("q-qo", "q charge/discharge", "capacity", "q", "cap"),
    "x": ("x",),
    "timestamp": ("date time", "datetime", "date", "timestamp", "time stamp", "absolute time",
                  "abs time", "realtime", "real time", "system time", "date/time"),
}

# Unit -> factor to the unit the EchemData field uses (s, V, mA, mAh). Units are compared
# lower case with spaces, dots and middle dots removed, and micro signs spelled "u".
UNIT_SCALES = {
    "time": {"s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0, "ms": 1e-3, "min": 60.0,
             "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0, "d": 86400.0, "day": 86400.0},
    "voltage": {"v": 1.0, "mv": 1e-3},
    "current": {"a": 1e3, "ma": 1.0, "ua": 1e-3, "na": 1e-6},
    "capacity": {"ah": 1e3, "mah": 1.0, "uah": 1e-3, "c": 1.0 / 3.6, "mc": 1.0 / 3600.0},
    "x": {"": 1.0},
}
DEFAULT_UNITS = {"time": "s", "voltage": "v", "current": "ma", "capacity": "mah", "x": ""}

_BRACKET_UNIT = re.compile(r"^(?P<name>.*?\S)\s*[\(\[](?P<unit>[^\(\)\[\]]*)[\)\]]\s*$")
_SUFFIX_UNIT = re.compile(r"^(?P<name>.+?)_(?P<unit>s|min|h|v|mv|a|ma|ua|mah|ah)$", re.IGNORECASE)
_BINARY_PROBE_BYTES = 65536


@dataclass(frozen=True)
class TextTable:
    """A delimited table as found in a file.

    header:          column titles as written
    lines:           the data lines after the header (blank lines kept, so numbering holds)
    first_line:      1-based line number in the file of ``lines[0]``
    delimiter:       ``"\\t"``, ``";"`` or ``","``
    decimal_comma:   whether ``3,75`` means 3.75
    start_epoch_s:   POSIX time of the record's start from a file header, or None
    kind:            ``"EC-Lab .mpt"`` or ``"delimited text"``
    """

    header: tuple[str, ...]
    lines: list[str]
    first_line: int
    delimiter: str
    decimal_comma: bool
    start_epoch_s: Optional[float]
    kind: str


@dataclass(frozen=True)
class Column:
    """A recognised column: its index, title, role and the factor to s / V / mA / mAh."""

    index: int
    title: str
    role: str
    scale: float
    clock: bool = False       # values written as [D-]h:mm:ss
    assumed_unit: bool = False


def decode_text(path: str, raw: bytes) -> str:
    """The file's text; raises InputError for empty or binary files."""
    if not raw.strip():
        raise InputError(path, "empty file")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    if b"\x00" in raw[:_BINARY_PROBE_BYTES]:
        hint = {".mpr": " (BioLogic .mpr: export it from EC-Lab as text, .mpt)",
                ".nda": " (Neware .nda: export it as CSV)", ".ndax": " (Neware .ndax: export it as CSV)"}
        ext = os.path.splitext(path)[1].lower()
        raise InputError(path, "binary file, not a text export" + hint.get(ext, ""))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_table(path: str, text: str) -> TextTable:
    """Find the column header and data lines in an EC-Lab ``.mpt`` export or a delimited table."""
    lines = text.splitlines()
    if lines and lines[0].strip().upper().startswith("EC-LAB ASCII FILE"):
        return _read_mpt(path, lines)
    for delimiter in ("\t", ";", ","):
        at = _find_header_line(lines, delimiter)
        if at is not None:
            header = tuple(_split(lines[at], delimiter))
            _check_row_width(path, lines, at, header, delimiter)
            return TextTable(header, lines[at + 1:], at + 2, delimiter, delimiter != ",", None,
                             "delimited text")
    raise InputError(path, "no column header line followed by numeric data found")


def _check_row_width(path: str, lines: list[str], at: int, header: tuple[str, ...], delimiter: str) -> None:
    """Refuse a first data row with more values than titles: with ``,`` as delimiter that is
    almost always decimal commas, which would silently shift every column."""
    following = next((i for i in range(at + 1, min(at + 20, len(lines))) if lines[i].strip()), None)
    if following is None:
        return
    n_values = sum(1 for c in _split(lines[following], delimiter) if c.strip())
    if n_values > len(header):
        hint = " (decimal commas in a comma-separated file?)" if delimiter == "," else ""
        raise InputError(path, f"line {following + 1} has {n_values} values but the column header has "
                               f"{len(header)} titles{hint}")


def _read_mpt(path: str, lines: list[str]) -> TextTable:
    n_header = None
    start_epoch_s = None
    for line in lines[:5]:
        m = re.match(r"\s*Nb header lines\s*:\s*(\d+)", line, re.IGNORECASE)
        if m:
            n_header = int(m.group(1))
    if n_header is None or not 1 <= n_header <= len(lines):
        raise InputError(path, "EC-Lab file without a valid 'Nb header lines' line")
    for line in lines[:n_header]:
        key, sep, value = line.partition(" : ")
        if sep and key.strip().lower() == "acquisition started on":
            start_epoch_s = parse_ec_lab_date(path, value.strip())
    header = tuple(_split(lines[n_header - 1], "\t"))
    if len(header) < 2:
        raise InputError(path, f"EC-Lab column header expected on line {n_header}, "
                               f"found {lines[n_header - 1][:60]!r}")
    return TextTable(header, lines[n_header:], n_header + 1, "\t", True, start_epoch_s, "EC-Lab .mpt")


def parse_ec_lab_date(path: str, value: str) -> float:
    """POSIX time of an EC-Lab ``Acquisition started on`` value (read as UTC).

    EC-Lab writes month/day/year (``03/15/2026 10:22:31.000``); European installs write
    day.month.year (``15.03.2026 10:22:31``); ISO ``2026-03-15 10:22:31`` is accepted too.
    """
    formats = ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S.%f %p", "%m/%d/%Y %I:%M:%S %p",
               "%m/%d/%y %H:%M:%S.%f", "%m/%d/%y %H:%M:%S",
               "%d.%m.%Y %H:%M:%S.%f", "%d.%m.%Y %H:%M:%S", "%d.%m.%y %H:%M:%S.%f", "%d.%m.%y %H:%M:%S",
               "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
    cleaned = value.replace(",", ".")
    for fmt in formats:
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    raise InputError(path, f"cannot read the acquisition start time {value!r}")


def parse_timestamp(value: str) -> Optional[float]:
    """POSIX time of an ISO-like date-time cell (``2026-03-15T10:22:31``, ``2026/03/15 10:22:31``,
    with optional fraction and ``Z``/``+hh:mm``; naive values read as UTC), or None if it is not one."""
    text = value.strip().strip('"')
    if not re.match(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}[T ]\d", text):
        return None
    text = re.sub(r"^(\d{4})/(\d{1,2})/(\d{1,2})", lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


def split_title(title: str) -> tuple[str, str]:
    """(normalised name, normalised unit) of a column title such as ``Ewe/V``, ``Time (h)``,
    ``current_mA``, ``(Q-Qo)/mA.h`` or ``Relative Time(h:min:s.ms)``."""
    text = title.strip().strip('"').strip()
    m = _BRACKET_UNIT.match(text)
    if m and m["name"].strip("(<"):
        name, unit = m["name"], m["unit"]
    elif "/" in text:
        name, _, unit = text.rpartition("/")
    elif _SUFFIX_UNIT.match(text):
        m = _SUFFIX_UNIT.match(text)
        name, unit = m["name"], m["unit"]
    else:
        name, unit = text, ""
    name = re.sub(r"[\s_]+", " ", re.sub(r"[<>()]", "", name)).strip().lower()
    return name, normalize_unit(unit)


def normalize_unit(unit: str) -> str:
    """Lower case, no spaces/dots/middle dots, micro sign as ``u`` (``mA.h`` -> ``mah``, ``µA`` -> ``ua``)."""
    unit = unit.strip().lower().replace("âµ", "u").replace("\u00b5", "u").replace("\u03bc", "u")
    return re.sub(r"[\s.\u00b7*]", "", unit)


def find_columns(path: str, header: tuple[str, ...]) -> dict[str, Column]:
    """The best column for each role found in ``header``; raises InputError for an unknown unit
    on a recognised column. Roles absent from the header are absent from the result."""
    names = [split_title(title) for title in header]
    found: dict[str, Column] = {}
    for role in ROLES:
        for wanted in _ROLE_NAMES[role]:
            index = _index_of(names, header, role, wanted)
            if index is not None:
                found[role] = _column(path, header[index], index, role, names[index][1])
                break
    return found


def _index_of(names, header, role, wanted) -> Optional[int]:
    for i, (name, _) in enumerate(names):
        full = re.sub(r"[\s_]+", " ", header[i].strip().strip('"')).lower()
        if role == "timestamp" and (full == wanted or name == wanted):
            return i
        if role != "timestamp" and name == wanted:
            return i
    return None


def _column(path: str, title: str, index: int, role: str, unit: str) -> Column:
    if role == "timestamp":
        return Column(index, title, role, 1.0)
    if role == "time" and (":" in unit or unit in ("hh:mm:ss", "hms")):
        return Column(index, title, role, 1.0, clock=True)
    scales = UNIT_SCALES[role]
    if unit == "":
        # a bare "Voltage" is in volts on every cycler; time, current and capacity are worth a note
        return Column(index, title, role, scales[DEFAULT_UNITS[role]],
                      assumed_unit=role in ("time", "current", "capacity"))
    if unit not in scales:
        raise InputError(path, f"column {title!r}: unknown {role} unit")
    return Column(index, title, role, scales[unit])


def pick_cells(table: TextTable, indices: list[int]) -> tuple[list[list[str]], list[int], Optional[int]]:
    """The cells of the given columns for every non-blank data line, the 1-based line numbers of
    those lines, and the line number of the first line too short to hold them (or None)."""
    cells: list[list[str]] = [[] for _ in indices]
    line_numbers: list[int] = []
    need = max(indices) + 1
    rows = _rows(table)
    for offset, row in enumerate(rows):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < need:
            return cells, line_numbers, table.first_line + offset
        for store, i in zip(cells, indices):
            store.append(row[i])
        line_numbers.append(table.first_line + offset)
    return cells, line_numbers, None


def _rows(table: TextTable):
    if table.delimiter == ",":
        return csv.reader(table.lines)
    return (line.split(table.delimiter) for line in table.lines)


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == ",":
        return next(csv.reader([line]), [])
    return line.split(delimiter)


def _find_header_line(lines: list[str], delimiter: str, probe: int = 400) -> Optional[int]:
    """Index of the first line with >= 2 non-numeric cells followed (after blank lines) by a
    line with as many cells, at least half of them numbers or timestamps."""
    for i, line in enumerate(lines[:probe]):
        if delimiter not in line or line.lstrip().startswith(("#", "!", "'", "%")):
            continue
        cells = [c for c in _split(line, delimiter)]
        titles = [c for c in cells if c.strip()]
        if len(titles) < 2 or any(_looks_numeric(c, delimiter != ",") for c in titles):
            continue
        following = next((nxt for nxt in lines[i + 1:i + 20] if nxt.strip()), None)
        if following is None:
            return i
        values = _split(following, delimiter)
        numeric = sum(_looks_numeric(v, delimiter != ",") or parse_timestamp(v) is not None for v in values)
        if len(values) >= len(titles) and numeric * 2 >= len(titles):
            return i
    return None


def _looks_numeric(cell: str, decimal_comma: bool) -> bool:
    text = cell.strip().strip('"')
    if decimal_comma:
        text = text.replace(",", ".")
    try:
        float(text)
        return True
    except ValueError:
        return bool(re.match(r"^\d+(-\d+)?:\d{1,2}:\d{1,2}(\.\d*)?$", text))
