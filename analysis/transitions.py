"""Automatic phase-transition detection: regimes, events and the sequence string of a series.

Entry points:

- :func:`detect_transitions` with per-scan phase fractions (any source) names regimes by their
  phases ("P2/O3"); without fractions it falls back to the patterns alone;
- :func:`detect_transitions_from_decomposition` takes a whole-pattern decomposition result as is;
- :func:`detect_regimes_from_patterns` needs no library: regimes "unknown 1", "unknown 2", ...
  (a pattern that comes back gets its old name), events of kind "pattern change". A series whose
  peaks only shift (solid solution) gives one regime and no event (:mod:`analysis.pattern_regimes`).

Known limit of the pattern path: a change that is itself a large continuous peak shift (the P2 →
Z/OP4 stacking-fault intergrowth, whose broad peak moves by degrees) is not told apart from drift
inside it, so its regime is not found; with fractions it is.

Definitions (what the numbers mean)
-----------------------------------
- *present*: a phase whose mean fraction over a regime's stable scans exceeds
  max(``min_fraction``, 3 × standard error of that mean) (:mod:`analysis.regimes`).
- *regime label*: present phases joined by "/" in the order of ``phase_names`` (give the library
  order or your own, e.g. ("P2", "O3", "P3", "OP4") → "P2/O3"); "no phase" if none is present.
- *event onset*: the first scan that has left the previous regime (its fractions, or its pattern
  beyond drift, have started to change: the incoming phase starts to grow or the outgoing one to
  fade); *end*: the last scan before the next regime is reached. Both come from a flat–ramp–flat
  fit on the scan times (:mod:`analysis.change_points`), so uneven scan times and a missing scan
  are honoured; a change between two scans gives onset == end == the first scan after it.
- *kind*: "two-phase" (phases lost and gained), "appearance" (only gained), "disappearance" (only
  lost), "solid-solution→two-phase" (two-phase after a regime whose refined cells drifted, i.e.
  peaks shifted, by more than ``drift_rel``; needs ``cells``), "pattern change" (library-free path).
- *confidence*: 1 − exp(−s/s₀), s the change's strength and s₀ the detection limit (0.63 at the
  limit, 0.95 at three times it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from scipy.stats import chi2 as chi2_dist

from .cancel import CancelToken, ProgressFn
from .events import Event
from .pattern_regimes import find_pattern_regimes
from .regimes import Assembly, Change, Regime, detect_fraction_regimes
from .series import ScanSeries

ARROW = " → "
KINDS = ("two-phase", "solid-solution→two-phase", "appearance", "disappearance", "pattern change")


@dataclass(frozen=True)
class EventTiming:
    """When an event happened: onset/end time (s, scan start times of the series) and voltage (V)."""

    onset_time_s: float
    end_time_s: float
    onset_voltage_V: Optional[float] = None
    end_voltage_V: Optional[float] = None


@dataclass(frozen=True, eq=False)
class TransitionResult:
    """What :func:`detect_transitions` returns.

    regimes:  [(label, first_scan, last_scan)] in order (inclusive, 0-based)
    events:   [Event] between consecutive regimes (source "auto"); ``timings`` is parallel to it
    sequence: regime labels joined by " → ", e.g. "P2/O3 → P2/P3 → OP4 → P2/P3 → P2/O3"
    method:   "fractions" or "patterns"
    novelty:  (n_scans,) drift-unexplained change ratio per boundary (patterns method), else None
    """

    regimes: list
    events: list
    sequence: str
    timings: list
    method: str
    regime_phases: list
    novelty: Optional[np.ndarray] = None


def _confidence(strength: float, limit: float) -> float:
    return float(1.0 - np.exp(-max(strength, 0.0) / max(limit, 1e-12)))


def _regime_drifted(cells: Optional[np.ndarray], names: Sequence[str], regime: Regime, drift_rel: float) -> bool:
    """True when a cell parameter of a phase present in ``regime`` moves by > drift_rel (relative)
    along a straight-line fit over the regime's scans."""
    if cells is None or regime.last_scan - regime.first_scan < 2:
        return False
    sl = slice(regime.first_scan, regime.last_scan + 1)
    t = np.arange(regime.last_scan - regime.first_scan + 1, dtype=float)
    for j, name in enumerate(names):
        if name not in regime.phases:
            continue
        block = np.asarray(cells[sl, j], dtype=float).reshape(t.size, -1)
        good = np.all(np.isfinite(block), axis=1)
        if good.sum() < 3:
            continue
        slope = np.polyfit(t[good], block[good], 1)[0]
        scale = np.maximum(np.abs(np.nanmean(block[good], axis=0)), 1e-12)
        if np.any(np.abs(slope) * (t[-1] - t[0]) / scale > drift_rel):
            return True
    return False


def _kind(before: Regime, after: Regime, drifted: bool) -> str:
    gained = set(after.phases) - set(before.phases)
    lost = set(before.phases) - set(after.phases)
    if not before.phases and not after.phases:
        return "pattern change"
    if gained and lost:
        return "solid-solution→two-phase" if drifted else "two-phase"
    return "appearance" if gained else "disappearance"


