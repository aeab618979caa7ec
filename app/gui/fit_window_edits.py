"""Editing frozen fitting windows the way the panel needs: change a field and keep only the
constraints that still make sense, keep a shared FWHM across peak-count changes, add a clicked
peak, move the edges, fill automatic peaks from peak finding. Pure functions of
:class:`~analysis.fit_windows.FitWindow` values (no Qt)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

import numpy as np

from analysis.fit_windows import Constraint, FitWindow, tied
from analysis.peak_finding import find_window_peaks
from analysis.peak_fitting import window_slice

_PEAK_PARAM = re.compile(r"p(\d+)_")


def has_shared_fwhm(window: FitWindow) -> bool:
    """True when every peak after the first has its FWHM tied to peak 0's."""
    cmap = window.constraint_map
    return window.n_peaks > 1 and all(
        cmap.get(f"p{i}_fwhm") == tied("p0_fwhm") for i in range(1, window.n_peaks))


def rebuilt(window: FitWindow, shared_fwhm: Optional[bool] = None, **changes) -> FitWindow:
    """``window`` with ``changes`` (dataclass fields); constraints on parameters that no longer
    exist are dropped, and a shared FWHM is kept (or set / cleared with ``shared_fwhm``)."""
    shared = has_shared_fwhm(window) if shared_fwhm is None else shared_fwhm
    kept = tuple((k, c) for k, c in window.constraints if not (k.endswith("_fwhm") and c == tied("p0_fwhm")))
    bare = replace(window, constraints=(), **changes)
    valid = set(bare.param_names)
    peaks_ok = tuple((k, c) for k, c in kept if k in valid and _refs_valid(c, valid))
    out = replace(bare, constraints=peaks_ok)
    return out.with_shared_fwhm() if shared and out.n_peaks > 1 else out


def _refs_valid(constraint: Constraint, valid: set[str]) -> bool:
    if constraint.kind != "tied":
        return True
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", constraint.expr))
    return all(n in valid for n in names if _PEAK_PARAM.match(n) or n.startswith(("bg", "ka2")))


def with_peak_added(window: FitWindow, center_deg: float) -> FitWindow:
    """The first automatic (``None``) peak takes ``center_deg``; without one, a peak is added.
    Known centers stay sorted so peak numbers run from low to high angle."""
    peaks = list(window.peaks)
    if None in peaks:
        peaks[peaks.index(None)] = float(center_deg)
    else:
        peaks.append(float(center_deg))
    known = sorted(p for p in peaks if p is not None)
    return rebuilt(window, peaks=tuple(known) + (None,) * (len(peaks) - len(known)))


def with_n_peaks(window: FitWindow, n_peaks: int) -> FitWindow:
    """Keep the first ``n_peaks`` initial positions; new peaks are found automatically."""
    n_peaks = max(int(n_peaks), 1)
    peaks = tuple(window.peaks[:n_peaks]) + (None,) * max(n_peaks - window.n_peaks, 0)
    return rebuilt(window, peaks=peaks)


def with_range(window: FitWindow, lo_deg: float, hi_deg: float) -> FitWindow:
    """New edges; initial positions that fall outside become automatic."""
    lo_deg, hi_deg = sorted((float(lo_deg), float(hi_deg)))
    peaks = tuple(p if p is None or lo_deg <= p <= hi_deg else None for p in window.peaks)
    return rebuilt(window, lo_deg=lo_deg, hi_deg=hi_deg, peaks=peaks)


def with_found_peaks(window: FitWindow, x_deg: np.ndarray, y: np.ndarray, keep_known: bool = False) -> FitWindow:
    """Initial positions from automatic peak finding on one scan (``y`` on ``x_deg``, 2θ in
    degrees), sorted low to high; peaks not found stay automatic. With ``keep_known``, only the
    automatic peaks are filled in (by the most prominent maxima not already taken)."""
    sel = window_slice(x_deg, window)
    found = find_window_peaks(x_deg[sel], np.asarray(y, dtype=float)[sel], window.n_peaks)
    known = [p for p in window.peaks if p is not None] if keep_known else []
    step = float(np.median(np.diff(x_deg[sel]))) if x_deg[sel].size > 1 else 0.0
    min_gap = 3.0 * step + (float(np.min(found.fwhm_deg)) if found.fwhm_deg.size else 0.0)
    new = [float(c) for c in found.center_deg if all(abs(c - k) > min_gap for k in known)]
    centers = sorted(known + new[:window.n_peaks - len(known)])
    return rebuilt(window, peaks=tuple(centers) + (None,) * (window.n_peaks - len(centers)))
