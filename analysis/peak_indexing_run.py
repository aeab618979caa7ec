"""Index a series peak fit and refine the cells from it, in one call; per-peak summary and CSV rows.

Glue between :mod:`analysis.sequential_fit` (a :class:`~analysis.fit_results.SeriesFitResult`),
:mod:`analysis.indexing` (which peak is which (phase, hkl)) and :mod:`analysis.lattice_series`
(cells per scan). Parasitic phases (Be window, BeO, Al, …) take part in the indexing, so their
peaks are recognised, but get no lattice series.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from .cancel import CancelToken, ProgressFn
from .indexing import AssignmentTable, ManualAssignment, Tolerance, index_series, peaks_from_fit
from .lattice_series import LatticeSeries, fit_lattice_series
from .phase_library import Phase

LATTICE_CSV_COLUMNS = ("scan", "phase", "a", "a_err", "c", "c_err", "volume", "volume_err",
                       "volume_change_pct", "interlayer_A", "n_reflections")


def index_and_fit_lattices(fit_result, phases: Sequence[Phase], wavelength_A: float, *,
                           manual: Iterable[ManualAssignment] = (), zero_shift: bool = False,
                           displacement: bool = False, tolerance: Tolerance = Tolerance(),
                           progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None,
                           ) -> tuple[AssignmentTable, dict[str, LatticeSeries]]:
    """(assignments of every fitted peak, cathode phase name → LatticeSeries).

    fit_result: a series peak fit with (n_scans, n_peaks) ``center``, ``center_err``, ``fwhm``,
        ``area``, ``area_err`` (degrees 2θ); its peak numbering is kept in the table.
    phases: library phases to try (cathode and parasitic); manual entries win over automatic ones.
    progress(done, total): over the indexing (n_scans steps) and then the lattice fits (n_scans).
    """
    peaks = peaks_from_fit(fit_result)
    n = len(peaks)
    phases = list(phases)

    def stage(offset: int) -> Optional[ProgressFn]:
        return None if progress is None else (lambda done, _total: progress(offset + done, 2 * n))

    table = index_series(peaks, phases, wavelength_A, tolerance, tuple(manual), progress=stage(0), cancel=cancel)
    lattice = fit_lattice_series(table, peaks, phases, wavelength_A, zero_shift, displacement,
                                 kinds=("cathode",), progress=stage(n), cancel=cancel)
    return table, lattice


def index_analysis_peaks(result, library: dict) -> tuple[AssignmentTable, dict[str, LatticeSeries]]:
    """:func:`index_and_fit_lattices` on an analysis' peak fit (``result.peaks``, not None) with its
    present cathode phases and its parasitic phases (``result.settings.parasitic``) from ``library``
    (name → Phase); ``result.wavelength_A`` must be known. Duck-typed on
    :class:`analysis.pipeline.AnalysisResult`."""
    names = [*result.present_phases(), *getattr(result.settings, "parasitic", ())]
    phases = [library[n] for n in dict.fromkeys(names) if n in library]
    return index_and_fit_lattices(result.peaks, phases, result.wavelength_A)


@dataclass(frozen=True)
class PeakSummary:
    """One fitted peak over the series: its most frequent assignment.

    peak: global peak index of the fit; mean_deg: mean fitted 2θ over the scans where it is
    present (NaN if never); phase, hkl: the most frequent assignment ("" and () if never assigned);
    source: "manual" if that assignment was the user's, else "auto"; n_assigned / n_present:
    scans where it carries that assignment / where the peak was fitted.
    """

    peak: int
    mean_deg: float
    phase: str
    hkl: tuple
    source: str
    n_assigned: int
    n_present: int


def summarize_peaks(table: AssignmentTable, center_deg: np.ndarray) -> list[PeakSummary]:
    """One :class:`PeakSummary` per column of ``center_deg`` (n_scans, n_peaks), in degrees 2θ."""
    center = np.asarray(center_deg, dtype=float)
    by_peak: dict[int, Counter] = {}
    for row in table.rows:
        by_peak.setdefault(row.peak, Counter())[(row.phase, tuple(row.hkl), row.source)] += 1
    out = []
    for k in range(center.shape[1]):
        finite = np.isfinite(center[:, k])
        mean = float(np.mean(center[finite, k])) if finite.any() else float("nan")
        counts = by_peak.get(k)
        if counts:
            (phase, hkl, source), count = counts.most_common(1)[0]
        else:
            phase, hkl, source, count = "", (), "auto", 0
        out.append(PeakSummary(k, mean, phase, hkl, source, count, int(finite.sum())))
    return out


def lattice_rows(lattice: dict[str, LatticeSeries], scans: Optional[Sequence[int]] = None) -> list[dict]:
    """Rows (dicts keyed by :data:`LATTICE_CSV_COLUMNS`) for every phase and every fitted scan;
    ``scans`` gives the scan number of each row of the series (default 0, 1, …). Parameters a
    phase does not have (c of a cubic phase) are NaN."""
    rows = []
    for name, s in lattice.items():
        n = s.volume_A3.size
        numbers = np.arange(n) if scans is None else np.asarray(scans)
        nan = np.full(n, np.nan)
        for i in np.flatnonzero(np.isfinite(s.volume_A3)):
            rows.append({"scan": int(numbers[i]), "phase": name,
                         "a": s.parameters.get("a", nan)[i], "a_err": s.errors.get("a", nan)[i],
                         "c": s.parameters.get("c", nan)[i], "c_err": s.errors.get("c", nan)[i],
                         "volume": s.volume_A3[i], "volume_err": s.volume_err_A3[i],
                         "volume_change_pct": s.volume_change_pct[i], "interlayer_A": s.interlayer_A[i],
                         "n_reflections": int(s.n_reflections[i])})
    return sorted(rows, key=lambda r: (r["scan"], r["phase"]))


def write_lattice_csv(path, lattice: dict[str, LatticeSeries], scans: Optional[Sequence[int]] = None) -> Path:
    """Write :func:`lattice_rows` to ``path`` (Å, Å³, %); returns the path."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=LATTICE_CSV_COLUMNS)
        writer.writeheader()
        for row in lattice_rows(lattice, scans):
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return path
