"""Regimes found from the patterns alone, for series that no library phase fits.

1. Novelty profile (:mod:`analysis.pattern_novelty`): at each boundary, how much of the change
   between the ``lag`` scans before and after is *not* explained by drift (local shifts and width
   changes, a global scale). A pure solid solution stays at the noise level (ratio ≈ 1); a
   two-phase change, with peaks fading in place while others grow, raises it.
2. Boundaries whose ratio exceeds ``1 + max(min_excess, k·√(2/dof), 3·(q25 − 1))`` (q25: lower
   quartile of the profile, which tracks the drift model's own error at high counts) form change
   runs; scans between them are regime cores.
3. A core whose every block is a non-negative mixture of its two neighbours' patterns is part of a
   long two-phase change (both phases coexisting part way), not a regime of its own: it is dropped,
   so a slow plateau reads as one change.
4. Cores are named "unknown 1", "unknown 2", ... in order of appearance; a core that matches an
   earlier one (the same drift-tolerant test between any pair of their ``lag``-scan blocks does
   not fire) gets its name again, so a reversible sequence reads "unknown 1 → unknown 2 → unknown 1".
5. Each change is dated by a flat–ramp–flat fit to the drift-unexplained change energy between
   the blocks either side of each boundary (:func:`pattern_ramp`).
6. The energy grows with the square of the change, so the first 5–10 % of a slow two-phase change
   at low counts hide in its noise. The onset is then moved back to where the share of the next
   regime's pattern starts to rise (:func:`share_onset`: a line with one kink through the scan-to-
   scan increments projected on the change, each with its own drift taken out), when that path is
   as smooth as its counting noise allows. Measured (``bench_pipeline_accuracy.py``, foreign
   material, seeds 371, 381, 391, 401, 411): 300 of 300 series right; on 371 and 381 the energy alone
   had 118 of 120 (two first onsets 4 and 6 scans late). On Table 1 series through this path
   (``bench_transitions.py``, seeds 17 and 29): 80 of 100 right against 79, mean onset error 1.03
   scans against 1.10, more than 3 scans off 9 against 12. Without the smoothness check a share
   path bent by drift the local model misses (split peaks closing before P'2 → P2) dated changes
   up to 7 scans early; with one drift model for the whole path instead of one per pair of
   scans, 16 of 40 Table 1 series were right.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from .cancel import CancelToken, ProgressFn, check
from .change_points import add_slow_changes, cores_between, fit_hinge, fit_ramp_to_excess, raised_runs
from .pattern_novelty import (PatternStack, mixture_novelty, novelty_profile, novelty_ratio, prepare_patterns,
                              share_path)
from .regimes import SLOW_LAG_FACTOR, Assembly, Change, RampFn, Regime, assemble_regimes, default_lag, ramp_window

UNKNOWN = "unknown"
BASELINE_FACTOR = 3.0
"""The change threshold is at least this many times the lower-quartile excess of the profile."""


@dataclass(frozen=True)
class PatternRegimes:
    """Result of :func:`find_pattern_regimes`.

    assembly:  regimes (labels "unknown k") and the changes between them
    novelty:   (n_scans,) drift-unexplained change ratio at each boundary (NaN at 0)
    threshold: the ratio above which a boundary counts as changing
    lag:       scans averaged on each side of a boundary
    dof:       degrees of freedom of one comparison (the ratio's noise spread is √(2/dof))
    """

    assembly: Assembly
    novelty: np.ndarray
    threshold: float
    lag: int
    dof: int


def _blocks(core: tuple[int, int], lag: int, max_blocks: int = 6) -> list[tuple[int, int]]:
    """Up to ``max_blocks`` evenly spread runs of ``lag`` scans inside a core (or the whole core)."""
    n = core[1] - core[0] + 1
    if n <= lag:
        return [core]
    starts = np.unique(np.linspace(core[0], core[1] - lag + 1, min(max_blocks, n - lag + 1)).round().astype(int))
    return [(int(s), int(s) + lag - 1) for s in starts]


def _cores_match(stack: PatternStack, a: tuple[int, int], b: tuple[int, int], lag: int, threshold: float) -> bool:
    for ba in _blocks(a, lag):
        left = stack.root[ba[0]:ba[1] + 1].mean(axis=0)
        for bb in _blocks(b, lag):
            right = stack.root[bb[0]:bb[1] + 1].mean(axis=0)
            k = min(ba[1] - ba[0] + 1, bb[1] - bb[0] + 1)
            if novelty_ratio(left, right, stack.noise ** 2 * 2.0 / k, stack.window_pts) <= threshold:
                return True
    return False


def _is_mixture(stack: PatternStack, core: tuple[int, int], before: tuple[int, int], after: tuple[int, int],
                lag: int, threshold: float) -> bool:
    """Whether every block of ``core`` is a mixture of the ``lag`` scans of ``before`` and ``after``
    nearest to it (nearest: least drift between reference and block)."""
    ref_a = (max(before[0], before[1] - lag + 1), before[1])
    ref_b = (after[0], min(after[1], after[0] + lag - 1))
    intensity = lambda r: (stack.root[r[0]:r[1] + 1] ** 2).mean(axis=0)  # noqa: E731
    a, b = intensity(ref_a), intensity(ref_b)
    for block in _blocks(core, lag):
        k = min(block[1] - block[0], ref_a[1] - ref_a[0], ref_b[1] - ref_b[0]) + 1
        target = stack.root[block[0]:block[1] + 1].mean(axis=0)
        if mixture_novelty(target, a, b, stack.noise ** 2 * 2.0 / k, stack.window_pts) > threshold:
            return False
    return True


def drop_mixture_cores(stack: PatternStack, cores: list[tuple[int, int]], lag: int, threshold: float,
                       cancel: Optional[CancelToken] = None) -> list[tuple[int, int]]:
    """``cores`` without those that are two-phase mixtures of their neighbours (module docstring, 3).

    Shortest first, then the neighbours are tested again: a few scans at the start of a slow change
    back (97 % of the plateau's phase) are trivially a "mixture" of the plateau beside them and the
    change, and so is the plateau of the scans beside them; dropping the plateau first lost the regime.
    """
    cores = list(cores)
    verdicts: dict = {}

    def mixture(j: int) -> bool:
        key = (cores[j - 1], cores[j], cores[j + 1])
        if key not in verdicts:
            check(cancel)
            verdicts[key] = _is_mixture(stack, cores[j], cores[j - 1], cores[j + 1], lag, threshold)
        return verdicts[key]

    while True:
        mixtures = [j for j in range(1, len(cores) - 1) if mixture(j)]
        if not mixtures:
            return cores
        del cores[min(mixtures, key=lambda j: cores[j][1] - cores[j][0])]


def name_cores(stack: PatternStack, cores: list[tuple[int, int]], lag: int, threshold: float,
               cancel: Optional[CancelToken] = None) -> list[str]:
    """"unknown k" labels; a core matching an earlier, non-neighbouring core reuses its label."""
    labels: list[str] = []
    for j, core in enumerate(cores):
        check(cancel)
        label = None
        for k in range(j - 1):
            if labels[k] != labels[j - 1] and _cores_match(stack, cores[k], core, lag, threshold):
                label = labels[k]
                break
        if label is None:
            label = f"{UNKNOWN} {len(set(labels)) + 1}"
        labels.append(label)
    return labels


def renumber(labels: list[str]) -> list[str]:
    """Renumber "unknown k" labels 1, 2, ... by first appearance (after regimes were dropped)."""
    mapping: dict[str, str] = {}
    for lab in labels:
        mapping.setdefault(lab, f"{UNKNOWN} {len(mapping) + 1}")
    return [mapping[lab] for lab in labels]


@dataclass(frozen=True)
class _Evidence:
    """A novelty profile with its lag and change threshold."""

    ratio: np.ndarray
    lag: int
    dof: int
    threshold: float

    def excess(self) -> np.ndarray:
        """Unexplained change energy per boundary, in units of noise² × dof (0 at boundary 0)."""
        n = self.ratio.size
        k = np.array([min(self.lag, b, n - b) if b else 1 for b in range(n)], dtype=float)
        return np.nan_to_num(self.ratio - 1.0, nan=0.0) * 2.0 / k


def _extend_over_slow_change(window: tuple[int, int], core_a: tuple[int, int], core_b: tuple[int, int],
                             slow: _Evidence) -> tuple[int, int]:
    """Widen a ramp window into its cores while the long-lag profile stays raised at the window's
    edge: a slow two-phase change (a long plateau) can run far into the cores the short lag found,
    and a window that cuts it dates the change at the window's edge."""
    raised = np.nan_to_num(slow.ratio, nan=0.0) > slow.threshold
    lo, hi = window
    while lo > core_a[0] and raised[lo]:
        lo -= 1
    while hi < core_b[1] and raised[hi]:
        hi += 1
    # the long-lag blocks reach ``lag`` scans past the change itself: keep that margin
    return max(core_a[0], lo - slow.lag), min(core_b[1], hi + slow.lag)


def pattern_ramp(times_s: np.ndarray, fast: _Evidence, slow: _Evidence) -> RampFn:
    """A ramp fitter on the novelty profile: the unexplained change energy between the blocks either
    side of each boundary is matched to that of a linear change (two-phase lever rule). Working on
    the drift-free residual keeps peaks that shift during the change from blurring its ends. A
    change that only the long lag saw is dated on the long-lag profile.
    """
    excess = {id(fast): fast.excess(), id(slow): slow.excess()}

    def ramp(core_a: tuple[int, int], core_b: tuple[int, int]) -> Change:
        gap = slice(core_a[1] + 1, core_b[0] + 1)
        ev = fast if np.nanmax(fast.ratio[gap], initial=1.0) > fast.threshold else slow
        lo, hi = _extend_over_slow_change(ramp_window(core_a, core_b, fast.lag), core_a, core_b, slow)
        window = excess[id(ev)][lo:hi + 1]
        scatter = float(np.median(np.abs(window[1:] - np.median(window[1:]))))
        onset, end, _ = fit_ramp_to_excess(times_s[lo:hi + 1], window, ev.lag, noise_level=scatter)
        peak = np.nanmax(ev.ratio[gap], initial=1.0)
        return Change(lo + onset, lo + end, float(max(peak - 1.0, 0.0) / np.sqrt(2.0 / ev.dof)))
    return ramp


SHARE_BEFORE_SCANS = 40
"""Most scans of the old regime that the share's straight line before a change is fitted on."""
SHARE_SCATTER_MAX = 1.3
"""The share dates a change only if it scatters about its kinked line by at most this many times
its counting noise: drift that the local model misses (split peaks closing) bends the path."""
SHARE_MIN_MOVE = 2
"""The share moves an onset back only by at least this many scans (its own scatter is ±1)."""


def share_onset(stack: PatternStack, times_s: np.ndarray, change: Change, previous_end: int, next_onset: int,
                lag: int, min_regime_scans: int = 3) -> int:
    """An earlier onset for ``change`` from the share of the next regime's pattern, or its own.

    The share (:func:`analysis.pattern_novelty.share_path`, from the mean of the old regime's scans
    in the window to the mean of ``2·lag`` scans after the change) is fitted from after ``previous_end``
    (at most :data:`SHARE_BEFORE_SCANS` scans before the onset) to a third of the way into the
    change by a line with one kink (:func:`analysis.change_points.fit_hinge`), the kink searched
    as far back as the slow lag or the change's length, leaving the old regime at least 4 and
    ``min_regime_scans`` scans. The kink becomes the onset if it is at least
    :data:`SHARE_MIN_MOVE` scans earlier, the slope it adds is positive, and the fit scatters by
    at most :data:`SHARE_SCATTER_MAX` × the counting noise.

    Why: the change energy grows with the square of the change, so the first 5–10 % of a slow
    two-phase change at low counts hide in its noise and the energy dates it 4–6 scans late; the
    share path is first order in the change and rises from its first scan.
    """
    onset, end = change.onset, change.end
    first = max(previous_end + 1, onset - SHARE_BEFORE_SCANS)
    after = (end + 1, min(next_onset - 1, end + 2 * lag))
    last = min(onset + max((end - onset) // 3, 3), end)
    reach = max(SLOW_LAG_FACTOR * lag, end - onset)
    earliest = max(onset - reach, first + 4, previous_end + 1 + min_regime_scans)
    onsets = range(earliest, min(last - 1, onset + reach) + 1)
    if onset - first < 6 or after[1] < after[0] or len(onsets) == 0:
        return onset
    path, sigma = share_path(stack, first, last, (first, onset - 1), after)
    fit = fit_hinge(times_s[first:last + 1], path, range(onsets.start - first, onsets.stop - first))
    kink = first + fit.onset
    if kink <= onset - SHARE_MIN_MOVE and fit.rise > 0 and fit.scatter <= SHARE_SCATTER_MAX * sigma:
        return kink
    return onset


def date_by_share(stack: PatternStack, times_s: np.ndarray, assembly: Assembly, lag: int,
                  min_regime_scans: int = 3) -> Assembly:
    """``assembly`` with each change's onset moved back where :func:`share_onset` finds it earlier
    (last change first, so each sees where the next one now starts); the regimes end where the
    changes begin. The pattern path's changes carry no ramp times (tau0 = tau1 = 0)."""
    n = stack.root.shape[0]
    changes = list(assembly.changes)
    for i in reversed(range(len(changes))):
        previous_end = changes[i - 1].end if i else -1
        next_onset = changes[i + 1].onset if i + 1 < len(changes) else n
        onset = share_onset(stack, times_s, changes[i], previous_end, next_onset, lag, min_regime_scans)
        changes[i] = replace(changes[i], onset=onset)
    ends = [c.onset - 1 for c in changes] + [n - 1]
    regimes = tuple(Regime(r.label, r.first_scan, max(e, r.first_scan), r.phases)
                    for r, e in zip(assembly.regimes, ends))
    return Assembly(regimes, tuple(changes), assembly.cores)


def _evidence(stack: PatternStack, lag: int, min_excess: float, progress, cancel) -> _Evidence:
    profile = novelty_profile(stack, lag, progress=progress, cancel=cancel)
    # the drift expansion's own error grows with the counts like a real change does, so the floor
    # also follows the quiet part of the profile (its lower quartile) with a safety factor
    floor = 1.0 + BASELINE_FACTOR * (float(np.nanpercentile(profile.ratio, 25)) - 1.0)
    threshold = max(novelty_threshold(profile.dof, min_excess), floor)
    return _Evidence(profile.ratio, lag, profile.dof, threshold)


def _half(progress: Optional[ProgressFn], second: bool) -> Optional[ProgressFn]:
    if progress is None:
        return None
    return lambda done, total: progress(done + (total if second else 0), 2 * total)


def novelty_threshold(dof: int, min_excess: float = 0.12, n_sigma: float = 8.0) -> float:
    """Ratio above which a boundary counts as changing: both a relative excess (model error of the
    drift expansion at high counts) and a multiple of the ratio's noise spread √(2/dof)."""
    return 1.0 + max(min_excess, n_sigma * np.sqrt(2.0 / max(dof, 1)))


def find_pattern_regimes(intensity: np.ndarray, times_s: np.ndarray, *, min_regime_scans: int = 3,
                                 lag: Optional[int] = None, window_pts: Optional[int] = None,
                                 min_excess: float = 0.12, progress: Optional[ProgressFn] = None,
                                 cancel: Optional[CancelToken] = None) -> PatternRegimes:
    """Regimes of an (n_scans, n_points) intensity stack without any phase library (module docstring).

    times_s (n_scans,) date the ramps (uneven scan times and gaps allowed).
    """
    intensity = np.asarray(intensity, dtype=float)
    n = intensity.shape[0]
    lag = default_lag(n) if lag is None else int(lag)
    stack = prepare_patterns(intensity, window_pts)
    fast = _evidence(stack, lag, min_excess, _half(progress, False), cancel)
    slow = _evidence(stack, SLOW_LAG_FACTOR * lag, min_excess, _half(progress, True), cancel)
    raised = np.nan_to_num(fast.ratio, nan=0.0) > fast.threshold
    # a real change, even between two scans, raises every boundary whose blocks straddle it; a
    # lone raised boundary is a fluctuation of the drift model's error
    runs = [r for r in raised_runs(raised, max_gap=1) if r[1] > r[0]]
    slow_raised = np.nan_to_num(slow.ratio, nan=0.0) > slow.threshold
    runs = add_slow_changes(runs, slow.ratio, slow_raised, slow.lag)
    cores = drop_mixture_cores(stack, cores_between(n, runs), lag, fast.threshold, cancel)
    labels = name_cores(stack, cores, lag, fast.threshold, cancel)
    times_s = np.asarray(times_s, dtype=float)
    assembly = assemble_regimes(n, cores, labels, [()] * len(cores), pattern_ramp(times_s, fast, slow),
                                min_regime_scans, lag=lag)
    assembly = date_by_share(stack, times_s, assembly, lag, min_regime_scans)
    relabelled = renumber([r.label for r in assembly.regimes])
    regimes = tuple(type(r)(lab, r.first_scan, r.last_scan, r.phases) for r, lab in zip(assembly.regimes, relabelled))
    return PatternRegimes(Assembly(regimes, assembly.changes, assembly.cores), fast.ratio, fast.threshold, lag,
                          fast.dof)
