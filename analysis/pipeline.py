"""The whole analysis of a series in one call: phases, transitions and peak fits.

This is what the GUI's Analyze button and ``operando-xrd analyze`` run. Steps, in order:

1. whole-pattern decomposition into candidate library phases (cathode + cell parasitics),
   giving per-scan fractions and refined cells (:mod:`analysis.pattern_decomposition`);
2. transition detection on those fractions; where no library phase explains the data the
   regimes come from the patterns alone, named "unknown 1", "unknown 2" (:mod:`analysis.transitions`);
3. sequential peak fits in the given windows, or in windows found automatically
   (:mod:`analysis.auto_windows`, :mod:`analysis.sequential_fit`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np

from . import axis as ax
from .cancel import CancelToken, ProgressFn, check
from .fit_results import SeriesFitResult
from .fit_windows import FitWindow, windows_from_json, windows_to_json
from .series import ScanSeries

LAB_CU_TOLERANCE_A = 0.01
"""A wavelength this close to Cu Kα1 is a lab source: Kα2 companion on, lab instrument widths."""

PIPELINE_VERSION = 1

LIBRARY_MISFIT_SHARE = 0.5
"""When the library phases leave more than this share of the diffracted signal unexplained (median
over scans, see :func:`unexplained_share`), the material is taken to be outside the library and
the regimes come from the patterns alone. Simulated library phases leave ~0.001; a foreign
(olivine-like) material fitted with the whole library leaves ~0.7; real data with texture or
stacking faults sits in between, which is why the bar is a generous one half."""

POOR_FIT_SHARE = 0.2
"""Scans where the library leaves more than this share unexplained are named in the notes."""

# progress weights of the steps (decomposition dominates the run time)
_STEPS = (("phases", 80), ("transitions", 5), ("peaks", 15))


@dataclass(frozen=True)
class AnalysisSettings:
    """Everything that decides the numbers of a run; saved in the project file.

    phases:       cathode phases to consider (library short names); None searches the whole library
    parasitic:    cell parts modelled so their peaks are not taken for the cathode
    wavelength_A: overrides the file's wavelength; None uses the file's
    kalpha2:      Cu Kα2 companion; None decides from the wavelength (on for Cu Kα1)
    windows:      peak-fitting windows; () finds them automatically
    min_regime_scans: shortest regime that counts
    clock_offset_s: seconds added to the electrochemistry clock when aligning voltage
    """

    phases: Optional[tuple[str, ...]] = None
    parasitic: tuple[str, ...] = ("Be", "BeO", "Al")
    wavelength_A: Optional[float] = None
    kalpha2: Optional[bool] = None
    windows: tuple[FitWindow, ...] = ()
    min_regime_scans: int = 3
    clock_offset_s: float = 0.0
    fit_peaks: bool = True

    def to_dict(self) -> dict:
        d = asdict(self)
        d["windows"] = windows_to_json(self.windows)
        d["version"] = PIPELINE_VERSION
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AnalysisSettings":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        d["windows"] = windows_from_json(d.get("windows") or "[]")
        if d.get("phases") is not None:
            d["phases"] = tuple(d["phases"])
        d["parasitic"] = tuple(d.get("parasitic", ()))
        return cls(**d)


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """What a run produced. ``decomposition`` is None when no library phase could be used."""

    settings: AnalysisSettings
    wavelength_A: Optional[float]
    decomposition: object
    transitions: object
    peaks: Optional[SeriesFitResult]
    voltage: Optional[np.ndarray] = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    unexplained: Optional[np.ndarray] = None

    @property
    def events(self) -> list:
        return list(self.transitions.events)

    @property
    def sequence(self) -> str:
        return self.transitions.sequence

    def present_phases(self) -> list[str]:
        """Cathode phases that name at least one regime, in the decomposition's order."""
        named = {p for phases in self.transitions.regime_phases for p in phases}
        if self.decomposition is None:
            return []
        return [p for p, kind in zip(self.decomposition.phases, self.decomposition.kinds)
                if kind == "cathode" and p in named]


def is_lab_cu(wavelength_A: Optional[float]) -> bool:
    return wavelength_A is not None and abs(wavelength_A - ax.CU_KA1_A) < LAB_CU_TOLERANCE_A


def naming_order(decomposition) -> list[str]:
    """Phases in the order regime names list them: the most abundant over the series first.

    Authors name a biphasic cathode by its majority phase first (P2/O3 for a P2-rich one, O3/P2
    for an O3-rich one); one order for the whole series keeps a regime's name the same on charge
    and discharge (P2/P3 → OP4 → P2/P3).
    """
    mean = np.nanmean(np.nan_to_num(np.asarray(decomposition.fraction, dtype=float)), axis=0)
    order = np.argsort(-mean, kind="stable")
    return [decomposition.phases[j] for j in order if decomposition.kinds[j] == "cathode"]


