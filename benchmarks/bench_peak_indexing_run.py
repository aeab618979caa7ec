"""Time of indexing a series peak fit and refining the cells from it
(:func:`analysis.peak_indexing_run.index_and_fit_lattices`), against the number of scans.

Simulated P2/O3 → P2/P3 → OP4 series (12–50° 2θ, Cu Kα1+2), six one-peak windows, seven candidate
phases (P2, O3, P3, OP4, Be, BeO, Al). Prints seconds per run and per scan.
"""

from __future__ import annotations

import time

from analysis.fit_windows import FitWindow, Kalpha2
from analysis.peak_indexing_run import index_and_fit_lattices
from analysis.phase_library import load_library
from analysis.sequential_fit import fit_series
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario

KA2 = Kalpha2(enabled=True)
WINDOWS = tuple(FitWindow(lo, hi, (mid,), ka2=KA2) for lo, hi, mid in
                ((15.2, 16.3, 15.8), (16.3, 17.2, 16.7), (39.0, 40.0, 39.5), (41.4, 42.4, 41.9),
                 (45.4, 46.3, 45.8), (48.3, 49.6, 48.9)))
PHASES = ("P2", "O3", "P3", "OP4", "Be", "BeO", "Al")


def main() -> None:
    library = load_library()
    phases = [library[n] for n in PHASES]
    for n_scans in (40, 200):
        sim = simulate(get_scenario("p2o3_op4"), n_scans=n_scans, two_theta_range=(12, 50), step_deg=0.03, seed=2)
        result = fit_series(sim.series, WINDOWS)
        t0 = time.perf_counter()
        index_and_fit_lattices(result, phases, sim.series.wavelength_A)
        dt = time.perf_counter() - t0
        print(f"{n_scans:5d} scans × {result.center.shape[1]} peaks × {len(phases)} phases: "
              f"{dt:6.2f} s ({1000 * dt / n_scans:5.1f} ms per scan)")


if __name__ == "__main__":
    main()
