"""One powder pattern from a text file: .xy, .xye, .dat, .txt, .csv, Fit2D .chi, GSAS .fxye/.gsa.

Layout handled: header lines (comments starting ``#``, ``'``, ``!`` or ``;``, or bare text such as a
``.chi`` title or a GSAS ``BANK`` line), then a numeric block of 2 or more columns separated by
whitespace, commas or semicolons, possibly with decimal commas (``15,88;123,4``). Columns are
x, intensity and (optionally) the standard uncertainty.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

from .. import axis as ax
from ..errors import InputError, read_failure
from . import header as hdr
from . import numeric
from .sniff import HDF5_SIGNATURE, SNIFF_BYTES, echem_columns, looks_binary

COMMENT_CHARS = ("#", "'", "!", ";")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
MAX_TEXT_BYTES = 512 * 1024 * 1024
"""Text files larger than this are refused rather than read into memory."""


@dataclass
class TextPattern:
    """One parsed pattern: x (n,) in ``x_kind`` units, strictly increasing; y (n,); sigma (n,) or None."""

    path: str
    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None
    x_kind: str = ax.TWO_THETA
    wavelength_A: float | None = None
    start_epoch_s: float | None = None
    elapsed_s: float | None = None
    format: str = "columns"
    notes: list[str] = field(default_factory=list)

    def meta(self) -> dict:
        return {"x_kind": self.x_kind, "wavelength_A": self.wavelength_A, "start_epoch_s": self.start_epoch_s,
                "elapsed_s": self.elapsed_s, "format": self.format, "notes": list(self.notes)}


class NotAPattern(InputError):
    """The file is readable but is something else (prose, electrochemistry, binary): skip it in a folder."""


def read_pattern(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict]:
    """Read one text pattern; returns ``(x, y, sigma or None, meta)``.

    ``x`` is strictly increasing in the unit of ``meta["x_kind"]`` (2θ in degrees unless the
    header says Q or d); ``meta`` also holds ``wavelength_A``, ``start_epoch_s``, ``elapsed_s``,
    ``format`` and ``notes``. Raises :class:`InputError` naming the file and the problem.
    """
    pattern = parse_pattern_file(path)
    return pattern.x, pattern.y, pattern.sigma, pattern.meta()


def parse_pattern_file(path: str | os.PathLike) -> TextPattern:
    """Read and parse one text pattern file into a :class:`TextPattern`."""
    path = os.fspath(path)
    raw = _read_bytes(path)
    return parse_pattern_bytes(path, raw)


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
            if head.startswith(HDF5_SIGNATURE):
                raise NotAPattern(path, "HDF5 file; load it on its own with load_series")
            if looks_binary(head) and not head.startswith(_UTF16_BOMS):
                raise NotAPattern(path, "binary content, not a text pattern")
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_TEXT_BYTES:
                raise InputError(path, f"text file too large ({size / 1e6:.0f} MB)")
            return head + fh.read()
    except OSError as err:
        raise read_failure(path, err) from None


def _decode(raw: bytes) -> str:
    if raw.startswith(_UTF16_BOMS):
        return raw.decode("utf-16", "replace")  # Windows "Unicode" exports
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # classic Mac line ends
    return text


def parse_pattern_bytes(path: str, raw: bytes) -> TextPattern:
    """Parse the bytes of a text pattern; ``path`` is only used in messages and ``source``."""
    if not raw.strip():
        raise InputError(path, "empty file")
    if looks_binary(raw[:SNIFF_BYTES]) and not raw.startswith(_UTF16_BOMS):
        raise NotAPattern(path, "binary content, not a text pattern")
    text = _decode(raw)
    if not text.strip():
        raise InputError(path, "empty file")
    found = _locate_data(text)
    if found is None:
        raise NotAPattern(path, "no numeric columns found (not a diffraction pattern)")
    header, offset = found
    header_text = [_strip_comment(h) for h in header]
    column_line = _column_line(header, header_text)
    echem = echem_columns([column_line] if column_line else [])
    if echem:
        raise NotAPattern(path, f"looks like electrochemistry data (columns: {', '.join(echem[:3])}), "
                                "not a diffraction pattern")
    axis = _axis(path, header, header_text, column_line)
    table, dialect, footer = numeric.parse_block(path, text[offset:], len(header) + 1)
    pattern = _build(path, axis, header_text, table, dialect)
    if footer:
        pattern.notes.append(f"ignored {footer} text line(s) after the data")
    return pattern


def _strip_comment(line: str) -> str:
    s = line.strip()
    while s and s[0] in COMMENT_CHARS:
        s = s[1:]
    return s.strip()


def _iter_lines(text: str):
    """(offset, line) pairs without splitting the whole (possibly large) numeric block up front."""
    pos, end = 0, len(text)
    while pos < end:
        nl = text.find("\n", pos)
        nl = end if nl < 0 else nl
        yield pos, text[pos:nl].rstrip("\r")
        pos = nl + 1


def _is_data_row(line: str) -> list[float] | None:
    s = line.strip()
    if not s or s[0] in COMMENT_CHARS or not (s[0].isdigit() or s[0] in "+-."):
        return None
    values = numeric.split_row(s)
    return values if values is not None and len(values) >= 2 else None


def _locate_data(text: str) -> tuple[list[str], int] | None:
    """(header lines, offset of the numeric block): the first row of >= 2 numbers that the next agrees with."""
    header: list[str] = []
    candidate: tuple[int, int] | None = None  # (offset, n_values) of a row awaiting confirmation
    for offset, line in _iter_lines(text):
        if candidate is not None:
            s = line.strip()
            if not s:
                continue
            if s[0] in COMMENT_CHARS:
                return header, candidate[0]
            values = numeric.split_row(s)
            if values is not None and len(values) == candidate[1]:
                return header, candidate[0]
            header.append(text[candidate[0]:offset].rstrip("\r\n"))
            candidate = None
        values = _is_data_row(line)
        if values is not None:
            candidate = (offset, len(values))
        else:
            header.append(line)
    if candidate is not None:
        return header, candidate[0]
    return None


def _column_line(header: list[str], header_text: list[str]) -> str | None:
    """The last non-empty header line, taken as column names if it is not a key: value line."""
    for raw, text in zip(reversed(header), reversed(header_text)):
        if text:
            return text if not re.match(r"^\s*BANK\b", raw) else None
    return None


def _chi_unit_line(header: list[str]) -> str | None:
    """Fit2D .chi: exactly four header lines (title, unit line, description, point count)."""
    if len(header) == 4 and re.fullmatch(r"\s*\d+\s*", header[3]):
        return header[1].strip()
    return None


def _axis(path: str, header: list[str], header_text: list[str], column_line: str | None) -> tuple[str, float, str]:
    """(x kind, scale to that kind's unit, format name) from the header."""
    bank = next((h for h in header if re.match(r"^\s*BANK\s", h)), None)
    if bank is not None:
        return _gsas_axis(path, bank) + ("gsas",)
    chi_line = _chi_unit_line(header)
    found = hdr.axis_from_header(header_text, column_line, chi_line)
    kind, scale = found if found else (ax.TWO_THETA, 1.0)
    return kind, scale, "chi" if chi_line else "columns"


def _build(path: str, axis: tuple[str, float, str], header_text: list[str], table: np.ndarray,
           dialect: str) -> TextPattern:
    x_kind, scale, fmt = axis
    notes: list[str] = []
    if dialect == "decimal-comma":
        notes.append("decimal commas read as decimal points")
    if table.shape[1] > 3:
        notes.append(f"{table.shape[1]} columns; used x, intensity and uncertainty (columns 1–3), "
                     "ignored the rest")
    x = table[:, 0] * scale
    y = table[:, 1]
    sigma = table[:, 2] if table.shape[1] >= 3 else None
    x, y, sigma = _ensure_increasing(path, x, y, sigma, notes)
    epoch, elapsed = hdr.scan_time(header_text)
    return TextPattern(path=path, x=x, y=y, sigma=sigma, x_kind=x_kind, wavelength_A=hdr.wavelength_A(header_text),
                       start_epoch_s=epoch, elapsed_s=elapsed, format=fmt, notes=notes)


def _gsas_axis(path: str, bank: str) -> tuple[str, float]:
    """Axis of a GSAS ``BANK`` line: CONS/FXYE x is 2θ in centidegrees; CONQ x is Q in 1/Å."""
    tokens = bank.split()
    binning = tokens[4].upper() if len(tokens) > 4 else ""
    fmt = tokens[-1].upper() if len(tokens) > 5 else ""
    if fmt in ("STD", "ESD"):
        raise InputError(path, f"GSAS {fmt} (fixed-column) data is not supported; export FXYE instead")
    if binning == "CONQ":
        return ax.Q, 1.0
    if binning == "CONS":
        return ax.TWO_THETA, 0.01
    raise InputError(path, f"GSAS bank binning {binning or '(none)'!r} is not supported (time-of-flight or "
                           "unknown); constant-wavelength CONS or CONQ data are")


def _ensure_increasing(path, x, y, sigma, notes):
    dx = np.diff(x)
    if x.size < 2 or np.all(dx > 0):
        return x, y, sigma
    if np.all(dx < 0):
        notes.append("x axis was decreasing; reversed")
        return x[::-1].copy(), y[::-1].copy(), None if sigma is None else sigma[::-1].copy()
    bad = int(np.argmax(dx <= 0)) + 1
    raise InputError(path, f"x axis is not monotonic (value {x[bad]:g} at data row {bad + 1} "
                           f"does not increase from {x[bad - 1]:g})")
