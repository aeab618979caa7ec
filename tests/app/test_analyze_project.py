"""``operando-xrd analyze PROJECT``: the GUI's analysis re-run headless with the project's saved
analysis settings and phase-library edits (flags given on the command line win), and
``--library DIR`` for extra phase folders. Data: a simulated P2 solid solution (12 scans)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from analysis.events import Event
from analysis.library_edits import library_settings
from analysis.phase_library import load_library, phase_from_dict, phase_to_dict, save_phase
from analysis.pipeline import AnalysisSettings
from analysis.project import Project, load_project, make_input_ref, save_project
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario
from analysis.writers import write_nexus
from app.cli import main

PARASITIC = ("Be", "BeO", "Al")
C_TOLERANCE_A = 0.01   # the acceptance for refined c
USER_PHASE = "P2 mine"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """(folder, simulation) with the series as ``series.nxs``."""
    root = tmp_path_factory.mktemp("analyze_project")
    sim = simulate(get_scenario("p2_solid_solution"), n_scans=12, two_theta_range=(12.0, 50.0), step_deg=0.03,
                   seed=3)
    write_nexus(sim.series, root / "series.nxs")
    return root, sim


def user_library() -> dict:
    """The bundled library with P2 copied as the user phase ``P2 mine``."""
    library = load_library()
    library[USER_PHASE] = phase_from_dict({**phase_to_dict(library["P2"]), "name": USER_PHASE})
    return library


def write_project(root, name: str, settings: AnalysisSettings, library=None, events=()):
    path = root / name
    stored = {"analysis": settings.to_dict(), "clock_offset_s": 0.0}
    if library is not None:
        stored["library"] = library_settings(library)
    project = Project(inputs=(make_input_ref(root / "series.nxs", "patterns", path),), settings=stored,
                      events=tuple(events))
    save_project(path, project)
    return path


def outputs(out):
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return summary, load_project(out / "analysis.oxrd")


def names(project) -> list[str]:
    return [str(n) for n in np.atleast_1d(project.results["phases/names"])]


def true_c(sim) -> np.ndarray:
    return sim.truth.cells[:, list(sim.truth.phases).index("P2"), 2]


def test_project_settings_are_used_and_manual_events_kept(data, tmp_path):
    root, _ = data
    manual = Event(scan=4, end_scan=4, label="gas release?", source="manual")
    stale = Event(scan=2, end_scan=2, label="old detection", source="auto")
    path = write_project(root, "saved_p2_o3.oxrd", AnalysisSettings(phases=("P2", "O3"), fit_peaks=False),
                         events=(manual, stale))
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--out", str(out)]) == 0
    summary, project = outputs(out)
    assert names(project) == ["P2", "O3", *PARASITIC]   # the candidates were the project's phases
    assert summary["phases"] == ["P2"] and summary["sequence"] == "P2"
    assert not (out / "peaks.csv").exists()              # the project's "no peak fits"
    assert AnalysisSettings.from_dict(project.settings["analysis"]).phases == ("P2", "O3")
    # the new project names the series, not the project it was re-run from
    assert [ref.path for ref in project.inputs] == [str(root / "series.nxs")]
    assert manual in project.events and stale not in project.events


def test_a_phases_flag_wins_over_the_project(data, tmp_path):
    root, _ = data
    path = write_project(root, "saved_p2_o3_flag.oxrd", AnalysisSettings(phases=("P2", "O3"), fit_peaks=False))
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--out", str(out), "--phases", "P2"]) == 0
    assert names(outputs(out)[1]) == ["P2", *PARASITIC]


def test_library_edits_of_the_project_are_used(data, tmp_path):
    root, sim = data
    path = write_project(root, "saved_user_phase.oxrd", AnalysisSettings(phases=(USER_PHASE,), fit_peaks=False),
                         library=user_library())
    out = tmp_path / "out"
    assert main(["analyze", str(path), "--out", str(out)]) == 0
    summary, project = outputs(out)
    assert summary["sequence"] == USER_PHASE and summary["phases"] == [USER_PHASE]
    c = np.asarray(project.results["phases/cells"])[:, 0, 2]
    np.testing.assert_allclose(c, true_c(sim), atol=C_TOLERANCE_A)
    assert [d["name"] for d in project.settings["library"]["phases"]] == [USER_PHASE]


def test_library_folder(data, tmp_path):
    root, sim = data
    folder = tmp_path / "phases"
    folder.mkdir()
    save_phase(user_library()[USER_PHASE], folder / "mine.json")
    out = tmp_path / "out"
    # windows around P2's (002), (102) and (104) over the c and a range of the simulation
    windows = ["--window", "15.0:16.5", "--window", "38.6:40.4", "--window", "48.0:49.9"]
    assert main(["analyze", str(root / "series.nxs"), "--out", str(out), "--library", str(folder),
                 "--phases", USER_PHASE, *windows]) == 0
    summary, project = outputs(out)
    assert summary["sequence"] == USER_PHASE
    # the peak indexing took its phases from the same library: cells of the user phase
    with open(out / "lattice.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["phase"] for r in rows] == [USER_PHASE] * 12
    np.testing.assert_allclose([float(r["c"]) for r in rows], true_c(sim), atol=C_TOLERANCE_A)


def test_missing_library_folder_is_a_one_line_error(data, tmp_path, capsys):
    root, _ = data
    missing = tmp_path / "no such phases"
    assert main(["analyze", str(root / "series.nxs"), "--out", str(tmp_path / "o"), "--library", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert str(missing) in err and "\n" not in err
    assert not (tmp_path / "o").exists()   # refused before anything was written


def test_a_saved_phase_missing_from_the_library_is_a_one_line_error(data, tmp_path, capsys):
    root, _ = data
    path = write_project(root, "saved_unknown.oxrd", AnalysisSettings(phases=(USER_PHASE,), fit_peaks=False))
    assert main(["analyze", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert str(path) in err and USER_PHASE in err and "\n" not in err
    # the flag wins over the saved choice
    assert main(["analyze", str(path), "--out", str(tmp_path / "o"), "--phases", "P2"]) == 0
