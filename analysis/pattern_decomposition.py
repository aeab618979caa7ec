"""Whole-pattern decomposition of an operando series into per-phase contributions.

Each scan is fitted as a non-negative combination of per-phase profiles generated from the phase
library (:mod:`analysis.decomposition_profiles`) plus a smooth Chebyshev background, with cells and
per-phase widths refined inside the phases' plausible ranges (:mod:`analysis.decomposition_scan`).
Cells are seeded from the previous scan. Phases are located by a coarse search over a grid of cells
in their ranges (matching pursuit on the residual): for the first scan, and in every later scan for
candidates not present yet, so a phase that appears mid-series is picked up where its cell is.

Fractions and what they mean
----------------------------
A phase's scale multiplies its library pattern, whose intensities are per unit amount of the phase
on the library's own scale. ``fraction = k·s / Σ k·s`` over the *cathode* phases, with per-phase
scale factors ``k`` (default 1). Under the simulator's model (:mod:`analysis.simulation_pattern`:
integrated intensity = weight fraction × rel_intensity) k = 1 gives **weight fractions**; for real
data they are weight fractions only once ``k`` has been calibrated on a scan of known composition
(:func:`analysis.phase_fractions.calibrate_scale_factors`), and relative scattering fractions
otherwise. Parasitic phases (Be window, BeO, Al, …) are in the model, so their peaks are not
mistaken for cathode peaks, but not in the fractions. Errors come from the covariance of the
scales (given the refined cells and widths), propagated to the fractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

import numpy as np

from .cancel import CancelToken, ProgressFn, ProgressThrottle, check
from .decomposition_consistency import series_parsimony
from .decomposition_profiles import ProfileSettings, chebyshev_basis, phase_cell
from .decomposition_scan import ZERO, PhaseState, ScanModel, delta_chi2, refine_scan, scan_solution
from .decomposition_search import (drop_redundant, drop_weak, locate_phases, make_bank, merge_lookalikes, residual,
                                   scale_per_state, swap_lookalikes)
from .phase_library import Phase, load_library
from .series import ScanSeries


MEMORY_REL_GAIN = 0.1
"""A phase's cell is remembered from a scan where its Δχ² is at least this share of its largest so far."""


@dataclass(frozen=True)
class DecompositionSettings:
    """Parameters of a decomposition run.

    profile: instrument, Kα2 and background model; refine_cells / refine_widths / refine_zero: what
    the outer fit moves (zero: one 2θ offset per scan for all phases, within ±0.5°, seeded from the
    previous scan); fix_parasitic_after_first:
    parasitic cells and widths are refined in the first scan only (they do not change in operando);
    appear_min_delta_chi2 and appear_rel_delta_chi2: a phase not yet in the model is added in a scan
    when its best grid cell lowers χ² by more than max(min, rel × χ²); keep_min_delta_chi2: a
    cathode phase whose removal raises χ² by less than this at the end of a scan is dropped from the
    model (its cell forgotten), so it is located afresh if it comes back; recheck_chi2_red: a scan
    fitted worse than this re-searches its present phases' cells on the grid; n_grid: grid points
    along c (halved for phases with four free parameters); contender_ratio and lookalike_ratio: see
    :func:`analysis.decomposition_search.locate_phases` and ``swap_lookalikes``; max_nfev: outer
    iterations per scan; scale_factors: phase → k.
    """

    profile: ProfileSettings = field(default_factory=ProfileSettings)
    refine_cells: bool = True
    refine_widths: bool = True
    refine_zero: bool = False
    fix_parasitic_after_first: bool = True
    appear_min_delta_chi2: float = 100.0
    keep_min_delta_chi2: float = 25.0
    recheck_chi2_red: float = 1.2
    appear_rel_delta_chi2: float = 0.02
    n_grid: int = 31
    contender_ratio: float = 0.5
    lookalike_ratio: float = 0.5
    max_nfev: int = 40
    scale_factors: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class DecompositionResult:
    """Per-scan results for every candidate phase (columns in the order of ``phases``).

    scale, scale_err (n_scans, n_phases): fitted scale (parasitic phases with free per-reflection
    intensities: the area-weighted mean of their reflection scales); fraction, fraction_err: cathode
    fractions k·s/Σk·s (NaN for parasitic phases), see the module docstring for what they mean;
    fraction_kind: "weight" if scale factors were given (calibrated), else "weight (library-intensity
    model)"; cells, cell_err (n_scans, n_phases, 6) a, b, c Å and α, β, γ deg (NaN where the phase is
    not located; errors 0 for parameters tied by symmetry); rel_d (n_scans, n_phases) refined Δd/d
    broadening; zero_deg, zero_err_deg (n_scans,) the refined zero shift (0 and NaN if not refined);
    chi2_red, rwp (n_scans,); delta_chi2 (n_scans, n_phases) χ² rise
    when the phase is left out; fitted, background (n_scans, n_points) model and its background.
    """

    phases: tuple
    kinds: tuple
    scale: np.ndarray
    scale_err: np.ndarray
    fraction: np.ndarray
    fraction_err: np.ndarray
    fraction_kind: str
    cells: np.ndarray
    cell_err: np.ndarray
    rel_d: np.ndarray
    zero_deg: np.ndarray
    zero_err_deg: np.ndarray
    chi2_red: np.ndarray
    rwp: np.ndarray
    delta_chi2: np.ndarray
    fitted: np.ndarray
    background: np.ndarray

    @property
    def cathode_mask(self) -> np.ndarray:
        return np.array([k == "cathode" for k in self.kinds])

    def column(self, phase: str) -> int:
        return self.phases.index(phase)


