"""The model of one fitting window on a fixed 2θ grid: evaluation, analytic Jacobian, start values.

A :class:`WindowModel` is built once per (window, grid) and reused for every scan, so the
per-scan cost is only numpy arithmetic on ~hundreds of points.
"""

from __future__ import annotations

import math
from typing import Mapping, Optional

import numpy as np

from .fit_windows import FitWindow
from .peak_finding import edge_line, find_window_peaks
from .peak_models import (SHAPE_BOUNDS, SHAPE_DEFAULTS, SHAPE_PARAMS, area_per_height,
                          ka2_center_deg, ka2_center_slope, unit_profile)


class WindowModel:
    """Model of ``window`` on ``x_deg`` (n_points,), the 2θ values inside the window.

    Parameter vectors are full-length arrays ordered as ``window.param_names``.
    """

    def __init__(self, window: FitWindow, x_deg: np.ndarray) -> None:
        self.window = window
        self.x = np.asarray(x_deg, dtype=float)
        self.names = window.param_names
        self.index = {n: i for i, n in enumerate(self.names)}
        self.n_shape = len(SHAPE_PARAMS[window.model])
        self.peak_slices = [slice(self.index[f"p{i}_center"], self.index[f"p{i}_center"] + 3 + self.n_shape)
                            for i in range(window.n_peaks)]
        self.ratio_index = self.index.get("ka2_ratio")
        self.bg_index = self.index["bg0"]
        t = self.x - window.mid_deg
        self.bg_basis = np.vstack([t ** k for k in range(window.background_order + 1)])
        self.step_deg = float(np.median(np.diff(self.x))) if self.x.size > 1 else 1.0

    # ---- evaluation -------------------------------------------------------------------------
    def _peak_terms(self, v: np.ndarray, i: int, with_derivs: bool):
        """Area and Kα1 (+Kα2) unit profile of peak i (shapes (..., 1) and (..., n_points)),
        optionally with derivatives; ``v`` is (n_params,) or (m, n_params)."""
        w = self.window
        j0 = self.peak_slices[i].start
        c, fw, area = v[..., j0, None], v[..., j0 + 1, None], v[..., j0 + 2, None]
        shape = [v[..., j0 + 3 + k, None] for k in range(self.n_shape)]
        parts = unit_profile(w.model, self.x, c, fw, shape)
        if not w.ka2.enabled:
            return area, parts, None
        r = v[..., self.ratio_index, None]
        c2 = ka2_center_deg(c, w.ka2.wavelength_ratio)
        parts2 = unit_profile(w.model, self.x, c2, fw, shape)
        if not with_derivs:
            return area, (parts[0] + r * parts2[0],), parts2[0]
        slope = ka2_center_slope(c, w.ka2.wavelength_ratio)
        combo = [parts[0] + r * parts2[0], parts[1] + r * slope * parts2[1]]
        combo += [a + r * b for a, b in zip(parts[2:], parts2[2:])]
        return area, tuple(combo), parts2[0]

    def background(self, v: np.ndarray) -> np.ndarray:
        """Local polynomial background, (n_points,) or (m, n_points)."""
        return v[..., self.bg_index:self.bg_index + self.bg_basis.shape[0]] @ self.bg_basis

    def evaluate(self, v: np.ndarray) -> np.ndarray:
        """Model intensity on the grid, (n_points,) for ``v`` (n_params,) or (m, n_points) for (m, n_params)."""
        y = self.background(v)
        for i in range(self.window.n_peaks):
            area, parts, _ = self._peak_terms(v, i, False)
            y = y + area * parts[0]
        return y

    def components(self, v: np.ndarray) -> np.ndarray:
        """Each peak (Kα1 + Kα2) without background, (n_peaks, n_points)."""
        out = []
        for i in range(self.window.n_peaks):
            area, parts, _ = self._peak_terms(v, i, False)
            out.append(area * parts[0])
        return np.array(out)

    def evaluate_with_jacobian(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model (..., n_points) and d model / d params (..., n_points, n_params) for ``v`` (..., n_params)."""
        lead = v.shape[:-1]
        jac = np.empty(lead + (self.x.size, len(self.names)))
        nb = self.bg_basis.shape[0]
        jac[..., self.bg_index:self.bg_index + nb] = self.bg_basis.T
        y = self.background(v)
        if self.ratio_index is not None:
            jac[..., self.ratio_index] = 0.0
        for i, sl in enumerate(self.peak_slices):
            area, parts, g2 = self._peak_terms(v, i, True)
            y = y + area * parts[0]
            j0 = sl.start
            jac[..., j0] = area * parts[1]
            jac[..., j0 + 1] = area * parts[2]
            jac[..., j0 + 2] = parts[0]
            for k in range(self.n_shape):
                jac[..., j0 + 3 + k] = area * parts[3 + k]
            if g2 is not None:
                jac[..., self.ratio_index] += area * g2
        return y, jac

    # ---- start values and bounds ------------------------------------------------------------
    def fresh_guess(self, y: np.ndarray, seed: Optional[Mapping[str, float]] = None) -> np.ndarray:
        """Start values from the data alone; given or seeded centers are kept, others found."""
        w = self.window
        v = np.zeros(len(self.names))
        base = edge_line(self.x, y)
        t = self.x - w.mid_deg
        coef = np.polyfit(t, base, 1)
        v[self.bg_index] = coef[1]
        if w.background_order >= 1:
            v[self.bg_index + 1] = coef[0]
        known = [seed.get(f"p{i}_center") if seed else p for i, p in enumerate(w.peaks)]
        known = [None if k is None or not math.isfinite(k) else k for k in known]
        default_fw = max((w.hi_deg - w.lo_deg) / 20.0, 3 * self.step_deg)
        extra = iter(self._unclaimed_peaks(y, [k for k in known if k is not None], w.n_peaks))
        for i, sl in enumerate(self.peak_slices):
            c, fw = known[i], default_fw
            if c is None:
                c, fw = next(extra, (w.lo_deg + (i + 1) * (w.hi_deg - w.lo_deg) / (w.n_peaks + 1), default_fw))
            if seed and math.isfinite(seed.get(f"p{i}_fwhm", math.nan)):
                fw = seed[f"p{i}_fwhm"]
            shape = [SHAPE_DEFAULTS[s] for s in SHAPE_PARAMS[w.model]]
            h = max(float(np.interp(c, self.x, y - base)), 0.0)
            if w.ka2.enabled:
                h /= 1.0 + w.ka2.ratio * 0.5
            v[sl] = [c, fw, h * area_per_height(w.model, fw, shape), *shape]
        if self.ratio_index is not None:
            v[self.ratio_index] = w.ka2.ratio
        return self.apply_fixed(v)

    def _unclaimed_peaks(self, y, known, n_total):
        """Found (center, fwhm) pairs, strongest first, after each known center has claimed the
        nearest found peak within ``max_shift_deg`` (so a rough user guess is not duplicated)."""
        found = find_window_peaks(self.x, y, n_total + len(known))
        free = list(zip(found.center_deg.tolist(), found.fwhm_deg.tolist()))
        for k in known:
            if not free:
                break
            j = int(np.argmin([abs(c - k) for c, _ in free]))
            if abs(free[j][0] - k) <= self.window.shift_deg:
                free.pop(j)
        return free

    def recovery_guess(self, y: np.ndarray, seed: Optional[Mapping[str, float]] = None) -> np.ndarray:
        """A fresh guess for when a fit from the seed failed: the most prominent peaks found in
        the data, each given to the peak whose seed (or initial) center is nearest, so a peak
        that moved far since the last scan is picked up again; unmatched peaks keep their seed."""
        v = self.fresh_guess(y, seed)
        found = find_window_peaks(self.x, y, self.window.n_peaks)
        starts = [sl.start for sl in self.peak_slices]
        free = set(range(len(starts)))
        base = edge_line(self.x, y)
        for c, fw, h in zip(found.center_deg, found.fwhm_deg, found.height):
            if not free:
                break
            i = min(free, key=lambda k: abs(v[starts[k]] - c))
            free.discard(i)
            sl = self.peak_slices[i]
            h = max(float(np.interp(c, self.x, y - base)), 0.0)
            v[sl.start:sl.start + 3] = [c, fw, h * area_per_height(self.window.model, fw, tuple(v[sl.start + 3:sl.stop]))]
        return self.apply_fixed(v)

    def seeded_guess(self, y: np.ndarray, seed: Mapping[str, float]) -> np.ndarray:
        """Start values from a neighbour's result; missing or non-finite entries come from the
        data. A zero-area (absent) peak restarts from the data's height at its held center, so
        the solver can find it if it has come back."""
        given = [seed.get(n) for n in self.names]
        if all(g is not None and math.isfinite(g) for g in given):
            v = np.array(given, dtype=float)
        else:
            v = self.fresh_guess(y, seed)
            for i, g in enumerate(given):
                if g is not None and math.isfinite(g) and not self.names[i].endswith("_area"):
                    v[i] = g
            for sl in self.peak_slices:
                a = given[sl.start + 2]
                v[sl.start + 2] = a if a is not None and math.isfinite(a) else 0.0
        bg = self.background(v)
        for sl in self.peak_slices:
            if not v[sl.start + 2] > 0:
                h = max(float(np.interp(v[sl.start], self.x, y - bg)), 0.0)
                shape = tuple(v[sl.start + 3:sl.stop])
                v[sl.start + 2] = max(h, 1e-6) * area_per_height(self.window.model, v[sl.start + 1], shape)
        return self.apply_fixed(v)

    def apply_fixed(self, v: np.ndarray) -> np.ndarray:
        for name, c in self.window.constraints:
            if c.kind == "fixed":
                v[self.index[name]] = c.value
        return v

    def bounds(self, v0: np.ndarray, wide: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds (n_params,) around start values ``v0``.

        Centers stay within ``max_shift_deg`` of their start (the whole window when ``wide``),
        inside the window, and on their side of the midpoint to a neighbour's start (so peaks
        keep their order and do not swap identities); FWHM between one grid step and half the
        window (the whole window when ``wide``); areas and the Kα2 ratio are non-negative.
        User bounds override these.
        """
        w = self.window
        lo = np.full(len(self.names), -np.inf)
        hi = np.full(len(self.names), np.inf)
        span = w.hi_deg - w.lo_deg
        for sl in self.peak_slices:
            c = v0[sl.start]
            shift = span if wide else w.shift_deg
            lo[sl.start], hi[sl.start] = max(w.lo_deg, c - shift), min(w.hi_deg, c + shift)
            lo[sl.start + 1], hi[sl.start + 1] = self.step_deg, span if wide else 0.5 * span
            lo[sl.start + 2] = 0.0
            for k, s in enumerate(SHAPE_PARAMS[w.model]):
                lo[sl.start + 3 + k], hi[sl.start + 3 + k] = SHAPE_BOUNDS[s]
        self._keep_order(v0, lo, hi)
        if self.ratio_index is not None:
            lo[self.ratio_index], hi[self.ratio_index] = 0.0, 2.0
        for name, c in w.constraints:
            if c.kind == "bounded":
                lo[self.index[name]], hi[self.index[name]] = c.min, c.max
        return lo, hi

    def _keep_order(self, v0, lo, hi) -> None:
        idx = np.array([sl.start for sl in self.peak_slices])
        centers = v0[idx]
        order = np.argsort(centers)
        for a, b in zip(idx[order[:-1]], idx[order[1:]]):
            if v0[b] - v0[a] >= 2.0 * self.step_deg:
                mid = 0.5 * (v0[a] + v0[b])
                hi[a], lo[b] = min(hi[a], mid), max(lo[b], mid)
