"""Regimes of an operando series: stretches of scans with one set of phases, and the changes between.

Two sources of evidence share one assembly step (:func:`assemble_regimes`):

- phase fractions (:func:`fraction_cores`): a two-sided χ² test on the per-scan fractions finds
  where they change; a phase is *present* in a regime when its (trimmed) mean fraction there exceeds
  max(``min_fraction``, 3 × the standard error of that mean), so a 5 % phase is found over a
  20-scan regime even when single scans scatter by ±4 %;
- the patterns alone (:mod:`analysis.pattern_regimes`), for series no library phase fits.

Labels join present phases with "/" in a canonical order: the order of ``phase_names`` as given
(pass the library or your preferred order, e.g. ``("P2", "O3", "P3", "OP4")`` gives "P2/O3").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional, Sequence

import numpy as np
from scipy.stats import chi2 as chi2_dist, trim_mean

from .change_points import add_slow_changes, cores_between, fit_ramp, raised_runs

NO_PHASE = "no phase"
SLOW_LAG_FACTOR = 3
"""The long lag (for gradual changes) is this many times the short one."""


@dataclass(frozen=True)
class Regime:
    """Scans ``first_scan`` .. ``last_scan`` (inclusive) with one set of phases, named ``label``."""

    label: str
    first_scan: int
    last_scan: int
    phases: tuple[str, ...] = ()

    def as_tuple(self) -> tuple[str, int, int]:
        return (self.label, self.first_scan, self.last_scan)


@dataclass(frozen=True)
class Change:
    """A located change from regime ``index`` to regime ``index + 1``: scans onset .. end, and
    ``strength`` (Δχ² of the ramp over no change, in units of the noise; larger is surer)."""

    onset: int
    end: int
    strength: float
    tau0: float = 0.0
    tau1: float = 0.0


RampFn = Callable[[tuple[int, int], tuple[int, int]], Change]


def default_lag(n_scans: int, per_scans: float = 35.0) -> int:
    """Scans averaged on each side of a boundary: ~n/``per_scans``, between 2 and 8 (a transition
    spans roughly a tenth of a half-cycle, so the averaged blocks stay inside one regime)."""
    return int(np.clip(round(n_scans / per_scans), 2, 8))


FRACTION_LAG_PER_SCANS = 60.0
"""Fractions are cleaner evidence than patterns, so their blocks are shorter (short regimes keep
a core); gradual changes are caught by the long lag (:data:`SLOW_LAG_FACTOR`)."""


def ramp_window(core_a: tuple[int, int], core_b: tuple[int, int], lag: int) -> tuple[int, int]:
    """Scans to fit a ramp in: the gap between two cores plus up to max(10, 3·SLOW_LAG_FACTOR·lag)
    core scans each side (a slow change may reach well into the cores found for it)."""
    extra = max(10, 3 * SLOW_LAG_FACTOR * lag)
    return max(core_a[0], core_a[1] - extra), min(core_b[1], core_b[0] + extra)


def fraction_statistic(fractions: np.ndarray, errors: np.ndarray, lag: int) -> np.ndarray:
    """(n_scans,) χ² at each boundary b of (mean of ``lag`` scans after − mean of ``lag`` before).

    fractions, errors (n_scans, n_phases); fewer scans are averaged near the ends. Entry 0 is 0.
    """
    n = fractions.shape[0]
    cum_f = np.vstack([np.zeros((1, fractions.shape[1])), np.cumsum(fractions, axis=0)])
    cum_v = np.vstack([np.zeros((1, fractions.shape[1])), np.cumsum(errors ** 2, axis=0)])
    out = np.zeros(n)
    for b in range(1, n):
        k = min(lag, b, n - b)
        diff = (cum_f[b + k] - cum_f[b]) / k - (cum_f[b] - cum_f[b - k]) / k
        var = ((cum_v[b + k] - cum_v[b]) + (cum_v[b] - cum_v[b - k])) / (k * k)
        out[b] = float((diff * diff / np.maximum(var, 1e-12)).sum())
    return out


PRESENCE_TRIM = 0.2
"""Share of a regime's scans cut from each end of a phase's sorted fractions before averaging (a
one-scan misfit — look-alikes standing in for the regime's phase at 34 % and 48 % in one scan of
nine — does not name the regime)."""


def present_phases(fractions: np.ndarray, errors: np.ndarray, core: tuple[int, int],
                   names: Sequence[str], min_fraction: float) -> tuple[str, ...]:
    """Phases whose mean fraction over the core, trimmed by :data:`PRESENCE_TRIM` at each end,
    exceeds max(min_fraction, 3 × the standard error of the mean)."""
    sl = slice(core[0], core[1] + 1)
    n = core[1] - core[0] + 1
    mean = trim_mean(fractions[sl], PRESENCE_TRIM, axis=0)
    kept = n - 2 * int(PRESENCE_TRIM * n)   # scans the trimmed mean averages (as scipy cuts them)
    sem = np.sqrt((errors[sl] ** 2).mean(axis=0) / kept)
    keep = mean > np.maximum(min_fraction, 3.0 * sem)
    return tuple(name for name, k in zip(names, keep) if k)


def fraction_cores(fractions: np.ndarray, errors: np.ndarray, lag: int,
                   false_alarm: float = 1e-4) -> list[tuple[int, int]]:
    """Stable cores: scans outside runs of boundaries whose χ² exceeds its ``false_alarm`` quantile."""
    limit = chi2_dist.isf(false_alarm, df=fractions.shape[1])
    runs = raised_runs(fraction_statistic(fractions, errors, lag) > limit, max_gap=0)
    slow = fraction_statistic(fractions, errors, SLOW_LAG_FACTOR * lag)
    runs = add_slow_changes(runs, slow, slow > limit, SLOW_LAG_FACTOR * lag)
    return cores_between(fractions.shape[0], runs)


def _passes_through(side: np.ndarray, peak: float) -> bool:
    """Whether a rise to (or fall from) ``peak`` has a scan between 10 % and 90 % of it."""
    return bool(np.any((side > 0.1 * peak) & (side < 0.9 * peak)))


TRANSIENT_MAJORITY = 0.5
"""Smallest peak fraction of a phase that comes and goes inside one change for it to make a regime
of its own however short (:func:`transient_cores`)."""


def _transient_between(fractions: np.ndarray, errors: np.ndarray, a: tuple[int, int], b: tuple[int, int],
                       min_fraction: float) -> Optional[tuple[int, int]]:
    """The core of the highest transient phase between cores ``a`` and ``b`` (see
    :func:`transient_cores`), or None."""
    first, last = a[1] + 1, b[0] - 1
    if last < first:
        return None
    best = None
    for j in range(fractions.shape[1]):
        col = fractions[:, j]
        if max(col[a[0]:a[1] + 1].mean(), col[b[0]:b[1] + 1].mean()) >= min_fraction:
            continue
        p = first + int(np.argmax(col[first:last + 1]))
        peak = col[p]
        if peak < TRANSIENT_MAJORITY:
            continue
        lo, hi, floor = p, p, peak - 3.0 * errors[p, j]
        while lo - 1 >= first and col[lo - 1] >= floor:
            lo -= 1
        while hi + 1 <= last and col[hi + 1] >= floor:
            hi += 1
        if _passes_through(col[first:lo], peak) and _passes_through(col[hi + 1:last + 1], peak) \
                and (best is None or peak > best[0]):
            best = (peak, (lo, hi))
    return None if best is None else best[1]


def transient_cores(fractions: np.ndarray, errors: np.ndarray, cores: list[tuple[int, int]],
                    min_fraction: float) -> list[tuple[int, int]]:
    """Cores of phases that come and go between two stable cores: an intermediate regime too short
    for the χ² blocks to leave it a core (P3 → O'3 → O3 with O'3 held for 2 scans of 60).

    Between neighbouring cores whose phases differ, a phase absent from both (mean <
    ``min_fraction``) that becomes the majority (≥ :data:`TRANSIENT_MAJORITY`) gives a core: the
    scans around its peak within 3 σ of it. It must rise and fall gradually (a scan between 10 % and
    90 % of the peak on each side), which a look-alike swapped in for a scan or two does not. The
    highest such peak is taken first, then each side of it is searched again (A → X → Y → B).
    Between cores with the same phases nothing is sought: a look-alike that takes a growing share of
    a phase and gives it back is a swap, not an intermediate regime.
    """
    index = list(range(fractions.shape[1]))

    def phases(core: tuple[int, int]) -> tuple:
        return present_phases(fractions, errors, core, index, min_fraction)

    found: list[tuple[int, int]] = []
    pending = list(zip(cores[:-1], cores[1:]))
    while pending:
        a, b = pending.pop()
        if phases(a) == phases(b):
            continue
        core = _transient_between(fractions, errors, a, b, min_fraction)
        if core is not None:
            found.append(core)
            pending += [(a, core), (core, b)]
    return sorted(found)


def first_unbroken_presence(fractions: np.ndarray, core_a: tuple[int, int], core_b: tuple[int, int]) -> Optional[int]:
    """Earliest scan from which a phase absent (fraction exactly 0) in ``core_a`` before that scan
    is present (> 0) in every scan up to the start of ``core_b`` (so it may begin inside
    ``core_a``: a few % of a new phase do not end a core), over the phases that appear so; None if
    none does. Exact zeros mean "not in the model" in a decomposition's fractions (fitted fractions
    with noise have none, and then nothing is bounded)."""
    first = None
    for j in range(fractions.shape[1]):
        col = fractions[:, j]
        if col[core_b[0]] <= 0:
            continue
        p = core_b[0]
        while p - 1 > core_a[0] and col[p - 1] > 0:
            p -= 1
        if np.any(col[core_a[0]:min(p, core_a[1] + 1)] != 0):
            continue
        first = p if first is None else min(first, p)
    return first


SCALE_TREND_SCANS = 40
"""Last scans of the old core over which a leaving phase's scale trend is fitted."""
SCALE_DEFICIT_SIGMA = 2.5
"""How far (in the scatter about that trend) a scale must fall below it to count as falling. At 2
a Z → P2 change was dated 3 scans early: Z's scale sags over its solid-solution regime, so its
last three scans sit 2.8, 3.3, 2.4σ under the straight trend (seed 291 trial 37); at 2.5 the run
back from the onset breaks at once, and P2 → Z at 990 counts is still dated 2 scans from the truth
(seed 241 trial 30). On 54 stored decompositions: 9 onsets move 1–2 scans toward the truth, 2 from
exact to 1 early."""