def unexplained_share(series: ScanSeries, decomposition) -> np.ndarray:
    """(n_scans,) share of each scan's diffracted signal that the decomposition leaves unexplained.

    With y the counts, σ their errors, B the fitted background and M the whole model, over N
    points: (Σ((y − M)/σ)² − N) / (Σ((y − B)/σ)² − N). Subtracting N takes the counting noise out
    of both, so a perfect model gives ≈ 0 at any counting level and a model with no peaks gives 1.
    NaN for scans the decomposition did not fit.
    """
    y = np.asarray(series.intensity, dtype=float)
    # the decomposition's own σ when the file gives none (most pattern files): √max(I, 1)
    sigma = np.sqrt(np.maximum(y, 1.0)) if series.sigma is None else np.asarray(series.sigma, dtype=float)
    fitted, background = np.asarray(decomposition.fitted), np.asarray(decomposition.background)
    n = np.sum(np.isfinite(y), axis=1)
    misfit = np.nansum(((y - fitted) / sigma) ** 2, axis=1) - n
    signal = np.nansum(((y - background) / sigma) ** 2, axis=1) - n
    fitted_ok = np.all(np.isfinite(fitted), axis=1)
    return np.where(fitted_ok & (signal > 0), misfit / np.where(signal > 0, signal, 1.0), np.nan)


