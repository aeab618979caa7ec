"""One simulated P2/O3 → P2/P3 → OP4 → P2/P3 → P2/O3 series and its analysis, shared by the phase
GUI tests (computed once per test run: the decomposition takes tens of seconds)."""

from __future__ import annotations

from functools import lru_cache

from analysis.pipeline import AnalysisSettings, run_analysis
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario

PHASES = ("P2", "O3", "P3", "OP4")
SETTINGS = AnalysisSettings(phases=PHASES, fit_peaks=False)
"""Four candidate phases and no peak fits keep a run short; the CLI contract test covers the rest."""


@lru_cache(maxsize=1)
def simulated():
    """90 scans, Cu Kα1+Kα2, 2θ 12–50°; the seed of the CLI contract test (its truth is recovered)."""
    return simulate(get_scenario("p2o3_op4"), n_scans=90, two_theta_range=(12.0, 50.0), step_deg=0.03, seed=5)


@lru_cache(maxsize=1)
def analysed():
    """(simulation, AnalysisResult) of :func:`simulated` with :data:`SETTINGS`."""
    sim = simulated()
    return sim, run_analysis(sim.series, SETTINGS)