def scale_deficit_start(scale: np.ndarray, core: tuple[int, int], onset: int, reach: int) -> Optional[int]:
    """Earliest scan p ≥ ``onset − reach`` from which ``scale`` (n_scans,) of a leaving phase stays
    below its straight-line trend over ``core`` by more than :data:`SCALE_DEFICIT_SIGMA` × its
    scatter (robust) about that trend, in every scan up to ``onset``; None if scan ``onset − 1`` is
    not below. The trend uses the last :data:`SCALE_TREND_SCANS` core scans before ``onset``
    (at least 6). A fall of every phase's scale together (beam or tube flux) is not this: see
    :func:`fraction_ramp`."""
    stop = min(core[1], onset - 1)
    scans = np.arange(max(core[0], stop - SCALE_TREND_SCANS + 1), stop + 1)
    if scans.size < 6:
        return None
    coef = np.polyfit(scans, scale[scans], 1)
    residual = scale[scans] - np.polyval(coef, scans)
    # robust scatter, at least 0.1 % of the level (a scale pinned at a bound has no scatter)
    sigma = max(1.4826 * np.median(np.abs(residual - np.median(residual))),
                1e-3 * abs(float(np.polyval(coef, stop))))
    p = onset
    while p - 1 >= max(onset - reach, 0) and scale[p - 1] < np.polyval(coef, p - 1) - SCALE_DEFICIT_SIGMA * sigma:
        p -= 1
    return p if p < onset else None


