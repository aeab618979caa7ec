"""What text headers say: wavelength, x-axis kind and unit, and when the scan started.

Headers seen in the wild: pyFAI's JSON PONI block (``# "wavelength": 1.5406e-10`` in metres),
pyFAI/Dioptas ``DefaultAiWriter`` lines (``# Wavelength: 1.5406e-10 m``), hand-written
``# Wavelength: 1.5406 A``, a column-name line (``# 2th_deg  I``, ``q_nm^-1``, ``d_A``), the Fit2D
``.chi`` unit line (``2-Theta Angle (Degrees)``, ``Q (1/nm)``), and timestamps
(``# Date: 2026-03-01 12:00:00``, ``# start_time: <ISO>``, ``# epoch: 1.7e9``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .. import axis as ax

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_KEY_VALUE = re.compile(r'^\s*"?([A-Za-z][\w .\-/]*?)"?\s*[:=]\s*(.*?)\s*,?\s*$')
_WAVELENGTH = re.compile(r"(?:wavelength|lambda|wave_length)\W*?\s*[:=]\s*\"?(" + _NUMBER + r")\s*([a-zA-Zµμ°Å]*)",
                         re.IGNORECASE)
_ENERGY = re.compile(r"energy\W*?\s*[:=]\s*\"?(" + _NUMBER + r")\s*(kev|ev)\b", re.IGNORECASE)

_TIME_KEYS = frozenset({"date", "start_time", "starttime", "start time", "start", "time", "datetime", "date_time",
                        "timestamp", "epoch", "start_date", "acquisition started on", "time_start",
                        "acquisition_start", "date/time"})
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                 "%m/%d/%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%a %b %d %H:%M:%S %Y", "%d-%b-%Y %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")

HC_KEV_A = 12.398419843
"""h·c in keV·Å: λ[Å] = 12.398419843 / E[keV]."""

MIN_EPOCH_S = 1e8
"""Numbers above this (1973) in a time field are POSIX times; smaller ones are elapsed seconds."""


def wavelength_A(header_lines: list[str]) -> float | None:
    """The wavelength in Å that a header states, or None.

    Metres when the unit says ``m`` or the value is below 1e-6 (pyFAI writes metres);
    ``nm`` is converted; otherwise Å. Values outside 0.01–20 Å are ignored as implausible.
    """
    for line in header_lines:
        match = _WAVELENGTH.search(line)
        if match:
            value, unit = float(match.group(1)), match.group(2).lower()
            if unit == "m" or (not unit and value < 1e-6):
                value *= 1e10
            elif unit == "nm":
                value *= 10.0
            if 0.01 <= value <= 20.0:
                return float(f"{value:.12g}")  # drop the 1e-10 scaling's rounding noise
    for line in header_lines:
        match = _ENERGY.search(line)
        if match:
            energy_keV = float(match.group(1)) / (1000.0 if match.group(2).lower() == "ev" else 1.0)
            if energy_keV > 0:
                return HC_KEV_A / energy_keV
    return None


def axis_from_label(label: str) -> tuple[str, float] | None:
    """``(kind, scale)`` from a column or axis label such as ``2th_deg``, ``Q (1/nm)``, ``2-Theta Angle (Degrees)``."""
    label = label.strip().strip('"').strip()
    if not label:
        return None
    known = ax.normalize_unit(label)
    if known:
        return known
    low = label.lower()
    inner = re.search(r"[(\[]([^)\]]*)[)\]]", low)
    unit = inner.group(1) if inner else ""
    name = re.split(r"[(\[]", low)[0].strip()
    if re.search(r"theta|2th|tth|2θ|two.?theta|angle", name):
        return (ax.TWO_THETA, 57.29577951308232) if unit.startswith("rad") else (ax.TWO_THETA, 1.0)
    if re.fullmatch(r"q(?:[\s_].*)?", name):
        scaled = ax.normalize_unit(unit) if unit else None
        return (ax.Q, scaled[1]) if scaled and scaled[0] == ax.Q else (ax.Q, 1.0)
    if re.fullmatch(r"d(?:[\s_-].*)?|d-spacing.*|dspacing.*", name):
        return (ax.D, 10.0) if unit.strip() == "nm" else (ax.D, 1.0)
    return None


def axis_from_header(header_lines: list[str], column_line: str | None,
                     chi_unit_line: str | None) -> tuple[str, float] | None:
    """The x-axis kind and scale from the column-name line, a ``.chi`` unit line, or a ``unit:`` entry."""
    if chi_unit_line:
        found = axis_from_label(chi_unit_line)
        if found:
            return found
    if column_line and ":" not in column_line:
        tokens = [t for t in re.split(r"[\s,;\t]+", column_line.strip()) if t]
        for candidate in ([tokens[0]] if tokens else []) + [column_line]:
            found = axis_from_label(candidate)
            if found:
                return found
    for line in header_lines:
        match = _KEY_VALUE.match(line)
        if match and match.group(1).strip().lower() in ("unit", "units", "x_unit", "radial_unit", "dim1_unit"):
            found = axis_from_label(match.group(2).strip('"'))
            if found:
                return found
    return None


def parse_timestamp(text: str) -> float | None:
    """POSIX seconds from an ISO-like date string or a POSIX number; naive times are taken as UTC."""
    text = text.strip().strip('"').strip("'").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        return number if number > MIN_EPOCH_S else None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        stamp = None
        for fmt in _TIME_FORMATS:
            try:
                stamp = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()


def scan_time(header_lines: list[str]) -> tuple[float | None, float | None]:
    """``(start_epoch_s, elapsed_s)`` from header time fields; either may be None.

    ``elapsed_s`` is a small number under a time key (e.g. ``# time: 120.5``), meaning seconds
    since some experiment start rather than a calendar time.
    """
    epoch = elapsed = None
    for line in header_lines:
        match = _KEY_VALUE.match(line)
        if not match or match.group(1).strip().lower() not in _TIME_KEYS:
            continue
        value = match.group(2)
        stamp = parse_timestamp(value)
        if stamp is not None:
            epoch = stamp if epoch is None else epoch
            continue
        try:
            number = float(value.split()[0].strip('"'))
        except (ValueError, IndexError):
            continue
        if elapsed is None and number >= 0:
            elapsed = number
    return epoch, elapsed
