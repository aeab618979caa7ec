"""Accuracy of the FULL automatic pipeline (:func:`analysis.pipeline.run_analysis`) on random
simulated series the program has never seen.

Each trial draws a scenario (the review's Table 1 sequences, P2 → Z, the pure P2 solid
solution, or with ``--foreign`` also a two-phase material outside the library), a source (Cu Kα1+Kα2, Cu Kα1 only, synchrotron 0.4–0.85 Å with a 2θ range covering
d ≈ 1.4–6 Å), 60–400 scans, a counting level (500–5000 counts), uneven scan times and sometimes
a missing scan, then runs whole-pattern decomposition → transition detection (no peak fits).

A trial succeeds when the regime sequence is right (phase sets per regime: the pipeline names
the majority phase first), there is one event per true event, and every onset is within 3 scans
of the truth; a solid-solution series must give no event. For the material outside the library the
regimes must come from the patterns ("unknown k", compared by their pattern of repeats). Prints each failure with its reason,
the success rate, onset errors and run times.

    python benchmarks/bench_pipeline_accuracy.py [n_trials] [seed] [--all-phases] [--foreign] [--scenario NAME]

``--all-phases`` gives the whole library as candidates (phases=None) instead of the scenario's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis import axis as ax
from analysis.pipeline import AnalysisSettings, run_analysis
from analysis.simulation import simulate
from analysis.phase_library import load_library
from analysis.simulation_scenarios import foreign_phases, foreign_two_phase, get_scenario, scenarios

ONSET_TOLERANCE_SCANS = 3
SHORT = {"T": "tunnel", "S": "spinel"}
"""Scenario labels' short names → library names."""
D_RANGE_A = (1.4, 6.0)
"""d-spacings every source covers (the strong layered-oxide reflections from (001)-type to (110))."""


def draw_settings(rng: np.random.Generator, n_range: tuple[int, int] = (60, 401)) -> dict:
    """Random but plausible acquisition settings (PHASES.md §5)."""
    kind = str(rng.choice(["cu", "cu_ka1", "sync"]))
    n_scans = int(rng.integers(*n_range))
    settings = dict(n_scans=n_scans, seed=int(rng.integers(1 << 30)), noise_counts=float(rng.uniform(500, 5000)),
                    time_jitter=float(rng.uniform(0.0, 0.3)), background_ratio=float(rng.uniform(0.03, 0.3)))
    if rng.random() < 0.4:
        settings["missing_scan"] = int(rng.integers(1, n_scans - 1))
    if kind == "sync":
        wavelength = float(rng.uniform(0.4, 0.85))
        lo = float(ax.d_to_two_theta(D_RANGE_A[1], wavelength))
        hi = float(ax.d_to_two_theta(D_RANGE_A[0], wavelength))
        settings.update(wavelength_A=wavelength, two_theta_range=(lo, hi), step_deg=0.01 if wavelength > 0.6 else 0.006)
    else:
        lo = float(ax.d_to_two_theta(D_RANGE_A[1], ax.CU_KA1_A))
        hi = float(ax.d_to_two_theta(D_RANGE_A[0], ax.CU_KA1_A))
        settings.update(wavelength_A=ax.CU_KA1_A, kalpha2=(kind == "cu"), two_theta_range=(lo, hi), step_deg=0.025)
    return settings


FOREIGN = "foreign_two_phase"
FOREIGN_CANDIDATES = ("P2", "O3", "P3")
"""Cathode candidates offered for the foreign material when the scenario's phases are used (its own
phases are not in the library, which is the point)."""


def label_pattern(sequence: str) -> list[int]:
    """"a → b → a" → [0, 1, 0]: which regimes repeat, whatever they are called."""
    first: dict = {}
    return [first.setdefault(label, len(first)) for label in sequence.split(" → ")] if sequence else []


def phase_sets(sequence: str) -> list[frozenset]:
    """"P2/O3 → OP4" → [{P2, O3}, {OP4}]; "" (no regime) → []."""
    if not sequence:
        return []
    return [frozenset(SHORT.get(p, p) for p in label.split("/")) for label in sequence.split(" → ")]


