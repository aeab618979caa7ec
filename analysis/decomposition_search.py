"""Finding phases in a scan for :mod:`analysis.pattern_decomposition`: the coarse grid search.

Each candidate phase has a bank of profiles over a grid of cells inside its plausible ranges
(:func:`analysis.indexing.candidate_cells`). Matching pursuit on the residual places phases
(:func:`locate_phases`), look-alikes are compared by short refinements (:func:`swap_lookalikes`),
and phases that do not improve a scan are dropped again (:func:`drop_weak`). ``settings`` is a
:class:`analysis.pattern_decomposition.DecompositionSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .decomposition_profiles import phase_columns, profile_bank
from .decomposition_scan import PhaseState, ScanModel, refine_scan
from .indexing import candidate_cells
from .phase_library import Phase


@dataclass(frozen=True, eq=False)
class Bank:
    """Coarse-search profiles of one phase: its grid cells' free parameters and (n_cells, n_points)."""

    params: list
    profiles: np.ndarray
    squared: np.ndarray
    reference: np.ndarray
    """(n_points,) unit-length profile at the library cell (to compare phases with each other)."""

    def best_cosine(self, unit_profile: np.ndarray) -> float:
        """Largest cosine between ``unit_profile`` (n_points,) and this bank's grid profiles."""
        products = self.profiles @ unit_profile.astype(np.float32)
        norms = np.sqrt(self.squared.sum(axis=1))
        return float(np.max(products / np.maximum(norms, 1e-30)))

    def gains(self, model: ScanModel, r: np.ndarray) -> np.ndarray:
        """(n_cells,) χ² decrease from adding each profile alone to a fit with residual r (projected):
        (mᵀr)²/|P⊥m|² for weighted profiles m, 0 where mᵀr ≤ 0 (the scale would be negative)."""
        num = (self.profiles @ (model.w * r).astype(np.float32)).astype(float)
        den = model.bank_norms.get(self)
        if den is None:   # |P⊥m|² depends on the scan's weights and background only: once per scan
            q_products = (self.profiles @ (model.w[:, None] * model.q).astype(np.float32)).astype(float)
            den = (self.squared @ (model.w ** 2).astype(np.float32)).astype(float) - np.sum(q_products ** 2, axis=1)
            model.bank_norms[self] = den
        return np.where(num > 0, num ** 2 / np.maximum(den, 1e-30), 0.0)


def make_bank(phase: Phase, x_deg: np.ndarray, settings) -> Bank:
    n_free = len(phase.free_parameters)
    n_grid = settings.n_grid if n_free <= 3 else settings.n_grid // 2
    cells = candidate_cells(phase, n_grid, n_minor=9 if n_free <= 2 else 6)
    params = [{} if c is None else {k: getattr(c, k) for k in phase.free_parameters} for c in cells]
    profiles = profile_bank(phase, cells, x_deg, settings.profile)
    own = {k: getattr(phase.cell, k) for k in phase.free_parameters} if phase.cell is not None else {}
    reference = phase_columns(phase, x_deg, settings.profile, own, phase.broadening_rel_d)[:, 0]
    return Bank(params, profiles, profiles * profiles, reference / max(float(np.linalg.norm(reference)), 1e-30))


def residual(model: ScanModel) -> tuple[np.ndarray, float, np.ndarray]:
    blocks = [model.columns(st) for st in model.states if st.located]
    s, chi2 = model.solve(blocks)
    m = np.concatenate(blocks, axis=1) if blocks else np.zeros((model.x.size, 0))
    return model.yw - m @ s, chi2, s


def scale_per_state(model: ScanModel, s: np.ndarray) -> np.ndarray:
    out, k = np.zeros(len(model.states)), 0
    for i, st in enumerate(model.states):
        if st.located:
            n = st.phase.rel_intensity.size if st.per_reflection else 1
            out[i] = s[k:k + n].sum()
            k += n
    return out


