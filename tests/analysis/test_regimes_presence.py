"""The onset of a change from fractions is bounded by the first scan the new phase holds unbroken."""

from __future__ import annotations

import numpy as np

from analysis.regimes import first_unbroken_presence, fraction_ramp, scale_deficit_start


def two_phase_series(n: int = 60):
    # A alone to scan 19; B present (in the model) from scan 20 at 1 % for 5 scans — below what the
    # fraction errors show — then a linear two-phase change over scans 25–39; B alone from 40
    share_b = np.interp(np.arange(n), [24, 39], [0.01, 1.0])
    share_b[:20] = 0.0
    return np.column_stack([1.0 - share_b, share_b])


def test_first_unbroken_presence_of_the_appearing_phase():
    f = two_phase_series()
    assert first_unbroken_presence(f, (0, 15), (45, 59)) == 20
    f[30, 1] = 0.0                       # a break: presence counts from after it
    assert first_unbroken_presence(f, (0, 15), (45, 59)) == 31
    # B may begin inside A's core (1 % does not end it), but not after holding a share of it
    f = two_phase_series()
    assert first_unbroken_presence(f, (0, 22), (45, 59)) == 20
    f[3, 1] = 0.02
    assert first_unbroken_presence(f, (0, 22), (45, 59)) is None
    # fitted fractions with noise have no exact zeros: nothing is bounded
    noisy = two_phase_series() + 0.001
    assert first_unbroken_presence(noisy, (0, 15), (45, 59)) is None


def test_the_ramp_starts_where_the_new_phase_is_first_held():
    f = two_phase_series()
    errors = np.full_like(f, 0.03)
    times = np.arange(f.shape[0]) * 600.0
    change = fraction_ramp(times, f, errors, lag=6)((0, 15), (45, 59))
    assert change.onset == 20            # the ramp fit alone starts at 24–25
    assert change.end == 38            # the last scan short of B alone (B reaches 1.0 at scan 39)
    # moved back by at most the longer of the slow lag (3 × lag) and the ramp (24 → 38): a phase
    # held at 1 % from scan 5, 19 scans before the ramp, does not date it
    assert fraction_ramp(times, f, errors, lag=1)((0, 15), (45, 59)).onset == 20   # > 3 × lag, < ramp
    early = f.copy()
    early[5:20, 1] = 0.01
    assert first_unbroken_presence(early, (0, 3), (45, 59)) == 5
    assert fraction_ramp(times, early, errors, lag=1)((0, 3), (45, 59)).onset in (24, 25)
    # a presence that begins inside A's core still dates the change
    assert fraction_ramp(times, f, errors, lag=6)((0, 22), (45, 59)).onset == 20
    noisy = f + 0.001
    assert fraction_ramp(times, noisy, errors, lag=6)((0, 15), (45, 59)).onset in (24, 25)


def _replacing_look_alike(n: int = 100, onset: int = 50, enters: int = 56, ramp_end: int = 64):
    """A → B over scans onset..ramp_end, B modelled only from ``enters`` (it first looks like A):
    before that the fit gives A all of the (normalised) fraction while A's scale already falls."""
    i = np.arange(n, dtype=float)
    share_b = np.clip((i - onset + 1) / (ramp_end - onset + 1), 0.0, 1.0)
    rng = np.random.default_rng(11)
    scale_a = 120.0 * (1.0 - share_b) * (1.0 + 0.03 * i / n) + rng.normal(0.0, 1.0, n)
    scale_b = np.where(i >= enters, 120.0 * share_b, 0.0)
    fractions = np.column_stack([scale_a, scale_b]) / (scale_a + scale_b)[:, None]
    return fractions, np.column_stack([scale_a, scale_b])


def test_scale_deficit_starts_where_the_old_phase_begins_to_fade():
    fractions, scales = _replacing_look_alike()
    # trend over scans 9..48 (the last 40 of core 0..48): from scan 50 the scale is 1/15, 2/15, ...
    # of 120 (8σ and more) below it; scan 49 is on it
    assert scale_deficit_start(scales[:, 0], (0, 48), 56, 21) == 50
    assert scale_deficit_start(scales[:, 0], (0, 48), 56, 3) == 53       # not further back than the reach
    assert scale_deficit_start(scales[:, 0], (0, 48), 50, 21) is None    # scan 49 is not below the trend
    assert scale_deficit_start(scales[:, 0], (0, 3), 56, 21) is None     # too few core scans for a trend