def _timing(series: ScanSeries, voltage: Optional[np.ndarray], change: Change) -> EventTiming:
    v = (None, None) if voltage is None else (float(voltage[change.onset]), float(voltage[change.end]))
    return EventTiming(float(series.time_s[change.onset]), float(series.time_s[change.end]), *v)


def _note(timing: EventTiming) -> str:
    text = f"onset {timing.onset_time_s / 3600.0:.2f} h, end {timing.end_time_s / 3600.0:.2f} h"
    if timing.onset_voltage_V is not None:
        text += f"; {timing.onset_voltage_V:.3f} V → {timing.end_voltage_V:.3f} V"
    return text


def _build_result(series: ScanSeries, assembly: Assembly, method: str, limit: float, voltage, cells, names,
                  drift_rel: float, novelty=None) -> TransitionResult:
    events, timings = [], []
    for k, change in enumerate(assembly.changes):
        before, after = assembly.regimes[k], assembly.regimes[k + 1]
        drifted = _regime_drifted(cells, names, before, drift_rel)
        kind = "pattern change" if method == "patterns" else _kind(before, after, drifted)
        timing = _timing(series, voltage, change)
        events.append(Event(scan=change.onset, end_scan=change.end, label=f"{before.label}{ARROW}{after.label}",
                            from_phases=before.label, to_phases=after.label, kind=kind, source="auto",
                            note=_note(timing), confidence=_confidence(change.strength, limit)))
        timings.append(timing)
    regimes = [r.as_tuple() for r in assembly.regimes]
    return TransitionResult(regimes=regimes, events=events, sequence=ARROW.join(r[0] for r in regimes),
                            timings=timings, method=method, regime_phases=[r.phases for r in assembly.regimes],
                            novelty=novelty)


def estimate_fraction_errors(fractions: np.ndarray, floor: float = 0.005) -> np.ndarray:
    """(n_scans, n_phases) per-phase scatter from scan-to-scan differences (robust), at least ``floor``."""
    d = np.diff(fractions, axis=0)
    sigma = 1.4826 * np.median(np.abs(d - np.median(d, axis=0)), axis=0) / np.sqrt(2.0)
    return np.broadcast_to(np.maximum(sigma, floor), fractions.shape).copy()


def _check_inputs(series: ScanSeries, fractions, errors, names, voltage, cells) -> None:
    n = series.n_scans
    if fractions.ndim != 2 or fractions.shape[0] != n:
        raise ValueError(f"fractions must be (n_scans={n}, n_phases), not {fractions.shape}")
    if errors.shape != fractions.shape:
        raise ValueError(f"fraction_errors {errors.shape} do not match fractions {fractions.shape}")
    if len(names) != fractions.shape[1] or len(set(names)) != len(names):
        raise ValueError(f"need {fractions.shape[1]} distinct phase names, got {list(names)}")
    if voltage is not None and voltage.shape != (n,):
        raise ValueError(f"voltage must be (n_scans={n},), not {voltage.shape}")
    if cells is not None and (cells.shape[0] != n or cells.shape[1] != fractions.shape[1]):
        raise ValueError(f"cells must be (n_scans, n_phases, ...), not {cells.shape}")


def detect_transitions(series: ScanSeries, *, fractions: Optional[np.ndarray] = None,
                       fraction_errors: Optional[np.ndarray] = None, phase_names: Optional[Sequence[str]] = None,
                       voltage: Optional[np.ndarray] = None, cells: Optional[np.ndarray] = None,
                       scales: Optional[np.ndarray] = None, min_regime_scans: int = 3, min_fraction: float = 0.04,
                       lag: Optional[int] = None,
                       drift_rel: float = 0.002, progress: Optional[ProgressFn] = None,
                       cancel: Optional[CancelToken] = None) -> TransitionResult:
    """Regimes, events and sequence of ``series`` (see the module docstring for the definitions).

    fractions:       (n_scans, n_phases) weight fractions from the phase analysis, or None to work
                     from the patterns alone (regimes "unknown k", events of kind "pattern change")
    fraction_errors: (n_scans, n_phases) standard errors; None estimates them from the scan-to-scan scatter
    phase_names:     (n_phases,) names in the canonical order used in labels (default "phase 1", ...)
    voltage:         (n_scans,) cell voltage (V) at each scan, for the event timings
    cells:           (n_scans, n_phases, k) refined cell parameters (NaN where absent), optional
    scales:          (n_scans, n_phases) refined scale of each phase (0 where absent), optional: a
                     leaving phase's falling scale dates a change that begins before the new phase
                     is in the model
    min_regime_scans: regimes shorter than this are folded into the surrounding change
    min_fraction:    smallest mean fraction that counts as present
    lag:             scans averaged either side of a boundary (default ~n_scans/60 for fractions,
                     ~n_scans/35 for patterns; 2..8)
    drift_rel:       relative cell change over a regime that counts as solid-solution behaviour
    """
    voltage = None if voltage is None else np.asarray(voltage, dtype=float)
    if fractions is None:
        return detect_regimes_from_patterns(series, voltage=voltage, min_regime_scans=min_regime_scans, lag=lag,
                                            progress=progress, cancel=cancel)
    fractions = np.asarray(fractions, dtype=float)
    errors = estimate_fraction_errors(fractions) if fraction_errors is None else np.asarray(fraction_errors, float)
    default_names = tuple(f"phase {j + 1}" for j in range(fractions.shape[1]))
    names = tuple(phase_names) if phase_names is not None else default_names
    cells = None if cells is None else np.asarray(cells, dtype=float)
    scales = None if scales is None else np.asarray(scales, dtype=float)
    _check_inputs(series, fractions, errors, names, voltage, cells)
    if scales is not None and scales.shape != fractions.shape:
        raise ValueError(f"scales {scales.shape} do not match fractions {fractions.shape}")
    assembly = detect_fraction_regimes(fractions, errors, names, series.time_s, min_regime_scans=min_regime_scans,
                                       min_fraction=min_fraction, lag=lag, scales=scales)
    limit = float(chi2_dist.isf(1e-4, df=fractions.shape[1]))
    return _build_result(series, assembly, "fractions", limit, voltage, cells, names, drift_rel)


