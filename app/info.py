"""``operando-xrd info``: a plain-text description of what a file or folder holds."""

from __future__ import annotations

import datetime as _dt

import numpy as np

from analysis import axis as ax
from analysis.series import ScanSeries


def describe_series(series: ScanSeries) -> str:
    """Scans, points, axis and unit, wavelength, time span, layout and notes, one per line."""
    x = series.x
    wl = f"{series.wavelength_A:.5f} Å" if series.wavelength_A else "unknown (give --wavelength)"
    span_s = float(series.time_s[-1] - series.time_s[0]) if series.n_scans > 1 else 0.0
    lines = [
        f"layout:      {series.layout or 'unknown'}",
        f"scans:       {series.n_scans}",
        f"points:      {series.n_points}",
        f"axis:        {ax.AXIS_LABELS[series.x_kind]}  {x[0]:.4f} … {x[-1]:.4f}  "
        f"(step {np.median(np.diff(x)) if x.size > 1 else 0:.5g})",
        f"wavelength:  {wl}",
        f"time span:   {span_s / 3600:.3f} h  (times from {series.time_source})",
    ]
    if series.start_epoch_s is not None:
        start = _dt.datetime.fromtimestamp(series.start_epoch_s, tz=_dt.timezone.utc)
        lines.append(f"started:     {start.isoformat(timespec='seconds')}")
    if series.sigma is not None:
        lines.append("sigma:       per-point uncertainties present")
    lines += [f"note:        {n}" for n in series.notes]
    return "\n".join(lines)


def describe_input(path_or_paths, *, wavelength_A: float | None = None) -> str:
    """Load ``path_or_paths`` and describe it; raises InputError on bad input."""
    from analysis.readers import load_series

    series = load_series(path_or_paths)
    if wavelength_A:
        series = series.with_wavelength(wavelength_A)
    return describe_series(series)
