"""Series-level consistency of a whole-pattern decomposition: look-alikes that take turns, and
look-alikes that stand in for a simpler phase (:func:`series_parsimony`).

A decomposition fits each scan on its own (seeded by the previous one). Where two look-alike
phases describe the same peaks almost equally well (P'3 and P3'' beside a shrinking P3, at low
counts), the choice can flip from scan to scan: P'3, P3'', P'3, P3''. Each flip reads as a
transition. A real sequence changes phase once per transition (O3 → O'3, later O'3 → O3, with
other phases between), so a pair that swaps three or more times within one unbroken stretch of
scans is one phase under two names; the one that explains more (summed Δχ²) keeps the stretch.
Taking turns means runs of a few scans: a swap counts only where one of the two runs it joins is
shorter than :data:`SHORT_RUN`. A real O'3 → P3 → O'3 sequence at high counts holds each phase for
tens of scans, and one stray scan of P3 before it must not make its two real swaps three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

MIN_FLIPS = 3
"""Swaps between the two phases of a pair, within one stretch, that make them substitutes."""

SHORT_RUN = 6
"""Scans holding only one phase of the pair, fewer than this, are a turn (not a regime of its own)."""


@dataclass(frozen=True)
class Substitute:
    """``loser`` stood in for ``winner`` in the stretch of scans ``first_scan``..``last_scan``."""

    winner: int
    loser: int
    first_scan: int
    last_scan: int
    flips: int


def presence_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) of every run of True in a (n,) boolean array."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return [(int(s), int(e)) for s, e in zip(starts, ends)]


def count_flips(only_a: np.ndarray, only_b: np.ndarray, short_run: int | None = None) -> int:
    """Swaps between scans with only a and scans with only b, in order (scans with both are
    skipped). With ``short_run``, a swap counts only if one of the two runs it joins (scans holding
    only a, or only b, counted after the skip) is shorter than ``short_run``."""
    labels = [1 if a else 2 for a, b in zip(only_a, only_b) if a != b]
    if not labels:
        return 0
    lengths = [1]
    for x, y in zip(labels, labels[1:]):
        if x == y:
            lengths[-1] += 1
        else:
            lengths.append(1)
    if short_run is None:
        return len(lengths) - 1
    return int(sum(min(left, right) < short_run for left, right in zip(lengths, lengths[1:])))


def find_substitutes(present: np.ndarray, delta_chi2: np.ndarray, cathode: np.ndarray) -> list[Substitute]:
    """Pairs of cathode phases that take turns (module docstring).

    present (n_scans, n_phases) bool; delta_chi2 (n_scans, n_phases) χ² rise when the phase is
    left out; cathode (n_phases,) bool. Each loser is reported once, at its first such stretch.
    """
    present = np.asarray(present, dtype=bool)
    gain = np.nan_to_num(np.asarray(delta_chi2, dtype=float))
    cols = np.flatnonzero(cathode)
    found: dict[int, Substitute] = {}
    for ia, a in enumerate(cols):
        for b in cols[ia + 1:]:
            for first, last in presence_runs(present[:, a] | present[:, b]):
                pa, pb = present[first:last + 1, a], present[first:last + 1, b]
                flips = count_flips(pa & ~pb, pb & ~pa, SHORT_RUN)
                if flips < MIN_FLIPS:
                    continue
                ga, gb = gain[first:last + 1, a].sum(), gain[first:last + 1, b].sum()
                winner, loser = (int(a), int(b)) if ga >= gb else (int(b), int(a))
                if loser not in found or first < found[loser].first_scan:
                    found[loser] = Substitute(winner, loser, first, last, flips)
    return sorted(found.values(), key=lambda s: s.first_scan)


STANDIN_COSINE = 0.9
"""Profiles this alike (cosine of a phase's profile at its library cell and the best of another
phase's search-grid profiles) can stand in for each other: P3/P3''/P'3/P'2, P2/P'2, OP4/OP2."""


def standin_partners(present: np.ndarray, delta_chi2: np.ndarray, phases, banks: dict) -> list[tuple[int, list, set]]:
    """Present cathode phases with look-alikes that could stand in for them (:data:`STANDIN_COSINE`,
    no more free cell parameters), weakest (least summed Δχ²) first, as (phase, those look-alikes,
    its look-alikes with *more* free parameters). The richer ones are kept out of a test without the
    phase, so that it cannot trade a phase for a less parsimonious one (P3'' for P'3).

    present, delta_chi2: (n_scans, n_phases); phases: the candidates; banks: index → search bank
    (:class:`analysis.decomposition_search.Bank`) of each candidate.
    """
    gain = np.nan_to_num(np.asarray(delta_chi2, dtype=float))
    out = []
    for j, phase in enumerate(phases):
        if phase.kind != "cathode" or not present[:, j].any() or phase.cell is None:
            continue
        alike = [q for q, other in enumerate(phases) if q != j and other.kind == "cathode"
                 and banks[q].best_cosine(banks[j].reference) >= STANDIN_COSINE]
        n_free = len(phase.free_parameters)
        simpler = [q for q in alike if len(phases[q].free_parameters) <= n_free]
        if simpler:
            out.append((j, simpler, {q for q in alike if len(phases[q].free_parameters) > n_free}))
    return sorted(out, key=lambda item: gain[:, item[0]].sum())


def neighbour_seeds(present: np.ndarray, alike, first: int, last: int) -> dict[int, int]:
    """Look-alikes of ``alike`` present right after (else right before) the stretch
    ``first``..``last``, as phase → that neighbouring scan. A phase tested out of its stretch is
    replaced by these at their neighbouring cell: a growing P3'' that a richer P'3 took over for
    its first scans is then found at the keep threshold, not the (higher) appearance threshold
    that a 4 %-fraction phase cannot pass.

    present (n_scans, n_phases) bool.
    """
    seeds = {}
    for q in alike:
        for scan in (last + 1, first - 1):
            if 0 <= scan < present.shape[0] and present[scan, q]:
                seeds[int(q)] = scan
                break
    return seeds


CELL_NAMES = ("a", "b", "c", "alpha", "beta", "gamma")


def better_named_by(phase, other, cell: np.ndarray) -> bool:
    """Whether ``other`` is the better name for ``phase`` refined to ``cell`` (a, b, c Å, α, β, γ °):
    it has fewer free cell parameters (the parent of a distorted phase), or as many, the same ones,
    and its library cell is nearer to ``cell`` in units of each phase's own range widths (P3 at
    c = 17.0 Å is P3, not P3'', though both ranges hold it; P3 at 17.4 Å is P3'')."""
    n_own, n_other = len(phase.free_parameters), len(other.free_parameters)
    if n_other != n_own:
        return n_other < n_own
    if set(phase.free_parameters) != set(other.free_parameters) or phase.cell is None or other.cell is None:
        return False
    values = dict(zip(CELL_NAMES, np.asarray(cell, dtype=float)))
    if not all(np.isfinite(values[k]) for k in phase.free_parameters):
        return False

    def distance(ph) -> float:
        total = 0.0
        for k in ph.free_parameters:
            lo, hi = ph.cell_ranges.get(k, (0.95 * getattr(ph.cell, k), 1.05 * getattr(ph.cell, k)))
            total += ((values[k] - getattr(ph.cell, k)) / (hi - lo)) ** 2
        return total
    return distance(other) < distance(phase)


STANDIN_SAMPLE_SCANS = 8
"""Scans of a stretch (evenly spread) fitted on their own to test whether a phase there is a stand-in."""


def series_parsimony(table, refit, cost_without, phases: Sequence, banks: dict, n_points: int) -> None:
    """Series-level checks after the scan-by-scan pass of
    :func:`analysis.pattern_decomposition.decompose_series`, which passes its per-scan table (``scale``,
    ``cells``, ``delta_chi2``) and two closures: ``refit(first, last, excluded, seeds)`` fits scans
    first..last again without the ``excluded`` phases, ``cost_without(scans, excluded, budget, seeds)``
    the summed χ² rise of ``scans`` fitted on their own without them (``seeds``: phase → scan whose
    state it starts located from, :func:`neighbour_seeds`).

    Look-alikes that took turns are refitted without the one that explains less. Then each stretch
    of a phase with a stand-in partner (a look-alike with no more free cell parameters) is tested on
    up to :data:`STANDIN_SAMPLE_SCANS` of its scans fitted without it: if the χ² it saves there is
    below the Bayesian information criterion's price of its parameters (free cell parameters + width
    + scale, ln(n_points) each, per scan), the stretch is refitted without it (P'3 at P3's cell → P3,
    P3'' at the edge of its range with a little P'2 → P3). Weakest phases first; at most three rounds.
    """
    cathode = np.array([p.kind == "cathode" for p in phases])
    substitutes = find_substitutes(table.scale > 0, table.delta_chi2, cathode)
    if substitutes:
        refit(min(s.first_scan for s in substitutes), max(s.last_scan for s in substitutes),
              {s.loser for s in substitutes}, {})
    tried: set = set()
    for _ in range(3):
        changed = False
        for j, alike, richer in standin_partners(table.scale > 0, table.delta_chi2, phases, banks):
            price = (len(phases[j].free_parameters) + 2) * float(np.log(n_points))
            for first, last in presence_runs(table.scale[:, j] > 0):
                if (j, first, last) in tried:
                    continue
                tried.add((j, first, last))
                cell = np.nanmedian(table.cells[first:last + 1, j], axis=0)
                if not any(better_named_by(phases[j], phases[q], cell) for q in alike):
                    continue
                # richer look-alikes present in the stretch are part of the fit, not replacements
                excluded = {j} | {q for q in richer if not np.any(table.scale[first:last + 1, q] > 0)}
                seeds = neighbour_seeds(table.scale > 0, alike, first, last)
                sample = np.unique(np.linspace(first, last, min(STANDIN_SAMPLE_SCANS, last - first + 1)).round())
                if cost_without(sample.astype(int), excluded, price * sample.size, seeds) < price * sample.size:
                    refit(first, last, excluded, seeds)
                    changed = True
        if not changed:
            return
