"""Accuracy sweep of automatic transition detection on random simulated series.

Each trial draws a Table 1 scenario (or the pure P2 solid solution), a wavelength (Cu Kα1+Kα2,
Cu Kα1 only, synchrotron 0.4–0.85 Å), 60–400 scans, a counting level, uneven scan times and
sometimes a missing scan, then runs
  - the fractions path on truth fractions + Gaussian noise (σ 0.02–0.04, errors given), and
  - the pattern-only path on the simulated patterns.
A trial succeeds when the regime sequence is right (phase sets per regime for the fractions path;
the pattern of repeated "unknown k" names for the pattern path), there is one event per true
event, and every onset is within 3 scans of the truth. Prints success rates and onset errors.

    python benchmarks/bench_transitions.py [n_trials] [seed] [n_full]

``n_full`` (default 0) more trials run the full path: whole-pattern decomposition
(:mod:`analysis.pattern_decomposition`, slow: ~0.5–1.5 s per scan) into the scenario's phases
plus the cell parts, then :func:`detect_transitions_from_decomposition`; 40–80 scans each.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from analysis import axis as ax
from analysis.simulation import simulate
from analysis.simulation_scenarios import scenarios
from analysis.pattern_decomposition import candidate_phases, decompose_series
from analysis.transitions import detect_regimes_from_patterns, detect_transitions, detect_transitions_from_decomposition

SHORT = {"spinel": "S", "tunnel": "T"}
ONSET_TOLERANCE_SCANS = 3


def draw_settings(rng: np.random.Generator) -> dict:
    """Random but plausible acquisition settings (PHASES.md §5)."""
    kind = rng.choice(["cu", "cu_ka1", "sync"])
    n_scans = int(rng.integers(60, 401))
    settings = dict(n_scans=n_scans, seed=int(rng.integers(1 << 30)), noise_counts=float(rng.uniform(400, 5000)),
                    time_jitter=float(rng.uniform(0.0, 0.3)), background_ratio=float(rng.uniform(0.03, 0.3)))
    if rng.random() < 0.3:
        settings["missing_scan"] = int(rng.integers(1, n_scans - 1))
    if kind == "sync":
        wavelength = float(rng.uniform(0.4, 0.85))
        lo = float(ax.d_to_two_theta(12.0, wavelength))
        hi = float(ax.d_to_two_theta(1.25, wavelength))
        settings.update(wavelength_A=wavelength, two_theta_range=(lo, hi), step_deg=float(rng.choice([0.005, 0.01])))
    else:
        settings.update(wavelength_A=ax.CU_KA1_A, kalpha2=(kind == "cu"), two_theta_range=(10.0, 80.0), step_deg=0.02)
    return settings


def phase_sets(sequence: str) -> list[frozenset]:
    return [frozenset(SHORT.get(p, p) for p in label.split("/")) for label in sequence.split(" → ")]


def label_pattern(labels: list) -> list[int]:
    """Labels → first-appearance indices, so "A → B → A" and "u1 → u2 → u1" both give [0, 1, 0]."""
    seen: dict = {}
    return [seen.setdefault(lab, len(seen)) for lab in labels]


def score(result, truth, by_phases: bool) -> tuple[bool, list[int]]:
    true_labels = truth.sequence.split(" → ")
    got = [r[0] for r in result.regimes]
    if by_phases:
        right = phase_sets(result.sequence) == phase_sets(truth.sequence)
    else:
        right = label_pattern(got) == label_pattern(true_labels)
    errors = [ev.scan - te.scan for ev, te in zip(result.events, truth.events)]
    ok = right and len(result.events) == len(truth.events) and all(abs(e) <= ONSET_TOLERANCE_SCANS for e in errors)
    return ok, errors


def run_trial(rng: np.random.Generator, names: list[str]) -> dict:
    name = str(rng.choice(names))
    settings = draw_settings(rng)
    sim = simulate(scenarios()[name](), **settings)
    truth = sim.truth
    sigma = float(rng.uniform(0.02, 0.04))
    noisy = truth.fractions + rng.normal(0.0, sigma, truth.fractions.shape)
    t0 = time.perf_counter()
    by_fractions = detect_transitions(sim.series, fractions=noisy, fraction_errors=np.full_like(noisy, sigma),
                                      phase_names=[SHORT.get(p, p) for p in truth.phases], voltage=truth.voltage_V)
    t1 = time.perf_counter()
    by_patterns = detect_regimes_from_patterns(sim.series, voltage=truth.voltage_V)
    t2 = time.perf_counter()
    ok_f, err_f = score(by_fractions, truth, True)
    ok_p, err_p = score(by_patterns, truth, False)
    return dict(name=name, settings=settings, sigma=sigma, ok_f=ok_f, err_f=err_f, ok_p=ok_p, err_p=err_p,
                seq_f=by_fractions.sequence, seq_p=by_patterns.sequence, truth=truth.sequence,
                true_onsets=[e.scan for e in truth.events], got_p=[e.scan for e in by_patterns.events],
                time_f=t1 - t0, time_p=t2 - t1)


def summarize(trials: list[dict]) -> None:
    for key, label in (("f", "fractions (truth + noise)"), ("p", "patterns only")):
        ok = [t[f"ok_{key}"] for t in trials]
        errs = np.array([e for t in trials for e in t[f"err_{key}"]] or [0])
        times = np.array([t[f"time_{key}"] for t in trials])
        print(f"{label:28s} success {sum(ok)}/{len(ok)} = {100.0 * np.mean(ok):.0f} %; onset error (scans) "
              f"median |e| {np.median(np.abs(errs)):.1f}, 95th pct {np.percentile(np.abs(errs), 95):.1f}, "
              f"max {np.abs(errs).max()}; mean time {times.mean():.2f} s")
    by_name: dict = {}
    for t in trials:
        by_name.setdefault(t["name"], []).append(t)
    for name, ts in sorted(by_name.items()):
        print(f"  {name:20s} n={len(ts):3d} fractions {sum(t['ok_f'] for t in ts):3d} ok, "
              f"patterns {sum(t['ok_p'] for t in ts):3d} ok")


def run_full_trial(rng: np.random.Generator, names: list[str]) -> tuple[bool, list[int], str, str, float]:
    name = str(rng.choice([n for n in names if n != "p2_z"]))
    settings = draw_settings(rng)
    settings["n_scans"] = int(rng.integers(40, 81))
    settings.pop("missing_scan", None)
    sim = simulate(scenarios()[name](), **settings)
    t0 = time.perf_counter()
    decomposition = decompose_series(sim.series, candidate_phases(list(sim.truth.phases)))
    result = detect_transitions_from_decomposition(sim.series, decomposition, voltage=sim.truth.voltage_V)
    renamed = result.sequence
    for long, short in SHORT.items():
        renamed = renamed.replace(long, short)
    ok, errors = score(type(result)(**{**result.__dict__, "sequence": renamed}), sim.truth, True)
    return ok, errors, renamed, sim.truth.sequence, time.perf_counter() - t0


def main() -> None:
    n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 2026)
    names = list(scenarios())
    trials = []
    for i in range(n_trials):
        t = run_trial(rng, names)
        trials.append(t)
        if not (t["ok_f"] and t["ok_p"]):
            s = t["settings"]
            print(f"[{i}] {t['name']} λ={s['wavelength_A']:.3f} n={s['n_scans']} counts={s['noise_counts']:.0f} "
                  f"missing={s.get('missing_scan')} σf={t['sigma']:.3f}\n"
                  f"    truth    {t['truth']} {t['true_onsets']}\n"
                  f"    fractions{' ok ' if t['ok_f'] else ' BAD'} {t['seq_f']} {t['err_f']}\n"
                  f"    patterns {' ok ' if t['ok_p'] else ' BAD'} {t['seq_p']} {t['got_p']}")
    summarize(trials)
    n_full = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    full = [run_full_trial(rng, names) for _ in range(n_full)]
    for ok, errors, got, want, seconds in full:
        print(f"  full path {'ok ' if ok else 'BAD'} {got}  (truth {want}) onset errors {errors} {seconds:.0f} s")
    if full:
        print(f"full path (decomposition)    success {sum(f[0] for f in full)}/{len(full)}")


if __name__ == "__main__":
    main()