def locate_phases(model: ScanModel, banks: dict, settings) -> list[int]:
    """Add phases to the model by matching pursuit: repeatedly take the (phase, grid cell) whose
    profile lowers χ² most when added to the current fit; stop below the appearance threshold.

    Candidates are the phases of ``banks`` not located yet or located with a zero scale (a phase
    that vanished may come back at another cell). Look-alike phases (e.g. P3 and P3'') can score
    almost alike on the coarse grid, so every candidate within ``contender_ratio`` of the best gain
    (for phases with three or more free parameters, each of their three best grid cells) is placed
    and briefly refined in turn, and the one with the lowest χ² is kept.
    Returns the indices of the phases placed.
    """
    placed: list[int] = []
    while True:
        r, chi2, s = residual(model)
        present = scale_per_state(model, s) > 0
        gains = {i: bank.gains(model, r) for i, bank in banks.items() if not present[i] and i not in placed}
        remembered = {i: _memory_gain(model, i, r) for i in gains if model.states[i].memory is not None}
        top = max([float(g.max()) for g in gains.values()] + list(remembered.values()), default=0.0)
        if top < max(settings.appear_min_delta_chi2, settings.appear_rel_delta_chi2 * chi2):
            return placed
        contenders = [(i, model.states[i].memory) for i, g in remembered.items() if g >= settings.contender_ratio * top]
        for i, g in gains.items():
            # Phases with three or more free parameters have rugged grids: try their best few cells.
            n_starts = 1 if len(model.states[i].phase.free_parameters) <= 2 else 3
            contenders += [(i, (banks[i].params[j], None)) for j in np.argsort(g)[::-1][:n_starts]
                           if g[j] >= settings.contender_ratio * top]
        i, start = contenders[0] if len(contenders) == 1 else _best_contender(model, contenders, settings)
        _place(model.states[i], *start)
        placed.append(i)


def _memory_gain(model: ScanModel, i: int, r: np.ndarray) -> float:
    """χ² decrease from adding phase i at the cell and width it had when last significant."""
    params, rel_d = model.states[i].memory
    m = model.columns(model.states[i], params, rel_d)
    num = m.T @ r
    den = np.sum(m * m, axis=0)
    return float(np.sum(np.where(num > 0, num ** 2 / np.maximum(den, 1e-30), 0.0)))


def _place(state: PhaseState, params: dict, rel_d: Optional[float] = None) -> None:
    state.params, state.located = dict(params), True
    state.rel_d = state.phase.broadening_rel_d if rel_d is None else rel_d


def _best_contender(model: ScanModel, contenders: list, settings):
    """The (phase, (params, rel_d)) among ``contenders`` with the lowest χ² after a short
    refinement of that phase alone; the states are restored afterwards."""
    saved = [(st.params, st.rel_d, st.located) for st in model.states]
    scores = []
    for i, start in contenders:
        _place(model.states[i], *start)
        refine_scan(model, [i], settings.refine_cells, settings.refine_widths, 8)
        scores.append(residual(model)[1])
        for st, (params, rel_d, located) in zip(model.states, saved):
            st.params, st.rel_d, st.located = params, rel_d, located
    return contenders[int(np.argmin(scores))]


