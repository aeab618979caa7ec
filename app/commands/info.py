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


def add_parser(sub) -> None:
    p = sub.add_parser("info", help="print what a file or folder holds and exit")
    p.add_argument("path", nargs="+", help="pattern file, folder of patterns, or HDF5/NeXus file")
    p.add_argument("--wavelength", type=float, default=None, help="wavelength in Å (overrides the file)")
    p.set_defaults(run=run)


def run(args) -> int:
    from .inputs import load_input_series

    print(describe_series(load_input_series(args.path, args.wavelength)))
    return 0