def _initial_states(phases: Sequence[Phase], settings: DecompositionSettings) -> list[PhaseState]:
    free = settings.profile.free_parasitic_intensities
    return [PhaseState(p, {k: getattr(p.cell, k) for k in p.free_parameters} if p.cell is not None else {},
                       p.broadening_rel_d, per_reflection=free and p.kind == "parasitic") for p in phases]


def _fit_scan(model: ScanModel, banks: dict, settings: DecompositionSettings) -> dict:
    """Locate, swap look-alikes, refine, locate again (a refined fit can reveal a weak phase), then
    drop cathode phases that do not improve the fit and refine once more if any went. A scan still
    fitted worse than ``recheck_chi2_red`` gets its present phases re-searched on the grid too, and
    if it stays so, overlapping pairs of present phases are tried as one phase placed afresh.
    Returns the parameter errors of the last refinement."""
    locate_phases(model, banks, settings)
    swap_lookalikes(model, banks, settings)
    errors = _refine_locate_drop(model, banks, settings)
    _, chi2, s = residual(model)
    dof = model.x.size - model.basis.shape[1] - np.count_nonzero(s) - len(errors)
    if chi2 / max(dof, 1) > settings.recheck_chi2_red:
        swap_lookalikes(model, banks, settings, include_self=True)
        errors = _refine_locate_drop(model, banks, settings)
        _, chi2, s = residual(model)
        if chi2 / max(dof, 1) > settings.recheck_chi2_red and \
                merge_lookalikes(model, banks, settings, settings.keep_min_delta_chi2):
            errors = _refine_locate_drop(model, banks, settings)
    return errors


def _refine_locate_drop(model: ScanModel, banks: dict, settings: DecompositionSettings) -> dict:
    errors: dict = {}
    for attempt in range(3):
        _, _, s = residual(model)
        active = [i for i, v in enumerate(scale_per_state(model, s)) if v > 0]
        errors = refine_scan(model, active, settings.refine_cells, settings.refine_widths, settings.max_nfev,
                             settings.refine_zero)
        if attempt == 2 or (not locate_phases(model, banks, settings)
                            and not drop_weak(model, settings.keep_min_delta_chi2)
                            and not drop_redundant(model, settings.keep_min_delta_chi2)):
            break
    return errors


