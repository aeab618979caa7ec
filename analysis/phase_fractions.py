"""Phase fractions from indexed peak intensities, scale-factor calibration, and candidate selection.

Two ways to phase fractions exist in this package:

- :func:`intensity_fractions` (here): from the integrated areas of the reflections assigned to each
  phase (:mod:`analysis.indexing`). A phase's intensity is Σ area / Σ (rel_intensity/100) over its
  assigned reflections, i.e. its areas on the library pattern's scale. Without calibration the
  fractions are **relative intensities only**: phases scatter differently per unit weight.
- :func:`analysis.pattern_decomposition.decompose_series`: whole-pattern fit; its fractions are
  weight fractions under the library-intensity model (the simulator's), and for real data once
  calibrated.

With per-phase scale factors k from :func:`calibrate_scale_factors` (a scan of known composition),
k·I/Σk·I is a weight fraction in both methods. Parasitic phases never enter the fractions.
:func:`select_phases` decides which candidates are present in a decomposed series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .indexing import AssignmentTable, ScanPeaks
from .pattern_decomposition import DecompositionResult, cathode_fractions
from .phase_library import Phase


@dataclass(frozen=True, eq=False)
class IntensityFractions:
    """Per scan (rows) and cathode phase (columns, order of ``phases``): normalised intensity and
    its error, fraction and error (all (n_scans, n_phases); NaN fraction error where the phase has
    no assigned reflection), number of reflections used (int), and what the fraction means."""

    phases: tuple
    intensity: np.ndarray
    intensity_err: np.ndarray
    fraction: np.ndarray
    fraction_err: np.ndarray
    n_reflections: np.ndarray
    fraction_kind: str


def _phase_intensity(phase: Phase, rows, peaks: ScanPeaks) -> tuple[float, float, int]:
    """Σ area / Σ rel/100 over assigned reflections whose hkl is in the library list."""
    if phase.hkl is None:
        return 0.0, np.nan, 0
    lookup = {tuple(int(i) for i in h): r for h, r in zip(phase.hkl, phase.rel_intensity)}
    area, var, rel, n = 0.0, 0.0, 0.0, 0
    for row in rows:
        if row.hkl not in lookup or peaks.area is None:
            continue
        area += peaks.area[row.peak]
        var += 0.0 if peaks.area_err is None else float(np.nan_to_num(peaks.area_err[row.peak])) ** 2
        rel += lookup[row.hkl] / 100.0
        n += 1
    if n == 0 or rel <= 0:
        return 0.0, np.nan, 0
    return area / rel, np.sqrt(var) / rel, n


def intensity_fractions(table: AssignmentTable, peaks: Sequence[ScanPeaks], phases: Sequence[Phase],
                        scale_factors: Optional[dict] = None) -> IntensityFractions:
    """Fractions k·I/Σk·I of the cathode ``phases`` per scan from the assigned peak areas.

    ``scale_factors``: phase name → k (default 1: relative intensity fractions). Errors come from
    the peaks' ``area_err`` (zero if absent), propagated with the same formula as the decomposition.
    """
    cathode = [p for p in phases if p.kind == "cathode"]
    k = np.array([float((scale_factors or {}).get(p.name, 1.0)) for p in cathode])
    n_scans = len(peaks)
    shape = (n_scans, len(cathode))
    inten, err, frac, ferr = np.zeros(shape), np.full(shape, np.nan), np.zeros(shape), np.full(shape, np.nan)
    count = np.zeros(shape, dtype=int)
    for scan, scan_peaks in enumerate(peaks):
        for j, phase in enumerate(cathode):
            inten[scan, j], err[scan, j], count[scan, j] = _phase_intensity(phase, table.for_phase(scan, phase.name),
                                                                           scan_peaks)
        cov = np.diag(np.nan_to_num(err[scan]) ** 2)
        frac[scan], ferr[scan] = cathode_fractions(inten[scan], cov, k)
        ferr[scan, count[scan] == 0] = np.nan
    kind = "weight (calibrated scale factors)" if scale_factors else "relative intensity"
    return IntensityFractions(tuple(p.name for p in cathode), inten, err, frac, ferr, count, kind)


def calibrate_scale_factors(names: Sequence[str], scale, known_fractions) -> dict:
    """Scale factors k (phase → k) that turn a scan's scales (or intensities) into its known
    weight fractions: k_p ∝ w_p / s_p, normalised so that the mean k over calibrated phases is 1.

    ``scale`` and ``known_fractions`` are (n,) in the order of ``names``; phases with a zero known
    fraction or zero scale cannot be calibrated and are left out of the result (k = 1 by default).
    """
    s = np.asarray(scale, dtype=float)
    w = np.asarray(known_fractions, dtype=float)
    usable = (s > 0) & (w > 0)
    if not usable.any():
        raise ValueError("no phase has both a known fraction and a non-zero scale to calibrate on")
    k = w[usable] / s[usable]
    k /= k.mean()
    return {name: float(v) for name, v in zip(np.asarray(names)[usable], k)}


@dataclass(frozen=True, eq=False)
class PhaseSelection:
    """Which candidates are present. significant (n_scans, n_phases) per scan; present (n_phases,);
    n_significant (n_phases,) number of scans; max_fraction (n_phases,) (NaN for parasitic phases)."""

    phases: tuple
    significant: np.ndarray
    present: np.ndarray
    n_significant: np.ndarray
    max_fraction: np.ndarray

    @property
    def present_names(self) -> list[str]:
        return [p for p, ok in zip(self.phases, self.present) if ok]


def select_phases(result: DecompositionResult, min_fraction: float = 0.03, n_sigma: float = 3.0,
                  min_delta_chi2: float = 25.0, min_scans: int = 2) -> PhaseSelection:
    """A phase is significant in a scan when its fraction (scale, for parasitic phases) exceeds
    ``n_sigma`` errors, its fraction exceeds ``min_fraction`` (cathode only), and leaving it out
    raises χ² by more than ``min_delta_chi2`` (≈ a 5σ improvement for one extra scale); it is
    present when significant in at least ``min_scans`` scans (default 2: a real phase persists
    over neighbouring scans, while a look-alike fitted to one scan's misfit does not)."""
    cathode = result.cathode_mask
    value = np.where(cathode, np.nan_to_num(result.fraction), result.scale)
    err = np.where(cathode, result.fraction_err, result.scale_err)
    big = np.where(cathode, value > min_fraction, True)
    with np.errstate(invalid="ignore"):
        sig = (value > n_sigma * np.nan_to_num(err, nan=np.inf)) & big & (result.delta_chi2 > min_delta_chi2)
    n_sig = sig.sum(axis=0)
    max_frac = np.where(cathode, np.nanmax(np.where(np.isfinite(result.fraction), result.fraction, 0.0), axis=0),
                        np.nan)
    return PhaseSelection(result.phases, sig, n_sig >= min_scans, n_sig, max_frac)
