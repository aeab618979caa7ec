"""Intensity fractions, calibration of scale factors, and phase selection."""

import numpy as np
import pytest

from analysis.indexing import index_series
from analysis.pattern_decomposition import DecompositionResult, cathode_fractions
from analysis.phase_fractions import calibrate_scale_factors, intensity_fractions, select_phases
from analysis.phase_library import load_library
from tests.analysis.test_indexing import WAVELENGTH_A, synthetic_peaks


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_intensity_fractions_are_relative_intensities(library):
    # Areas = weight × library intensity, so each phase's normalised intensity is its weight.
    p2 = library["P2"].with_cell(a=2.87, c=11.30)
    o3 = library["O3"].with_cell(a=2.97, c=16.00)
    phases = [library[n] for n in ("P2", "O3", "P3", "Be")]
    peaks = [synthetic_peaks([(p2, w), (o3, 1.0 - w), (library["Be"], 0.5)])[0] for w in (0.7, 0.4)]
    table = index_series(peaks, phases, WAVELENGTH_A)
    result = intensity_fractions(table, peaks, phases)
    assert result.phases == ("P2", "O3", "P3")          # Be is parasitic: not a fraction
    assert result.fraction_kind == "relative intensity"
    # Overlapping peaks are merged by synthetic_peaks and go to the stronger phase: ~2 % bias.
    assert result.fraction[:, 0] == pytest.approx([0.7, 0.4], abs=0.03)
    assert result.fraction[:, 2] == pytest.approx([0.0, 0.0])
    assert np.all(result.n_reflections[:, :2] >= 6)


def test_calibration_turns_intensities_into_known_fractions(library):
    names = ["P2", "O3"]
    # A calibration scan of known 50/50 weight whose phases scatter 2:1 per unit weight.
    k = calibrate_scale_factors(names, [2.0, 1.0], [0.5, 0.5])
    assert k["O3"] / k["P2"] == pytest.approx(2.0)
    assert np.mean(list(k.values())) == pytest.approx(1.0)
    f, _ = cathode_fractions(np.array([2.0 * 0.3, 1.0 * 0.7]), np.zeros((2, 2)), np.array([k["P2"], k["O3"]]))
    assert f == pytest.approx([0.3, 0.7])
    with pytest.raises(ValueError):
        calibrate_scale_factors(names, [0.0, 0.0], [0.5, 0.5])


def test_fraction_errors_match_hand_propagation():
    # f1 = s1/(s1+s2) with independent errors: σ_f² = (s2² σ1² + s1² σ2²)/(s1+s2)⁴.
    s, v = np.array([3.0, 1.0]), np.array([0.04, 0.09])
    f, err = cathode_fractions(s, np.diag(v), np.ones(2))
    expected = np.sqrt((1.0 ** 2 * 0.04 + 3.0 ** 2 * 0.09) / 4.0 ** 4)
    assert f == pytest.approx([0.75, 0.25])
    assert err == pytest.approx([expected, expected])


def test_fraction_errors_match_monte_carlo():
    rng = np.random.default_rng(2)
    s = np.array([5.0, 3.0, 2.0])
    cov = np.array([[0.04, -0.01, 0.0], [-0.01, 0.03, 0.005], [0.0, 0.005, 0.02]])
    draws = rng.multivariate_normal(s, cov, 20000)
    mc = np.std(draws / draws.sum(axis=1, keepdims=True), axis=0)
    _, err = cathode_fractions(s, cov, np.ones(3))
    # Linear propagation of small errors; 20 000 draws estimate σ to 0.5 %.
    assert err == pytest.approx(mc, rel=0.03)


def _result(fraction, fraction_err, delta_chi2, kinds):
    n, m = fraction.shape
    return DecompositionResult(phases=tuple(f"p{j}" for j in range(m)), kinds=kinds, scale=np.nan_to_num(fraction),
                               scale_err=np.nan_to_num(fraction_err), fraction=fraction, fraction_err=fraction_err,
                               fraction_kind="weight", cells=np.full((n, m, 6), np.nan),
                               cell_err=np.full((n, m, 6), np.nan), rel_d=np.zeros((n, m)), zero_deg=np.zeros(n),
                               zero_err_deg=np.full(n, np.nan),
                               chi2_red=np.ones(n), rwp=np.zeros(n), delta_chi2=delta_chi2,
                               fitted=np.zeros((n, 1)), background=np.zeros((n, 1)))


def test_selection_needs_size_significance_and_fit_improvement():
    fraction = np.array([[0.90, 0.08, 0.02, np.nan], [0.80, 0.15, 0.05, np.nan]])
    err = np.array([[0.01, 0.01, 0.001, 0.01], [0.01, 0.10, 0.001, 0.01]])
    dchi2 = np.array([[1e4, 500.0, 400.0, 900.0], [1e4, 500.0, 10.0, 900.0]])
    result = _result(fraction, err, dchi2, ("cathode", "cathode", "cathode", "parasitic"))
    result = DecompositionResult(**{**result.__dict__, "scale": np.array([[1, 1, 1, 0.5], [1, 1, 1, 0.5]])})
    sel = select_phases(result, min_scans=1)
    # p1: significant in scan 0 (0.08 > 3·0.01), not in scan 1 (0.15 < 3·0.10);
    # p2: too small in scan 0 (< 3 %), no χ² gain in scan 1; p3 parasitic: scale 0.5 ≫ 3·0.01.
    assert sel.significant.tolist() == [[True, True, False, True], [True, False, False, True]]
    assert sel.present_names == ["p0", "p1", "p3"]
    assert select_phases(result, min_scans=2).present_names == ["p0", "p3"]
