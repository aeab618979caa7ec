"""Lattice parameters per scan per phase from an indexed series (:mod:`analysis.indexing`).

For each scan, every phase with enough assigned reflections is refined by weighted least squares
(:func:`analysis.lattice_fit.fit_cells`), all phases of a scan together so that they share the
optional zero shift and sample displacement. Parasitic phases are left out by default (a window
does not sit at the sample position, so it does not share the sample's displacement).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .cancel import CancelToken, ProgressFn, ProgressThrottle, check
from .indexing import AssignmentTable, ScanPeaks
from .lattice_fit import PhaseReflections, fit_cells
from .phase_library import Phase


@dataclass(frozen=True, eq=False)
class LatticeSeries:
    """Refined cell of one phase along a series; every array is (n_scans,), NaN where not fitted.

    parameters / errors: free cell parameter → values / standard errors (Å, deg); volume_A3 and
    its error; volume_change_pct: 100·(V − V₀)/V₀ with V₀ the first fitted scan's volume;
    interlayer_A: interlayer spacing c/n (monoclinic: c·sinβ/n) with n = the phase's
    ``layers_per_cell`` (NaN if the library gives none); zero_deg, displacement_deg: the scan's
    shared corrections (0 if not fitted); chi2_red; n_reflections (int, 0 where not fitted).
    """

    phase: str
    system: str
    parameters: dict
    errors: dict
    volume_A3: np.ndarray
    volume_err_A3: np.ndarray
    volume_change_pct: np.ndarray
    interlayer_A: np.ndarray
    interlayer_err_A: np.ndarray
    zero_deg: np.ndarray
    displacement_deg: np.ndarray
    chi2_red: np.ndarray
    n_reflections: np.ndarray


def _groups(table: AssignmentTable, peaks: ScanPeaks, scan: int, phases: dict, min_extra: int,
            center_floor_deg: float) -> list[tuple[Phase, PhaseReflections]]:
    found = {p.name: p for p in table.phases[scan]} if scan < len(table.phases) else {}
    out = []
    for name, phase in phases.items():
        rows = [r for r in table.for_phase(scan, name) if r.hkl != (0, 0, 0)]
        if phase.cell is None or len(rows) < len(phase.free_parameters) + min_extra:
            continue
        idx = np.array([r.peak for r in rows])
        err = (np.full(idx.size, center_floor_deg) if peaks.center_err_deg is None
               else np.maximum(np.nan_to_num(peaks.center_err_deg[idx], nan=1.0), center_floor_deg))
        start = found[name].cell if name in found and found[name].cell is not None else phase.cell
        out.append((phase, PhaseReflections(phase.system, np.array([r.hkl for r in rows]),
                                            peaks.center_deg[idx], err, start)))
    return out


def fit_lattice_series(table: AssignmentTable, peaks: Sequence[ScanPeaks], phases: Sequence[Phase],
                       wavelength_A: float, zero_shift: bool = False, displacement: bool = False,
                       kinds: tuple = ("cathode",), center_floor_deg: float = 1e-4,
                       progress: Optional[ProgressFn] = None,
                       cancel: Optional[CancelToken] = None) -> dict[str, LatticeSeries]:
    """Cells per scan for every phase of ``phases`` whose kind is in ``kinds``.

    A phase is fitted in a scan when it has at least as many indexed reflections as free cell
    parameters, plus one (so that an error can be estimated). ``center_floor_deg`` keeps a peak
    with a zero reported error from taking all the weight. Returns phase name → LatticeSeries.
    """
    chosen = {p.name: p for p in phases if p.kind in kinds}
    n = len(peaks)
    out = {name: _empty(p, n) for name, p in chosen.items()}
    throttle = ProgressThrottle(progress, n)
    for scan, scan_peaks in enumerate(peaks):
        check(cancel)
        groups = _groups(table, scan_peaks, scan, chosen, 1, center_floor_deg)
        n_corr = int(zero_shift) + int(displacement)
        if groups and sum(g.hkl.shape[0] for _, g in groups) > sum(len(p.free_parameters) for p, _ in groups) + n_corr:
            fits = fit_cells([g for _, g in groups], wavelength_A, zero_shift, displacement)
            for (phase, group), fit in zip(groups, fits):
                _store(out[phase.name], phase, scan, fit, group.hkl.shape[0])
        throttle(scan + 1)
    return {name: _finish(series) for name, series in out.items()}


def _empty(phase: Phase, n: int) -> dict:
    nan = lambda: np.full(n, np.nan)  # noqa: E731
    return {"phase": phase, "parameters": {k: nan() for k in phase.free_parameters},
            "errors": {k: nan() for k in phase.free_parameters}, "volume_A3": nan(), "volume_err_A3": nan(),
            "interlayer_A": nan(), "interlayer_err_A": nan(), "zero_deg": nan(), "displacement_deg": nan(),
            "chi2_red": nan(), "n_reflections": np.zeros(n, dtype=int)}


def _store(acc: dict, phase: Phase, scan: int, fit, n_refl: int) -> None:
    for k, v in fit.parameters.items():
        acc["parameters"][k][scan] = v
        acc["errors"][k][scan] = fit.errors[k]
    acc["volume_A3"][scan], acc["volume_err_A3"][scan] = fit.volume_A3, fit.volume_err_A3
    acc["zero_deg"][scan], acc["displacement_deg"][scan] = fit.zero_deg, fit.displacement_deg
    acc["chi2_red"][scan], acc["n_reflections"][scan] = fit.chi2_red, n_refl
    if phase.layers_per_cell:
        factor = np.sin(np.radians(fit.cell.beta)) / phase.layers_per_cell
        acc["interlayer_A"][scan] = fit.cell.c * factor
        acc["interlayer_err_A"][scan] = fit.errors.get("c", np.nan) * factor


def _finish(acc: dict) -> LatticeSeries:
    phase = acc.pop("phase")
    volume = acc["volume_A3"]
    fitted = np.flatnonzero(np.isfinite(volume))
    v0 = volume[fitted[0]] if fitted.size else np.nan
    return LatticeSeries(phase=phase.name, system=phase.system, volume_change_pct=100.0 * (volume - v0) / v0, **acc)