def swap_lookalikes(model: ScanModel, banks: dict, settings, include_self: bool = False) -> None:
    """Replace a present cathode phase by an absent look-alike that fits better.

    Matching pursuit commits to whichever look-alike scored first (P3 vs P3'' at a small fraction)
    and the seeded fits keep it. For each present cathode phase q, absent cathode phases whose best
    grid cell explains at least ``lookalike_ratio`` of q's own χ² contribution are placed instead of
    q, briefly refined, and kept if χ² is lower. With ``include_self``, q's own best grid cell is a
    rival too (a seeded cell that jumped into a wrong minimum is found again). States change in place.
    """
    _, _, s = residual(model)
    present = scale_per_state(model, s) > 0
    for q, st in enumerate(model.states):
        if not present[q] or st.phase.kind != "cathode":
            continue
        st.located = False
        r, chi2_without, _ = residual(model)
        st.located = True
        own = chi2_without - residual(model)[1]
        rivals = []
        for i, bank in banks.items():
            absent_cathode = not present[i] and model.states[i].phase.kind == "cathode" and i != q
            if absent_cathode or (i == q and include_self):
                gain = bank.gains(model, r)
                if gain.max() >= settings.lookalike_ratio * own:
                    rivals.append((i, int(np.argmax(gain))))
        if rivals:
            _try_rivals(model, banks, q, rivals, settings)
            _, _, s = residual(model)
            present = scale_per_state(model, s) > 0


def _swap_bar(model: ScanModel, q: int, rival: int, chi2_now: float, keep_min_delta_chi2: float) -> float:
    """χ² a rival must beat to replace phase q. A rival with fewer free cell parameters (P3 for
    P'3, O3 for O'3, P2 for P'2: the parent of a distorted phase) wins when it is not worse than
    the Bayesian information criterion allows, ln(n_points) per parameter saved, so an undistorted
    cell is named by its higher symmetry; any other rival must be better by ``keep_min_delta_chi2``."""
    fewer = len(model.states[q].phase.free_parameters) - len(model.states[rival].phase.free_parameters)
    if fewer > 0:
        return chi2_now + fewer * float(np.log(model.x.size))
    return chi2_now - keep_min_delta_chi2


def _try_rivals(model: ScanModel, banks: dict, q: int, rivals: list, settings) -> None:
    """Replace q by the rival that, after a short refinement, beats q's χ² after the same short
    refinement (a seeded cell lags the drift of the new scan) by the widest margin over
    :func:`_swap_bar`: a look-alike has to be significantly better, not merely as good (P3'' at
    P3's cell), unless it is the simpler description of the same peaks."""
    refine_scan(model, [q], settings.refine_cells, settings.refine_widths, 8)
    chi2_now = residual(model)[1]
    saved = [(st.params, st.rel_d, st.located) for st in model.states]
    best, best_score = None, 0.0
    for i, j in rivals:
        model.states[q].located = False
        _place(model.states[i], banks[i].params[j])
        refine_scan(model, [i], settings.refine_cells, settings.refine_widths, 8)
        score = residual(model)[1] - _swap_bar(model, q, i, chi2_now, settings.keep_min_delta_chi2)
        if score < best_score:
            best, best_score = (i, dict(model.states[i].params), model.states[i].rel_d), score
        for st, (params, rel_d, located) in zip(model.states, saved):
            st.params, st.rel_d, st.located = params, rel_d, located
    if best is not None:
        model.states[q].located = False
        i, params, rel_d = best
        model.states[i].params, model.states[i].rel_d, model.states[i].located = params, rel_d, True


def drop_weak(model: ScanModel, threshold: float) -> bool:
    """Unlocate the cathode phase whose removal raises χ² least, if by less than ``threshold``
    (parsimony: a look-alike sharing a phase's peaks, or a phase fitted to noise)."""
    _, chi2, s = residual(model)
    present = scale_per_state(model, s) > 0
    rises = {}
    for i, st in enumerate(model.states):
        if present[i] and st.phase.kind == "cathode":
            st.located = False
            rises[i] = residual(model)[1] - chi2
            st.located = True
    if not rises or min(rises.values()) >= threshold:
        return False
    weakest = min(rises, key=rises.get)
    model.states[weakest].located = False
    return True



OVERLAP_COSINE = 0.1
"""Two phases overlap when the cosine of their weighted, background-projected profiles reaches this
(O3 and O'3 ≈ 0.2, P2 and P3 ≈ 0.05 on simulated series)."""


