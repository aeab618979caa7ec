"""Known-answer fits of one scan: every model, Kα2 doublets, ties, fixed values, absent peaks."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.fit_windows import FitWindow, Kalpha2, fixed, tied
from analysis.peak_finding import find_window_peaks, noise_sigma
from analysis.peak_fitting import FitOptions, fit_scan
from analysis.peak_models import MODELS, ka2_center_deg, profile

SHAPES = {"gaussian": (), "lorentzian": (), "pseudo_voigt": (0.4,), "pearson7": (2.0,),
          "split_pseudo_voigt": (0.4, 0.2)}
X = np.linspace(20.0, 26.0, 300)
TRUE = [(22.2, 0.15, 200.0), (23.7, 0.20, 120.0)]  # (center deg, fwhm deg, area counts·deg)


def clean(model, x=X, peaks=TRUE, bg=(100.0, 2.0)):
    y = bg[0] + bg[1] * (x - 23.0)
    for c, w, a in peaks:
        y = y + profile(model, x, c, w, a, SHAPES[model])
    return y


@pytest.mark.parametrize("model", MODELS)
def test_known_answer_with_errors_matching_monte_carlo(model):
    rng = np.random.default_rng(7)
    window = FitWindow(20.0, 26.0, (22.1, None), model=model)
    truth = clean(model)
    fits = [fit_scan(X, rng.poisson(truth).astype(float), window) for _ in range(60)]
    for q, j in (("center", 0), ("fwhm", 1), ("area", 2)):
        val = np.array([getattr(f, q) for f in fits])          # (60, 2)
        err = np.array([getattr(f, q + "_err") for f in fits])
        true = np.array([p[j] for p in TRUE])
        # 4 standard errors: 60 × 2 draws make a 4σ excursion unlikely (p ≈ 8e-3 overall)
        assert np.all(np.abs(val - true) < 4 * err), q
        ratio = err.mean(axis=0) / val.std(axis=0, ddof=1)
        # the scatter of 60 draws is known to ±10 %; unweighted LS on Poisson data is still within 2×
        assert np.all((ratio > 0.5) & (ratio < 2.0)), (q, ratio)
    assert all(f.flags == () and f.peak_flags == ("", "") for f in fits)


def test_lmfit_engine_gives_the_fast_engine_numbers():
    y = np.random.default_rng(3).poisson(clean("pseudo_voigt")).astype(float)
    window = FitWindow(20.0, 26.0, (22.2, 23.7))
    for engine in ("auto", "fast"):
        fast = fit_scan(X, y, window, options=FitOptions(engine=engine))
        slow = fit_scan(X, y, window, options=FitOptions(engine="lmfit"))
        # the same minimum to the optimizers' tolerances: well within 1 % of a standard error
        assert np.all(np.abs(fast.values - slow.values) < 0.01 * slow.stderr)
        assert np.allclose(fast.stderr, slow.stderr, rtol=1e-3)
        assert np.allclose(fast.height_err, slow.height_err, rtol=1e-3)


def test_shared_fwhm_tie_and_general_expression_fallback():
    peaks = [(22.2, 0.18, 200.0), (23.7, 0.18, 120.0)]
    y = np.random.default_rng(4).poisson(clean("pseudo_voigt", peaks=peaks)).astype(float)
    window = FitWindow(20.0, 26.0, (22.2, 23.7)).with_shared_fwhm()
    fit = fit_scan(X, y, window)
    assert fit.fwhm[0] == fit.fwhm[1]
    assert fit.fwhm_err[0] == fit.fwhm_err[1]
    assert abs(fit.fwhm[0] - 0.18) < 4 * fit.fwhm_err[0]
    scaled = window.with_constraint("p1_fwhm", tied("1.5*p0_fwhm"))
    general = window.with_constraint("p1_fwhm", tied("p0_fwhm * 3 / 2 + 0 * p0_eta"))  # needs lmfit
    a, b = fit_scan(X, y, scaled), fit_scan(X, y, general)
    assert a.fwhm[1] == pytest.approx(1.5 * a.fwhm[0], rel=1e-12)
    assert np.all(np.abs(a.values - b.values) < 0.01 * b.stderr)  # optimizer tolerance, as above
    assert np.allclose(a.fwhm_err, b.fwhm_err, rtol=1e-3)
    with pytest.raises(ValueError):
        fit_scan(X, y, general, options=FitOptions(engine="fast"))


def test_fixed_parameter_stays_and_has_zero_error():
    y = np.random.default_rng(5).poisson(clean("pseudo_voigt")).astype(float)
    window = FitWindow(20.0, 26.0, (22.2, 23.7)).with_constraint("p0_eta", fixed(0.4))
    fit = fit_scan(X, y, window)
    assert fit.shape[0] == 0.4 and fit.shape_err[0] == 0.0


@pytest.mark.parametrize("ratio_free", [False, True])
def test_ka1_ka2_doublet_recovery(ratio_free):
    x = np.linspace(38.0, 42.0, 400)
    c1, w, a = 40.0, 0.08, 300.0
    c2 = float(ka2_center_deg(c1))  # 40.1029 deg: the pair is barely resolved at this width
    y_true = 50 + profile("pseudo_voigt", x, c1, w, a, (0.4,)) + profile("pseudo_voigt", x, c2, w, 0.5 * a, (0.4,))
    y = np.random.default_rng(6).poisson(y_true).astype(float)
    window = FitWindow(38.0, 42.0, (40.05,), ka2=Kalpha2(True, ratio_free=ratio_free), background_order=0)
    fit = fit_scan(x, y, window)
    assert abs(fit.center[0] - c1) < 4 * fit.center_err[0]
    assert abs(fit.area[0] - a) < 4 * fit.area_err[0]
    ratio = fit.values[fit.names.index("ka2_ratio")]
    ratio_err = fit.stderr[fit.names.index("ka2_ratio")]
    if ratio_free:
        assert abs(ratio - 0.5) < 4 * ratio_err and ratio_err > 0
    else:
        assert ratio == 0.5 and ratio_err == 0.0
    # without the companion the single peak is dragged toward Kα2 by ~1/3 of the split
    plain = fit_scan(x, y, FitWindow(38.0, 42.0, (40.05,), background_order=0))
    assert plain.center[0] - c1 > 10 * fit.center_err[0]


def test_missing_peak_is_reported_absent_not_wild():
    y = np.random.default_rng(8).poisson(clean("pseudo_voigt", peaks=TRUE[:1])).astype(float)
    fit = fit_scan(X, y, FitWindow(20.0, 26.0, (22.2, 23.7)))
    assert fit.peak_flags == ("", "absent")
    assert np.isnan(fit.center[1]) and np.isnan(fit.area[1]) and np.isnan(fit.height[1])
    assert abs(fit.center[0] - 22.2) < 4 * fit.center_err[0]
    assert fit.seed()["p1_center"] == 23.7  # held at the initial position for the next scan


def test_given_sigma_gives_reduced_chi_square_near_one():
    truth = clean("pseudo_voigt")
    y = np.random.default_rng(9).poisson(truth).astype(float)
    fit = fit_scan(X, y, FitWindow(20.0, 26.0, (22.2, 23.7)), sigma=np.sqrt(truth))
    dof = X.size - 10
    # χ²/dof has standard deviation sqrt(2/dof) ≈ 0.083 for 290 degrees of freedom
    assert abs(fit.redchi - 1.0) < 4 * np.sqrt(2.0 / dof)
    assert fit.residual == pytest.approx(y - fit.best)
    assert fit.components.shape == (2, X.size)
    assert np.allclose(fit.components.sum(axis=0) + fit.background, fit.best)


def test_find_window_peaks_and_noise_estimate():
    rng = np.random.default_rng(10)
    y = clean("gaussian") + rng.normal(0.0, 5.0, X.size)
    # MAD of second differences over 300 points estimates σ to ~±8 %; the peaks add a little
    assert noise_sigma(y) == pytest.approx(5.0, rel=0.25)
    found = find_window_peaks(X, y, 2)
    step = X[1] - X[0]
    assert np.allclose(found.center_deg, [22.2, 23.7], atol=2 * step)
    assert np.allclose(found.fwhm_deg, [0.15, 0.20], rtol=0.3)  # 3-point smoothing widens a little


def test_seeded_fit_matches_fresh_fit():
    y = np.random.default_rng(11).poisson(clean("pseudo_voigt")).astype(float)
    window = FitWindow(20.0, 26.0, (None, None))
    fresh = fit_scan(X, y, window)
    seeded = fit_scan(X, y, window, seed=fresh)
    # both end at the same minimum, to well within 1 % of a standard error
    assert np.all(np.abs(fresh.values - seeded.values) < 0.01 * fresh.stderr)


def test_bad_seed_recovers_from_a_fresh_guess():
    y = np.random.default_rng(12).poisson(clean("pseudo_voigt")).astype(float)
    window = FitWindow(20.0, 26.0, (22.2, 23.7), max_shift_deg=0.3)
    # seed both peaks 0.8 deg away: the seeded bounds (±0.3 deg) cannot reach the true peaks
    fit = fit_scan(X, y, window, seed={"p0_center": 21.4, "p1_center": 24.5})
    assert "recovered" in fit.flags
    assert np.all(np.abs(fit.center - [22.2, 23.7]) < 4 * fit.center_err)


def test_missing_component_is_flagged_poor_fit():
    y = np.random.default_rng(13).poisson(clean("pseudo_voigt")).astype(float)
    fit = fit_scan(X, y, FitWindow(20.0, 26.0, (22.2,)))  # the 23.7 deg peak is not modelled
    assert "poor_fit" in fit.flags and fit.redchi > 10.0
    good = fit_scan(X, y, FitWindow(20.0, 26.0, (22.2, 23.7)))
    # R_wp: the good fit is at the noise level (~5 % here); a limit between the two flags only the bad one
    assert "poor_fit" not in fit_scan(X, y, FitWindow(20.0, 26.0, (22.2, 23.7)),
                                      options=FitOptions(rwp_max=good.rwp * 1.5)).flags
    assert "poor_fit" in fit_scan(X, y, FitWindow(20.0, 26.0, (22.2, 23.7)),
                                  options=FitOptions(rwp_max=good.rwp * 0.5)).flags


def test_gaps_are_left_out_and_empty_windows_refused():
    y = np.random.default_rng(14).poisson(clean("pseudo_voigt")).astype(float)
    window = FitWindow(20.0, 26.0, (22.2, 23.7))
    gappy = y.copy()
    gappy[40:60] = np.nan                    # a masked stretch of background, 20.8-21.2 deg
    keep = np.isfinite(gappy)
    a = fit_scan(X, gappy, window)
    b = fit_scan(X[keep], y[keep], window)   # the same points, without the gap markers
    assert np.allclose(a.values, b.values, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="usable points"):
        fit_scan(X, y, FitWindow(40.0, 45.0, (42.0,)))


def test_zero_sigma_points_do_not_dominate():
    truth = clean("pseudo_voigt")
    y = np.random.default_rng(15).poisson(truth).astype(float)
    sigma = np.sqrt(truth)
    sigma[::50] = 0.0                        # e.g. dead pixels reported with zero uncertainty
    fit = fit_scan(X, y, FitWindow(20.0, 26.0, (22.2, 23.7)), sigma=sigma)
    assert np.all(np.abs(fit.center - [22.2, 23.7]) < 4 * fit.center_err)


def test_result_converts_to_lmfit_parameters():
    y = np.random.default_rng(16).poisson(clean("pseudo_voigt")).astype(float)
    fit = fit_scan(X, y, FitWindow(20.0, 26.0, (22.2, 23.7)).with_shared_fwhm())
    params = fit.to_lmfit_params()
    assert params["p0_center"].value == fit.center[0] and params["p0_center"].stderr == fit.center_err[0]
    assert params["p1_fwhm"].expr == "p0_fwhm" and params["p1_fwhm"].value == pytest.approx(fit.fwhm[0])
