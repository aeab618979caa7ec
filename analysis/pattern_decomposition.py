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
from .decomposition_profiles import ProfileSettings, chebyshev_basis, phase_cell, profile_bank
from .decomposition_scan import ZERO, PhaseState, ScanModel, delta_chi2, refine_scan, scan_solution
from .indexing import candidate_cells
from .phase_library import Phase, load_library
from .series import ScanSeries


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
    model (its cell forgotten), so it is located afresh if it comes back; n_grid: grid points along c
    (hexagonal) or the length scale; contender_ratio: see :func:`locate_phases`; lookalike_ratio: see
    :func:`swap_lookalikes`; max_nfev: outer
    iterations per scan; scale_factors: phase → k.
    """

    profile: ProfileSettings = field(default_factory=ProfileSettings)
    refine_cells: bool = True
    refine_widths: bool = True
    refine_zero: bool = False
    fix_parasitic_after_first: bool = True
    appear_min_delta_chi2: float = 100.0
    keep_min_delta_chi2: float = 25.0
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


@dataclass(frozen=True, eq=False)
class _Bank:
    """Coarse-search profiles of one phase: its grid cells' free parameters and (n_cells, n_points)."""

    params: list
    profiles: np.ndarray
    squared: np.ndarray

    def gains(self, model: ScanModel, r: np.ndarray) -> np.ndarray:
        """(n_cells,) χ² decrease from adding each profile alone to a fit with residual r (projected):
        (mᵀr)²/|P⊥m|² for weighted profiles m, 0 where mᵀr ≤ 0 (the scale would be negative)."""
        w = model.w[:, None]
        products = (self.profiles @ np.hstack([w * r[:, None], w * model.q]).astype(np.float32)).astype(float)
        num = products[:, 0]
        den = (self.squared @ (model.w ** 2).astype(np.float32)).astype(float) - np.sum(products[:, 1:] ** 2, axis=1)
        return np.where(num > 0, num ** 2 / np.maximum(den, 1e-30), 0.0)


def _bank(phase: Phase, x_deg: np.ndarray, settings: DecompositionSettings) -> _Bank:
    n_free = len(phase.free_parameters)
    n_grid = settings.n_grid if n_free <= 3 else settings.n_grid // 2
    cells = candidate_cells(phase, n_grid, n_minor=9 if n_free <= 2 else 6)
    params = [{} if c is None else {k: getattr(c, k) for k in phase.free_parameters} for c in cells]
    profiles = profile_bank(phase, cells, x_deg, settings.profile)
    return _Bank(params, profiles, profiles * profiles)


def _residual(model: ScanModel) -> tuple[np.ndarray, float, np.ndarray]:
    blocks = [model.columns(st) for st in model.states if st.located]
    s, chi2 = model.solve(blocks)
    m = np.concatenate(blocks, axis=1) if blocks else np.zeros((model.x.size, 0))
    return model.yw - m @ s, chi2, s


def _scale_per_state(model: ScanModel, s: np.ndarray) -> np.ndarray:
    out, k = np.zeros(len(model.states)), 0
    for i, st in enumerate(model.states):
        if st.located:
            n = st.phase.rel_intensity.size if st.per_reflection else 1
            out[i] = s[k:k + n].sum()
            k += n
    return out


def locate_phases(model: ScanModel, banks: dict, settings: DecompositionSettings) -> list[int]:
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
        r, chi2, s = _residual(model)
        present = _scale_per_state(model, s) > 0
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


def _best_contender(model: ScanModel, contenders: list, settings: DecompositionSettings):
    """The (phase, (params, rel_d)) among ``contenders`` with the lowest χ² after a short
    refinement of that phase alone; the states are restored afterwards."""
    saved = [(st.params, st.rel_d, st.located) for st in model.states]
    scores = []
    for i, start in contenders:
        _place(model.states[i], *start)
        refine_scan(model, [i], settings.refine_cells, settings.refine_widths, 8)
        scores.append(_residual(model)[1])
        for st, (params, rel_d, located) in zip(model.states, saved):
            st.params, st.rel_d, st.located = params, rel_d, located
    return contenders[int(np.argmin(scores))]


def swap_lookalikes(model: ScanModel, banks: dict, settings: DecompositionSettings) -> None:
    """Replace a present cathode phase by an absent look-alike that fits better.

    Matching pursuit commits to whichever look-alike scored first (P3 vs P3'' at a small fraction)
    and the seeded fits keep it. For each present cathode phase q, absent cathode phases whose best
    grid cell explains at least ``lookalike_ratio`` of q's own χ² contribution are placed instead of
    q, briefly refined, and kept if χ² is lower. States are changed in place.
    """
    _, _, s = _residual(model)
    present = _scale_per_state(model, s) > 0
    for q, st in enumerate(model.states):
        if not present[q] or st.phase.kind != "cathode":
            continue
        st.located = False
        r, chi2_without, _ = _residual(model)
        st.located = True
        own = chi2_without - _residual(model)[1]
        rivals = []
        for i, bank in banks.items():
            if not present[i] and model.states[i].phase.kind == "cathode" and i != q:
                gain = bank.gains(model, r)
                if gain.max() >= settings.lookalike_ratio * own:
                    rivals.append((i, int(np.argmax(gain))))
        if rivals:
            _try_rivals(model, banks, q, rivals, settings)
            _, _, s = _residual(model)
            present = _scale_per_state(model, s) > 0


