"""2θ ↔ Q ↔ d against values tabulated in the domain reference (PHASES.md §2, §6)."""

import numpy as np
import pytest

from analysis import axis as ax

# (d in Å, 2θ for Cu Kα1, 2θ for 0.70 Å) as printed with two decimals in PHASES.md; tolerance is
# the rounding of the printed 2θ (0.005°) plus the rounding of the printed d (≤ 0.0005 Å → ≤ 0.003°).
TABLE = [
    (5.575, 15.88, 7.20),   # P2-NNM (002)
    (2.154, 41.90, 18.70),  # O3-NNM (104)
    (2.338, 38.47, 17.22),  # Al (111)
    (1.733, 52.78, 23.30),  # Be (101)
]


@pytest.mark.parametrize("d_A, tt_cu, tt_070", TABLE)
def test_d_to_two_theta_matches_reference(d_A, tt_cu, tt_070):
    assert ax.d_to_two_theta(d_A, ax.CU_KA1_A) == pytest.approx(tt_cu, abs=0.01)
    assert ax.d_to_two_theta(d_A, 0.70) == pytest.approx(tt_070, abs=0.01)


def test_q_of_p2_basal_peak_by_hand():
    # Q = 2π/d = 6.283185 / 5.575 = 1.127029 1/Å
    assert float(ax.d_to_q(5.575)) == pytest.approx(1.127029, abs=1e-6)
    q = ax.two_theta_to_q(ax.d_to_two_theta(5.575, ax.CU_KA1_A), ax.CU_KA1_A)
    assert float(q) == pytest.approx(1.127029, abs=1e-6)


def test_round_trips_are_exact_to_rounding():
    tt = np.linspace(5, 120, 50)
    for kind in (ax.Q, ax.D):
        there = ax.convert_axis(tt, ax.TWO_THETA, kind, 0.7093)
        back = ax.convert_axis(there, kind, ax.TWO_THETA, 0.7093)
        np.testing.assert_allclose(back, tt, rtol=0, atol=1e-10)
    q = np.linspace(0.5, 8, 20)
    np.testing.assert_allclose(ax.convert_axis(ax.convert_axis(q, ax.Q, ax.D, None), ax.D, ax.Q, None), q)


def test_beyond_ewald_sphere_is_nan():
    # λ = 1.5406 Å reaches at most Q = 4π/λ = 8.157 1/Å
    assert np.isnan(ax.q_to_two_theta(9.0, ax.CU_KA1_A))
    assert np.isnan(ax.d_to_two_theta(0.7, ax.CU_KA1_A))


def test_two_theta_conversion_needs_wavelength():
    with pytest.raises(ValueError, match="wavelength"):
        ax.convert_axis([10.0], ax.TWO_THETA, ax.Q, None)


@pytest.mark.parametrize("spelling, kind, scale", [
    ("deg", ax.TWO_THETA, 1.0), ("degrees", ax.TWO_THETA, 1.0), ("2th_deg", ax.TWO_THETA, 1.0),
    ("A^-1", ax.Q, 1.0), ("1/angstrom", ax.Q, 1.0), ("\\AA^{-1}", ax.Q, 1.0), ("Å⁻¹", ax.Q, 1.0),
    ("nm^-1", ax.Q, 0.1), ("q_nm^-1", ax.Q, 0.1), ("d_A", ax.D, 1.0), ("angstrom", ax.D, 1.0),
])
def test_unit_spellings_from_real_files(spelling, kind, scale):
    assert ax.normalize_unit(spelling) == (kind, scale)


def test_unknown_unit_is_none():
    assert ax.normalize_unit("furlongs") is None
    assert ax.normalize_unit(None) is None
