"""Lattice fits: exact recovery for every crystal system, corrections, and honest errors."""

import numpy as np
import pytest

from analysis import crystallography as cr
from analysis.lattice_fit import PhaseReflections, fit_cell, fit_cells, linear_cell
from analysis.phase_library import load_library

WAVELENGTH_A = 1.5406


@pytest.fixture(scope="module")
def library():
    return load_library()


def exact_peaks(phase, d_min_A=1.25):
    """hkl and exact 2θ of every allowed reflection of the phase's cell down to d_min_A."""
    hkl, d, _ = cr.allowed_reflections(phase.cell, phase.space_group_number, d_min_A)
    tth = cr.two_theta_deg(d, WAVELENGTH_A)
    keep = np.isfinite(tth)
    return hkl[keep], tth[keep]


# One phase per crystal system: hexagonal P2, rhombohedral (hex axes) O3, cubic Al and spinel,
# orthorhombic P'2 and tunnel, monoclinic O'3 and P'3.
SYSTEM_PHASES = ["P2", "O3", "Al", "spinel", "P'2", "tunnel", "O'3", "P'3"]


@pytest.mark.parametrize("name", SYSTEM_PHASES)
def test_exact_positions_give_the_cell_back(library, name):
    phase = library[name]
    hkl, tth = exact_peaks(phase)
    fit = fit_cell(hkl, tth, WAVELENGTH_A, phase.system)
    for p in phase.free_parameters:
        # Exact input: only floating-point and optimizer tolerance (xtol 1e-15) remain.
        assert fit.parameters[p] == pytest.approx(getattr(phase.cell, p), abs=1e-6)
    assert fit.volume_A3 == pytest.approx(phase.cell.volume_A3, rel=1e-8)
    assert np.max(np.abs(fit.residual_deg)) < 1e-8


@pytest.mark.parametrize("name", SYSTEM_PHASES)
def test_linear_reciprocal_metric_fit_is_exact(library, name):
    phase = library[name]
    hkl, d, _ = cr.allowed_reflections(phase.cell, phase.space_group_number, 1.25)
    cell = linear_cell(hkl, d, phase.system)
    assert np.allclose(cell.as_tuple(), phase.cell.as_tuple(), atol=1e-9)


def test_hand_computed_hexagonal_cell():
    # a = 3, c = 10: 1/d² = 4/3 (h² + hk + k²)/a² + l²/c², so d(100) = 3·√3/2, d(002) = 5.
    d = np.array([3 * np.sqrt(3) / 2, 5.0, 1.5])   # (100), (002), (110)
    tth = cr.two_theta_deg(d, WAVELENGTH_A)
    fit = fit_cell([[1, 0, 0], [0, 0, 2], [1, 1, 0]], tth, WAVELENGTH_A, "hexagonal")
    assert fit.parameters["a"] == pytest.approx(3.0, abs=1e-9)
    assert fit.parameters["c"] == pytest.approx(10.0, abs=1e-9)


@pytest.mark.parametrize("name", ["P2", "Al", "P'2", "O'3"])
def test_zero_shift_and_displacement_are_recovered(library, name):
    phase = library[name]
    hkl, tth = exact_peaks(phase)
    shifted = tth + 0.05 + 0.03 * np.cos(np.radians(tth / 2))
    fit = fit_cell(hkl, shifted, WAVELENGTH_A, phase.system, zero_shift=True, displacement=True)
    assert fit.zero_deg == pytest.approx(0.05, abs=1e-7)
    assert fit.displacement_deg == pytest.approx(0.03, abs=1e-7)
    for p in phase.free_parameters:
        assert fit.parameters[p] == pytest.approx(getattr(phase.cell, p), abs=1e-6)


def test_zero_shift_alone(library):
    phase = library["O3"]
    hkl, tth = exact_peaks(phase)
    fit = fit_cell(hkl, tth - 0.08, WAVELENGTH_A, phase.system, zero_shift=True)
    assert fit.zero_deg == pytest.approx(-0.08, abs=1e-8)
    assert fit.displacement_deg == 0.0
    assert fit.parameters["c"] == pytest.approx(phase.cell.c, abs=1e-6)


def test_uncorrected_shift_biases_the_cell(library):
    # The same shifted data without the correction must give a different cell: the test above can fail.
    phase = library["O3"]
    hkl, tth = exact_peaks(phase)
    fit = fit_cell(hkl, tth - 0.08, WAVELENGTH_A, phase.system)
    assert abs(fit.parameters["c"] - phase.cell.c) > 1e-3


@pytest.mark.parametrize("name", ["P2", "tunnel", "O'3"])
def test_errors_match_the_scatter_of_noisy_fits(library, name):
    phase = library[name]
    hkl, tth = exact_peaks(phase)
    rng = np.random.default_rng(7)
    sigma_deg = 0.01
    values, errors = [], []
    for _ in range(150):
        fit = fit_cell(hkl, tth + rng.normal(0.0, sigma_deg, tth.size), WAVELENGTH_A, phase.system,
                       sigma_deg=sigma_deg, absolute_sigma=True)
        values.append([fit.parameters[p] for p in phase.free_parameters])
        errors.append([fit.errors[p] for p in phase.free_parameters])
    # 150 samples estimate a standard deviation to ~6 % (1/√(2·150)); allow 25 %.
    ratio = np.std(values, axis=0, ddof=1) / np.mean(errors, axis=0)
    assert np.all(np.abs(ratio - 1.0) < 0.25), ratio
    # Unbiased: the mean is within 4 standard errors of the mean of the truth.
    truth = np.array([getattr(phase.cell, p) for p in phase.free_parameters])
    assert np.all(np.abs(np.mean(values, axis=0) - truth) < 4 * np.mean(errors, axis=0) / np.sqrt(150))


def test_scaled_errors_follow_the_residuals(library):
    # Without absolute_sigma the errors scale with √χ²_red: wrong σ by 10× gives the same errors.
    phase = library["P2"]
    hkl, tth = exact_peaks(phase)
    noisy = tth + np.random.default_rng(3).normal(0.0, 0.01, tth.size)
    small = fit_cell(hkl, noisy, WAVELENGTH_A, phase.system, sigma_deg=0.001)
    large = fit_cell(hkl, noisy, WAVELENGTH_A, phase.system, sigma_deg=0.01)
    assert small.errors["c"] == pytest.approx(large.errors["c"], rel=1e-6)
    assert small.chi2_red == pytest.approx(100 * large.chi2_red, rel=1e-6)


def test_joint_fit_shares_the_zero_shift(library):
    p2, be = library["P2"], library["Be"]
    groups = []
    for phase in (p2, be):
        hkl, tth = exact_peaks(phase)
        groups.append(PhaseReflections(phase.system, hkl, tth + 0.04, np.full(tth.size, 0.01)))
    fits = fit_cells(groups, WAVELENGTH_A, zero_shift=True)
    assert fits[0].zero_deg == fits[1].zero_deg == pytest.approx(0.04, abs=1e-8)
    assert fits[1].parameters["c"] == pytest.approx(be.cell.c, abs=1e-6)


def test_too_few_reflections_are_refused():
    with pytest.raises(ValueError):
        fit_cell([[0, 0, 2]], [15.9], WAVELENGTH_A, "hexagonal")
    with pytest.raises(ValueError):
        linear_cell([[0, 0, 2], [0, 0, 4]], [5.5, 2.75], "hexagonal")  # 00l only: a undetermined