def _try_rivals(model: ScanModel, banks: dict, q: int, rivals: list, settings: DecompositionSettings) -> None:
    chi2_now = _residual(model)[1]
    saved = [(st.params, st.rel_d, st.located) for st in model.states]
    best, best_chi2 = None, chi2_now
    for i, j in rivals:
        model.states[q].located = False
        _place(model.states[i], banks[i].params[j])
        refine_scan(model, [i], settings.refine_cells, settings.refine_widths, 8)
        chi2 = _residual(model)[1]
        if chi2 < best_chi2:
            best, best_chi2 = (i, dict(model.states[i].params), model.states[i].rel_d), chi2
        for st, (params, rel_d, located) in zip(model.states, saved):
            st.params, st.rel_d, st.located = params, rel_d, located
    if best is not None:
        model.states[q].located = False
        i, params, rel_d = best
        model.states[i].params, model.states[i].rel_d, model.states[i].located = params, rel_d, True


def _initial_states(phases: Sequence[Phase], settings: DecompositionSettings) -> list[PhaseState]:
    free = settings.profile.free_parasitic_intensities
    return [PhaseState(p, {k: getattr(p.cell, k) for k in p.free_parameters} if p.cell is not None else {},
                       p.broadening_rel_d, per_reflection=free and p.kind == "parasitic") for p in phases]


def _fit_scan(model: ScanModel, banks: dict, settings: DecompositionSettings) -> dict:
    """Locate, swap look-alikes, refine, locate again (a refined fit can reveal a weak phase), then
    drop cathode phases that do not improve the fit and refine once more if any went; returns
    the parameter errors of the last refinement."""
    locate_phases(model, banks, settings)
    swap_lookalikes(model, banks, settings)
    errors: dict = {}
    for attempt in range(3):
        _, _, s = _residual(model)
        active = [i for i, v in enumerate(_scale_per_state(model, s)) if v > 0]
        errors = refine_scan(model, active, settings.refine_cells, settings.refine_widths, settings.max_nfev,
                             settings.refine_zero)
        if attempt == 2 or (not locate_phases(model, banks, settings)
                            and not _drop_weak(model, settings.keep_min_delta_chi2)):
            break
    return errors


def _drop_weak(model: ScanModel, threshold: float) -> bool:
    """Unlocate the cathode phase whose removal raises χ² least, if by less than ``threshold``
    (parsimony: a look-alike sharing a phase's peaks, or a phase fitted to noise)."""
    _, chi2, s = _residual(model)
    present = _scale_per_state(model, s) > 0
    rises = {}
    for i, st in enumerate(model.states):
        if present[i] and st.phase.kind == "cathode":
            st.located = False
            rises[i] = _residual(model)[1] - chi2
            st.located = True
    if not rises or min(rises.values()) >= threshold:
        return False
    weakest = min(rises, key=rises.get)
    model.states[weakest].located = False
    return True


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
        self.chi2_red, self.rwp = np.zeros(ns), np.zeros(ns)
        self.zero_deg, self.zero_err_deg = np.zeros(ns), np.full(ns, np.nan)
        self.fitted, self.background = np.zeros((ns, self.n_points)), np.zeros((ns, self.n_points))
        self.fraction, self.fraction_err = np.full((ns, n_p), np.nan), np.full((ns, n_p), np.nan)


def _record(table: _Table, i: int, model: ScanModel, errors: dict, factors: np.ndarray) -> None:
    n_nonlinear = len(errors)
    sol = scan_solution(model, n_nonlinear, errors)
    table.delta_chi2[i] = delta_chi2(model, sol)
    table.chi2_red[i] = sol.chi2 / sol.dof
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
    would be a bad start when the phase returns. The cell it had when last significant is kept as
    ``memory``, which :func:`locate_phases` tries next to the grid."""
    for st, gain in zip(states, delta_chi2):
        if st.located and st.phase.kind == "cathode" and gain >= threshold:
            st.memory = (dict(st.params), st.rel_d)
        elif st.located and st.phase.kind == "cathode":
            st.located = False
            st.params = {k: getattr(st.phase.cell, k) for k in st.phase.free_parameters} if st.phase.cell else {}
            st.rel_d = st.phase.broadening_rel_d


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
    banks = {i: _bank(p, x, settings) for i, p in enumerate(phases)}
    factors = np.array([float(settings.scale_factors.get(p.name, 1.0)) for p in phases])
    table = _Table(series.n_scans, len(phases), x.size)
    throttle = ProgressThrottle(progress, series.n_scans)
    zero_deg = 0.0
    for i in range(series.n_scans):
        check(cancel)
        model = ScanModel(x, series.intensity[i], sigma[i], basis, profile, states, zero_deg)
        errors = _fit_scan(model, banks, settings)
        _record(table, i, model, errors, factors)
        _drop_insignificant(states, table.delta_chi2[i], settings.keep_min_delta_chi2)
        zero_deg = model.zero_deg
        if i == 0 and settings.fix_parasitic_after_first:
            for st in states:
                st.refine = st.phase.kind != "parasitic"
        throttle(i + 1)
    kind = "weight" if settings.scale_factors else "weight (library-intensity model)"
    return DecompositionResult(
        phases=tuple(p.name for p in phases), kinds=tuple(p.kind for p in phases), scale=table.scale,
        scale_err=table.scale_err, fraction=table.fraction, fraction_err=table.fraction_err, fraction_kind=kind,
        cells=table.cells, cell_err=table.cell_err, rel_d=table.rel_d, zero_deg=table.zero_deg,
        zero_err_deg=table.zero_err_deg,
        chi2_red=table.chi2_red, rwp=table.rwp, delta_chi2=table.delta_chi2, fitted=table.fitted,
        background=table.background)
