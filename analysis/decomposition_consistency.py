"""Series-level consistency of a whole-pattern decomposition: look-alikes that take turns.

A decomposition fits each scan on its own (seeded by the previous one). Where two look-alike
phases describe the same peaks almost equally well (P'3 and P3'' beside a shrinking P3, at low
counts), the choice can flip from scan to scan: P'3, P3'', P'3, P3''. Each flip reads as a
transition. A real sequence changes phase once per transition (O3 → O'3, later O'3 → O3, with
other phases between), so a pair that swaps three or more times within one unbroken stretch of
scans is one phase under two names; the one that explains more (summed Δχ²) keeps the stretch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_FLIPS = 3
"""Swaps between the two phases of a pair, within one stretch, that make them substitutes."""


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


def count_flips(only_a: np.ndarray, only_b: np.ndarray) -> int:
    """Swaps between scans with only a and scans with only b, in order (scans with both are skipped)."""
    labels = [1 if a else 2 for a, b in zip(only_a, only_b) if a != b]
    return int(sum(x != y for x, y in zip(labels, labels[1:])))


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
                flips = count_flips(pa & ~pb, pb & ~pa)
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


def standin_partners(present: np.ndarray, delta_chi2: np.ndarray, phases, banks: dict) -> list[tuple[int, set]]:
    """Present cathode phases that another candidate with no more free cell parameters could stand
    in for (:data:`STANDIN_COSINE`), weakest (least summed Δχ²) first, each with the set of its
    look-alikes that have *more* free parameters (kept out of a test without it, so that a
    stand-in test cannot trade a phase for a less parsimonious one: P3'' for P'3).

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
        if any(len(phases[q].free_parameters) <= n_free for q in alike):
            out.append((j, {q for q in alike if len(phases[q].free_parameters) > n_free}))
    return sorted(out, key=lambda item: gain[:, item[0]].sum())
