"""Diffraction axes: 2θ (degrees), Q (1/Å) and d (Å), and the unit spellings real files use."""

from __future__ import annotations

import re

import numpy as np

TWO_THETA = "two_theta_deg"
Q = "q_inv_A"
D = "d_A"
AXIS_KINDS = (TWO_THETA, Q, D)

CU_KA1_A = 1.5406
CU_KA2_A = 1.5444
MO_KA1_A = 0.7093

AXIS_LABELS = {TWO_THETA: "2θ (°)", Q: "Q (Å⁻¹)", D: "d (Å)"}


def two_theta_to_q(two_theta_deg, wavelength_A: float):
    """Q = 4π sin(θ) / λ, in 1/Å."""
    theta = np.radians(np.asarray(two_theta_deg, dtype=float)) / 2.0
    return 4.0 * np.pi * np.sin(theta) / wavelength_A


def q_to_two_theta(q_inv_A, wavelength_A: float):
    """2θ in degrees from Q in 1/Å; NaN where λQ/4π > 1 (beyond the Ewald sphere)."""
    s = np.asarray(q_inv_A, dtype=float) * wavelength_A / (4.0 * np.pi)
    with np.errstate(invalid="ignore"):
        return np.degrees(2.0 * np.arcsin(np.where(np.abs(s) <= 1.0, s, np.nan)))


def two_theta_to_d(two_theta_deg, wavelength_A: float):
    """Bragg's law, d = λ / (2 sin θ), in Å."""
    theta = np.radians(np.asarray(two_theta_deg, dtype=float)) / 2.0
    with np.errstate(divide="ignore"):
        return wavelength_A / (2.0 * np.sin(theta))


def d_to_two_theta(d_A, wavelength_A: float):
    """2θ in degrees from d in Å; NaN where λ/2d > 1."""
    d = np.asarray(d_A, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = wavelength_A / (2.0 * d)
        return np.degrees(2.0 * np.arcsin(np.where(np.abs(s) <= 1.0, s, np.nan)))


def d_to_q(d_A):
    return 2.0 * np.pi / np.asarray(d_A, dtype=float)


def q_to_d(q_inv_A):
    return 2.0 * np.pi / np.asarray(q_inv_A, dtype=float)


def convert_axis(values, from_kind: str, to_kind: str, wavelength_A: float | None):
    """Convert axis values between kinds; a wavelength is needed when 2θ is on either side."""
    values = np.asarray(values, dtype=float)
    if from_kind == to_kind:
        return values.copy()
    if TWO_THETA in (from_kind, to_kind) and not wavelength_A:
        raise ValueError(f"converting {from_kind} to {to_kind} needs the wavelength")
    if from_kind == TWO_THETA:
        return two_theta_to_q(values, wavelength_A) if to_kind == Q else two_theta_to_d(values, wavelength_A)
    if from_kind == Q:
        return q_to_two_theta(values, wavelength_A) if to_kind == TWO_THETA else q_to_d(values)
    if from_kind == D:
        return d_to_two_theta(values, wavelength_A) if to_kind == TWO_THETA else d_to_q(values)
    raise ValueError(f"unknown axis kind {from_kind!r}")


# Unit strings seen in the wild (pyFAI, Dioptas, ewoks, NXazint1d, GSAS, hand-written headers),
# after normalisation: lower case; spaces, braces, dollars and backslashes removed; every spelling
# of ångström reduced to "a"; "⁻¹" written "^-1".
_UNIT_TABLE: dict[str, tuple[str, float]] = {}
for _s in ("deg", "degree", "degrees", "2th_deg", "2theta", "2th", "tth", "2theta_deg", "twotheta",
           "two_theta", "°", "2θ", "2θ_deg"):
    _UNIT_TABLE[_s] = (TWO_THETA, 1.0)
for _s in ("rad", "radian", "radians", "2th_rad"):
    _UNIT_TABLE[_s] = (TWO_THETA, float(np.degrees(1.0)))
for _s in ("a^-1", "aa^-1", "1/a", "a-1", "aa-1", "q_a^-1", "inv_a", "q", "q_1/a"):
    _UNIT_TABLE[_s] = (Q, 1.0)
for _s in ("nm^-1", "1/nm", "q_nm^-1", "nm-1", "inv_nm", "q_1/nm"):
    _UNIT_TABLE[_s] = (Q, 0.1)
for _s in ("a", "aa", "d_a", "d"):
    _UNIT_TABLE[_s] = (D, 1.0)
for _s in ("nm", "d_nm"):
    _UNIT_TABLE[_s] = (D, 10.0)


def normalize_unit(unit: str | bytes | None) -> tuple[str, float] | None:
    """Map a unit spelling to ``(axis_kind, scale)`` so that ``values * scale`` is in the kind's unit.

    Returns ``None`` for spellings it does not know. Examples: ``"deg"`` → (2θ, 1);
    ``"\\AA^{-1}"`` → (Q, 1); ``"nm^-1"`` → (Q, 0.1); ``"2th_deg"`` → (2θ, 1).
    """
    if unit is None:
        return None
    if isinstance(unit, bytes):
        unit = unit.decode("utf-8", "replace")
    s = re.sub(r"[\\{}\s$]", "", str(unit).strip().lower())
    s = s.replace("⁻¹", "^-1").replace("^(-1)", "^-1").replace("**", "^")
    s = re.sub(r"angstroms?|ang|å", "a", s)
    return _UNIT_TABLE.get(s)
