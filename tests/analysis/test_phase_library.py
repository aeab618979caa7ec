"""The bundled phase library: every file loads, ranges are sane, positions follow the cell."""

import json

import numpy as np
import pytest

from analysis import crystallography as cr
from analysis.errors import InputError
from analysis.phase_library import Phase, load_library, load_phase, phase_to_dict, save_phase

EXPECTED = {"P2", "O3", "P3", "O2", "OP4", "OP2", "O'3", "P'2", "P'3", "P3''", "Z", "spinel", "tunnel",
            "Be", "BeO", "Al", "Cu", "Na", "graphite", "PP", "PVDF", "stainless"}


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_all_expected_phases_load(library):
    assert EXPECTED <= set(library)
    assert {library[n].kind for n in ("PP", "PVDF", "Be", "BeO", "Al")} == {"parasitic"}
    assert library["P2"].kind == "cathode"


def test_cells_inside_their_ranges_and_ranges_valid(library):
    for name, phase in library.items():
        assert phase.cell_in_range(), name
        for key, (lo, hi) in phase.cell_ranges.items():
            assert lo < hi and key in phase.free_parameters, name
        if phase.cell is not None:
            assert phase.cell_ranges, f"{name} has a cell but no ranges"


def test_listed_reflections_obey_space_group(library):
    for name, phase in library.items():
        if phase.cell is not None:
            assert cr.is_allowed(phase.space_group_number, phase.hkl).all(), name


def test_known_forbidden_reflections_absent(library):
    p2 = {tuple(h) for h in library["P2"].hkl.tolist()}
    o3 = {tuple(h) for h in library["O3"].hkl.tolist()}
    assert (0, 0, 1) not in p2 and (0, 0, 2) in p2
    assert (1, 0, 0) not in o3 and (0, 0, 3) in o3
    assert not cr.is_allowed(194, [0, 0, 1]) and not cr.is_allowed(166, [1, 0, 0])


def test_p2_positions_match_phases_md(library):
    # PHASES.md §2, P2-NNM with Cu Kα1: (002) 15.88, (102) 39.49, (110) 64.55 (quoted to 0.01°)
    r = library["P2"].reflections(1.5406, (10, 80))
    pos = {tuple(h): t for h, t in zip(r.hkl.tolist(), r.two_theta_deg)}
    assert pos[(0, 0, 2)] == pytest.approx(15.88, abs=0.01)
    assert pos[(1, 0, 2)] == pytest.approx(39.49, abs=0.01)
    assert pos[(1, 1, 0)] == pytest.approx(64.55, abs=0.01)
    assert np.all(np.diff(r.two_theta_deg) >= 0)


def test_changing_the_cell_moves_peaks(library):
    p2 = library["P2"]
    bigger_c = p2.with_cell(c=11.35)
    assert bigger_c.cell.b == p2.cell.a and bigger_c.cell.gamma == 120.0
    d0, d1 = p2.d_A(), bigger_c.d_A()
    basal = np.all(p2.hkl[:, :2] == 0, axis=1)
    # (00l) d scale with c; (hk0) do not move
    np.testing.assert_allclose(d1[basal] / d0[basal], 11.35 / 11.15, rtol=1e-12)
    hk0 = p2.hkl[:, 2] == 0
    np.testing.assert_allclose(d1[hk0], d0[hk0], rtol=1e-12)
    with pytest.raises(ValueError):
        p2.with_cell(b=3.0)  # b is tied to a in a hexagonal cell


def test_fixed_d_phase_reflections(library):
    pp = library["PP"]
    assert pp.cell is None and pp.free_parameters == ()
    r = pp.reflections(1.5406)
    # PHASES.md §6: PP d 6.28 → 14.1° Cu
    assert r.two_theta_deg[0] == pytest.approx(14.1, abs=0.05)


def test_wavelength_out_of_reach_is_dropped(library):
    # With λ = 1.5406, d < 0.7703 Å cannot diffract; with a 10 Å wavelength nothing but d ≥ 5 Å remains.
    r = library["P2"].reflections(10.0)
    assert np.all(r.d_A >= 5.0) and len(r) == 1


def test_round_trip_and_user_override(tmp_path, library):
    user = library["P2"].with_cell(a=2.87)
    save_phase(user, tmp_path / "my_p2.json")
    again = load_phase(tmp_path / "my_p2.json")
    assert again.cell == user.cell
    np.testing.assert_array_equal(again.hkl, user.hkl)
    assert phase_to_dict(again) == phase_to_dict(user)
    merged = load_library(extra_dirs=[tmp_path])
    assert merged["P2"].cell.a == 2.87


def test_bad_files_raise_input_error(tmp_path, library):
    d = phase_to_dict(library["P2"])
    d["reflections"].append({"hkl": [0, 0, 1], "rel_intensity": 5})
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(InputError, match="forbidden"):
        load_phase(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match="broken.json"):
        load_phase(tmp_path / "broken.json")
    with pytest.raises(InputError):
        load_library(extra_dirs=[tmp_path / "missing"])


def test_phase_needs_consistent_arrays():
    with pytest.raises(ValueError):
        Phase(name="x", kind="cathode", system="cubic", rel_intensity=[1, 2], cell=cr.Cell.cubic(4),
              hkl=[[1, 1, 1]])
