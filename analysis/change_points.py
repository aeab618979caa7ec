"""Change points on per-scan signals: runs above a threshold, stable cores between them, and a
flat–ramp–flat fit that dates where a change starts and ends.

Conventions: scans are 0-based. A *boundary* b sits between scan b−1 and scan b. A two-sided
statistic with ``lag`` scans on each side is raised by a change over scans t0..t1 on boundaries
t0−lag+1 .. t1+lag, so scans before the first raised boundary and from the last one on are
unaffected: those are the *cores* of the regimes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def raised_runs(raised: np.ndarray, max_gap: int = 1) -> list[tuple[int, int]]:
    """Runs of True in a boolean (n,) array as inclusive (first, last) pairs.

    Runs separated by ``max_gap`` or fewer False entries are joined (one dip below a threshold
    in the middle of a change does not split it).
    """
    idx = np.flatnonzero(np.asarray(raised, dtype=bool))
    runs: list[list[int]] = []
    for i in idx:
        if runs and i - runs[-1][1] <= max_gap + 1:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    return [(a, b) for a, b in runs]


def cores_between(n_scans: int, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Stable scan ranges (first, last) around raised boundary runs; empty cores are left out.

    A run (b0, b1) of raised boundaries leaves scans < b0 before it and scans ≥ b1 after it.
    """
    cores, start = [], 0
    for b0, b1 in runs:
        if b0 - 1 >= start:
            cores.append((start, b0 - 1))
        start = max(start, b1)
    if start <= n_scans - 1:
        cores.append((start, n_scans - 1))
    return cores


@dataclass(frozen=True)
class RampFit:
    """Best flat–ramp–flat model of signals in a window (indices are into the window's scans).

    onset:       first scan that has left the "before" level
    end:         last scan that has not reached the "after" level (== onset for a jump between scans)
    before, after: (n_channels,) fitted levels
    chi2:        weighted residual sum of squares of the ramp model
    chi2_flat:   the same for a constant (no change) model
    tau0, tau1:  the ramp's start and end times (units of ``times``)
    """

    onset: int
    end: int
    before: np.ndarray
    after: np.ndarray
    chi2: float
    chi2_flat: float
    tau0: float = 0.0
    tau1: float = 0.0