def detect_regimes_from_patterns(series: ScanSeries, *, voltage: Optional[np.ndarray] = None,
                                 min_regime_scans: int = 3, lag: Optional[int] = None,
                                 window_pts: Optional[int] = None, min_excess: float = 0.12,
                                 progress: Optional[ProgressFn] = None,
                                 cancel: Optional[CancelToken] = None) -> TransitionResult:
    """The library-free path: regimes "unknown 1", "unknown 2", ... from the patterns themselves
    (:mod:`analysis.pattern_regimes`); a series whose peaks only shift gives one regime, no event.

    window_pts: width of the local drift-model windows (default ~8 peak widths);
    min_excess: smallest relative excess of drift-unexplained change that counts (default 12 %).
    """
    voltage = None if voltage is None else np.asarray(voltage, dtype=float)
    if voltage is not None and voltage.shape != (series.n_scans,):
        raise ValueError(f"voltage must be (n_scans={series.n_scans},), not {voltage.shape}")
    found = find_pattern_regimes(series.intensity, series.time_s, min_regime_scans=min_regime_scans, lag=lag,
                                 window_pts=window_pts, min_excess=min_excess, progress=progress, cancel=cancel)
    limit = (found.threshold - 1.0) / np.sqrt(2.0 / found.dof)
    return _build_result(series, found.assembly, "patterns", limit, voltage, None, (), 0.0, found.novelty)


DECOMPOSITION_ERROR_FLOOR = 0.01
"""Smallest fraction error assumed for a whole-pattern decomposition: its reported errors are purely
statistical (often < 0.005) while profile-model mismatch moves fractions by ~0.01–0.02 in simulations."""


def detect_transitions_from_decomposition(series: ScanSeries, decomposition, *, voltage: Optional[np.ndarray] = None,
                                          phase_order: Optional[Sequence[str]] = None, **options) -> TransitionResult:
    """:func:`detect_transitions` on a :class:`analysis.pattern_decomposition.DecompositionResult`.

    Uses its cathode columns (parasitic phases never name a regime): fractions (NaN → 0), errors
    raised to at least the scan-to-scan scatter and :data:`DECOMPOSITION_ERROR_FLOOR`, the refined
    cells (for "solid-solution→two-phase") and scales (to date changes). ``phase_order`` sets the
    canonical label order (default: the decomposition's column order); ``options`` go to
    :func:`detect_transitions`.
    """
    cathode = [j for j, kind in enumerate(decomposition.kinds) if kind == "cathode"]
    names = [decomposition.phases[j] for j in cathode]
    if phase_order is not None:
        rank = {name: k for k, name in enumerate(phase_order)}
        cathode = [j for _, j in sorted(zip(names, cathode), key=lambda t: (rank.get(t[0], len(rank)), t[1]))]
        names = [decomposition.phases[j] for j in cathode]
    fractions = np.nan_to_num(np.asarray(decomposition.fraction, dtype=float)[:, cathode], nan=0.0)
    reported = np.nan_to_num(np.asarray(decomposition.fraction_err, dtype=float)[:, cathode], nan=0.0)
    errors = np.maximum(reported, estimate_fraction_errors(fractions, floor=DECOMPOSITION_ERROR_FLOOR))
    cells = np.asarray(decomposition.cells, dtype=float)[:, cathode]
    scales = np.nan_to_num(np.asarray(decomposition.scale, dtype=float)[:, cathode], nan=0.0)
    return detect_transitions(series, fractions=fractions, fraction_errors=errors, phase_names=names,
                              voltage=voltage, cells=cells, scales=scales, **options)