def fraction_ramp(times_s: np.ndarray, fractions: np.ndarray, errors: np.ndarray, lag: int,
                  scales: Optional[np.ndarray] = None, min_fraction: float = 0.04) -> RampFn:
    """A ramp fitter over the phase fractions (weights 1/σ²) between two cores.

    A change has begun by the first scan from which a new phase is present without a break
    (:func:`first_unbroken_presence`), and, given the phases' ``scales`` (n_scans, n_phases), by
    the first scan from which a leaving phase's scale stays below its trend
    (:func:`scale_deficit_start`, from the onset the fit or the presence gives; a leaving phase is
    one whose mean fraction is at least ``min_fraction`` in the old core and falls by at least that
    much in the new one; not when a staying phase's scale falls too, which is the flux). The fitted
    onset is moved back by at most the slow lag (``SLOW_LAG_FACTOR * lag`` scans) or the ramp's own
    length, whichever is longer.

    Why: a slow change whose first 1–5 % stay inside the old core is dated by the fit 7–8 scans
    late; a distorted fraction curve (a phase refined at a wrong cell for its first scans, then
    corrected) made the ramp start 3–4 scans after the phase appeared; and a new phase that looks
    like the old one (Z forming from P2 at 990 counts) enters the model only once it differs
    enough, while the old phase's scale already falls.
    """
    def ramp(core_a: tuple[int, int], core_b: tuple[int, int]) -> Change:
        lo, hi = ramp_window(core_a, core_b, lag)
        sl = slice(lo, hi + 1)
        fit = fit_ramp(times_s[sl], fractions[sl], 1.0 / np.maximum(errors[sl], 1e-6) ** 2)
        onset, end = lo + fit.onset, lo + fit.end
        earliest = onset - max(SLOW_LAG_FACTOR * lag, end - onset)
        present = first_unbroken_presence(fractions, core_a, core_b)
        if present is not None and earliest <= present < onset:
            onset = present
        if scales is not None:
            before = fractions[core_a[0]:core_a[1] + 1].mean(axis=0)
            after = fractions[core_b[0]:core_b[1] + 1].mean(axis=0)
            leaving = np.flatnonzero((before >= min_fraction) & (after <= before - min_fraction))
            staying = np.flatnonzero((before >= min_fraction) & (np.abs(after - before) < min_fraction))
            falling = [scale_deficit_start(scales[:, j], core_a, onset, onset - earliest) for j in leaving]
            # every phase fading together is the flux, not a phase leaving
            flux = any(scale_deficit_start(scales[:, j], core_a, onset, 1) is not None for j in staying)
            if not flux:
                onset = min([onset] + [p for p in falling if p is not None])
        return Change(onset, max(end, onset), max(fit.chi2_flat - fit.chi2, 0.0), fit.tau0, fit.tau1)
    return ramp


