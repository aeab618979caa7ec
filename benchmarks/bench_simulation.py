"""How long the operando simulator takes for typical sizes (prints figures; no assertions).

Run: /work/venv/bin/python benchmarks/bench_simulation.py
"""

from __future__ import annotations

import time

from analysis.phase_library import load_library
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario


def main() -> None:
    library = load_library()
    cases = [("p2o3_op4", 100, 0.02, (10.0, 80.0)), ("p2o3_op4", 400, 0.02, (10.0, 80.0)),
             ("p2p3s_p3dprime", 100, 0.02, (10.0, 80.0)), ("p2_solid_solution", 100, 0.02, (10.0, 80.0))]
    for name, n_scans, step, rng in cases:
        t0 = time.perf_counter()
        r = simulate(get_scenario(name), library=library, n_scans=n_scans, step_deg=step, two_theta_range=rng,
                     time_jitter=0.05)
        dt = time.perf_counter() - t0
        n, m = r.series.intensity.shape
        print(f"{name:20s} {n:4d} scans x {m} points: {dt:6.2f} s ({1e3 * dt / n:.1f} ms/scan)")


if __name__ == "__main__":
    main()
