"""Index a simulated series' peak fit and refine cells from it, end to end, against the simulator's truth."""

import csv

import numpy as np
import pytest

from analysis.fit_windows import FitWindow, Kalpha2
from analysis.indexing import ManualAssignment
from analysis.peak_indexing_run import (LATTICE_CSV_COLUMNS, index_and_fit_lattices, summarize_peaks,
                                        write_lattice_csv)
from analysis.phase_library import load_library
from analysis.sequential_fit import fit_series
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario

PHASES = ("P2", "O3", "P3", "OP4", "Be", "BeO", "Al")
KA2 = Kalpha2(enabled=True)   # the simulator's instrument has Cu Kα2
WINDOWS = (FitWindow(15.2, 16.3, (15.8,), ka2=KA2, name="P2 (002)"),
           FitWindow(16.3, 17.2, (16.7,), ka2=KA2, name="O3 (003)"),
           FitWindow(39.0, 40.0, (39.5,), ka2=KA2, name="P2 (102)"),
           FitWindow(41.4, 42.4, (41.9,), ka2=KA2, name="O3 (104)"),
           FitWindow(45.4, 46.3, (45.8,), ka2=KA2, name="Be (100)"),
           FitWindow(48.3, 49.6, (48.9,), ka2=KA2, name="P2 (104)"))
P2_002, BE_100 = 0, 4   # global peak indices (one peak per window)


@pytest.fixture(scope="module")
def fitted():
    sim = simulate(get_scenario("p2o3_op4"), n_scans=40, two_theta_range=(12, 50), step_deg=0.03, seed=2)
    result = fit_series(sim.series, WINDOWS, workers=1)
    library = load_library()
    return sim, result, [library[n] for n in PHASES]


def test_p2_cell_follows_the_truth_and_parasitic_phases_are_left_out(fitted):
    sim, result, phases = fitted
    table, lattice = index_and_fit_lattices(result, phases, sim.series.wavelength_A)
    assert set(lattice) == {"P2", "O3", "P3", "OP4"}            # Be, BeO, Al: no lattice series
    p2 = lattice["P2"]
    truth_c = sim.truth.cells[:, sim.truth.phases.index("P2"), 2]
    present = sim.truth.fractions[:, sim.truth.phases.index("P2")] > 0.10
    fitted_scans = np.isfinite(p2.parameters["c"])
    # Where P2 is strong (≥ 50 %) all three of its windows hold a peak, so every such scan is fitted.
    assert fitted_scans[sim.truth.fractions[:, 0] >= 0.5].all()
    # P2 (002) merges with P3 (003) (d within 0.02 Å of each other) when P3 is present: that
    # merged centre biases c by up to ~0.009 Å here (0.001 Å without P3); the brief allows 0.01 Å.
    assert p2.parameters["c"][present & fitted_scans] == pytest.approx(truth_c[present & fitted_scans], abs=0.01)
    assert np.all(np.isnan(p2.parameters["c"][~present]))     # never fitted where P2 is absent
    be_rows = [r for r in table.rows if r.peak == BE_100]
    assert be_rows and all((r.phase, r.hkl) == ("Be", (1, 0, 0)) for r in be_rows)
    summary = summarize_peaks(table, result.center)
    assert (summary[P2_002].phase, summary[P2_002].hkl, summary[P2_002].source) == ("P2", (0, 0, 2), "auto")
    assert (summary[BE_100].phase, summary[BE_100].hkl) == ("Be", (1, 0, 0))


def test_manual_entries_change_assignments_and_cells(fitted):
    sim, result, phases = fitted
    manual = (ManualAssignment(P2_002, "P3", (0, 0, 3)), ManualAssignment(BE_100, None))
    table, lattice = index_and_fit_lattices(result, phases, sim.series.wavelength_A, manual=manual)
    rows_002 = [r for r in table.rows if r.peak == P2_002]
    assert rows_002 and all((r.phase, r.hkl, r.source) == ("P3", (0, 0, 3), "manual") for r in rows_002)
    assert not [r for r in table.rows if r.peak == BE_100]     # excluded everywhere
    # P2 keeps (102) and (104) only: two reflections for two free parameters, too few to fit.
    assert np.all(np.isnan(lattice["P2"].parameters["c"]))
    summary = summarize_peaks(table, result.center)
    assert summary[BE_100].phase == "" and summary[BE_100].n_present > 0


def test_lattice_csv_holds_the_series_values(fitted, tmp_path):
    sim, result, phases = fitted
    _, lattice = index_and_fit_lattices(result, phases, sim.series.wavelength_A)
    path = write_lattice_csv(tmp_path / "lattice.csv", lattice)
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == LATTICE_CSV_COLUMNS
    p2 = lattice["P2"]
    p2_rows = [r for r in rows if r["phase"] == "P2"]
    assert [int(r["scan"]) for r in p2_rows] == list(np.flatnonzero(np.isfinite(p2.volume_A3)))
    # Written with 6 significant digits.
    assert [float(r["c"]) for r in p2_rows] == pytest.approx(p2.parameters["c"][np.isfinite(p2.volume_A3)], rel=1e-5)
