"""Regimes from the patterns alone: which cores are two-phase mixtures of their neighbours."""

from __future__ import annotations

import numpy as np

from analysis.pattern_novelty import mixture_novelty, prepare_patterns, share_path
from analysis.pattern_regimes import drop_mixture_cores


def peaks(x: np.ndarray, centres: tuple, fwhm: float = 0.08) -> np.ndarray:
    return sum(np.exp(-4.0 * np.log(2.0) * ((x - c) / fwhm) ** 2) for c in centres)


def test_a_plateau_beside_the_first_scans_of_the_change_back_is_kept():
    # X1 → (slow, scans 20–59) → X2 plateau (60–89) → (slow, 90–129) → X1; 300 counts at the peaks on 100
    x = np.linspace(10.0, 20.0, 2000)
    x1, x2 = peaks(x, (11.0, 13.5, 16.2, 18.0)), peaks(x, (12.1, 14.4, 15.3, 17.1))
    n = 150
    share_x2 = np.interp(np.arange(n), [0, 19, 60, 89, 130, 149], [0, 0, 1, 1, 0, 0])
    clean = 100.0 + 300.0 * (np.outer(1 - share_x2, x1) + np.outer(share_x2, x2))
    stack = prepare_patterns(np.random.default_rng(7).poisson(clean).astype(float))
    # cores as short-lag change points would leave them: pieces of both slow changes, the plateau,
    # and three scans at the start of the change back (X2 share 1.00–0.95)
    cores = [(0, 19), (30, 35), (60, 86), (89, 91), (100, 105), (135, 149)]
    kept = drop_mixture_cores(stack, cores, lag=3, threshold=1.5)
    assert kept == [(0, 19), (60, 86), (135, 149)]


def test_a_pattern_is_a_mixture_only_of_references_it_is_made_of():
    x = np.linspace(10.0, 20.0, 2000)
    x1, x2 = 100.0 + 400.0 * peaks(x, (11.0, 13.5, 16.2, 18.0)), 100.0 + 400.0 * peaks(x, (12.1, 14.4, 15.3, 17.1))
    noise_var = 0.25   # variance of √counts (Poisson), noise-free patterns here
    window = 80
    # 30 % X1 + 70 % X2 is a mixture of X1 and X2: ratio 0 without noise
    assert mixture_novelty(np.sqrt(0.3 * x1 + 0.7 * x2), x1, x2, noise_var, window) < 1e-6
    # pure X2 is not a mixture of X1 and X1 (a faint X1 blown up by the comparison's scale would pass)
    assert mixture_novelty(np.sqrt(x2), x1, x1, noise_var, window) > 100.0


def _drifting_change(drift_deg_per_scan: float, n_scans: int = 100, first_changed: int = 40) -> np.ndarray:
    """Noise-free intensities: every peak shifts by ``drift_deg_per_scan`` per scan while phase A
    (3 peaks) turns into phase B (2 peaks) linearly from scan ``first_changed`` over 40 scans."""
    x = np.linspace(10.0, 20.0, 2001)
    k = np.arange(n_scans)
    share = np.clip((k - first_changed + 0.5) / 40.0, 0.0, 1.0)
    shift = drift_deg_per_scan * k
    return np.array([1000.0 * ((1 - w) * peaks(x, (12 + s, 15 + s, 18 + s)) + w * peaks(x, (13.2 + s, 16.5 + s)))
                     + 50.0 for w, s in zip(share, shift)])


def test_the_share_path_follows_the_new_phase_and_not_the_drift():
    # without drift the path rises from the first changed scan (share 0.0125 there) to ~0.75 at
    # scan 70 (share 0.76); bounds at about 2/3 of those, the share's own values
    stack = prepare_patterns(_drifting_change(0.0))
    path, _ = share_path(stack, 0, 70, (0, 39), (85, 94))
    assert np.all(np.diff(path[40:]) > 0) and path[40] > 0.008 and path[70] > 0.5
    assert np.max(np.abs(path[:40])) < 1e-3 * path[70]   # identical scans: only the bias term
    # peaks moving 0.2° over the series (2.5 widths): the scan-to-scan drift is taken out, so the path
    # stays within 0.002 before the change, where one drift model for the whole path swings by 0.0265;
    # the step a change gives shrinks with drift (the path reaches 0.41 at scan 70), bound at 0.3
    stack = prepare_patterns(_drifting_change(0.002))
    path, _ = share_path(stack, 0, 70, (0, 39), (85, 94))
    assert np.max(np.abs(path[:40])) < 0.002
    assert path[70] > 0.3


def test_a_scan_in_a_reference_block_does_not_make_a_step():
    # pure noise, no change: the path over scans 0..29 with the reference blocks 0..9 and 20..29
    # must have no step where it leaves or enters a block (its noise is shared with the direction);
    # without the correction the mean step leaving the first block is +6.4σ here (noise² × points / 10|d|²)
    rng = np.random.default_rng(5)
    x = np.linspace(10.0, 20.0, 1001)
    model = 400.0 * peaks(x, (12.0, 15.0, 18.0)) + 100.0
    steps_out, steps_in = [], []
    for _ in range(60):
        stack = prepare_patterns(rng.poisson(np.broadcast_to(model, (30, x.size))).astype(float))
        path, sigma = share_path(stack, 0, 29, (0, 9), (20, 29))
        steps_out.append((path[10] - path[9]) / sigma)
        steps_in.append((path[20] - path[19]) / sigma)
    # each step has unit noise (σ): the mean of 60 is within 4/√60 ≈ 0.5 of 0 unless biased
    assert abs(np.mean(steps_out)) < 0.5 and abs(np.mean(steps_in)) < 0.5
