"""Shift-tolerant change statistics between powder patterns (no phase library needed).

Why: a solid solution moves peaks, a two-phase transition makes peaks fade at fixed positions
while others grow. Both decorrelate consecutive patterns, so plain correlation cannot tell them
apart. Here the difference of two patterns is first explained, window by window along the axis,
by what drift can do to a pattern: a local shift (first derivative), a local change of width
(second derivative) and a local background offset, plus one global scale factor (beam, absorption).
Whatever is left over is intensity that appeared or vanished *in place*; its energy, compared
with the counting noise, is the "novelty" of the change.

Everything works on the square root of the intensities, where Poisson noise has a constant
variance (σ ≈ ½ in count units), so the noise level can be estimated once for the whole series;
a local shift or width change of sqrt(I) is still a shift or width change, so the drift model holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks, peak_widths

from .cancel import CancelToken, ProgressFn, ProgressThrottle, check

_MAD_TO_SIGMA = 1.4826
WINDOW_FWHMS = 8.0
"""Width of the local drift-model windows in peak widths (FWHM of the mean pattern)."""


@dataclass(frozen=True)
class PatternStack:
    """Square-root patterns ready for comparison.

    root:        (n_scans, n_points) sqrt of the clipped intensities
    noise:       standard deviation of one point of ``root`` (pooled over the series)
    window_pts:  width of the local drift-model windows, in points
    """

    root: np.ndarray
    noise: float
    window_pts: int


def prepare_patterns(intensity: np.ndarray, window_pts: Optional[int] = None) -> PatternStack:
    """Square-root transform and noise estimate for an (n_scans, n_points) intensity stack.

    The noise of sqrt(I) comes from differences of consecutive scans (robust median absolute
    deviation), so it needs no per-point sigma and sparse real changes do not inflate it.
    The drift-model window is about eight peak widths (FWHM measured on the mean pattern).
    """
    root = np.sqrt(np.clip(np.asarray(intensity, dtype=float), 0.0, None))
    if root.shape[0] > 1:
        d = np.diff(root, axis=0)
        noise = _MAD_TO_SIGMA * float(np.median(np.abs(d))) / np.sqrt(2.0)
    else:
        d2 = root[0, :-2] - 2 * root[0, 1:-1] + root[0, 2:]
        noise = _MAD_TO_SIGMA * float(np.median(np.abs(d2))) / np.sqrt(6.0)
    noise = noise if noise > 0 else float(np.std(root)) * 1e-3 or 1.0
    if window_pts is None:
        window_pts = int(np.clip(round(WINDOW_FWHMS * typical_fwhm_points(root.mean(axis=0))), 12, 80))
    return PatternStack(root=root, noise=noise, window_pts=int(window_pts))


def typical_fwhm_points(pattern: np.ndarray) -> float:
    """Median FWHM, in points, of the clear peaks of one (n_points,) pattern (3 if none are found)."""
    y = np.asarray(pattern, dtype=float)
    spread = float(np.percentile(y, 95) - np.percentile(y, 5))
    peaks, _ = find_peaks(y, prominence=max(0.2 * spread, 1e-12))
    if peaks.size == 0:
        return 3.0
    widths = peak_widths(y, peaks, rel_height=0.5)[0]
    return float(max(np.median(widths), 1.0))


def _window_blocks(v: np.ndarray, window_pts: int) -> np.ndarray:
    """(n_points,) → (n_windows, window_pts), dropping the ragged tail."""
    m = v.size // window_pts * window_pts
    return v[:m].reshape(-1, window_pts)


def _drift_projector(mean: np.ndarray, window_pts: int, width_term: bool = True):
    """A function removing, window by window, what offset + shift (+ width change) of ``mean``
    (n_points,) can explain from (n_points,) or (n_points, k) arrays; returns window blocks."""
    d1 = np.gradient(mean)
    terms = [np.ones_like(mean), d1] + ([np.gradient(d1)] if width_term else [])
    basis = np.stack([_window_blocks(t, window_pts) for t in terms], axis=-1)  # (n_w, w, n_terms)
    gram = np.einsum("wik,wil->wkl", basis, basis)
    eye = np.eye(len(terms))
    gram += eye * (1e-9 * np.trace(gram, axis1=1, axis2=2)[:, None, None] + 1e-30)

    def project_out(v: np.ndarray) -> np.ndarray:
        blocks = _window_blocks(v, window_pts) if v.ndim == 1 else np.stack(
            [_window_blocks(c, window_pts) for c in v.T], axis=-1)
        flat = blocks if blocks.ndim == 3 else blocks[..., None]
        coef = np.linalg.solve(gram, np.einsum("wik,wic->wkc", basis, flat))
        res = flat - np.einsum("wik,wkc->wic", basis, coef)
        return res if blocks.ndim == 3 else res[..., 0]
    return project_out


def drift_residual(diff: np.ndarray, mean_root: np.ndarray, window_pts: int) -> tuple[float, int]:
    """Energy of the part of ``diff`` (n_points,) that drift of ``mean_root`` cannot explain.

    Model: in each window, diff ≈ c0 + c1·y' + c2·y'' (offset, shift, width change of the mean
    pattern y); over the whole axis, plus g·y (global scale). Solved exactly by projecting the
    local bases out (Frisch–Waugh). Returns (sum of squared residuals, residual degrees of freedom).
    """
    project_out = _drift_projector(mean_root, window_pts)
    d_res, y_res = project_out(diff), project_out(mean_root)
    g = float((d_res * y_res).sum()) / max(float((y_res * y_res).sum()), 1e-30)
    r = d_res - g * y_res
    dof = d_res.size - 3 * d_res.shape[0] - 1
    return float((r * r).sum()), max(dof, 1)


def novelty_ratio(left: np.ndarray, right: np.ndarray, noise_var: float, window_pts: int) -> float:
    """Unexplained energy of ``right − left`` over what noise of variance ``noise_var`` per point gives.

    About 1 for pure drift (or no change), larger when intensity appears or vanishes in place.
    """
    energy, dof = drift_residual(right - left, 0.5 * (left + right), window_pts)
    return energy / (noise_var * dof)


@dataclass(frozen=True)
class NoveltyProfile:
    """Novelty at each boundary between scans.

    ratio:  (n_scans,) ratio[b] compares scans b−lag..b−1 with b..b+lag−1 (ratio[0] is NaN)
    lag:    scans averaged on each side
    dof:    residual degrees of freedom of one comparison (sets the noise spread of ratio: √(2/dof))
    """

    ratio: np.ndarray
    lag: int
    dof: int


def novelty_profile(stack: PatternStack, lag: int, *, progress: Optional[ProgressFn] = None,
                    cancel: Optional[CancelToken] = None) -> NoveltyProfile:
    """Novelty ratio of the mean of ``lag`` scans after each boundary vs ``lag`` scans before it.

    Near the ends fewer scans are averaged (at least one), and the expected noise shrinks with it.
    """
    root = stack.root
    n = root.shape[0]
    cum = np.vstack([np.zeros((1, root.shape[1])), np.cumsum(root, axis=0)])
    ratio = np.full(n, np.nan)
    tick = ProgressThrottle(progress, max(n - 1, 1))
    for b in range(1, n):
        check(cancel)
        k = min(lag, b, n - b)
        left = (cum[b] - cum[b - k]) / k
        right = (cum[b + k] - cum[b]) / k
        ratio[b] = novelty_ratio(left, right, stack.noise ** 2 * 2.0 / k, stack.window_pts)
        tick(b)
    _, dof = drift_residual(root[0], root[0], stack.window_pts)
    return NoveltyProfile(ratio=ratio, lag=int(lag), dof=int(dof))


MIN_MIXTURE_AMOUNT = 0.5
"""Least α + β for a mixture of two references: a two-phase pattern holds about one unit of the
two together (lever rule), beam decay and absorption changes aside."""


def mixture_novelty(target_root: np.ndarray, before: np.ndarray, after: np.ndarray, noise_var: float,
                    window_pts: int) -> float:
    """Novelty ratio of ``target_root`` (n_points,) against the best non-negative mixture of two
    reference patterns.

    before/after: (n_points,) mean *intensities* (not roots) of the references; the mixture
    α·before + β·after is fitted in intensity space (where two coexisting phases add) after the
    local offsets and shifts are projected out, then compared with :func:`novelty_ratio` in the
    square-root space. About 1 when the target is a two-phase mixture of the references.
    """
    project_out = _drift_projector(0.5 * (before + after), window_pts, width_term=False)
    refs = project_out(np.column_stack([before, after])).reshape(-1, 2)
    target = project_out(np.asarray(target_root, dtype=float) ** 2).reshape(-1)
    coef = nnls(refs, target)[0]
    if coef.sum() < MIN_MIXTURE_AMOUNT:
        # the references hardly appear in the target: it is not made of them (a faint mixture
        # would pass, the comparison's global scale blowing it up to the target)
        return float("inf")
    mixed = np.sqrt(np.clip(coef[0] * before + coef[1] * after, 0.0, None))
    return novelty_ratio(target_root, mixed, noise_var, window_pts)


def _weight_in(scan: int, block: tuple[int, int]) -> float:
    """Weight of ``scan`` in the mean of the scans ``block`` = (first, last), inclusive."""
    return float(block[0] <= scan <= block[1]) / (block[1] - block[0] + 1)


def share_path(stack: PatternStack, first: int, last: int, before: tuple[int, int],
               after: tuple[int, int]) -> tuple[np.ndarray, float]:
    """(path, sigma): the (last − first + 1,) progress of scans ``first`` .. ``last`` along the
    change from the mean square-root pattern of scans ``before`` = (b0, b1) (inclusive) to that of
    scans ``after``, relative to scan ``first``; ``sigma`` is the counting noise of one step,
    which is also the scatter of the path about a smooth curve where the drift is slow.

    The path is the running sum of the scan-to-scan increments projected on the direction
    (after − before), each increment with the drift of its own two scans (local offset, shift and
    width change of their mean) taken out first. Without drift it goes from 0 before a two-phase
    change to about 1 at its end. It is first order in the change, where the change energy is
    second order, so it sees the first per cent of a change that the energy still hides in the
    noise. Drift between two neighbouring scans is small and well modelled by one derivative; one
    model for a long path of drifting peaks is not. Drift also shrinks the step a change gives
    (the direction is taken between patterns whose peaks have moved), so the path then ends short
    of 1. A scan in both the path and a reference block would correlate its noise with the
    direction; that expected bias (noise² × points / block size) is taken off the steps it enters.
    """
    x, w = stack.root, stack.window_pts
    start, end = x[before[0]:before[1] + 1].mean(axis=0), x[after[0]:after[1] + 1].mean(axis=0)
    direction = end - start
    whole = _drift_projector(0.5 * (start + end), w)(direction).ravel()
    sigma = stack.noise / max(float(np.sqrt(whole @ whole)), 1e-30)
    points = (x.shape[1] // w) * (w - 3)   # what the local drift model leaves free
    steps = np.zeros(last - first + 1)
    for k in range(first + 1, last + 1):
        project_out = _drift_projector(0.5 * (x[k] + x[k - 1]), w)
        d = project_out(direction).ravel()
        # E[(n_k − n_{k−1})·d] for the noise n of scans that are also in a block of the direction
        shared = (_weight_in(k, after) - _weight_in(k - 1, after)) - (_weight_in(k, before) - _weight_in(k - 1, before))
        bias = shared * stack.noise ** 2 * points
        steps[k - first] = (float(d @ project_out(x[k] - x[k - 1]).ravel()) - bias) / max(float(d @ d), 1e-30)
    return np.cumsum(steps), sigma
