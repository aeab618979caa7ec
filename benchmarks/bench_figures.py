"""Figure and export timings for a large series (default 1,000 scans × 5,000 points).

Prints render and save times per format and file sizes, and matrix-CSV / NeXus export times.
Run: ``/work/venv/bin/python benchmarks/bench_figures.py [--scans 1000] [--points 5000] [--dpi 600]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from analysis import export
from analysis.series import ScanSeries
from app.figures.contour_figure import render_contour_figure
from app.figures.presets import builtin_presets
from app.figures.saving import save_figure


def synthetic(n_scans: int, n_points: int) -> tuple[ScanSeries, np.ndarray]:
    tt = np.linspace(10.0, 50.0, n_points)
    t_h = np.linspace(0.0, 20.0, n_scans)
    frac = np.where(t_h < 10, t_h / 10, 2 - t_h / 10)
    rng = np.random.default_rng(0)
    inten = 20 + 800 * np.exp(-0.5 * ((tt - (15.8 - 0.4 * frac[:, None])) / 0.08) ** 2)
    inten = rng.poisson(inten).astype(float)
    return ScanSeries(x=tt, intensity=inten, time_s=t_h * 3600, wavelength_A=1.5406), 2.2 + 2.2 * frac


def timed(label: str, fn) -> object:
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<34s} {time.perf_counter() - t0:7.2f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--points", type=int, default=5000)
    parser.add_argument("--dpi", type=float, default=600)
    args = parser.parse_args()
    series, volts = synthetic(args.scans, args.points)
    print(f"{args.scans} scans × {args.points} points, dpi {args.dpi:g}")
    with tempfile.TemporaryDirectory() as tmp:
        for preset, windows in (("rsc-single", ()), ("rsc-double", ((14.0, 18.0), (35.0, 45.0)))):
            style = builtin_presets()[preset].with_changes(windows=windows)
            fig = timed(f"render {preset} {len(windows) or 1} window(s)",
                        lambda: render_contour_figure(series, style, voltage=volts))
            for ext in ("png", "tiff", "pdf", "svg"):
                path = os.path.join(tmp, f"{preset}.{ext}")
                timed(f"  save .{ext}", lambda: save_figure(fig, path, dpi=args.dpi))
                print(f"  {'':<32s} {os.path.getsize(path) / 1e6:7.2f} MB")
        csv_path, nxs_path = os.path.join(tmp, "map.csv"), os.path.join(tmp, "map.nxs")
        timed("matrix CSV write", lambda: export.write_series_matrix_csv(csv_path, series))
        print(f"  {'':<32s} {os.path.getsize(csv_path) / 1e6:7.2f} MB")
        timed("matrix CSV read", lambda: export.read_matrix_csv(csv_path))
        timed("NeXus write", lambda: export.write_nexus(nxs_path, series, voltage_V=volts))


if __name__ == "__main__":
    main()
