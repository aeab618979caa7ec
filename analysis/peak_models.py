"""Peak profiles parameterised by center, FWHM and area, with their derivatives.

Every profile is written as ``area * g(x; center, fwhm, *shape)`` where ``g`` has unit area, so
``center``, ``fwhm`` and ``area`` mean the same thing whichever model is chosen and results from
different models can be compared directly. Units: ``x`` and ``center`` in degrees 2θ, ``fwhm`` in
degrees, ``area`` in intensity × degrees.

Shape parameters:

* ``gaussian``, ``lorentzian``: none
* ``pseudo_voigt``: ``eta`` in [0, 1], the Lorentzian fraction
* ``pearson7``: ``m`` > 0.5 (m = 1 is a Lorentzian, m → ∞ a Gaussian)
* ``split_pseudo_voigt``: ``eta`` and ``asym`` in (-1, 1); the left half-width is
  ``fwhm*(1-asym)/2`` and the right one ``fwhm*(1+asym)/2``, so ``fwhm`` stays the full width.

:func:`unit_profile` returns ``g`` and its derivatives with respect to ``(center, fwhm, *shape)``
as an array of shape ``(1 + 2 + n_shape, n_points)``; these feed the analytic Jacobian of the
fast fitting engine in :mod:`analysis.peak_fitting`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from .axis import CU_KA1_A, CU_KA2_A

LN2 = float(np.log(2.0))
_G_NORM = float(np.sqrt(4.0 * LN2 / np.pi))
_K_LOR = float(np.pi / 2.0)
_K_GAU = float(np.sqrt(np.pi / (4.0 * LN2)))

SHAPE_PARAMS: dict[str, tuple[str, ...]] = {
    "gaussian": (),
    "lorentzian": (),
    "pseudo_voigt": ("eta",),
    "pearson7": ("m",),
    "split_pseudo_voigt": ("eta", "asym"),
}
"""Model name -> names of its shape parameters, in order."""

MODELS = tuple(SHAPE_PARAMS)

SHAPE_DEFAULTS = {"eta": 0.5, "m": 1.5, "asym": 0.0}
SHAPE_BOUNDS = {"eta": (0.0, 1.0), "m": (0.55, 50.0), "asym": (-0.9, 0.9)}


def _gaussian(x, c, w):
    dx = x - c
    g = _G_NORM / w * np.exp(-4.0 * LN2 * (dx / w) ** 2)
    dc = g * (8.0 * LN2 * dx / w ** 2)
    dw = g * (-1.0 / w + 8.0 * LN2 * dx ** 2 / w ** 3)
    return g, dc, dw


def _lorentzian(x, c, w):
    dx = x - c
    den = 1.0 + 4.0 * (dx / w) ** 2
    g = 2.0 / (np.pi * w) / den
    dc = g * (8.0 * dx / w ** 2) / den
    dw = g * (-1.0 / w + 8.0 * dx ** 2 / (w ** 3 * den))
    return g, dc, dw


def _pseudo_voigt(x, c, w, eta):
    gl, dcl, dwl = _lorentzian(x, c, w)
    gg, dcg, dwg = _gaussian(x, c, w)
    return (eta * gl + (1 - eta) * gg, eta * dcl + (1 - eta) * dcg,
            eta * dwl + (1 - eta) * dwg, gl - gg)


def pearson7_norm(m):
    """Peak height × FWHM of a unit-area Pearson VII with exponent ``m``."""
    k = 2.0 ** (1.0 / m) - 1.0
    return 2.0 * np.sqrt(k / np.pi) * np.exp(gammaln(m) - gammaln(m - 0.5))


def _pearson7_value(x, c, w, m):
    k = 2.0 ** (1.0 / m) - 1.0
    return pearson7_norm(m) / w * (1.0 + 4.0 * k * ((x - c) / w) ** 2) ** (-m)


def _pearson7(x, c, w, m):
    k = 2.0 ** (1.0 / m) - 1.0
    dx = x - c
    den = 1.0 + 4.0 * k * (dx / w) ** 2
    g = pearson7_norm(m) / w * den ** (-m)
    dc = g * m * 8.0 * k * dx / (w ** 2 * den)
    dw = g * (-1.0 / w + m * 8.0 * k * dx ** 2 / (w ** 3 * den))
    h = 1e-6 * np.maximum(m, 1.0)
    dm = (_pearson7_value(x, c, w, m + h) - _pearson7_value(x, c, w, m - h)) / (2 * h)
    return g, dc, dw, dm


def _split_pv_value(x, c, w, eta, asym):
    half = np.where(x < c, w * (1.0 - asym), w * (1.0 + asym))
    u2 = ((x - c) / half) ** 2
    shape = eta / (1.0 + 4.0 * u2) + (1.0 - eta) * np.exp(-4.0 * LN2 * u2)
    return shape / (w * (eta * _K_LOR + (1.0 - eta) * _K_GAU))


def _split_pv(x, c, w, eta, asym):
    g = _split_pv_value(x, c, w, eta, asym)
    out = [g]
    args = [c, w, eta, asym]
    for i, h in enumerate((1e-6 * w, 1e-6 * w, 1e-6, 1e-6)):
        hi, lo = list(args), list(args)
        hi[i] = hi[i] + h
        lo[i] = lo[i] - h
        out.append((_split_pv_value(x, *hi) - _split_pv_value(x, *lo)) / (2 * h))
    return tuple(out)


_PROFILES = {
    "gaussian": _gaussian,
    "lorentzian": _lorentzian,
    "pseudo_voigt": _pseudo_voigt,
    "pearson7": _pearson7,
    "split_pseudo_voigt": _split_pv,
}


def unit_profile(model: str, x: np.ndarray, center, fwhm, shape=()) -> tuple:
    """``(g, dg/dcenter, dg/dfwhm, dg/dshape_0, ...)`` of a unit-area profile on ``x`` (n_points,).

    Parameters may be floats or arrays shaped (..., 1) to evaluate many peaks at once; the
    outputs then have shape (..., n_points).
    """
    return _PROFILES[model](x, center, fwhm, *shape)


def profile(model: str, x, center: float, fwhm: float, area: float, shape=()) -> np.ndarray:
    """``area * g(x)``: the peak on ``x`` (n_points,), in intensity units."""
    return area * unit_profile(model, np.asarray(x, dtype=float), center, fwhm, shape)[0]


def height_per_area(model: str, fwhm: float, shape=()) -> float:
    """Peak maximum of a unit-area profile (1/degree): height = area × this."""
    if model == "gaussian":
        return _G_NORM / fwhm
    if model == "lorentzian":
        return 2.0 / (np.pi * fwhm)
    if model == "pearson7":
        return pearson7_norm(shape[0]) / fwhm
    eta = shape[0]
    if model == "pseudo_voigt":
        return (eta * 2.0 / np.pi + (1.0 - eta) * _G_NORM) / fwhm
    return 1.0 / (fwhm * (eta * _K_LOR + (1.0 - eta) * _K_GAU))


def area_per_height(model: str, fwhm: float, shape=()) -> float:
    """Inverse of :func:`height_per_area`, for turning a guessed height into an area."""
    return 1.0 / height_per_area(model, fwhm, shape)


def ka2_center_deg(center_deg, ratio_wavelength: float = CU_KA2_A / CU_KA1_A):
    """2θ of the Kα2 companion of a Kα1 reflection at ``center_deg``, by Bragg's law.

    sin θ2 = (λ2/λ1) sin θ1 exactly (no small-shift linearisation); NaN beyond 2θ = 180°.
    """
    s = ratio_wavelength * np.sin(np.radians(np.asarray(center_deg, dtype=float)) / 2.0)
    with np.errstate(invalid="ignore"):
        return np.degrees(2.0 * np.arcsin(np.where(np.abs(s) <= 1.0, s, np.nan)))


def ka2_center_slope(center_deg, ratio_wavelength: float = CU_KA2_A / CU_KA1_A):
    """d(2θ2)/d(2θ1) = ρ cos θ1 / cos θ2, for the Jacobian."""
    c2 = ka2_center_deg(center_deg, ratio_wavelength)
    return ratio_wavelength * np.cos(np.radians(center_deg) / 2) / np.cos(np.radians(c2) / 2)
