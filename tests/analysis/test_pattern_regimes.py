"""Regimes from the patterns alone: which cores are two-phase mixtures of their neighbours."""

from __future__ import annotations

import numpy as np

from analysis.pattern_novelty import mixture_novelty, prepare_patterns
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
