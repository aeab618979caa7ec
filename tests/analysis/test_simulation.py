"""The operando simulator: peaks where the cells put them, truth consistent, deterministic."""

import numpy as np
import pytest

from analysis import axis as ax
from analysis.crystallography import Cell, d_spacing, two_theta_deg
from analysis.phase_library import load_library
from analysis.simulation import Scenario, Segment, regime, simulate, two_theta_grid
from analysis.simulation_pattern import Instrument
from analysis.simulation_scenarios import get_scenario, scenarios


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def solid_solution(library):
    # Clean (noise-free) Cu Kα1-only series, 0.01° grid: positions can be read off by argmax.
    return simulate(get_scenario("p2_solid_solution"), library=library, n_scans=40, noise_counts=None,
                    kalpha2=False, step_deg=0.01, two_theta_range=(12.0, 60.0))


def _argmax_near(x, y, center, half_width):
    m = (x > center - half_width) & (x < center + half_width)
    return x[m][np.argmax(y[m])]


def test_basal_peak_sits_where_the_truth_cell_puts_it(solid_solution):
    s, tr = solid_solution.series, solid_solution.truth
    for i in (0, s.n_scans // 2, s.n_scans - 1):
        a, b, c = tr.cells[i, 0, :3]
        expected = float(two_theta_deg(d_spacing(Cell.hexagonal(a, c), [0, 0, 2]), ax.CU_KA1_A))
        # The maximum of a symmetric peak on a 0.01° grid lies within half a step of its centre; the
        # gently sloping background can move it by far less (checked: < 0.002°), so allow one step.
        assert _argmax_near(s.x, s.intensity[i], expected, 0.3) == pytest.approx(expected, abs=0.01)


def test_p2_expands_on_charge_and_window_stays(solid_solution):
    s, tr = solid_solution.series, solid_solution.truth
    top = int(np.argmax(tr.state_of_charge))
    c0, c_top = tr.cells[0, 0, 2], tr.cells[top, 0, 2]
    a0, a_top = tr.cells[0, 0, 0], tr.cells[top, 0, 0]
    assert c_top > c0 and a_top < a0  # PHASES.md §3: c grows, a shrinks on charge
    p0 = _argmax_near(s.x, s.intensity[0], 15.88, 0.5)
    p_top = _argmax_near(s.x, s.intensity[top], 15.88, 0.5)
    assert p_top < p0 - 0.15  # (002) moves to lower angle by ~0.25°
    # Be (101) at 52.78° (PHASES.md §6) does not move at all
    be = {_argmax_near(s.x, s.intensity[i], 52.78, 0.2) for i in range(s.n_scans)}
    assert len(be) == 1
    assert list(be)[0] == pytest.approx(52.78, abs=0.01)


def test_solid_solution_has_no_events(solid_solution):
    tr = solid_solution.truth
    assert tr.events == ()
    assert set(tr.regime) == {"P2"} and tr.sequence == "P2"
    np.testing.assert_array_equal(tr.fractions, 1.0)


@pytest.mark.parametrize("name", sorted(scenarios()))
def test_every_scenario_runs_with_fractions_summing_to_one(name, library):
    r = simulate(get_scenario(name), library=library, n_scans=60, step_deg=0.05)
    tr = r.truth
    np.testing.assert_allclose(tr.fractions.sum(axis=1), 1.0, atol=1e-12)  # float rounding only
    assert np.all(tr.fractions >= 0)
    assert r.series.intensity.shape == (60, two_theta_grid((10.0, 80.0), 0.05).size)
    assert np.all(np.isfinite(r.series.intensity)) and np.all(r.series.intensity >= 0)
    for e in tr.events:
        assert 0 <= e.scan <= e.end_scan < 60
    assert [e.scan for e in tr.events] == sorted(e.scan for e in tr.events)


def test_events_bracket_the_two_phase_regions(library):
    r = simulate(get_scenario("p2o3_op4"), library=library, n_scans=100, step_deg=0.05)
    tr = r.truth
    assert tr.sequence == "P2/O3 → P2/P3 → OP4 → P2/P3 → P2/O3"
    assert [(e.from_phases, e.to_phases) for e in tr.events] == [
        ("P2/O3", "P2/P3"), ("P2/P3", "OP4"), ("OP4", "P2/P3"), ("P2/P3", "P2/O3")]
    o3 = tr.phases.index("O3")
    first = tr.events[0]
    # before the first event all O3 is there (0.4), after it none; inside it O3 falls monotonically
    assert tr.fractions[first.scan - 1, o3] == pytest.approx(0.4)
    assert tr.fractions[first.end_scan + 1, o3] == 0.0
    inside = tr.fractions[first.scan:first.end_scan + 1, o3]
    assert np.all(np.diff(inside) < 0) and np.all((inside > 0) & (inside < 0.4))
    assert all(e.kind == "two-phase" for e in tr.events)


def test_deterministic_and_seeded(library):
    kw = dict(library=library, n_scans=20, step_deg=0.05, time_jitter=0.1, missing_scan=7)
    a = simulate(get_scenario("p2o3_op4"), seed=3, **kw)
    b = simulate(get_scenario("p2o3_op4"), seed=3, **kw)
    c = simulate(get_scenario("p2o3_op4"), seed=4, **kw)
    np.testing.assert_array_equal(a.series.intensity, b.series.intensity)
    np.testing.assert_array_equal(a.series.time_s, b.series.time_s)
    np.testing.assert_array_equal(a.truth.cells, b.truth.cells)
    np.testing.assert_array_equal(a.echem.voltage_V, b.echem.voltage_V)
    assert not np.array_equal(a.series.intensity, c.series.intensity)


def test_missing_scan_and_uneven_times(library):
    r = simulate(get_scenario("p2o3_op4"), library=library, n_scans=30, step_deg=0.1, time_jitter=0.2,
                 missing_scan=10, scan_time_s=600.0)
    s, tr = r.series, r.truth
    assert s.n_scans == 29 and 10 not in tr.nominal_index
    steps = np.diff(s.time_s)
    assert np.all(steps > 0)
    # durations are 600 s × (1 ± 0.2): consecutive starts differ by 480..720 s, twice that over the gap
    assert steps.max() > 960 and np.all(np.delete(steps, 9) <= 720 + 1e-9) and steps.min() >= 480 - 1e-9
    assert np.ptp(np.delete(steps, 9)) > 10  # the jitter is real


def test_kalpha2_doublet_spacing(library):
    # Al only, narrow instrument: the (311) doublet near 78.2° separates by Δ2θ ≈ 2 (Δλ/λ) tanθ.
    sc = Scenario("al", "Al only", (Segment("charge", (regime("Al", {"Al": 1.0}, 1.0, 3.0, 3.0),)),))
    inst = Instrument(u_deg2=0.0, v_deg2=0.0, w_deg2=0.0004, kalpha2=True)
    r = simulate(sc, library=library, n_scans=2, noise_counts=None, instrument=inst, step_deg=0.001,
                 two_theta_range=(77.5, 79.0))
    x, y = r.series.x, r.series.intensity[0]
    d311 = load_library()["Al"].cell.a / np.sqrt(11)
    t1 = float(two_theta_deg(d311, ax.CU_KA1_A))
    p1 = _argmax_near(x, y, t1, 0.05)
    p2 = _argmax_near(x, y, t1 + 0.23, 0.05)
    expected = np.degrees(2 * (ax.CU_KA2_A - ax.CU_KA1_A) / ax.CU_KA1_A * np.tan(np.radians(t1 / 2)))
    # first-order formula vs exact Bragg differ by ~1e-3° here; each argmax is within 0.0005° (half a
    # step) plus the tail overlap shift of two peaks 4 FWHM apart (< 0.002°): allow 0.005°
    assert p2 - p1 == pytest.approx(expected, abs=0.005)
    assert y[np.searchsorted(x, p2)] / y[np.searchsorted(x, p1)] == pytest.approx(0.5, abs=0.05)


def test_synchrotron_wavelength_positions(library):
    r = simulate(get_scenario("p2_solid_solution"), library=library, n_scans=3, noise_counts=None,
                 wavelength_A=0.70, two_theta_range=(4.0, 30.0), step_deg=0.005)
    assert r.series.wavelength_A == 0.70
    a, b, c = r.truth.cells[0, 0, :3]
    expected = float(two_theta_deg(c / 2.0, 0.70))
    # argmax within half a 0.005° step of the centre; one step allowed
    assert _argmax_near(r.series.x, r.series.intensity[0], expected, 0.3) == pytest.approx(expected, abs=0.005)
    # PHASES.md §2: the pristine P2-NNM (002) is at 7.20° for 0.70 Å (quoted to 0.01°)
    assert float(two_theta_deg(11.15 / 2.0, 0.70)) == pytest.approx(7.20, abs=0.01)


def test_echem_consistent_with_truth(library):
    r = simulate(get_scenario("p2o3_op4"), library=library, n_scans=40, step_deg=0.1)
    e, tr = r.echem, r.truth
    assert np.all(np.diff(e.time_s) > 0) and e.time_s[-1] == pytest.approx(tr.mid_time_s[-1] + 450.0)
    # capacity is the charge passed: its time integral of current, exact for piecewise-constant I
    # up to the float sum (1e-9 mAh)
    q = np.concatenate([[0.0], np.cumsum(0.5 * (e.current_mA[1:] + e.current_mA[:-1]) * np.diff(e.time_s))]) / 3600
    inner = np.abs(np.diff(np.sign(e.current_mA), prepend=1)) == 0  # away from the reversal sample
    np.testing.assert_allclose(q[inner][:50], e.capacity_mAh[inner][:50], atol=1e-9)
    v_at_scans = np.interp(tr.mid_time_s, e.time_s, e.voltage_V)
    # echem sampled every 30 s on a piecewise-linear profile: interpolation error is tiny except at
    # a step corner; 0.02 V covers a corner inside one 30 s interval
    np.testing.assert_allclose(v_at_scans, tr.voltage_V, atol=0.02)
    assert e.voltage_V.max() == pytest.approx(4.40, abs=0.01) and e.voltage_V.min() == pytest.approx(2.20, abs=0.01)


def test_bad_scenarios_are_refused(library):
    with pytest.raises(ValueError, match="sum to 1"):
        regime("x", {"P2": 0.5}, 1.0, 3.0, 3.5)
    sc = Scenario("bad", "", (Segment("charge", (regime("X", {"nope": 1.0}, 1.0, 3.0, 3.5),)),))
    with pytest.raises(ValueError, match="nope"):
        simulate(sc, library=library)
    with pytest.raises(ValueError, match="missing_scan"):
        simulate(get_scenario("p2_solid_solution"), library=library, n_scans=5, missing_scan=0)
    with pytest.raises(ValueError, match="unknown scenario"):
        get_scenario("nope")


def test_pseudo_voigt_is_area_normalised():
    from analysis.simulation_pattern import PeakList, render
    x = np.linspace(0.0, 200.0, 400001)
    peaks = PeakList(np.array([100.0]), np.array([0.5]), np.array([7.0]))
    for eta in (0.0, 0.5, 1.0):
        y = render(x, peaks, eta)
        area = float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))
        # the Lorentzian tails beyond ±100° (400 HWHM) hold 1 − (2/π)·atan(400) ≈ 0.16 % of the area
        assert area == pytest.approx(7.0 * (1 - eta * 0.0016), rel=2e-4)