def _merge_same(cores: list, labels: list, phases: list) -> tuple[list, list, list]:
    out_c, out_l, out_p = [], [], []
    for c, lab, ph in zip(cores, labels, phases):
        if out_l and out_l[-1] == lab:
            out_c[-1] = (out_c[-1][0], c[1])
        else:
            out_c.append(c)
            out_l.append(lab)
            out_p.append(ph)
    return out_c, out_l, out_p


@dataclass(frozen=True)
class Assembly:
    """Regimes in order and the changes between them (``changes[k]`` leads from regime k to k+1);
    ``cores`` (parallel to regimes) are the unchanged scan ranges each regime grew from."""

    regimes: tuple[Regime, ...]
    changes: tuple[Change, ...]
    cores: tuple[tuple[int, int], ...] = ()


LabelFn = Callable[[tuple[int, int]], tuple[str, tuple[str, ...]]]


def _date(n_scans: int, cores: list, ramp: RampFn) -> tuple[list, list, list]:
    changes = [ramp(cores[k], cores[k + 1]) for k in range(len(cores) - 1)]
    starts = [0] + [c.end + 1 for c in changes]
    ends = [c.onset - 1 for c in changes] + [n_scans - 1]
    return changes, starts, ends


def assemble_regimes(n_scans: int, cores: list[tuple[int, int]], labels: list[str],
                     phases: list[tuple[str, ...]], ramp: RampFn, min_regime_scans: int,
                     relabel: Optional[LabelFn] = None, lag: int = 1 << 30,
                     kept: frozenset = frozenset()) -> Assembly:
    """Merge neighbouring cores with the same label, date each change with ``ramp``, and drop
    regimes shorter than ``min_regime_scans`` (shortest first, then re-date), so a brief flicker
    of labels inside one long change does not become a regime of its own.

    ``relabel`` (optional) names a regime from its dated extent (first, last): the core of a
    regime may still hold the tail of a slow change, its dated extent does not. Cores are then
    relabelled and merged until the names stop changing. Cores in ``kept`` are never dropped as short.
    """
    cores, labels, phases = list(cores), list(labels), list(phases)
    for _ in range(4 * len(cores) + 4):
        cores, labels, phases = _merge_same(cores, labels, phases)
        changes, starts, ends = _date(n_scans, cores, ramp)
        # a regime is as long as its dated extent, or its unchanged core when that is longer than
        # the averaging lag (a ramp dated into a solid core does not make the regime go away)
        lengths = [np.inf if c in kept else max(e - s + 1, c[1] - c[0] + 1 if c[1] - c[0] >= lag else 0)
                   for s, e, c in zip(starts, ends, cores)]
        short = [k for k, length in enumerate(lengths) if length < min_regime_scans]
        if short and len(cores) > 1:
            drop = min(short, key=lambda k: (lengths[k], cores[k][1] - cores[k][0]))
            del cores[drop], labels[drop], phases[drop]
            continue
        if relabel is None:
            break
        named = [relabel((s, e) if e >= s else c) for s, e, c in zip(starts, ends, cores)]
        if [n[0] for n in named] == labels:
            break
        labels, phases = [n[0] for n in named], [n[1] for n in named]
    for k, (s, e, c) in enumerate(zip(starts, ends, cores)):
        if e < s:  # ramps dated into a trusted core: they stop at it, the core stays a regime
            if k > 0:
                changes[k - 1] = _clip(changes[k - 1], hi=c[0] - 1)
            if k < len(changes):
                changes[k] = _clip(changes[k], lo=c[1] + 1)
    starts = [0] + [c.end + 1 for c in changes]
    ends = [c.onset - 1 for c in changes] + [n_scans - 1]
    regimes = tuple(Regime(lab, s, max(e, s), ph) for lab, s, e, ph in zip(labels, starts, ends, phases))
    return Assembly(regimes=regimes, changes=tuple(changes), cores=tuple(cores))


