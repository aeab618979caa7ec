"""A material outside the library: the pipeline must notice and fall back to the patterns alone."""

from types import SimpleNamespace

import numpy as np
import pytest

from analysis.phase_library import load_library
from analysis.pipeline import LIBRARY_MISFIT_SHARE, AnalysisSettings, run_analysis, unexplained_share
from analysis.series import ScanSeries
from analysis.simulation import simulate
from analysis.simulation_scenarios import foreign_phases, foreign_two_phase, get_scenario


def _peak_series(rng, n_scans=4, amplitude=2000.0, background=100.0):
    """Poisson counts of one Gaussian peak on a flat background; returns (series, noise-free model, background)."""
    x = np.linspace(10.0, 20.0, 501)
    model = background + amplitude * np.exp(-0.5 * ((x - 15.0) / 0.1) ** 2)
    counts = rng.poisson(np.broadcast_to(model, (n_scans, x.size))).astype(float)
    series = ScanSeries(x=x, intensity=counts, time_s=np.arange(n_scans, dtype=float),
                        sigma=np.sqrt(np.maximum(counts, 1.0)))
    return series, np.broadcast_to(model, counts.shape), np.full(counts.shape, background)


def test_unexplained_share_is_one_for_a_model_without_peaks():
    series, _, background = _peak_series(np.random.default_rng(0))
    share = unexplained_share(series, SimpleNamespace(fitted=background, background=background))
    np.testing.assert_allclose(share, 1.0, rtol=1e-12)   # misfit and signal are the same sum


def test_unexplained_share_is_noise_level_for_the_true_model():
    series, model, background = _peak_series(np.random.default_rng(1))
    share = unexplained_share(series, SimpleNamespace(fitted=model, background=background))
    y, s = series.intensity, series.sigma
    signal = np.sum(((y - background) / s) ** 2, axis=1) - y.shape[1]
    # χ² of the true model is N ± √(2N): the share scatters around 0 by √(2N)/signal
    assert np.all(np.abs(share) < 5.0 * np.sqrt(2.0 * y.shape[1]) / signal)


def test_unexplained_share_is_nan_where_the_decomposition_failed():
    series, model, background = _peak_series(np.random.default_rng(2))
    fitted = np.array(model)
    fitted[1] = np.nan
    share = unexplained_share(series, SimpleNamespace(fitted=fitted, background=background))
    assert np.isnan(share[1]) and np.isfinite(share[[0, 2, 3]]).all()


@pytest.mark.parametrize("settings", [
    dict(n_scans=60, seed=3),
    dict(n_scans=90, seed=4, wavelength_A=0.7, two_theta_range=(4.0, 30.0), step_deg=0.01, time_jitter=0.2,
         missing_scan=40),
], ids=["cu-60", "sync-0.7-gap"])
def test_a_material_outside_the_library_gets_regimes_from_the_patterns(settings):
    # X1 → X2 → X1 with orthorhombic phases the bundled library does not hold
    sim = simulate(foreign_two_phase(), library={**load_library(), **foreign_phases()}, **settings)
    result = run_analysis(sim.series, AnalysisSettings(phases=("P2", "O3", "P3"), fit_peaks=False),
                          voltage=sim.truth.voltage_V)
    assert result.decomposition is None and result.transitions.method == "patterns"
    assert np.nanmedian(result.unexplained) > LIBRARY_MISFIT_SHARE
    assert any("not in the library" in note for note in result.notes)
    assert result.sequence == "unknown 1 → unknown 2 → unknown 1"
    onsets = [e.scan for e in result.events]
    truth = [e.scan for e in sim.truth.events]
    assert len(onsets) == len(truth) and max(abs(a - b) for a, b in zip(onsets, truth)) <= 3
    assert result.present_phases() == []


def test_a_library_material_keeps_its_decomposition_and_no_note():
    sim = simulate(get_scenario("p2_solid_solution"), n_scans=16, seed=5)
    result = run_analysis(sim.series, AnalysisSettings(phases=("P2",), fit_peaks=False))
    assert result.decomposition is not None and result.sequence == "P2"
    # the simulator and the decomposition share the profile model: only noise is left unexplained
    assert float(np.nanmax(result.unexplained)) < 0.02
    assert not any("library" in note for note in result.notes)
