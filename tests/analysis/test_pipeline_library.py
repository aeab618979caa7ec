"""``run_analysis(library=…)``: the candidates come from the given library (the user's edits), not
the bundled one — checked on a simulated P2 solid solution with known cells."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from analysis.phase_library import load_library, phase_from_dict, phase_to_dict
from analysis.pipeline import AnalysisSettings, run_analysis
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario

C_TOLERANCE_A = 0.01   # the acceptance for refined c (noise-free cells, Poisson counts)


@lru_cache(maxsize=1)
def simulated():
    """12 scans of P2 whose c goes 11.17 → 11.34 → 11.17 Å (Cu Kα1+Kα2, 2θ 12–50°)."""
    return simulate(get_scenario("p2_solid_solution"), n_scans=12, two_theta_range=(12.0, 50.0), step_deg=0.03,
                    seed=3)


def edited_library(**changes) -> dict:
    """The bundled library with P2's JSON fields replaced by ``changes``."""
    library = load_library()
    d = phase_to_dict(library["P2"])
    d.update(changes)
    phase = phase_from_dict(d)
    library[phase.name] = phase
    return library


def true_c():
    sim = simulated()
    return sim.truth.cells[:, list(sim.truth.phases).index("P2"), 2]


def located_c(result, name: str) -> np.ndarray:
    dec = result.decomposition
    return dec.cells[:, dec.phases.index(name), 2]


def test_bundled_library_finds_the_true_cells():
    result = run_analysis(simulated().series, AnalysisSettings(phases=("P2",), fit_peaks=False))
    np.testing.assert_allclose(located_c(result, "P2"), true_c(), atol=C_TOLERANCE_A)


def test_an_edited_phase_is_the_one_fitted():
    # the user narrowed P2's c to 10.90–11.00 Å, below every true c (11.17–11.34 Å): that P2 cannot
    # explain any scan, so a run that used the edit finds it nowhere (the bundled P2 names the one regime)
    library = edited_library(cell={"a": 2.885, "c": 10.95}, cell_ranges={"a": [2.8, 2.95], "c": [10.90, 11.00]})
    result = run_analysis(simulated().series, AnalysisSettings(phases=("P2",), fit_peaks=False), library=library)
    assert result.present_phases() == [] and result.sequence != "P2"
    dec = result.decomposition
    if dec is not None:   # kept when the parasitic phases alone explain the signal well enough
        assert not np.isfinite(located_c(result, "P2")).any()


def test_a_user_phase_can_be_analysed():
    library = edited_library(name="P2 mine")
    settings = AnalysisSettings(phases=("P2 mine",), fit_peaks=False)
    with pytest.raises(ValueError, match="P2 mine"):
        run_analysis(simulated().series, settings)   # not in the bundled library
    result = run_analysis(simulated().series, settings, library=library)
    np.testing.assert_allclose(located_c(result, "P2 mine"), true_c(), atol=C_TOLERANCE_A)
    assert result.sequence == "P2 mine"


def test_a_series_without_sigma_is_analysed():
    """Most pattern files carry no σ: the run falls back to the decomposition's √max(I, 1)."""
    series = replace(simulated().series, sigma=None)
    result = run_analysis(series, AnalysisSettings(phases=("P2",), fit_peaks=False))
    assert result.sequence == "P2"
    np.testing.assert_allclose(located_c(result, "P2"), true_c(), atol=C_TOLERANCE_A)
