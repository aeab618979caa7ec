"""Look-alikes that take turns across a series (analysis.decomposition_consistency)."""

import numpy as np

from analysis.decomposition_consistency import count_flips, find_substitutes


def _present(spec: str) -> np.ndarray:
    """"a", "b", "ab" or "-" per scan → (n, 2) presence of phases a and b."""
    return np.array([["a" in c, "b" in c] for c in spec.split()], dtype=bool)


def test_flips_count_swaps_between_scans_holding_only_one_phase():
    p = _present("a a b b ab a - b")
    assert count_flips(p[:, 0] & ~p[:, 1], p[:, 1] & ~p[:, 0]) == 3   # a→b, b→a (across 'ab'), a→b (across '-')


def test_a_pair_that_swaps_three_times_is_one_phase_under_two_names():
    present = _present("- a a b b a a a b b b b")
    gain = np.where(present, 1.0, 0.0) * np.array([100.0, 300.0])   # b explains more where present
    found = find_substitutes(present, gain, np.array([True, True]))
    assert len(found) == 1
    sub = found[0]
    assert (sub.winner, sub.loser, sub.first_scan, sub.last_scan, sub.flips) == (1, 0, 1, 11, 3)


def test_a_real_sequence_changes_phase_once_per_transition():
    # O3 → O'3 (two-phase, both present), P3 alone between, then O'3 → O3: two swaps in two stretches
    present = _present("a a ab ab b b - - - b b ab a a")
    gain = present * 50.0
    assert find_substitutes(present, gain, np.array([True, True])) == []


def test_parasitic_phases_are_not_considered():
    present = _present("a b a b a b")
    assert find_substitutes(present, present * 1.0, np.array([True, False])) == []