@dataclass
class _Table:
    """Per-scan arrays being filled."""

    n_scans: int
    n_phases: int
    n_points: int

    def __post_init__(self) -> None:
        ns, n_p = self.n_scans, self.n_phases
        self.scale, self.scale_err = np.zeros((ns, n_p)), np.full((ns, n_p), np.nan)
        self.cells, self.cell_err = np.full((ns, n_p, 6), np.nan), np.full((ns, n_p, 6), np.nan)
        self.rel_d, self.delta_chi2 = np.full((ns, n_p), np.nan), np.zeros((ns, n_p))
        self.chi2_red, self.rwp, self.chi2 = np.zeros(ns), np.zeros(ns), np.zeros(ns)
        self.zero_deg, self.zero_err_deg = np.zeros(ns), np.full(ns, np.nan)
        self.fitted, self.background = np.zeros((ns, self.n_points)), np.zeros((ns, self.n_points))
        self.fraction, self.fraction_err = np.full((ns, n_p), np.nan), np.full((ns, n_p), np.nan)


def _clear_row(table: _Table, i: int) -> None:
    """Forget what an earlier fit of scan i recorded (a refit may hold fewer phases)."""
    table.scale[i], table.delta_chi2[i] = 0.0, 0.0
    for name in ("scale_err", "cells", "cell_err", "rel_d", "fraction", "fraction_err"):
        getattr(table, name)[i] = np.nan


def _record(table: _Table, i: int, model: ScanModel, errors: dict, factors: np.ndarray) -> None:
    _clear_row(table, i)
    n_nonlinear = len(errors)
    sol = scan_solution(model, n_nonlinear, errors)
    table.delta_chi2[i] = delta_chi2(model, sol)
    table.chi2_red[i], table.chi2[i] = sol.chi2 / sol.dof, sol.chi2
    wy = model.y * model.w
    table.rwp[i] = float(np.sqrt(np.sum((wy - sol.model * model.w) ** 2) / np.sum(wy ** 2)))
    table.fitted[i], table.background[i] = sol.model, sol.background
    table.zero_deg[i], table.zero_err_deg[i] = model.zero_deg, errors.get((ZERO, "zero_deg"), np.nan)
    for j, (st, sl) in enumerate(zip(model.states, sol.slices)):
        if sl is None:
            continue
        weights = st.phase.rel_intensity / st.phase.rel_intensity.sum() if st.per_reflection else np.ones(1)
        table.scale[i, j] = float(weights @ sol.scales[sl])
        table.scale_err[i, j] = float(np.sqrt(max(weights @ sol.scale_cov[sl, sl] @ weights, 0.0)))
        cell = phase_cell(st.phase, st.params)
        if cell is not None:
            table.cells[i, j] = cell.as_tuple()
            table.cell_err[i, j] = _cell_errors(st, j, errors)
        table.rel_d[i, j] = st.rel_d
    _record_fractions(table, i, model, sol, factors)


def _record_fractions(table: _Table, i: int, model: ScanModel, sol, factors: np.ndarray) -> None:
    cathode = [j for j, st in enumerate(model.states) if st.phase.kind == "cathode" and not st.per_reflection]
    cols = [sol.slices[j].start if sol.slices[j] is not None else -1 for j in cathode]
    scale = np.array([sol.scales[c] if c >= 0 else 0.0 for c in cols])
    cov = np.zeros((len(cols), len(cols)))
    for a, ca in enumerate(cols):
        for b, cb in enumerate(cols):
            if ca >= 0 and cb >= 0:
                cov[a, b] = sol.scale_cov[ca, cb]
    f, err = cathode_fractions(scale, cov, factors[cathode])
    table.fraction[i, cathode], table.fraction_err[i, cathode] = f, err


def _cell_errors(state: PhaseState, j: int, errors: dict) -> np.ndarray:
    """(6,) errors of a, b, c, α, β, γ; parameters tied by symmetry take their parent's error."""
    names = ("a", "b", "c", "alpha", "beta", "gamma")
    err = {n: errors.get((j, n), np.nan) for n in state.phase.free_parameters}
    if state.phase.system in ("cubic", "hexagonal"):
        err.setdefault("b", err.get("a", np.nan))
    if state.phase.system == "cubic":
        err.setdefault("c", err.get("a", np.nan))
    return np.array([err.get(n, 0.0) for n in names])


