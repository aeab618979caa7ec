"""Indexing: assign fitted peaks to (phase, hkl), choosing the set of library phases that explains them.

Input is plain arrays per scan (:class:`ScanPeaks`), so any peak fitter can feed it. A peak matches
a predicted reflection when |2θ_obs − 2θ_calc| ≤ tolerance, with the tolerance of each peak
max(min_deg, n_sigma × center error, fwhm_fraction × FWHM) (:class:`Tolerance`).

Cells move during cycling, so each phase is tried over a grid of cells inside its plausible
ranges (hexagonal and cubic: a grid over the free parameters; other systems: a common scale of
the lengths), then refined by :func:`analysis.lattice_fit.fit_cell` on its matches and matched
again. Phases are accepted greedily, the one explaining most of the still-unexplained peak area
first, if at least ``min_coverage`` of its expected intensity in range is seen. Parasitic phases
(Be, BeO, Al, …) take part, so their peaks are recognised and later left out of the phase analysis.

Manual entries (:class:`ManualAssignment`) win over automatic ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Optional, Sequence

import numpy as np

from . import crystallography as cr
from .cancel import CancelToken, ProgressFn, ProgressThrottle, check
from .lattice_fit import fit_cell
from .phase_library import Phase, constrained_cell


@dataclass(frozen=True)
class ScanPeaks:
    """Fitted peaks of one scan, all (n_peaks,): centres and their errors (deg), FWHM (deg),
    integrated areas and their errors (any consistent unit). Missing arrays are None."""

    center_deg: np.ndarray
    center_err_deg: Optional[np.ndarray] = None
    fwhm_deg: Optional[np.ndarray] = None
    area: Optional[np.ndarray] = None
    area_err: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        n = np.size(self.center_deg)
        for name in ("center_deg", "center_err_deg", "fwhm_deg", "area", "area_err"):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, dtype=float).reshape(-1)
                if value.size != n:
                    raise ValueError(f"{name} has {value.size} values for {n} peaks")
                object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return int(self.center_deg.size)

    def weights(self) -> np.ndarray:
        """Relative importance of each peak for choosing phases: √area (1 if no areas), summing to 1;
        0 for peaks without a centre (absent in this scan)."""
        w = np.ones(len(self)) if self.area is None else np.sqrt(np.clip(np.nan_to_num(self.area), 0, None))
        w = np.where(np.isfinite(self.center_deg), w, 0.0)
        total = w.sum()
        return w / total if total > 0 else np.full(len(self), 1.0 / max(len(self), 1))

    def range_deg(self) -> tuple[float, float]:
        """(lowest, highest) finite centre, widened by 1° (where predictions are worth making)."""
        finite = self.center_deg[np.isfinite(self.center_deg)]
        return float(finite.min()) - 1.0, float(finite.max()) + 1.0


def peaks_from_fit(result) -> list[ScanPeaks]:
    """One :class:`ScanPeaks` per scan from any per-scan × per-peak fit result with arrays
    ``center``, ``center_err``, ``fwhm``, ``area``, ``area_err`` of shape (n_scans, n_peaks)
    (e.g. :class:`analysis.fit_results.SeriesFitResult`). Peak indices are kept, so a peak that is
    absent in a scan stays a NaN entry and manual entries by peak index hold over the series."""
    def get(name):
        value = getattr(result, name, None)
        return None if value is None else np.asarray(value, dtype=float)

    center = get("center")
    if center is None or center.ndim != 2:
        raise ValueError("a fit result needs a (n_scans, n_peaks) 'center' array")
    arrays = {k: get(k) for k in ("center_err", "fwhm", "area", "area_err")}
    return [ScanPeaks(center[i], *(None if a is None else a[i] for a in arrays.values()))
            for i in range(center.shape[0])]


@dataclass(frozen=True)
class Tolerance:
    """Match tolerance per peak: max(min_deg, n_sigma·center_err, fwhm_fraction·FWHM), in deg 2θ."""

    min_deg: float = 0.03
    n_sigma: float = 3.0
    fwhm_fraction: float = 0.5

    def per_peak(self, peaks: ScanPeaks) -> np.ndarray:
        tol = np.full(len(peaks), self.min_deg)
        if peaks.center_err_deg is not None:
            tol = np.maximum(tol, self.n_sigma * np.nan_to_num(peaks.center_err_deg))
        if peaks.fwhm_deg is not None:
            tol = np.maximum(tol, self.fwhm_fraction * np.nan_to_num(peaks.fwhm_deg))
        return tol


@dataclass(frozen=True)
class ManualAssignment:
    """A user's entry: peak ``peak`` of scan ``scan`` (every scan if None) is (phase, hkl);
    ``phase=None`` marks the peak as not to be used."""

    peak: int
    phase: Optional[str]
    hkl: Optional[tuple] = None
    scan: Optional[int] = None


@dataclass(frozen=True)
class PeakAssignment:
    """One row of the table: peak index ``peak`` of scan ``scan`` is ``hkl`` of ``phase``;
    ``calc_deg`` predicted 2θ (NaN if unknown), ``source`` "auto" or "manual"."""

    scan: int
    peak: int
    phase: str
    hkl: tuple
    calc_deg: float
    source: str = "auto"


@dataclass(frozen=True, eq=False)
class AssignmentTable:
    """Assignments of a series; ``phases`` per scan: the phases found present (with their cells)."""

    rows: tuple
    phases: tuple = ()
    unassigned: tuple = ()

    def for_scan(self, scan: int) -> list[PeakAssignment]:
        return [r for r in self.rows if r.scan == scan]

    def for_phase(self, scan: int, phase: str) -> list[PeakAssignment]:
        return [r for r in self.rows if r.scan == scan and r.phase == phase]

    def phase_names(self) -> list[str]:
        names: list[str] = []
        for r in self.rows:
            if r.phase not in names:
                names.append(r.phase)
        return names


def _predicted(phase: Phase, cells: Sequence[cr.Cell], wavelength_A: float, lo: float, hi: float):
    """(n_cells, n_refl) 2θ of the phase's listed reflections for each cell (NaN outside [lo, hi])."""
    if phase.cell is None:
        tth = cr.two_theta_deg(phase.fixed_d_A, wavelength_A)[None, :]
    else:
        g_star = np.linalg.inv(np.stack([c.metric() for c in cells]))
        inv_d2 = np.einsum("ni,cij,nj->cn", phase.hkl.astype(float), g_star, phase.hkl.astype(float))
        tth = cr.two_theta_deg(1.0 / np.sqrt(inv_d2), wavelength_A)
    return np.where((tth >= lo) & (tth <= hi), tth, np.nan)