def _overlaps(model: ScanModel, present: list[int]) -> dict:
    """{(i, j): bool} for i, j in ``present``: do the phases' current profiles overlap?"""
    unit = {}
    for i in present:
        c = model.project(model.columns(model.states[i])).sum(axis=1)
        unit[i] = c / max(float(np.linalg.norm(c)), 1e-30)
    return {(i, j): float(unit[i] @ unit[j]) >= OVERLAP_COSINE for i in present for j in present}


def merge_lookalikes(model: ScanModel, banks: dict, settings, threshold: float, max_nfev: int = 15) -> bool:
    """Replace two overlapping present cathode phases by one of them placed afresh, if that fits
    no worse than ``threshold`` in χ².

    A look-alike pair can share one phase's peaks in a wrong local minimum (O3 at a stretched cell
    beside an O'3 whose seeded cell is off, on the way back from P3): neither alone explains the
    peaks at its current cell, so :func:`drop_weak` keeps both. For each pair whose weighted
    profiles overlap (:data:`OVERLAP_COSINE`), both are removed and each in turn is placed at its best grid
    cells on the residual (and at its remembered cell) and refined; the best single phase is kept
    if χ² rises by less than ``threshold`` (or falls). Meant for scans that stay badly fitted.
    States change only then.
    """
    _, chi2, s = residual(model)
    present = [i for i, v in enumerate(scale_per_state(model, s))
               if v > 0 and model.states[i].phase.kind == "cathode"]
    overlap = _overlaps(model, present)
    pairs = [(i, j) for i in present for j in present if i < j and overlap[i, j]]
    saved = [(st.params, st.rel_d, st.located) for st in model.states]
    best, best_chi2 = None, chi2 + threshold
    for i, j in pairs:
        for keep in (i, j):
            model.states[i].located = model.states[j].located = False
            r = residual(model)[0]
            gains = banks[keep].gains(model, r)
            starts = [(banks[keep].params[g], None) for g in np.argsort(gains)[::-1][:3]]
            memory = model.states[keep].memory
            for start in starts + ([memory] if memory is not None else []):
                _place(model.states[keep], *start)
                refine_scan(model, [keep], settings.refine_cells, settings.refine_widths, max_nfev)
                trial = residual(model)[1]
                if trial < best_chi2:
                    best_chi2 = trial
                    best = [(st.params, st.rel_d, st.located) for st in model.states]
            for st, (params, rel_d, located) in zip(model.states, saved):
                st.params, st.rel_d, st.located = params, rel_d, located
    if best is None:
        return False
    for st, (params, rel_d, located) in zip(model.states, best):
        st.params, st.rel_d, st.located = params, rel_d, located
    return True


def drop_redundant(model: ScanModel, threshold: float, max_nfev: int = 8) -> bool:
    """Unlocate a cathode phase whose pattern the other present cathode phases take over, once
    their cells and widths are refined again, at a χ² cost below ``threshold``.

    :func:`drop_weak` tests removals at fixed cells, so a look-alike beside its sibling (P3'' or P'3
    taking a tenth of P3's peaks) survives it. Only phases whose weighted profile overlaps another
    present cathode phase (:data:`OVERLAP_COSINE`) are tried; states are restored unless a drop is kept.
    """
    _, chi2, s = residual(model)
    present = [i for i, v in enumerate(scale_per_state(model, s))
               if v > 0 and model.states[i].phase.kind == "cathode"]
    if len(present) < 2:
        return False
    overlap = _overlaps(model, present)
    saved = [(st.params, st.rel_d, st.located) for st in model.states]
    for i in present:
        others = [j for j in present if j != i and overlap[i, j]]
        if not others:
            continue
        model.states[i].located = False
        refine_scan(model, others, True, True, max_nfev)
        if residual(model)[1] - chi2 < threshold:
            return True
        for st, (params, rel_d, located) in zip(model.states, saved):
            st.params, st.rel_d, st.located = params, rel_d, located
    return False

