"""Indexing and lattice-series speed and accuracy on synthetic fitted-peak lists.

Run: python benchmarks/bench_indexing.py [--scans 100] [--noise 0.004]

Peak lists come from known cells (P2 with c 11.15 → 11.35 Å, O3 with c 15.90 → 16.00 Å, a Be
window and an Al collector), with Gaussian noise on the centres; every library phase (22) is a
candidate. Prints the CPU time, the share of peaks assigned to the right (phase, hkl), and the
largest c errors and the scatter of (c − truth)/reported error of the lattice series.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from analysis.indexing import index_series  # noqa: E402
from analysis.lattice_series import fit_lattice_series  # noqa: E402
from analysis.phase_library import load_library  # noqa: E402
from tests.analysis.test_indexing import WAVELENGTH_A, synthetic_peaks  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--noise", type=float, default=0.004, help="centre noise, deg")
    args = parser.parse_args()
    library = load_library()
    rng = np.random.default_rng(0)
    c_p2 = np.linspace(11.15, 11.35, args.scans)
    c_o3 = np.linspace(15.90, 16.00, args.scans)
    data = [synthetic_peaks([(library["P2"].with_cell(c=a), 0.6), (library["O3"].with_cell(c=b), 0.4),
                             (library["Be"], 0.3), (library["Al"], 0.2)], rng, args.noise)
            for a, b in zip(c_p2, c_o3)]
    peaks = [d[0] for d in data]
    start = time.process_time()
    table = index_series(peaks, list(library.values()), WAVELENGTH_A)
    t_index = time.process_time() - start
    start = time.process_time()
    lattice = fit_lattice_series(table, peaks, list(library.values()), WAVELENGTH_A)
    t_lattice = time.process_time() - start
    right = sum((r.phase, r.hkl) == data[r.scan][1][r.peak] for r in table.rows)
    total = sum(len(p) for p in peaks)
    print(f"{args.scans} scans × {len(peaks[0])} peaks × {len(library)} candidate phases")
    print(f"indexing: {t_index:.1f} s CPU; lattice series: {t_lattice:.2f} s CPU")
    print(f"assigned right: {right} of {total} peaks ({len(table.rows) - right} wrong, "
          f"{total - len(table.rows)} unassigned)")
    for name, truth in (("P2", c_p2), ("O3", c_o3)):
        c = lattice[name].parameters["c"]
        z = (c - truth) / lattice[name].errors["c"]
        print(f"{name}: max |Δc| {np.nanmax(np.abs(c - truth)):.4f} Å, std((c − truth)/σ) {np.nanstd(z):.2f}")


if __name__ == "__main__":
    main()
