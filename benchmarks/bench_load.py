"""Load-time benchmark: a folder of 2,000 .xy files × 3,000 points, and a 2,000 × 5,000 HDF5 stack.

Targets (issue): folder < 3 s, HDF5 well under 1 s on the 2-core reference machine.
Run: ``/work/venv/bin/python benchmarks/bench_load.py [--files 2000] [--points 3000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import h5py
import numpy as np

from analysis.readers import load_series
from analysis.readers.files import folder_files, series_from_patterns
from analysis.readers.parallel import idle_cpus, parse_files


def write_xy_folder(folder: str, n_files: int, n_points: int) -> None:
    """Dioptas-like .xy files: a short pyFAI-style header and two columns."""
    x = np.linspace(5.0, 80.0, n_points)
    rng = np.random.default_rng(0)
    for i in range(n_files):
        y = 100.0 + rng.poisson(50.0, n_points)
        with open(os.path.join(folder, f"scan_{i:05d}.xy"), "w") as fh:
            fh.write(f"# Wavelength: 1.5406e-10 m\n# Date: 2026-03-01 12:{i // 60 % 60:02d}:{i % 60:02d}\n"
                     "# 2th_deg              I\n")
            np.savetxt(fh, np.column_stack([x, y]), fmt=["%.6f", "%.4f"])


def write_h5_stack(path: str, n_scans: int, n_points: int) -> None:
    """An NXazint1d-like file with float32 intensities and an epoch counter."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "entry"
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "data"
        g = entry.create_group("data")
        g.attrs.update({"NX_class": "NXdata", "signal": "I", "axes": [".", "radial_axis"]})
        g.create_dataset("I", data=rng.uniform(0, 1000, (n_scans, n_points)).astype(np.float32),
                         chunks=(64, n_points))
        g.create_dataset("radial_axis", data=np.linspace(1.0, 40.0, n_points)).attrs["units"] = "degrees"
        g.create_dataset("time", data=1.77e9 + 10.0 * np.arange(n_scans))


def best_of(repeat: int, fn) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def cpu_seconds(fn) -> float:
    """CPU time of this process for one run: the work itself, whatever else the machine is doing."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--points", type=int, default=3000)
    parser.add_argument("--h5-scans", type=int, default=2000)
    parser.add_argument("--h5-points", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "xy")
        os.mkdir(folder)
        start = time.perf_counter()
        write_xy_folder(folder, args.files, args.points)
        print(f"wrote {args.files} .xy files × {args.points} points in {time.perf_counter() - start:.1f} s")
        seconds, series = best_of(args.repeat, lambda: load_series(folder))
        print(f"folder load_series (workers chosen by load: {idle_cpus()}): {seconds:.2f} s "
              f"(best of {args.repeat}), {series.intensity.shape}, time_source={series.time_source}  "
              "[target < 3 s]")
        for workers in (1, 2):
            seconds, _ = best_of(args.repeat, lambda: series_from_patterns(
                parse_files(folder_files(folder), workers=workers)[0], layout_hint="folder", origin=folder))
            print(f"folder load forced to {workers} process(es): {seconds:.2f} s (best of {args.repeat})")
        cpu = cpu_seconds(lambda: series_from_patterns(parse_files(folder_files(folder), workers=1)[0],
                                                       layout_hint="folder", origin=folder))
        print(f"folder load in one process, CPU time: {cpu:.2f} s (independent of other load on the machine)")
        h5 = os.path.join(tmp, "stack.nxs")
        write_h5_stack(h5, args.h5_scans, args.h5_points)
        seconds, series = best_of(args.repeat, lambda: load_series(h5))
        print(f"HDF5 load:   {seconds:.3f} s (best of {args.repeat}), {series.intensity.shape}, "
              f"layout={series.layout!r}  [target well under 1 s]")


if __name__ == "__main__":
    main()
