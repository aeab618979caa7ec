"""What a project save, load and input checksum cost (prints seconds and megabytes).

A beamtime-sized session: N scans of a folder of .xy files (about 40 kB each), a peak-fit result
over 6 windows / 10 peaks, 200 events. Saving is what an autosave does once the input
checksums are cached; the folder checksum is paid once per input state.

Run: /work/venv/bin/python benchmarks/bench_project.py [n_scans]
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

from analysis import project as pj
from analysis.events import Event
from analysis.fit_results import SeriesFitResult
from analysis.fit_windows import FitWindow


def fit_result(n_scans: int) -> SeriesFitResult:
    windows = tuple(FitWindow(10.0 + 3 * i, 12.0 + 3 * i, peaks=(None,) * (1 + i % 3)) for i in range(6))
    empty = SeriesFitResult.empty(windows, scan=np.arange(n_scans), time_s=60.0 * np.arange(n_scans),
                                  wavelength_A=1.5406)
    rng = np.random.default_rng(0)
    filled = {f.name: getattr(empty, f.name) for f in fields(SeriesFitResult)}
    for name in ("center", "center_err", "fwhm", "fwhm_err", "area", "area_err"):
        filled[name] = rng.normal(size=empty.center.shape)
    return SeriesFitResult(**filled)


def timed(fn, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    n_scans = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scans"
        folder.mkdir()
        x = np.linspace(5.0, 80.0, 2000)
        for i in range(n_scans):
            np.savetxt(folder / f"scan_{i:05d}.xy", np.column_stack([x, np.full_like(x, float(i))]), fmt="%.8f")
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        path = Path(tmp) / "beamtime.oxrd"
        checksum_s = timed(lambda: pj.input_checksum(folder), repeats=1)
        ref = pj.make_input_ref(folder, "patterns", path)
        results = {f"peak_fit/{k}": v for k, v in pj.fit_result_arrays(fit_result(n_scans)).items()}
        events = tuple(Event(i, i + 2, label=f"e{i}", source="auto", confidence=0.5) for i in range(0, 2 * 200, 2))
        project = pj.Project(inputs=(ref,), settings={"display": {"colormap": "magma"}}, results=results,
                             events=events)
        save_s = timed(lambda: pj.save_project(path, project))
        load_s = timed(lambda: pj.load_project(path))
        print(f"{n_scans} scans, input folder {size_mb:.1f} MB, project file {path.stat().st_size / 1e6:.2f} MB")
        print(f"folder checksum (once per input state): {checksum_s:.3f} s")
        print(f"save (atomic, fsync; what an autosave costs): {save_s:.3f} s")
        print(f"load: {load_s:.3f} s")


if __name__ == "__main__":
    main()
