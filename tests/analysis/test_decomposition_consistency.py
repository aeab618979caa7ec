"""Look-alikes that take turns across a series (analysis.decomposition_consistency)."""

import numpy as np

from analysis.decomposition_consistency import count_flips, find_substitutes, neighbour_seeds
from analysis.decomposition_scan import PhaseState
from analysis.pattern_decomposition import take_over
from analysis.phase_library import load_library


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


def test_only_swaps_beside_a_short_run_count_as_turns():
    # seed 231 trial 23 in miniature: one stray scan of b, then a real a → b → a sequence of long runs
    spec = "b " + "a " * 8 + "ab " * 4 + "b " * 12 + "ab " * 3 + "a " * 7
    p = _present(spec)
    only_a, only_b = p[:, 0] & ~p[:, 1], p[:, 1] & ~p[:, 0]
    assert count_flips(only_a, only_b) == 3
    assert count_flips(only_a, only_b, short_run=6) == 1          # runs 1, 8, 12, 7: only 1 → 8
    assert count_flips(only_a, only_b, short_run=8) == 2          # 8 → 12 is not beside a short run; 12 → 7 is
    gain = p * 50.0
    assert find_substitutes(p, gain, np.array([True, True])) == []
    # the same swaps between runs of 2–4 scans are turns
    turns = _present("b " + "a " * 3 + "b " * 4 + "a " * 2 + "b " * 3)
    assert count_flips(turns[:, 0] & ~turns[:, 1], turns[:, 1] & ~turns[:, 0], short_run=6) == 4


def test_a_real_sequence_changes_phase_once_per_transition():
    # O3 → O'3 (two-phase, both present), P3 alone between, then O'3 → O3: two swaps in two stretches
    present = _present("a a ab ab b b - - - b b ab a a")
    gain = present * 50.0
    assert find_substitutes(present, gain, np.array([True, True])) == []


def test_parasitic_phases_are_not_considered():
    present = _present("a b a b a b")
    assert find_substitutes(present, present * 1.0, np.array([True, False])) == []


def test_the_better_name_is_the_simpler_or_the_nearer_library_cell():
    from analysis.decomposition_consistency import better_named_by
    from analysis.phase_library import load_library

    lib = load_library()
    p3, p3dd, pp3 = lib["P3"], lib["P3''"], lib["P'3"]
    hexagonal = lambda a, c: np.array([a, a, c, 90.0, 90.0, 120.0])  # noqa: E731
    # both ranges hold c = 17.0 Å; P3's library cell (16.8) is nearer than P3''s (17.4) in range widths
    assert better_named_by(p3dd, p3, hexagonal(2.87, 17.0))
    assert not better_named_by(p3, p3dd, hexagonal(2.87, 17.0))
    # at 17.45 Å P3'' is the name, whichever way round it is asked
    assert better_named_by(p3, p3dd, hexagonal(2.86, 17.45))
    assert not better_named_by(p3dd, p3, hexagonal(2.86, 17.45))
    # fewer free parameters always win (the undistorted parent), more never do
    assert better_named_by(pp3, p3, np.array([4.97, 2.87, 5.87, 90.0, 106.4, 90.0]))
    assert not better_named_by(p3, pp3, hexagonal(2.87, 16.9))


def test_a_tested_phase_is_replaced_by_the_look_alike_next_to_its_stretch():
    # phase 0 holds scans 3..5; look-alike 1 follows it from scan 6, look-alike 2 precedes it at scan 2
    present = np.zeros((9, 3), dtype=bool)
    present[3:6, 0] = True
    present[6:, 1] = True
    present[:3, 2] = True
    assert neighbour_seeds(present, [1, 2], 3, 5) == {1: 6, 2: 2}
    # a look-alike present neither right after nor right before is not seeded (it may be unrelated)
    present[2, 2] = False
    assert neighbour_seeds(present, [1, 2], 3, 5) == {1: 6}
    # a stretch at the series' ends looks only inside the series
    assert neighbour_seeds(present[3:], [1, 2], 0, 2) == {1: 3}


def test_a_look_alike_tested_in_place_of_a_stand_in_starts_at_its_cell():
    lib = load_library()
    p3 = PhaseState(lib["P3"], {"a": 2.89, "c": 16.80}, 0.002, located=True)
    standin = PhaseState(lib["P3''"], {"a": 2.87, "c": 17.02}, 0.004, located=True)
    monoclinic = PhaseState(lib["P'3"], {"a": 5.0, "b": 2.85, "c": 5.9, "beta": 107.0}, 0.003, located=True)
    take_over(p3, [monoclinic, standin])           # P'3 has other free parameters: skipped
    assert p3.params == {"a": 2.87, "c": 17.02} and p3.rel_d == 0.004
    far = PhaseState(lib["P3''"], {"a": 2.87, "c": 17.9}, 0.004, located=True)
    take_over(p3, [far])                            # clipped to P3's own range (c 16.3–17.4 Å)
    assert p3.params["c"] == 17.4
    gone = PhaseState(lib["P3''"], {"a": 2.81, "c": 16.5}, 0.004, located=False)
    take_over(p3, [gone])                           # not located in that scan: nothing to take
    assert p3.params["c"] == 17.4