def _clip(change: Change, lo: int = -1 << 30, hi: int = 1 << 30) -> Change:
    onset = min(max(change.onset, lo), hi)
    return replace(change, onset=onset, end=max(min(max(change.end, lo), hi), onset))


def plateau_gain(times_s: np.ndarray, fractions: np.ndarray, errors: np.ndarray, window: tuple[int, int],
                 first: Change, second: Change) -> float:
    """Δχ² by which a plateau between two dated changes beats one straight ramp over ``window``.

    Small values mean the "regime" in between is just the middle of one slow change.
    """
    sl = slice(window[0], window[1] + 1)
    t, v = times_s[sl], fractions[sl]
    w = 1.0 / np.maximum(errors[sl], 1e-6) ** 2
    one_chi2 = fit_ramp(t, v, w).chi2

    def unit(c: Change) -> np.ndarray:
        return np.clip((t - c.tau0) / max(c.tau1 - c.tau0, 1e-12), 0.0, 1.0)

    r1, r2 = unit(first), unit(second)
    design = np.column_stack([1.0 - r1, r1 - r2, r2])
    chi2_two = 0.0
    for j in range(v.shape[1]):
        sw = np.sqrt(w[:, j])
        coef, *_ = np.linalg.lstsq(design * sw[:, None], v[:, j] * sw, rcond=None)
        chi2_two += float((((design @ coef) - v[:, j]) ** 2 * w[:, j]).sum())
    return one_chi2 - chi2_two