def candidate_cells(phase: Phase, n_grid: int = 41, n_minor: Optional[int] = None) -> list[cr.Cell]:
    """The phase's cell plus a grid inside its ranges: ``n_grid`` values of c (cubic: a) times
    ``n_minor`` values of each other length with a range (hexagonal: a, default n_grid // 2;
    orthorhombic and monoclinic: a and b, default 7), monoclinic β at 4 values in its range, other
    angles kept at the library's. Without
    ranges for every length: one common scale of a, b, c within the tightest range."""
    if phase.cell is None:
        return [None]
    cells = [phase.cell]
    ranges = phase.cell_ranges
    lengths = [p for p in phase.free_parameters if p in ("a", "b", "c")]
    if ranges and all(p in ranges for p in lengths):
        n_minor = n_minor if n_minor is not None else (n_grid // 2 if len(lengths) <= 2 else 7)
        major = "a" if phase.system == "cubic" else "c"
        names = list(lengths)
        axes = [np.linspace(*ranges[p], n_grid if p == major else n_minor) for p in lengths]
        if "beta" in phase.free_parameters and "beta" in ranges:
            # β moves the h0l reflections a lot: a cell with the right lengths but the library's β
            # can score worse than a wrong cell, so β is sampled too (coarsely).
            names.append("beta")
            axes.append(np.linspace(*ranges["beta"], 4))
        fixed = {p: getattr(phase.cell, p) for p in phase.free_parameters if p not in names}
        for values in np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(axes)):
            cells.append(constrained_cell(phase.system, **fixed, **dict(zip(names, values))))
        return cells
    lo = max((ranges[p][0] / getattr(phase.cell, p) for p in ("a", "b", "c") if p in ranges), default=0.98)
    hi = min((ranges[p][1] / getattr(phase.cell, p) for p in ("a", "b", "c") if p in ranges), default=1.02)
    for s in np.linspace(lo, hi, n_grid):
        params = {p: getattr(phase.cell, p) * (s if p in ("a", "b", "c") else 1.0) for p in phase.free_parameters}
        cells.append(constrained_cell(phase.system, **params))
    return cells


