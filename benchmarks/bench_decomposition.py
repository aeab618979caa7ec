"""Whole-pattern decomposition speed and accuracy on a simulated P2/O3 operando series.

Run: python benchmarks/bench_decomposition.py [--scans 100] [--scenario p2o3_op4] [--sample]
                                               [--library]

Prints the wall time for the decomposition (100 scans × 3,501 points × 6 cathode + 3 parasitic
candidates by default) and the accuracy against the simulator's ground truth: the largest c error
and fraction error over scans where the phase exceeds 10 %, and the share of all (scan, phase)
fractions within 0.05. ``--sample`` reads the bundled ``sample_data/p2o3_operando.nxs`` and its
truth CSV instead of simulating; ``--library`` uses every cathode phase of the library (plus Be,
BeO, Al) as candidates and prints which ones :func:`select_phases` finds present.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from dataclasses import dataclass
from pathlib import Path

# One BLAS thread: the decomposition's matrix products are small, and on a shared 2-core machine
# OpenBLAS's thread pool makes them ~10× slower. Set before numpy loads; override from the shell.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from analysis.pattern_decomposition import DecompositionSettings, decompose_series  # noqa: E402
from analysis.paths import sample_data_dir  # noqa: E402
from analysis.phase_fractions import select_phases  # noqa: E402
from analysis.phase_library import load_library  # noqa: E402
from analysis.readers import load_series  # noqa: E402
from analysis.simulation import simulate  # noqa: E402
from analysis.simulation_scenarios import get_scenario  # noqa: E402

CANDIDATES = ("P2", "O3", "P3", "OP4", "O2", "P'2", "Be", "BeO", "Al")


def accuracy(result, truth) -> None:
    cols = [result.column(p) for p in truth.phases]
    frac = np.nan_to_num(result.fraction[:, cols])
    big = truth.fractions > 0.10
    df = np.abs(frac - truth.fractions)
    dc = np.abs(result.cells[:, cols, 2] - truth.cells[:, :, 2])
    da = np.abs(result.cells[:, cols, 0] - truth.cells[:, :, 0])
    print(f"fractions: max |Δf| where phase > 10 %: {df[big].max():.4f}, mean {df[big].mean():.4f}; "
          f"all (scan, phase) within 0.05: {np.mean(df < 0.05):.1%}")
    print(f"cells where phase > 10 %: max |Δc| {np.nanmax(dc[big]):.4f} Å (mean {np.nanmean(dc[big]):.4f}), "
          f"max |Δa| {np.nanmax(da[big]):.4f} Å")
    err = result.fraction_err[:, cols][big]
    ok = np.isfinite(err) & (err > 0)
    z = (frac - truth.fractions)[big][ok] / err[ok]
    print(f"fraction residual / reported error where > 10 %: rms {np.sqrt(np.mean(z ** 2)):.1f} "
          f"({np.sum(~ok)} of {ok.size} without an error)")
    others = [j for j, p in enumerate(result.phases) if p not in truth.phases and result.kinds[j] == "cathode"]
    if others:
        print(f"largest fraction given to absent cathode phases: {np.nanmax(result.fraction[:, others]):.3f}")
    print(f"reduced χ²: median {np.median(result.chi2_red):.2f}, max {result.chi2_red.max():.2f}")


@dataclass(frozen=True)
class CsvTruth:
    """The columns of sample_data/*_truth.csv as (n_scans, n_phases) arrays (cells: a in [..., 0], c in [..., 2])."""

    phases: tuple
    fractions: np.ndarray
    cells: np.ndarray


def read_truth_csv(path: Path) -> CsvTruth:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    phases = tuple(dict.fromkeys(r["phase"] for r in rows))
    n = max(int(r["scan"]) for r in rows) + 1
    fractions, cells = np.zeros((n, len(phases))), np.full((n, len(phases), 6), np.nan)
    for r in rows:
        i, j = int(r["scan"]), phases.index(r["phase"])
        fractions[i, j] = float(r["fraction"])
        if r["c_A"]:
            cells[i, j, 0], cells[i, j, 2] = float(r["a_A"]), float(r["c_A"])
    return CsvTruth(phases, fractions, cells)


def inputs(args, library):
    if args.sample:
        folder = sample_data_dir()
        return load_series(str(folder / "p2o3_operando.nxs")), read_truth_csv(folder / "p2o3_operando_truth.csv")
    sim = simulate(get_scenario(args.scenario), n_scans=args.scans, seed=20260302, noise_counts=2500.0,
                   time_jitter=0.02)
    return sim.series, sim.truth


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--scenario", default="p2o3_op4")
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--library", action="store_true")
    parser.add_argument("--phases", help="comma-separated candidates (Be, BeO, Al are added)")
    args = parser.parse_args()
    library = load_library()
    series, truth = inputs(args, library)
    names = CANDIDATES
    if args.phases:
        names = tuple(args.phases.split(",")) + ("Be", "BeO", "Al")
    if args.library:
        names = tuple(p.name for p in library.values() if p.kind == "cathode") + ("Be", "BeO", "Al")
    phases = [library[name] for name in names]
    print(f"{series.n_scans} scans × {series.x.size} points, {len(phases)} candidate phases")
    start, cpu = time.perf_counter(), time.process_time()
    result = decompose_series(series, phases, DecompositionSettings())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"decomposition: {elapsed:.1f} s wall, {cpu:.1f} s CPU ({elapsed / series.n_scans * 1e3:.0f} ms per scan; "
          f"load average {os.getloadavg()[0]:.1f})")
    accuracy(result, truth)
    print(f"present (select_phases): {', '.join(select_phases(result).present_names)}")


if __name__ == "__main__":
    main()