def _lagging_midway(regs: tuple, changes: tuple, k: int, min_regime_scans: int) -> bool:
    """Whether inner regime k is the middle of one change from its left to its right neighbour: its
    phases are exactly those of both neighbours (which differ), and it is short beside the changes
    around it (at most a quarter of their length, or ``min_regime_scans``). The decomposition can
    drop the leaving phase a few scans early, at its detection limit, and its fractions of two
    look-alikes (P2 and P'2) carry correlated errors larger than their statistical ones, so such a
    stretch can look like a plateau to :func:`plateau_gain`. A long plateau of coexistence between
    the two changes is not affected."""
    before, here, after = (set(r.phases) for r in regs[k - 1:k + 2])
    length = regs[k].last_scan - regs[k].first_scan + 1
    around = sum(c.end - c.onset + 1 for c in changes[k - 1:k + 1])
    return before != after and here == before | after and length <= max(min_regime_scans, around // 4)


def drop_midway_regimes(assembly_fn: Callable[[list], Assembly], cores: list, times_s: np.ndarray,
                        fractions: np.ndarray, errors: np.ndarray, lag: int, false_alarm: float,
                        min_regime_scans: int = 3) -> Assembly:
    """Re-assemble without inner regimes that a single ramp explains as well as a plateau does, or
    that are only the short middle of a change between their neighbours (:func:`_lagging_midway`)."""
    limit = chi2_dist.isf(false_alarm, df=fractions.shape[1] + 2)
    cores = list(cores)
    while True:
        assembly = assembly_fn(cores)
        regs, ch = assembly.regimes, assembly.changes
        gains = []
        for k in range(1, len(regs) - 1):
            window = ramp_window((regs[k - 1].first_scan, regs[k - 1].last_scan),
                                 (regs[k + 1].first_scan, regs[k + 1].last_scan), lag)
            gain = (-np.inf if _lagging_midway(regs, ch, k, min_regime_scans)
                    else plateau_gain(times_s, fractions, errors, window, ch[k - 1], ch[k]))
            gains.append((gain, k))
        weak = [g for g in gains if g[0] < limit]
        if not weak:
            return assembly
        k = min(weak)[1]
        drop = assembly.cores[k]  # may be several merged cores: drop every core inside it
        cores = [c for c in cores if not (drop[0] <= c[0] and c[1] <= drop[1])]


def detect_fraction_regimes(fractions: np.ndarray, errors: np.ndarray, names: Sequence[str],
                            times_s: np.ndarray, *, min_regime_scans: int = 3, min_fraction: float = 0.04,
                            lag: Optional[int] = None, false_alarm: float = 1e-4,
                            scales: Optional[np.ndarray] = None) -> Assembly:
    """Regimes from per-scan phase fractions (n_scans, n_phases) ± errors; see the module docstring.
    ``scales`` (n_scans, n_phases), optional: each phase's refined scale, to date changes by
    (:func:`fraction_ramp`)."""
    lag = default_lag(fractions.shape[0], FRACTION_LAG_PER_SCANS) if lag is None else int(lag)
    n = fractions.shape[0]
    ramp = fraction_ramp(times_s, fractions, errors, lag, scales, min_fraction)

    def relabel(extent: tuple[int, int]) -> tuple[str, tuple[str, ...]]:
        found = present_phases(fractions, errors, extent, names, min_fraction)
        return ("/".join(found) if found else NO_PHASE), found

    def assembly_fn(cores: list) -> Assembly:
        named = [relabel(c) for c in cores]
        return assemble_regimes(n, cores, [m[0] for m in named], [m[1] for m in named], ramp,
                                min_regime_scans, relabel, lag, kept)

    cores = fraction_cores(fractions, errors, lag, false_alarm)
    kept = frozenset(transient_cores(fractions, errors, cores, min_fraction))
    cores = sorted(cores + list(kept))
    return drop_midway_regimes(assembly_fn, cores, times_s, fractions, errors, lag, false_alarm, min_regime_scans)
