"""Known-answer tests for cells, d-spacings and reflection conditions (values computed by hand)."""

import numpy as np
import pytest

from analysis import crystallography as cr

# d-spacings are pure arithmetic on the cell: agreement to 1e-9 Å is a float-rounding tolerance.
EXACT_A = 1e-9


def test_hexagonal_102_matches_closed_form():
    # 1/d² = 4(h²+hk+k²)/(3a²) + l²/c² for a = 2.885, c = 11.15 (P2-NNM): d(102) = 2.28 Å
    a, c = 2.885, 11.15
    expected = 1.0 / np.sqrt(4.0 / (3 * a * a) + 4.0 / (c * c))
    assert cr.d_spacing(cr.Cell.hexagonal(a, c), [1, 0, 2]) == pytest.approx(expected, abs=EXACT_A)
    # PHASES.md §2 quotes 2.280 Å (rounded to 1e-3)
    assert expected == pytest.approx(2.280, abs=5e-4)


def test_cubic_al_111():
    # a/sqrt(3) = 4.0495/1.7320508 = 2.33798 Å; PHASES.md §6 quotes 2.338
    d = cr.d_spacing(cr.Cell.cubic(4.0495), [1, 1, 1])
    assert d == pytest.approx(4.0495 / np.sqrt(3.0), abs=EXACT_A)
    assert d == pytest.approx(2.338, abs=5e-4)


def test_monoclinic_nanio2_11m1_and_111():
    # Monoclinic (unique b): 1/d² = (h²/a² + k² sin²β/b² + l²/c² − 2hl cosβ/(ac)) / sin²β
    a, b, c, beta = 5.3192, 2.8451, 5.5826, 110.449
    cell = cr.Cell(a, b, c, 90.0, beta, 90.0)
    sb, cb = np.sin(np.radians(beta)), np.cos(np.radians(beta))

    def hand(h, k, l):
        return 1.0 / np.sqrt((h * h / a**2 + k * k * sb * sb / b**2 + l * l / c**2 - 2 * h * l * cb / (a * c)) / sb**2)

    for hkl in ([1, 1, -1], [1, 1, 1], [2, 0, -2], [0, 0, 1]):
        assert cr.d_spacing(cell, hkl) == pytest.approx(hand(*hkl), abs=EXACT_A)
    # PHASES.md §2 (O'3 NaNiO2): (11-1) 2.401, (111) 2.098; quoted to 1e-3 from a cell that pymatgen
    # re-reduced, so allow 1e-3 (we get 2.4005)
    assert cr.d_spacing(cell, [1, 1, -1]) == pytest.approx(2.401, abs=1e-3)
    assert cr.d_spacing(cell, [1, 1, 1]) == pytest.approx(2.098, abs=1e-3)
    assert cr.d_spacing(cell, [0, 0, 1]) == pytest.approx(c * sb, abs=EXACT_A)


def test_orthorhombic_pprime2_112():
    # 1/d² = h²/a² + k²/b² + l²/c² for β-Na0.52MnO2 (2.834, 5.216, 11.280): (112) = 2.278 Å (PHASES.md §2)
    a, b, c = 2.834, 5.216, 11.28
    d = cr.d_spacing(cr.Cell(a, b, c), [[1, 1, 2], [0, 2, 0]])
    assert d[0] == pytest.approx(1.0 / np.sqrt(1 / a**2 + 1 / b**2 + 4 / c**2), abs=EXACT_A)
    assert d[0] == pytest.approx(2.278, abs=5e-4)
    assert d[1] == pytest.approx(b / 2, abs=EXACT_A)


def test_rhombohedral_o3_104_in_hexagonal_axes():
    # O3 a 2.96, c 15.90: (104) 2.154 Å (PHASES.md §2)
    a, c = 2.96, 15.90
    d = cr.d_spacing(cr.Cell.hexagonal(a, c), [1, 0, 4])
    assert d == pytest.approx(1.0 / np.sqrt(4 / (3 * a * a) + 16 / c**2), abs=EXACT_A)
    assert d == pytest.approx(2.154, abs=5e-4)


def test_volume_hexagonal():
    # V = (√3/2) a² c
    cell = cr.Cell.hexagonal(2.885, 11.15)
    assert cell.volume_A3 == pytest.approx(np.sqrt(3) / 2 * 2.885**2 * 11.15, rel=1e-12)