def test_a_fading_old_phase_dates_the_change_before_the_new_one_is_modelled():
    fractions, scales = _replacing_look_alike()
    errors = np.full_like(fractions, 0.01)
    times = np.arange(fractions.shape[0]) * 600.0
    without = fraction_ramp(times, fractions, errors, lag=2)((0, 48), (75, 99))
    assert without.onset == 54            # 4 scans late: the fractions move only once B is modelled (56)
    change = fraction_ramp(times, fractions, errors, lag=2, scales=scales)((0, 48), (75, 99))
    assert change.onset == 50 and change.end == without.end


# Z's refined scale over scans 159–200 of seed 291 trial 37 (P2 → Z → P2, 355 scans, 2,780 counts):
# it rises, then sags through the solid-solution regime; Z → P2 begins at scan 200 (truth)
Z_SCALE_159 = [235.5, 238.8, 247.5, 236.8, 241.0, 235.5, 248.6, 249.5, 250.9, 240.0, 252.3, 266.1, 251.1,
               252.1, 255.7, 258.2, 256.5, 260.8, 256.4, 252.6, 254.4, 256.3, 260.4, 262.5, 251.2, 256.1,
               259.3, 255.4, 258.0, 261.2, 254.8, 244.6, 240.2, 250.6, 250.4, 241.7, 249.2, 244.1, 236.9,
               234.1, 239.1, 231.6]


def test_a_scale_that_sags_in_its_regime_does_not_date_the_change_early():
    scale = np.zeros(220)
    scale[159:201] = Z_SCALE_159
    # the core the detector found is 163–196; scans 197, 198, 199 lie 2.8, 3.3, 2.4 σ under the
    # straight trend of the core. The run back from the onset must be unbroken: at 2.5 σ it breaks
    # at 199 (at 2 σ it dated the change at 197, 3 scans early)
    assert scale_deficit_start(scale, (163, 196), 200, 25) is None


def test_the_trend_is_taken_before_the_onset_in_a_core_that_runs_past_it():
    # the core (0, 260) holds the start of the change: scale 100 ± 0.5, 10 % lower from scan 200; the
    # fit put the onset at 215. The trend comes from the 40 scans before 215, which hold the fall
    scale = 100.0 + np.random.default_rng(3).normal(0.0, 0.5, 300)
    scale[200:] -= 10.0
    assert scale_deficit_start(scale, (0, 260), 215, 20) is None    # 160..214 straddle the fall
    assert scale_deficit_start(scale, (0, 260), 205, 20) == 200     # 165..204: 5 scans below


def test_a_flux_step_that_every_phase_shares_does_not_date_the_change():
    # A → B as in the look-alike case, C steady at a third; the beam drops 10 % from scan 50 for all
    i = np.arange(100, dtype=float)
    share_b = np.clip((i - 55) / 10.0, 0.0, 1.0)
    flux = np.where(i >= 50, 0.9, 1.0) * (1.0 + np.random.default_rng(12).normal(0.0, 0.003, 100))
    scales = np.column_stack([80.0 * (1.0 - share_b), np.where(i >= 56, 80.0 * share_b, 0.0), np.full(100, 40.0)])
    scales *= flux[:, None]
    fractions = scales / scales.sum(axis=1, keepdims=True)
    errors = np.full_like(fractions, 0.01)
    times = i * 600.0
    without = fraction_ramp(times, fractions, errors, lag=2)((0, 48), (75, 99))
    with_scales = fraction_ramp(times, fractions, errors, lag=2, scales=scales)((0, 48), (75, 99))
    assert with_scales.onset == without.onset
    # the same fall in A alone (C's scale steady) is a phase leaving: it dates the change at 50
    scales[:, 2] = 40.0
    assert fraction_ramp(times, fractions, errors, lag=2, scales=scales)((0, 48), (75, 99)).onset == 50
