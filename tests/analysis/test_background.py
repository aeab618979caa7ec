"""Backgrounds: known curved backgrounds recovered, anchor polynomial exact, series stack hooks."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.background import (AnchorPolynomialBackground, ArplsBackground, AslsBackground,
                                 SnipBackground, background_stack, compute_background,
                                 subtract_background)
from analysis.cancel import CancelToken, Cancelled
from analysis.peak_models import profile
from analysis.series import ScanSeries

X = np.linspace(10.0, 40.0, 1500)
PEAKS = [(15.0, 0.2, 40.0), (22.0, 0.25, 60.0), (23.0, 0.25, 30.0), (33.0, 0.3, 50.0)]


def curved_background(x):
    """An amorphous-hump-like background: decaying air scatter plus a broad bump."""
    return 80.0 * np.exp(-(x - 10.0) / 12.0) + 40.0 * np.exp(-0.5 * ((x - 27.0) / 6.0) ** 2) + 20.0


def pattern(x=X):
    y = curved_background(x)
    for c, w, a in PEAKS:
        y = y + profile("pseudo_voigt", x, c, w, a, (0.5,))
    return y


def far_from_peaks(x, margin=1.5):
    return np.all([np.abs(x - c) > margin for c, _, _ in PEAKS], axis=0)


@pytest.mark.parametrize("method, tol", [
    # tolerances: fraction of the local background, set by each method's known bias on a curved
    # background with peaks of base width ~1.5 deg (SNIP clips slightly into curvature; the
    # penalised methods sag slightly under peaks of this width)
    (SnipBackground(max_half_window_x=1.5), 0.05),
    (ArplsBackground(lam=1e3), 0.05),
    (AslsBackground(lam=1e5, p=0.01), 0.05),
])
def test_automatic_methods_recover_a_curved_background(method, tol):
    truth = curved_background(X)
    bg = compute_background(X, pattern(), method)
    keep = far_from_peaks(X) & (X > 11.0) & (X < 39.0)  # edges: SNIP and penalties are less certain
    assert np.all(np.abs(bg[keep] - truth[keep]) < tol * truth[keep])
    # and the peaks survive subtraction: net area of the 22° peak within 10 % of the truth
    net = pattern() - bg
    sel = np.abs(X - 22.0) < 0.45
    assert np.trapezoid(net[sel], X[sel]) == pytest.approx(0.89 * 60.0, rel=0.1)


def test_anchor_polynomial_is_exact_for_a_polynomial_background():
    truth = 50.0 + 0.8 * (X - 20.0) - 0.03 * (X - 20.0) ** 2
    y = truth + sum(profile("gaussian", X, c, w, a) for c, w, a in PEAKS)
    method = AnchorPolynomialBackground(((10.0, 12.0), (18.0, 20.0), (27.0, 30.0), (37.0, 40.0)), order=2)
    # Gaussian tails 2 deg from a 0.3 deg peak are < 1e-100; the fit is exact to rounding
    assert np.allclose(compute_background(X, y, method), truth, rtol=0, atol=1e-9)


def test_anchor_polynomial_needs_enough_points():
    with pytest.raises(ValueError):
        compute_background(X, pattern(), AnchorPolynomialBackground(((20.0, 20.001),), order=3))


def _series(n_scans=40):
    rng = np.random.default_rng(0)
    stack = np.array([pattern() + rng.normal(0.0, 0.5, X.size) for _ in range(n_scans)])
    return ScanSeries(x=X, intensity=stack, time_s=np.arange(n_scans, dtype=float), wavelength_A=1.5406)


@pytest.mark.parametrize("method", [SnipBackground(1.5),
                                    AnchorPolynomialBackground(((10.0, 13.0), (27.0, 30.0), (37.0, 40.0)), 2)])
def test_stack_matches_per_scan_and_reports_progress(method):
    series = _series()
    seen = []
    stack = background_stack(series, method, progress=lambda d, t: seen.append((d, t)))
    assert stack.shape == series.intensity.shape
    for i in (0, 17, 39):
        assert np.allclose(stack[i], compute_background(X, series.intensity[i], method), rtol=1e-10)
    assert seen[-1] == (40, 40)
    sub = subtract_background(series, method)
    assert np.allclose(sub.intensity, series.intensity - stack)
    assert "background subtracted" in sub.notes[-1]


def test_stack_can_be_cancelled_midway():
    token = CancelToken()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done >= 10:
            token.cancel()

    with pytest.raises(Cancelled):
        background_stack(_series(), SnipBackground(1.5), progress=progress, cancel=token, chunk=4)
    assert max(seen) < 40