def test_two_theta_cu_al_111():
    # 2θ = 2 asin(λ/2d) = 38.47° for Al (111) with Cu Kα1 (PHASES.md §6)
    assert cr.two_theta_deg(2.33798, 1.5406) == pytest.approx(38.47, abs=0.01)


@pytest.mark.parametrize("sg, allowed, forbidden", [
    (194, [(0, 0, 2), (1, 0, 0), (1, 0, 1), (1, 1, 2), (2, -1, 2)], [(0, 0, 1), (1, 1, 1), (0, 0, 3), (2, -1, 1)]),
    (186, [(0, 0, 2), (1, 0, 1)], [(0, 0, 1), (1, 1, 1)]),
    (166, [(0, 0, 3), (1, 0, 1), (0, 1, 2), (1, 0, 4), (1, 1, 0)], [(0, 0, 1), (1, 0, 0), (1, 0, 2), (0, 1, 1)]),
    (160, [(0, 1, 5), (0, 0, 3)], [(1, 0, 5), (0, 0, 2)]),
    (187, [(0, 0, 1), (1, 0, 0)], []),
    (164, [(0, 0, 1), (1, 0, 3)], []),
    (12, [(2, 0, 0), (1, 1, -1), (0, 0, 1)], [(1, 0, 0), (0, 1, 1), (1, 2, 1)]),
    (8, [(2, 0, -1), (1, 1, 0)], [(1, 0, 0)]),
    (63, [(0, 0, 2), (1, 1, 0), (0, 2, 1), (2, 0, 2)], [(0, 0, 1), (1, 0, 0), (2, 0, 1), (0, 1, 1)]),
    (227, [(1, 1, 1), (3, 1, 1), (2, 2, 2), (4, 0, 0), (2, 2, 0)], [(2, 0, 0), (1, 1, 0), (2, 1, 0), (4, 2, 0)]),
    (55, [(0, 2, 0), (1, 1, 0), (2, 0, 0), (0, 0, 1), (0, 2, 1)], [(0, 1, 0), (1, 0, 0), (0, 1, 1), (1, 0, 1)]),
    (225, [(1, 1, 1), (2, 0, 0), (2, 2, 0)], [(1, 0, 0), (1, 1, 0), (2, 1, 0)]),
    (229, [(1, 1, 0), (2, 0, 0), (2, 1, 1)], [(1, 0, 0), (1, 1, 1)]),
])
def test_reflection_conditions(sg, allowed, forbidden):
    if allowed:
        assert cr.is_allowed(sg, allowed).all()
    if forbidden:
        assert not cr.is_allowed(sg, forbidden).any()


def test_unknown_space_group_is_an_error():
    with pytest.raises(ValueError, match="space group 2"):
        cr.is_allowed(2, [1, 0, 0])


def test_allowed_reflections_p2_list_and_multiplicities():
    # P2-NNM down to 1.45 Å: the P6_3/mmc list, (001)/(003)/(111) absent; multiplicities of 6/mmm.
    hkl, d, mult = cr.allowed_reflections(cr.Cell.hexagonal(2.885, 11.15), 194, 1.45)
    got = {tuple(int(i) for i in h): int(m) for h, m in zip(hkl, mult)}
    assert got == {(0, 0, 2): 2, (0, 0, 4): 2, (1, 0, 0): 6, (1, 0, 1): 12, (1, 0, 2): 12, (1, 0, 3): 12,
                   (1, 0, 4): 12, (0, 0, 6): 2, (1, 0, 5): 12, (1, 0, 6): 12}
    assert np.all(np.diff(d) < 0)


def test_allowed_reflections_spinel_first_lines():
    # Fd-3m, a 8.24: 111 (8), 220 (12), 311 (24), 222 (8), 400 (6); 200 and 110 are extinct.
    hkl, d, mult = cr.allowed_reflections(cr.Cell.cubic(8.24), 227, 2.0)
    assert [tuple(int(i) for i in h) for h in hkl] == [(1, 1, 1), (2, 2, 0), (3, 1, 1), (2, 2, 2), (4, 0, 0)]
    assert mult.tolist() == [8, 12, 24, 8, 6]
    assert d[0] == pytest.approx(8.24 / np.sqrt(3), abs=EXACT_A)


def test_four_to_three_index():
    assert cr.four_to_three_index([[1, 0, -1, 2], [2, -1, -1, 0]]).tolist() == [[1, 0, 2], [2, -1, 0]]
    with pytest.raises(ValueError):
        cr.four_to_three_index([1, 0, 0, 2])