def test_z_phase_basal_peak_moves_continuously(library):
    r = simulate(get_scenario("p2_z"), library=library, n_scans=80, noise_counts=None, step_deg=0.02,
                 two_theta_range=(14.0, 21.0))
    tr = r.truth
    z = tr.phases.index("Z")
    only_z = np.flatnonzero(tr.fractions[:, z] == 1.0)
    pos = [r.series.x[np.argmax(r.series.intensity[i])] for i in only_z[: len(only_z) // 2]]
    # while charging in the Z regime c shrinks, so the single broad basal peak walks to higher angle
    assert np.all(np.diff(pos) >= 0) and pos[-1] - pos[0] > 0.3
    assert all(e.kind == "solid-solution" for e in tr.events)


@pytest.mark.parametrize("name", sorted(load_library()))
def test_each_library_phase_peaks_at_its_strongest_reflection(name, library):
    # One phase alone, Kα1 only, no noise: the tallest point lies at the strongest reflection (largest
    # relative intensity), whose 2θ comes from the cell. Grid 0.01°; neighbouring tails shift the
    # maximum by < 0.01°, so 0.02° is allowed.
    phase = library[name]
    refl = phase.reflections(ax.CU_KA1_A, (8.0, 80.0))
    strongest = float(refl.two_theta_deg[np.argmax(refl.rel_intensity)])
    sc = Scenario("one", name, (Segment("charge", (regime(name, {name: 1.0}, 1.0, 3.0, 3.5),)),))
    r = simulate(sc, library=library, n_scans=2, noise_counts=None, kalpha2=False, step_deg=0.01,
                 two_theta_range=(8.0, 80.0), background_ratio=0.0)
    y = r.series.intensity[0]
    assert r.series.x[np.argmax(y)] == pytest.approx(strongest, abs=0.02)