def _match(pred: np.ndarray, obs: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """(…, n_refl) index of the nearest observed peak within tolerance, −1 if none."""
    diff = np.abs(pred[..., :, None] - obs)
    diff = np.where(diff <= tol, diff, np.inf)
    best = np.argmin(diff, axis=-1)
    return np.where(np.isfinite(np.min(diff, axis=-1)), best, -1)


@dataclass(frozen=True)
class _PhaseMatch:
    phase: Phase
    matches: np.ndarray      # (n_refl,) peak index or −1
    calc_deg: np.ndarray     # (n_refl,)
    coverage: float          # share of the expected in-range intensity that is seen


def _score(phase: Phase, pred: np.ndarray, matches: np.ndarray, weights: np.ndarray, free: np.ndarray):
    """Coverage (n_cells,) and weight of the still-free peaks explained (n_cells,).

    Coverage is the share of the expected in-range intensity that is seen; it counts as 0 unless at
    least two reflections match (or all, if fewer are in range): one coincidence proves nothing.
    """
    rel = np.where(np.isfinite(pred), phase.rel_intensity, 0.0)
    seen = np.where(matches >= 0, rel, 0.0).sum(axis=-1)
    coverage = seen / np.maximum(rel.sum(axis=-1), 1e-12)
    n_matched = np.sum(matches >= 0, axis=-1)
    coverage = np.where(n_matched >= np.minimum(2, np.sum(np.isfinite(pred), axis=-1)), coverage, 0.0)
    n_peaks = weights.size
    hit = np.zeros((matches.shape[0], n_peaks + 1), dtype=bool)
    hit[np.arange(matches.shape[0])[:, None], np.where(matches >= 0, matches, n_peaks)] = True
    gain = hit[:, :n_peaks].astype(float) @ (weights * free)
    return coverage, gain


@dataclass(frozen=True)
class _Grid:
    """Coarse-search state of one phase in one scan: its cells, their 2θ (n_cells, n_refl)."""

    phase: Phase
    cells: list
    pred: np.ndarray


def _grid(phase: Phase, peaks: ScanPeaks, wavelength_A: float, seed: Optional[cr.Cell],
          cells: Optional[list]) -> _Grid:
    lo, hi = peaks.range_deg()
    cells = list(cells) if cells is not None else default_grid(phase)
    if seed is not None:
        cells = [seed, *cells]
    return _Grid(phase, cells, _predicted(phase, cells, wavelength_A, lo, hi))


def _coarse_best(grid: _Grid, peaks: ScanPeaks, tol: np.ndarray, free: np.ndarray,
                 min_coverage: float) -> tuple[int, float]:
    """Best grid cell (index, gain) at three times the tolerance (grid points are ~1 step apart)."""
    coverage, gain = _score(grid.phase, grid.pred, _match(grid.pred, peaks.center_deg, 3.0 * tol),
                            peaks.weights(), free)
    ok = (coverage >= min_coverage) & (gain > 0)
    if not ok.any():
        return -1, 0.0
    best = int(np.argmax(np.where(ok, gain + 1e-3 * coverage, -np.inf)))
    return best, float(gain[best])


def _final_match(grid: _Grid, best: int, peaks: ScanPeaks, tol: np.ndarray, wavelength_A: float,
                 free: np.ndarray, min_coverage: float) -> Optional[_PhaseMatch]:
    phase = grid.phase
    lo, hi = peaks.range_deg()
    cell = _refine(phase, grid.cells[best], peaks, tol, wavelength_A, lo, hi)
    pred = _predicted(phase, [cell], wavelength_A, lo, hi)
    matches = _match(pred, peaks.center_deg, tol)[0]
    coverage, gain = _score(phase, pred, matches[None], peaks.weights(), free)
    if coverage[0] < min_coverage or gain[0] <= 0:
        return None
    return _PhaseMatch(phase if cell is None else replace(phase, cell=cell), matches, pred[0], float(coverage[0]))


def _refine(phase, cell, peaks, tol, wavelength_A, lo, hi):
    """Match with widening-then-nominal tolerance and refit the cell on the matches, twice."""
    if cell is None:
        return None
    for factor in (3.0, 1.0, 1.0):
        pred = _predicted(phase, [cell], wavelength_A, lo, hi)[0]
        m = _match(pred, peaks.center_deg, factor * tol)
        keep = m >= 0
        if keep.sum() <= len(phase.free_parameters):
            return cell
        err = None if peaks.center_err_deg is None else np.maximum(peaks.center_err_deg[m[keep]], 1e-4)
        fit = fit_cell(phase.hkl[keep], peaks.center_deg[m[keep]], wavelength_A, phase.system, err, start=cell)
        if not phase.with_cell(**fit.parameters).cell_in_range():
            return cell
        cell = fit.cell
    return cell


def _select(peaks: ScanPeaks, phases: Sequence[Phase], wavelength_A: float, tol: np.ndarray,
            seeds: dict, min_coverage: float, grids: dict) -> list[_PhaseMatch]:
    """Greedy choice: repeatedly accept the phase that explains most still-unexplained peak weight
    (coarse grid score), after refining its cell and checking its coverage again. Parasitic phases
    go first: their cells hardly move, so their matches are the most trustworthy, and a flexible
    cathode candidate (four free parameters) must not take a window peak for its own."""
    free = np.ones(len(peaks))
    chosen: list[_PhaseMatch] = []
    for kind in ("parasitic", "cathode"):
        remaining = {p.name: _grid(p, peaks, wavelength_A, seeds.get(p.name), grids.get(p.name))
                     for p in phases if p.kind == kind}
        while remaining:
            scores = {name: _coarse_best(g, peaks, tol, free, min_coverage) for name, g in remaining.items()}
            name = max(scores, key=lambda k: scores[k][1])
            if scores[name][0] < 0:
                break
            match = _final_match(remaining.pop(name), scores[name][0], peaks, tol, wavelength_A, free, min_coverage)
            if match is not None:
                chosen.append(match)
                free[match.matches[match.matches >= 0]] = 0.0
    return chosen


def default_grid(phase: Phase) -> list[cr.Cell]:
    """The indexing's cell grid: :func:`candidate_cells` with 41 steps along c, 21 for phases with
    three or more free parameters (their grid multiplies over a, b and β)."""
    return candidate_cells(phase, 41 if len(phase.free_parameters) <= 2 else 21)


def _rows_from_matches(scan: int, peaks: ScanPeaks, chosen: list[_PhaseMatch]) -> dict:
    """peak → PeakAssignment; a peak claimed twice goes to the earlier (stronger) phase, and
    within one phase to the nearest reflection."""
    rows: dict[int, PeakAssignment] = {}
    for m in chosen:
        order = np.argsort(np.abs(m.calc_deg - np.where(m.matches >= 0, peaks.center_deg[m.matches], np.inf)))
        for j in order:
            p = int(m.matches[j])
            if p >= 0 and p not in rows:
                rows[p] = PeakAssignment(scan, p, m.phase.name, tuple(int(i) for i in m.phase.hkl[j])
                                         if m.phase.hkl is not None else (0, 0, 0), float(m.calc_deg[j]))
    return rows


def _apply_manual(scan: int, rows: dict, manual: Iterable[ManualAssignment], n_peaks: int) -> dict:
    for entry in manual:
        if entry.scan not in (None, scan) or not 0 <= entry.peak < n_peaks:
            continue
        if entry.phase is None:
            rows[entry.peak] = None
        else:
            rows[entry.peak] = PeakAssignment(scan, entry.peak, entry.phase,
                                              tuple(int(i) for i in (entry.hkl or (0, 0, 0))), np.nan, "manual")
    return rows


@dataclass(frozen=True)
class ScanIndexing:
    """Result for one scan: assignments (manual ones included), the phases found with refined cells,
    the coverage of each, and the indices of peaks left unassigned."""

    rows: tuple
    phases: tuple
    coverage: dict
    unassigned: tuple


def index_scan(peaks: ScanPeaks, phases: Sequence[Phase], wavelength_A: float, scan: int = 0,
               tolerance: Tolerance = Tolerance(), manual: Iterable[ManualAssignment] = (),
               seeds: Optional[dict] = None, min_coverage: float = 0.5,
               grids: Optional[dict] = None) -> ScanIndexing:
    """Assign the peaks of one scan to (phase, hkl) among ``phases`` (cathode and parasitic).

    ``seeds``: phase name → Cell to try first (e.g. the previous scan's); ``grids``: phase name →
    precomputed :func:`default_grid` (saves time over a series). Manual entries win; a
    manual (phase, hkl) gets ``calc_deg`` from that phase's cell when the phase is known.
    """
    if not np.any(np.isfinite(peaks.center_deg)):
        return ScanIndexing((), (), {}, ())
    tol = tolerance.per_peak(peaks)
    chosen = _select(peaks, phases, wavelength_A, tol, seeds or {}, min_coverage, grids or {})
    rows = _apply_manual(scan, _rows_from_matches(scan, peaks, chosen), manual, len(peaks))
    by_name = {m.phase.name: m.phase for m in chosen} | {p.name: p for p in phases if p.name not in
                                                          {m.phase.name for m in chosen}}
    out = []
    for p in sorted(k for k, v in rows.items() if v is not None):
        row = rows[p]
        if row.source == "manual" and row.phase in by_name and by_name[row.phase].cell is not None:
            d = cr.d_spacing(by_name[row.phase].cell, row.hkl)
            row = replace(row, calc_deg=float(cr.two_theta_deg(d, wavelength_A)))
        out.append(row)
    finite = np.isfinite(peaks.center_deg)
    out = [row for row in out if finite[row.peak]]
    unassigned = tuple(int(i) for i in range(len(peaks)) if rows.get(i) is None and finite[i])
    return ScanIndexing(tuple(out), tuple(m.phase for m in chosen),
                        {m.phase.name: m.coverage for m in chosen}, unassigned)


def index_series(peaks: Sequence[ScanPeaks], phases: Sequence[Phase], wavelength_A: float,
                 tolerance: Tolerance = Tolerance(), manual: Iterable[ManualAssignment] = (),
                 min_coverage: float = 0.5, progress: Optional[ProgressFn] = None,
                 cancel: Optional[CancelToken] = None) -> AssignmentTable:
    """Index every scan, seeding each with the cells refined in the scan before."""
    manual = tuple(manual)
    throttle = ProgressThrottle(progress, len(peaks))
    rows, found, unassigned, seeds = [], [], [], {}
    grids = {p.name: default_grid(p) for p in phases}
    for scan, scan_peaks in enumerate(peaks):
        check(cancel)
        result = index_scan(scan_peaks, phases, wavelength_A, scan, tolerance, manual, seeds, min_coverage, grids)
        rows += result.rows
        found.append(result.phases)
        unassigned.append(result.unassigned)
        seeds.update({p.name: p.cell for p in result.phases if p.cell is not None})
        throttle(scan + 1)
    return AssignmentTable(tuple(rows), tuple(found), tuple(unassigned))