def _drop_insignificant(states: list[PhaseState], delta_chi2: np.ndarray, threshold: float) -> None:
    """Unlocate cathode phases that no longer improve the fit: a cell refined on noise drifts and
    would be a bad start when the phase returns. The cell it had when last clearly significant is
    kept as ``memory``, which :func:`locate_phases` tries next to the grid; "clearly": Δχ² at least
    :data:`MEMORY_REL_GAIN` of the largest so far, so a faint trace fitted at a wrong cell (a phase
    about to return) does not overwrite the cell it had as a major phase."""
    for st, gain in zip(states, delta_chi2):
        if st.located and st.phase.kind == "cathode" and gain >= threshold:
            if gain >= MEMORY_REL_GAIN * st.memory_gain:
                st.memory, st.memory_gain = (dict(st.params), st.rel_d), max(st.memory_gain, float(gain))
        elif st.located and st.phase.kind == "cathode":
            st.located = False
            st.params = {k: getattr(st.phase.cell, k) for k in st.phase.free_parameters} if st.phase.cell else {}
            st.rel_d = st.phase.broadening_rel_d


def _snapshot(states: list[PhaseState]) -> list[PhaseState]:
    """Copies of the per-phase states (without their column caches) to restart a pass from."""
    return [replace(st, params=dict(st.params), _cache=(None, None)) for st in states]


def take_over(state: PhaseState, leaving: list[PhaseState]) -> None:
    """Start ``state`` at the cell and width of the first located phase of ``leaving`` with the same
    free cell parameters (clipped to its own ranges): a look-alike tested in place of a stand-in
    takes the peaks the stand-in had in that scan. Seeded from a scan at the far end of the
    stand-in's stretch instead, P3 started 0.2 Å in c (0.2° in 2θ at Cu) away from the stand-in
    P3'' and did not reach its peaks, so P3'' at c = 17.0 Å was kept (seed 321 trial 12, 844 counts)."""
    for other in leaving:
        if other.located and set(other.params) == set(state.params):
            state.params = {name: float(np.clip(value, *state.bounds(name))) for name, value in other.params.items()}
            state.rel_d = float(np.clip(other.rel_d, *state.bounds("rel_d")))
            return


PARASITIC_PRESEARCH_SCANS = 8
"""First scans summed to look for the cell parts (window, its oxide, current collector) once."""


def _presearch_parasitic(model: ScanModel, states: list[PhaseState], banks: dict,
                         settings: DecompositionSettings) -> None:
    """Locate in ``states`` the parasitic phases that the fit of ``model`` (the sum of the first
    :data:`PARASITIC_PRESEARCH_SCANS` scans, on copies of the states) finds. Cell parts do not change
    during a series, so their presence is decided where the counts are highest: in a single scan at
    ~700 counts the Al collector's lines left after BeO's (100) takes Al (111) (0.03° apart) fall below
    the appearance threshold, and a look-alike cathode phase (P3's (015) on Al (200)) took them."""
    if not any(st.phase.kind == "parasitic" for st in states):
        return
    _fit_scan(model, banks, settings)
    _, _, s = residual(model)
    for st, found, v in zip(states, model.states, scale_per_state(model, s)):
        if st.phase.kind == "parasitic" and v > 0:
            st.params, st.rel_d, st.located = dict(found.params), found.rel_d, True


MAX_BACKFILL_SCANS = 12
"""How far back a newly appeared phase is looked for in earlier scans."""