def _ramp_candidates(times: np.ndarray) -> np.ndarray:
    """Ramp break times between consecutive scan times (each scan time included): quarter points
    for short windows, halves or whole scans for long ones, so at most ~250 candidates."""
    t = np.asarray(times, dtype=float)
    per_gap = int(np.clip(250 // max(t.size - 1, 1), 1, 4))
    steps = np.diff(t)[:, None] * (np.arange(per_gap) / per_gap)[None, :]
    return np.append((t[:-1, None] + steps).ravel(), t[-1])


def fit_ramp(times: np.ndarray, values: np.ndarray, weights: np.ndarray | None = None) -> RampFit:
    """Fit values ≈ before + (after − before)·clip((t − τ0)/(τ1 − τ0), 0, 1) by exhaustive search.

    times (m,) increasing, in any unit (seconds keep uneven scan times and gaps honest);
    values (m, n_channels); weights (m, n_channels) = 1/σ² or None for equal weights.
    The levels are solved by linear least squares for every candidate (τ0, τ1) pair.
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float).reshape(t.size, -1)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float).reshape(v.shape)
    cand = _ramp_candidates(t)
    i0, i1 = np.triu_indices(cand.size, k=1)
    tau0, tau1 = cand[i0], cand[i1]
    r = np.clip((t[None, :] - tau0[:, None]) / (tau1 - tau0)[:, None], 0.0, 1.0)  # (P, m)
    q = 1.0 - r
    s00, s01, s11 = (q * q) @ w, (q * r) @ w, (r * r) @ w
    b0, b1 = q @ (w * v), r @ (w * v)
    det = s00 * s11 - s01 * s01
    ok = det > 1e-12 * np.maximum(s00 * s11, 1e-300)
    safe = np.where(ok, det, 1.0)
    explained = np.where(ok, (s11 * b0 * b0 - 2 * s01 * b0 * b1 + s00 * b1 * b1) / safe, -np.inf)
    total = float((w * v * v).sum())
    chi2 = total - explained.sum(axis=1)
    best = int(np.argmin(chi2))
    a = (s11[best] * b0[best] - s01[best] * b1[best]) / safe[best]
    b = (s00[best] * b1[best] - s01[best] * b0[best]) / safe[best]
    mean = (w * v).sum(axis=0) / np.maximum(w.sum(axis=0), 1e-300)
    chi2_flat = float((w * (v - mean) ** 2).sum())
    onset = int(np.searchsorted(t, tau0[best], side="right"))
    end = max(int(np.searchsorted(t, tau1[best], side="left")) - 1, onset)
    return RampFit(onset=min(onset, t.size - 1), end=min(end, t.size - 1), before=a, after=b,
                   chi2=float(chi2[best]), chi2_flat=chi2_flat, tau0=float(tau0[best]), tau1=float(tau1[best]))


@dataclass(frozen=True)
class HingeFit:
    """Best straight line with one kink (indices are into the fitted scans).

    onset:    first scan after the kink (the first that has left the line before it)
    rise:     slope added after the kink (units of the values per unit of time)
    scatter:  root-mean-square residual about the fitted line (n − 4 degrees of freedom)
    """

    onset: int
    rise: float
    scatter: float


def fit_hinge(times: np.ndarray, values: np.ndarray, onsets: range) -> HingeFit:
    """Fit values ≈ c0 + c1·t + c2·max(0, t − τ), τ half way between scans ``onset − 1`` and
    ``onset``, for each candidate ``onset`` (indices ≥ 1); times (m,) increasing (uneven allowed).
    The coefficients are linear least squares for every candidate; the best one is returned.
    ValueError for fewer than five values, a non-finite value or a candidate outside 1..m−1."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.size < 5 or len(onsets) == 0 or min(onsets) < 1 or max(onsets) >= t.size or not np.isfinite(v).all():
        raise ValueError(f"fit_hinge needs five or more finite values and candidate onsets in 1..{t.size - 1}")
    best = None
    for k in onsets:
        tau = 0.5 * (t[k - 1] + t[k])
        x = np.column_stack([np.ones_like(t), t - t[0], np.clip(t - tau, 0.0, None)])
        coef, *_ = np.linalg.lstsq(x, v, rcond=None)
        sse = float(((x @ coef - v) ** 2).sum())
        if best is None or sse < best[0]:
            best = (sse, k, float(coef[2]))
    return HingeFit(onset=best[1], rise=best[2], scatter=float(np.sqrt(best[0] / (t.size - 4))))


def _block_differences(ramps: np.ndarray, lag: int) -> np.ndarray:
    """(P, m) ramp shapes → (P, m) mean of ``lag`` scans from b on minus ``lag`` before b
    (fewer near the ends; column 0 is 0)."""
    p, m = ramps.shape
    cum = np.concatenate([np.zeros((p, 1)), np.cumsum(ramps, axis=1)], axis=1)
    out = np.zeros((p, m))
    for b in range(1, m):
        k = min(lag, b, m - b)
        out[:, b] = (cum[:, b + k] - 2 * cum[:, b] + cum[:, b - k]) / k
    return out


EXCESS_WEIGHT_SCALE = 10.0
"""Scale of the excess-dependent down-weighting in :func:`fit_ramp_to_excess` (in units of the
profile's median absolute deviation; very large = unweighted)."""


def fit_ramp_to_excess(times: np.ndarray, excess: np.ndarray, lag: int,
                       noise_level: float | None = None) -> tuple[int, int, float]:
    """Date a change from a two-sided change-energy profile instead of from the signals.

    times (m,) scan times; excess (m,) the unexplained energy of (mean of ``lag`` scans from b
    on − mean of ``lag`` before b), per boundary b (entry 0 ignored). A linear change over τ0..τ1
    of amplitude A gives excess ≈ A²·Δ_b² + c, where Δ_b is the same block difference of the unit
    ramp and c a constant floor (drift the local model misses). ``noise_level``: typical scatter of
    the quiet excess; when given, boundaries are weighted 1/(1 + 2·excess/(scale·noise_level)).
    Returns (onset, end, A²) with onset/end indices into the window as in :func:`fit_ramp`.
    """
    t = np.asarray(times, dtype=float)
    e = np.asarray(excess, dtype=float)
    cand = _ramp_candidates(t)
    i0, i1 = np.triu_indices(cand.size, k=1)
    tau0, tau1 = cand[i0], cand[i1]
    r = np.clip((t[None, :] - tau0[:, None]) / (tau1 - tau0)[:, None], 0.0, 1.0)
    g = _block_differences(r, lag)[:, 1:] ** 2           # (P, m-1) model shape
    y = e[1:]
    # a χ²-like excess scatters more where it is large (variance ∝ 1 + 2·excess/level), so the
    # quiet edges of the change, which date it, are not outweighed by its noisy middle
    if noise_level is None:
        w = np.ones_like(y)
    else:
        w = 1.0 / (1.0 + 2.0 * np.clip(y, 0.0, None) / (EXCESS_WEIGHT_SCALE * max(noise_level, 1e-12)))
    n = w.sum()
    sg, sgg, sy, sgy = g @ w, (g * g) @ w, float(w @ y), g @ (w * y)
    det = n * sgg - sg * sg
    safe = np.where(det > 1e-12, det, 1.0)
    amp = np.where(det > 1e-12, (n * sgy - sg * sy) / safe, 0.0)
    floor = (sy - amp * sg) / n
    sse = (((y[None, :] - amp[:, None] * g - floor[:, None]) ** 2) * w[None, :]).sum(1)
    sse = np.where(amp > 0, sse, np.inf)
    best = int(np.argmin(sse))
    onset = int(np.searchsorted(t, tau0[best], side="right"))
    end = max(int(np.searchsorted(t, tau1[best], side="left")) - 1, onset)
    return min(onset, t.size - 1), min(end, t.size - 1), float(amp[best])


def add_slow_changes(fast_runs: list[tuple[int, int]], slow_statistic: np.ndarray, slow_raised: np.ndarray,
                     margin: int) -> list[tuple[int, int]]:
    """Runs found with a short lag, plus slow changes only a longer lag sees.

    A long lag catches changes too gradual for the short one but smears over short regimes, so
    its runs are used only where no short-lag run lies within ``margin`` boundaries, and only as
    one boundary (their maximum): that splits the cores, and the ramp fit then dates the change.
    """
    runs = list(fast_runs)
    stat = np.nan_to_num(np.asarray(slow_statistic, dtype=float), nan=-np.inf)
    for b0, b1 in raised_runs(slow_raised):
        if any(f0 - margin <= b1 and b0 <= f1 + margin for f0, f1 in fast_runs):
            continue
        peak = b0 + int(np.argmax(stat[b0:b1 + 1]))
        runs.append((peak, peak))
    return sorted(runs)