def _scan_ranges(mask: np.ndarray) -> str:
    """"3–7, 12" for a boolean (n_scans,) mask."""
    idx = np.flatnonzero(mask)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if idx.size else []
    return ", ".join(f"{r[0]}" if r.size == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def _library_notes(unexplained: np.ndarray) -> tuple[bool, list[str]]:
    """(whether the library explains the series, notes for the user) from :func:`unexplained_share`."""
    if not np.isfinite(unexplained).any():
        return False, ["the decomposition fitted no scan: regimes come from the patterns alone"]
    median = float(np.nanmedian(unexplained))
    if median > LIBRARY_MISFIT_SHARE:
        return False, [f"the library phases explain only {100 * (1 - median):.0f} % of the diffracted signal "
                       "(median over scans): the material is not in the library (add its phases); regimes come "
                       "from the patterns alone"]
    poor = np.nan_to_num(unexplained) > POOR_FIT_SHARE
    if not poor.any():
        return True, []
    return True, [f"scans {_scan_ranges(poor)}: the library phases leave more than {100 * POOR_FIT_SHARE:.0f} % of "
                  "the diffracted signal unexplained (a phase outside the library, texture or a bad cell range?)"]


def _stage_progress(progress: Optional[ProgressFn], stage: str):
    """A progress hook for one step, mapped onto 0..100 of the whole run."""
    if progress is None:
        return None
    start = sum(w for name, w in _STEPS[: [s for s, _ in _STEPS].index(stage)])
    weight = dict(_STEPS)[stage]

    def report(done: int, total: int) -> None:
        progress(start + int(weight * done / max(total, 1)), 100)

    return report


def _decompose(series: ScanSeries, settings: AnalysisSettings, kalpha2: bool, library, progress, cancel):
    from .decomposition_profiles import ProfileSettings
    from .pattern_decomposition import DecompositionSettings, candidate_phases, decompose_series

    wl = series.wavelength_A
    profile = ProfileSettings(wavelength_A=wl, kalpha2=kalpha2) if is_lab_cu(wl) or kalpha2 \
        else ProfileSettings.synchrotron(wl)
    # Every candidate on every scan: a sparse screening pass first was 2× faster on the sample
    # but let look-alikes (P3'' beside P3) into the full pass and invented a regime.
    phases = candidate_phases(settings.phases, parasitic=settings.parasitic, library=library)
    return decompose_series(series, phases, DecompositionSettings(profile=profile),
                            progress=_stage_progress(progress, "phases"), cancel=cancel)


def _fit_peaks(series: ScanSeries, settings: AnalysisSettings, kalpha2: bool, progress, cancel):
    from .auto_windows import automatic_windows
    from .sequential_fit import fit_series

    windows = settings.windows or automatic_windows(series, kalpha2=kalpha2)
    if not windows:
        return None
    return fit_series(series, windows, progress=_stage_progress(progress, "peaks"), cancel=cancel)


def run_analysis(series: ScanSeries, settings: AnalysisSettings = AnalysisSettings(), *,
                 voltage: Optional[np.ndarray] = None, progress: Optional[ProgressFn] = None,
                 cancel: Optional[CancelToken] = None, library: Optional[dict] = None) -> AnalysisResult:
    """Phases, transitions and peak fits of ``series`` (see the module docstring).

    voltage: (n_scans,) cell voltage at each scan (V), used for event voltages
    library: phases by name to take the candidates from (e.g. with the user's edits); None reads
             the bundled library
    progress(done, total) reports 0..100 over the whole run; ``cancel`` raises Cancelled.
    """
    from .transitions import detect_regimes_from_patterns, detect_transitions_from_decomposition

    if settings.wavelength_A:
        series = series.with_wavelength(settings.wavelength_A)
    notes: list[str] = []
    kalpha2 = is_lab_cu(series.wavelength_A) if settings.kalpha2 is None else settings.kalpha2
    decomposition = None
    if series.wavelength_A is None and series.x_kind != ax.TWO_THETA:
        notes.append("no wavelength: library phases cannot be placed; regimes come from the patterns alone")
    elif series.wavelength_A is None:
        notes.append("no wavelength in the file (give one): regimes come from the patterns alone")
    else:
        decomposition = _decompose(series, settings, kalpha2, library, progress, cancel)
    check(cancel)
    unexplained = None
    if decomposition is not None:
        unexplained = unexplained_share(series, decomposition)
        fits, library_notes = _library_notes(unexplained)
        notes += library_notes
        decomposition = decomposition if fits else None
    opts = dict(min_regime_scans=settings.min_regime_scans)
    if decomposition is not None and np.nanmax(np.nan_to_num(decomposition.fraction)) > 0:
        transitions = detect_transitions_from_decomposition(series, decomposition, voltage=voltage,
                                                            phase_order=naming_order(decomposition), **opts)
    else:
        transitions = detect_regimes_from_patterns(series, voltage=voltage, **opts)
    if progress:
        progress(sum(w for s, w in _STEPS[:2]), 100)
    peaks = _fit_peaks(series, settings, kalpha2, progress, cancel) if settings.fit_peaks else None
    if progress:
        progress(100, 100)
    return AnalysisResult(settings=settings, wavelength_A=series.wavelength_A, decomposition=decomposition,
                          transitions=transitions, peaks=peaks, voltage=voltage, notes=tuple(notes),
                          unexplained=unexplained)


def phase_rows(result: AnalysisResult, series: ScanSeries) -> list[dict]:
    """Long-format rows, one per scan per present cathode phase, for ``phases.csv``.

    Columns: scan, time_s, voltage, phase, fraction, fraction_err, a, c, volume (Å, Å³); None where a
    value is not determined (the phase absent in that scan, or no voltage).
    """
    from .crystallography import Cell

    dec = result.decomposition
    rows: list[dict] = []
    if dec is None:
        return rows
    present = result.present_phases()
    volt = result.voltage
    for i in range(series.n_scans):
        for name in present:
            j = dec.phases.index(name)
            frac = float(dec.fraction[i, j])
            a, b, c, al, be, ga = (float(v) for v in dec.cells[i, j])
            located = np.isfinite(c) and np.isfinite(frac) and frac > 0
            volume = Cell(a, b, c, al, be, ga).volume_A3 if located else None
            rows.append({
                "scan": i, "time_s": float(series.time_s[i]),
                "voltage": None if volt is None or not np.isfinite(volt[i]) else float(volt[i]),
                "phase": name, "fraction": frac if np.isfinite(frac) else 0.0,
                "fraction_err": float(dec.fraction_err[i, j]) if np.isfinite(dec.fraction_err[i, j]) else None,
                "a": a if located else None, "c": c if located else None, "volume": volume,
            })
    return rows


def summary(result: AnalysisResult, series: ScanSeries) -> dict:
    """The ``summary.json`` contract: n_scans, wavelength, sequence and the automatic events."""
    events = []
    for event, timing in zip(result.transitions.events, result.transitions.timings):
        events.append({
            "scan": int(event.scan), "end_scan": int(event.end_scan),
            "from": event.from_phases, "to": event.to_phases,
            "time_s": _finite(timing.onset_time_s), "voltage": _finite(timing.onset_voltage_V),
            "kind": event.kind, "source": event.source, "confidence": _finite(event.confidence),
        })
    return {"n_scans": int(series.n_scans), "wavelength": result.wavelength_A,
            "sequence": result.sequence, "method": result.transitions.method,
            "phases": result.present_phases(), "events": events, "notes": list(result.notes)}


def _finite(v) -> Optional[float]:
    return None if v is None or not np.isfinite(v) else float(v)


def result_arrays(result: AnalysisResult) -> dict[str, np.ndarray]:
    """Named arrays of a run, for the project file (no pickling of result objects)."""
    out: dict[str, np.ndarray] = {}
    dec = result.decomposition
    if dec is not None:
        for name in ("scale", "scale_err", "fraction", "fraction_err", "cells", "cell_err", "chi2_red", "rwp"):
            out[f"phases/{name}"] = np.asarray(getattr(dec, name))
        out["phases/names"] = np.array(dec.phases, dtype=str)
        out["phases/kinds"] = np.array(dec.kinds, dtype=str)
    if result.voltage is not None:
        out["voltage_V"] = np.asarray(result.voltage)
    if result.unexplained is not None:
        out["unexplained_share"] = np.asarray(result.unexplained)
    return out