def _backfill(i: int, states: list[PhaseState], table: _Table, fit, threshold: float, usable) -> None:
    """A cathode phase that appears in scan i is looked for again in the scans before, seeded at the
    cell it has now: a phase must beat the appearance threshold (a grid search) to be found, but at
    a known cell the keep threshold is enough, so the first scans of a growing phase are not lost
    (an onset dated late). Earlier rows are refitted on copies of the states until the phase is no
    longer significant there, or until a row holds a phase the pass may not use (``usable``: the
    indices it may; a refit without a phase must not rewrite the rows that have it)."""
    if i == 0:
        return
    new = [j for j, st in enumerate(states) if st.phase.kind == "cathode" and st.located
           and table.scale[i, j] > 0 and table.scale[i - 1, j] == 0]
    barred = [q for q in range(len(states)) if q not in usable]
    for j in new:
        for k in range(i - 1, max(i - 1 - MAX_BACKFILL_SCANS, -1), -1):
            if np.any(table.scale[k, barred] > 0):
                break
            trial = [replace(st, located=st.located if q == j else bool(table.scale[k, q] > 0))
                     for q, st in enumerate(states)]
            fit(k, trial, float(table.zero_deg[k]), table, k)
            if not (table.scale[k, j] > 0 and table.delta_chi2[k, j] >= threshold):
                break


