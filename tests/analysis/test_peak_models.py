"""Peak profiles: unit area, stated FWHM, analytic derivatives, Kα2 position by Bragg's law."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.fit_windows import FitWindow, Kalpha2
from analysis.peak_models import (MODELS, SHAPE_PARAMS, height_per_area, ka2_center_deg, profile,
                                  unit_profile)
from analysis.window_model import WindowModel

SHAPES = {"gaussian": (), "lorentzian": (), "pseudo_voigt": (0.3,), "pearson7": (2.5,),
          "split_pseudo_voigt": (0.3, 0.25)}


@pytest.mark.parametrize("model", MODELS)
def test_profile_has_unit_area_and_stated_fwhm(model):
    x = np.linspace(-400.0, 400.0, 800_001)  # step 1e-3 deg; tails to ±2000 FWHM
    g = profile(model, x, 0.0, 0.4, 1.0, SHAPES[model])
    # Lorentzian tails beyond ±400 deg hold 2/(π·2000) ≈ 3e-4 of the area; others far less
    assert np.trapezoid(g, x) == pytest.approx(1.0, abs=5e-4)
    above = x[g >= 0.5 * g.max()]
    # the half-maximum crossing is located to one grid step (1e-3 deg) on each side
    assert above[-1] - above[0] == pytest.approx(0.4, abs=2.5e-3)
    assert g.max() == pytest.approx(height_per_area(model, 0.4, SHAPES[model]), rel=1e-4)


@pytest.mark.parametrize("model", MODELS)
def test_analytic_derivatives_match_finite_differences(model):
    x = np.linspace(9.0, 11.0, 201)
    args = [10.1, 0.3, *SHAPES[model]]
    parts = unit_profile(model, x, args[0], args[1], tuple(args[2:]))
    for k in range(len(args)):
        h = 1e-6
        hi, lo = list(args), list(args)
        hi[k] += h
        lo[k] -= h
        fd = (unit_profile(model, x, hi[0], hi[1], tuple(hi[2:]))[0]
              - unit_profile(model, x, lo[0], lo[1], tuple(lo[2:]))[0]) / (2 * h)
        # central differences are accurate to ~h² · g''' ≈ 1e-9 relative to the peak height, except
        # at the split profile's center where the curvature jumps and both sides differ by ~h · g''
        assert np.allclose(parts[1 + k], fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max())


def test_window_jacobian_matches_finite_differences_with_ka2():
    w = FitWindow(30.0, 34.0, (31.5, 32.4), model="pseudo_voigt", background_order=2,
                  ka2=Kalpha2(True, ratio_free=True))
    m = WindowModel(w, np.linspace(30.0, 34.0, 301))
    v = np.array([31.5, 0.2, 50.0, 0.4, 32.4, 0.25, 30.0, 0.6, 0.5, 10.0, 1.0, -0.3])
    _, jac = m.evaluate_with_jacobian(v)
    for j in range(v.size):
        h = 1e-6 * max(abs(v[j]), 1.0)
        vp, vm = v.copy(), v.copy()
        vp[j] += h
        vm[j] -= h
        fd = (m.evaluate(vp) - m.evaluate(vm)) / (2 * h)
        assert np.allclose(jac[:, j], fd, rtol=1e-5, atol=1e-6 * max(np.abs(fd).max(), 1.0)), m.names[j]


def test_ka2_position_is_exact_bragg_not_linearised():
    # hand computation: θ1 = 40°, sin θ2 = 1.0024666 · 0.6427876 = 0.6443731; θ2 = 40.1187°
    s2 = 1.5444 / 1.5406 * math.sin(math.radians(40.0))
    expected = 2.0 * math.degrees(math.asin(s2))
    assert ka2_center_deg(80.0) == pytest.approx(expected, abs=1e-12)
    assert ka2_center_deg(80.0) == pytest.approx(80.2374, abs=1e-4)
    # the linear approximation Δ2θ = 2 tan θ Δλ/λ falls short by ~0.019 deg at 150°
    linear = 150.0 + math.degrees(2 * math.tan(math.radians(75.0)) * (1.5444 - 1.5406) / 1.5406)
    assert abs(float(ka2_center_deg(150.0)) - linear) > 0.015


def test_every_model_lists_its_shape_defaults():
    for model, names in SHAPE_PARAMS.items():
        assert len(SHAPES[model]) == len(names)