def score(result, truth) -> tuple[bool, list[int], str]:
    """(success, onset errors in scans, reason for a failure)."""
    foreign = bool(set(truth.phases) & set(foreign_phases()))
    if foreign:
        got, want = label_pattern(result.sequence), label_pattern(truth.sequence)
        got = got if result.transitions.method == "patterns" else None
    else:
        got, want = phase_sets(result.sequence), phase_sets(truth.sequence)
    errors = [int(ev.scan) - int(te.scan) for ev, te in zip(result.events, truth.events)]
    if got != want:
        return False, errors, "sequence"
    if len(result.events) != len(truth.events):
        return False, errors, "event count"
    if any(abs(e) > ONSET_TOLERANCE_SCANS for e in errors):
        return False, errors, "onset"
    return True, errors, ""


def run_one(name: str, settings: dict, all_phases: bool = False):
    """Simulate ``name`` with ``settings`` and run the full path; returns (sim, result, seconds)."""
    if name == FOREIGN:
        sim = simulate(foreign_two_phase(), library={**load_library(), **foreign_phases()}, **settings)
        phases = None if all_phases else FOREIGN_CANDIDATES
    else:
        sim = simulate(get_scenario(name), **settings)
        phases = None if all_phases else tuple(sim.truth.phases)
    t0 = time.perf_counter()
    result = run_analysis(sim.series, AnalysisSettings(phases=phases, kalpha2=settings.get("kalpha2"), fit_peaks=False),
                          voltage=sim.truth.voltage_V)
    return sim, result, time.perf_counter() - t0


def describe(name: str, s: dict) -> str:
    return (f"{name} λ={s['wavelength_A']:.3f} Kα2={s.get('kalpha2', False)} n={s['n_scans']} "
            f"counts={s['noise_counts']:.0f} jitter={s['time_jitter']:.2f} missing={s.get('missing_scan')} "
            f"seed={s['seed']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n_trials", type=int, nargs="?", default=20)
    parser.add_argument("seed", type=int, nargs="?", default=2026)
    parser.add_argument("--all-phases", action="store_true")
    parser.add_argument("--scenario", default=None)
    parser.add_argument("--max-scans", type=int, default=400)
    parser.add_argument("--foreign", action="store_true", help="also draw the material outside the library")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    names = [args.scenario] if args.scenario else list(scenarios()) + ([FOREIGN] if args.foreign else [])
    outcomes, all_errors, seconds = [], [], []
    by_name: dict = {}
    for i in range(args.n_trials):
        name = str(rng.choice(names))
        settings = draw_settings(rng, (60, args.max_scans + 1))
        sim, result, dt = run_one(name, settings, args.all_phases)
        ok, errors, reason = score(result, sim.truth)
        outcomes.append(ok)
        all_errors += errors
        seconds.append(dt)
        by_name.setdefault(name, []).append(ok)
        status = "ok " if ok else f"BAD ({reason})"
        print(f"[{i}] {status} {describe(name, settings)} {dt:.0f} s", flush=True)
        if not ok:
            print(f"    truth {sim.truth.sequence} {[e.scan for e in sim.truth.events]}\n"
                  f"    got   {result.sequence} {[e.scan for e in result.events]} errors {errors}", flush=True)
    errs = np.abs(np.array(all_errors or [0]))
    print(f"success {sum(outcomes)}/{len(outcomes)} = {100.0 * np.mean(outcomes):.0f} %; onset error (scans) median "
          f"{np.median(errs):.1f}, 95th pct {np.percentile(errs, 95):.1f}, max {errs.max()}; "
          f"time per run mean {np.mean(seconds):.1f} s, max {np.max(seconds):.1f} s")
    for name, oks in sorted(by_name.items()):
        print(f"  {name:20s} {sum(oks)}/{len(oks)}")


if __name__ == "__main__":
    main()
