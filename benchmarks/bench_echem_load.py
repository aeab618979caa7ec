"""How long load_echem takes on a large EC-Lab .mpt export and a large CSV (prints seconds).

Run: /work/venv/bin/python benchmarks/bench_echem_load.py [n_rows]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.echem import load_echem, sodium_content

COLUMNS = ("mode\tox/red\terror\tcontrol changes\tNs changes\tcounter inc.\tNs\ttime/s\tcontrol/V/mA\tEwe/V"
           "\tI/mA\tdq/mA.h\t(Q-Qo)/mA.h\tQ charge/discharge/mA.h\thalf cycle\tx\tEnergy/W.h\tP/W")


def write_mpt(path: Path, n_rows: int) -> None:
    t = np.arange(n_rows, dtype=float)
    ewe = 3.0 + 0.5 * np.sin(t / 5000.0)
    cells = np.column_stack([t, ewe, np.full(n_rows, 0.1), t / 36000.0])
    header = ["EC-Lab ASCII FILE", "Nb header lines : 5", "Acquisition started on : 03/15/2026 10:22:31.000",
              "Mass of active material : 10,000 mg", COLUMNS]
    rows = (f"1\t1\t0\t0\t0\t0\t1\t{a:.10E}\t{c:.10E}\t{b:.10E}\t{c:.10E}\t0,0\t{d:.10E}\t{d:.10E}\t0\t0,67\t0\t0"
            .replace(".", ",") for a, b, c, d in cells)
    path.write_text("\r\n".join(header) + "\r\n" + "\r\n".join(rows) + "\r\n", encoding="latin-1")


def write_csv(path: Path, n_rows: int) -> None:
    t = np.arange(n_rows, dtype=float)
    data = np.column_stack([t, 3.0 + 0.5 * np.sin(t / 5000.0), np.full(n_rows, 0.1), t / 36000.0])
    np.savetxt(path, data, delimiter=",", header="time_s,voltage_V,current_mA,capacity_mAh", comments="",
               fmt="%.10g")


def main() -> None:
    n_rows = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    with tempfile.TemporaryDirectory() as folder:
        for name, writer in (("cell.mpt", write_mpt), ("log.csv", write_csv)):
            path = Path(folder) / name
            writer(path, n_rows)
            start = time.perf_counter()
            echem = load_echem(path)
            loaded = time.perf_counter()
            sodium_content(echem, active_mass_g=0.01, molar_mass_g_mol=100.0, x0=0.67)
            done = time.perf_counter()
            print(f"{name}: {n_rows} rows, {path.stat().st_size / 1e6:.1f} MB: load {loaded - start:.2f} s, "
                  f"x(t) {1e3 * (done - loaded):.1f} ms")


if __name__ == "__main__":
    main()