def cathode_fractions(scale: np.ndarray, scale_cov: np.ndarray, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractions f = k·s/Σk·s (n,) and their errors from the scale covariance (n, n):
    ∂f_i/∂s_j = (k_j/S)(δ_ij − f_i). All zero (errors NaN) if every scale is zero."""
    weighted = factors * scale
    total = weighted.sum()
    if not total > 0:
        return np.zeros_like(scale), np.full_like(scale, np.nan)
    f = weighted / total
    g = (factors[None, :] / total) * (np.eye(scale.size) - f[:, None])
    return f, np.sqrt(np.clip(np.diag(g @ scale_cov @ g.T), 0.0, None))


def candidate_phases(names: Optional[Sequence[str]] = None, parasitic: Sequence[str] = ("Be", "BeO", "Al"),
                     library: Optional[dict] = None) -> list[Phase]:
    """Library phases to decompose into: ``names`` (default every cathode phase of the library)
    followed by the ``parasitic`` ones (window, its oxide, current collector). ValueError for an
    unknown name."""
    library = load_library() if library is None else library
    wanted = list(names) if names is not None else [n for n, p in library.items() if p.kind == "cathode"]
    wanted += [n for n in parasitic if n not in wanted]
    unknown = [n for n in wanted if n not in library]
    if unknown:
        raise ValueError(f"unknown phases {unknown}; the library has {sorted(library)}")
    return [library[n] for n in wanted]


def decompose_series(series: ScanSeries, phases: Sequence[Phase],
                     settings: DecompositionSettings = DecompositionSettings(),
                     progress: Optional[ProgressFn] = None,
                     cancel: Optional[CancelToken] = None) -> DecompositionResult:
    """Decompose every scan of ``series`` into the candidate ``phases`` (cathode and parasitic).

    The series needs a 2θ axis (or a wavelength to convert to it); its wavelength, when it has one,
    replaces the profile's (the Kα2 setting stays). σ is the series' own or √max(I, 1).
    """
    if series.wavelength_A is None and series.x_kind != "two_theta_deg":
        raise ValueError("whole-pattern decomposition needs a wavelength or a 2θ axis")
    profile = settings.profile
    if series.wavelength_A is not None and abs(series.wavelength_A - profile.wavelength_A) > 1e-6:
        profile = replace(profile, wavelength_A=float(series.wavelength_A))
    x = np.asarray(series.two_theta_deg, dtype=float)
    sigma = series.sigma if series.sigma is not None else np.sqrt(np.maximum(series.intensity, 1.0))
    basis = chebyshev_basis(x, profile.n_background)
    settings = replace(settings, profile=profile)
    states = _initial_states(phases, settings)
    banks = {i: make_bank(p, x, settings) for i, p in enumerate(phases)}
    factors = np.array([float(settings.scale_factors.get(p.name, 1.0)) for p in phases])
    table = _Table(series.n_scans, len(phases), x.size)
    throttle = ProgressThrottle(progress, series.n_scans)

    def pass_over(scans: range, states: list, zero_deg: float, usable: dict, snapshots: list) -> None:
        """Fit ``scans`` in order with the phases of ``usable`` banks, carrying ``states`` along."""
        def fit(i: int, states: list, zero_deg: float, into: _Table, row: int) -> float:
            model = ScanModel(x, series.intensity[i], sigma[i], basis, profile, states, zero_deg)
            _record(into, row, model, _fit_scan(model, usable, settings), factors)
            _drop_insignificant(states, into.delta_chi2[row], settings.keep_min_delta_chi2)
            return model.zero_deg

        for i in scans:
            check(cancel)
            zero_deg = fit(i, states, zero_deg, table, i)
            _backfill(i, states, table, fit, settings.keep_min_delta_chi2, usable)
            if i == 0 and settings.fix_parasitic_after_first:
                for st in states:
                    st.refine = st.phase.kind != "parasitic"
            snapshots[i] = _snapshot(states)
            throttle(i + 1)

    first = slice(0, min(series.n_scans, PARASITIC_PRESEARCH_SCANS))
    _presearch_parasitic(ScanModel(x, series.intensity[first].sum(axis=0), np.sqrt(np.sum(sigma[first] ** 2, axis=0)),
                                   basis, profile, _snapshot(states), 0.0), states, banks, settings)
    snapshots: list = [None] * series.n_scans
    pass_over(range(series.n_scans), states, 0.0, banks, snapshots)

    def start(k: int, excluded: set, seeds: dict) -> list:
        """States to fit scan k with: those after scan k − 1, without ``excluded``, and with each
        phase q of ``seeds`` (q → scan) located at its state after that scan, or, when an excluded
        phase with the same free cell parameters was located at scan k, at that phase's cell there
        (:func:`take_over`)."""
        states = _snapshot(snapshots[k - 1]) if k > 0 else _initial_states(phases, settings)
        for j in excluded:
            states[j].located = False
        for q, scan in seeds.items():
            if states[q].located:
                continue
            states[q] = _snapshot([snapshots[scan][q]])[0]
            states[q].located = True
            # ``excluded`` is the stand-in and look-alikes absent from its stretch: only the
            # stand-in is located at scan k, so q takes the stand-in's peaks
            take_over(states[q], [snapshots[k][j] for j in sorted(excluded)])
        return states

    def refit(first: int, last: int, excluded: set, seeds: dict) -> None:
        zero_deg = float(table.zero_deg[first - 1]) if first > 0 else 0.0
        pass_over(range(first, last + 1), start(first, excluded, seeds), zero_deg,
                  {i: b for i, b in banks.items() if i not in excluded}, snapshots)

    def cost_without(scans, excluded: set, budget: float, seeds: dict) -> float:
        """Summed χ² rise when each of ``scans`` is fitted on its own without the ``excluded``
        phases and with the ``seeds`` phases located (see ``start``); stops once it reaches ``budget``."""
        usable = {i: b for i, b in banks.items() if i not in excluded}
        scratch, cost = _Table(1, len(phases), x.size), 0.0
        for k in scans:
            check(cancel)
            model = ScanModel(x, series.intensity[k], sigma[k], basis, profile, start(k, excluded, seeds),
                              float(table.zero_deg[k]))
            _record(scratch, 0, model, _fit_scan(model, usable, settings), factors)
            cost += float(scratch.chi2[0] - table.chi2[k])
            if cost >= budget:
                break
        return cost

    series_parsimony(table, refit, cost_without, phases, banks, x.size)
    kind = "weight" if settings.scale_factors else "weight (library-intensity model)"
    return DecompositionResult(
        phases=tuple(p.name for p in phases), kinds=tuple(p.kind for p in phases), scale=table.scale,
        scale_err=table.scale_err, fraction=table.fraction, fraction_err=table.fraction_err, fraction_kind=kind,
        cells=table.cells, cell_err=table.cell_err, rel_d=table.rel_d, zero_deg=table.zero_deg,
        zero_err_deg=table.zero_err_deg,
        chi2_red=table.chi2_red, rwp=table.rwp, delta_chi2=table.delta_chi2, fitted=table.fitted,
        background=table.background)
