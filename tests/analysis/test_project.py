"""Project file: round trips, atomic saves, format versions, input checksums."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from analysis import project as pj
from analysis.errors import InputError
from analysis.events import Event
from analysis.fit_windows import FitWindow, bounded, windows_from_json, windows_to_json


def sample_project(tmp_path) -> pj.Project:
    data = tmp_path / "scan.xy"
    data.write_text("10 1\n11 2\n")
    events = (Event(3, 3, label="onset", source="manual", note="éà ✓"),
              Event(5, 9, from_phases="P2", to_phases="O2", kind="two-phase", source="auto", confidence=0.75))
    settings = {"display": {"colormap": "magma", "scaling": "log", "y_axis": "time_h", "current_scan": 4},
                "clock_offset_s": -3600.0, "selected_phases": ["P2", "O3"]}
    results = {"fit/center_deg": np.linspace(14.0, 15.0, 12).reshape(3, 4),
               "fit/ok": np.array([True, False, True]),
               "phases/names": np.array(["P2", "O3 ✓"]),
               "big": np.arange(20000, dtype=np.float64)}
    return pj.Project(inputs=(pj.make_input_ref(data, "patterns", tmp_path / "p.oxrd"),),
                      settings=settings, results=results, events=events)


def assert_same(a: pj.Project, b: pj.Project) -> None:
    assert a.inputs == b.inputs
    assert a.settings == b.settings
    assert a.events == b.events
    assert sorted(a.results) == sorted(b.results)
    for name, value in a.results.items():
        assert b.results[name].dtype.kind == np.asarray(value).dtype.kind
        np.testing.assert_array_equal(b.results[name], value)   # stored exactly, no tolerance


def test_round_trip_is_exact(tmp_path):
    project = sample_project(tmp_path)
    path = pj.save_project(tmp_path / "p.oxrd", project)
    assert_same(project, pj.load_project(path))
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_fit_windows_survive_as_settings(tmp_path):
    """Windows are kept as their own JSON text (which may hold Infinity bounds) inside the settings."""
    windows = (FitWindow(13.0, 16.0, peaks=(14.2, None), name="P2 (002)").with_shared_fwhm()
               .with_constraint("p0_center", bounded(13.5)),)
    project = pj.Project(settings={"fit_windows": windows_to_json(windows)})
    back = pj.load_project(pj.save_project(tmp_path / "w.oxrd", project))
    assert windows_from_json(back.settings["fit_windows"]) == windows


def test_interrupted_save_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "p.oxrd"
    old = sample_project(tmp_path)
    pj.save_project(path, old)
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk unplugged")

    monkeypatch.setattr(pj.os, "replace", crash)
    new = pj.Project(events=(Event(0, 0, label="new"),))
    with pytest.raises(OSError, match="disk unplugged"):
        pj.save_project(path, new)
    assert path.read_bytes() == before
    assert_same(old, pj.load_project(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.oxrd", "scan.xy"]   # no temporary left


def test_crash_while_writing_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "p.oxrd"
    old = sample_project(tmp_path)
    pj.save_project(path, old)

    def crash(*args, **kwargs):
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(pj, "_write_array", crash)
    with pytest.raises(RuntimeError):
        pj.save_project(path, old)
    assert_same(old, pj.load_project(path))


def test_unstorable_settings_and_results_are_refused_before_writing(tmp_path):
    path = tmp_path / "p.oxrd"
    with pytest.raises(ValueError, match="settings"):
        pj.save_project(path, pj.Project(settings={"x": float("nan")}))
    with pytest.raises(ValueError, match="dtype"):
        pj.save_project(path, pj.Project(results={"obj": np.array([{}, None], dtype=object)}))
    assert not path.exists()


def _rewrite_version(path, version):
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = version


def test_newer_format_is_refused_with_a_clear_message(tmp_path):
    path = pj.save_project(tmp_path / "p.oxrd", pj.Project())
    _rewrite_version(path, pj.FORMAT_VERSION + 1)
    with pytest.raises(InputError, match=rf"newer operando-xrd \(project format {pj.FORMAT_VERSION + 1}\).*"
                                         rf"up to format {pj.FORMAT_VERSION}") as info:
        pj.load_project(path)
    assert info.value.path == str(path)


def test_format_0_fails_clearly(tmp_path):
    path = pj.save_project(tmp_path / "p.oxrd", pj.Project())
    _rewrite_version(path, 0)
    with pytest.raises(InputError, match="format 0"):
        pj.load_project(path)


def test_older_format_goes_through_the_migration_chain(tmp_path, monkeypatch):
    """A hand-made 'format 0' whose events used start/end keys is migrated by a registered step."""
    path = pj.save_project(tmp_path / "p.oxrd", pj.Project())
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = 0
        del f["events"]
        f.create_dataset("events", data='[{"start": 2, "end": 4, "label": "old"}]', dtype=h5py.string_dtype())

    def migrate_0(raw):
        raw["events"] = [{"scan": e["start"], "end_scan": e["end"], "label": e["label"]} for e in raw["events"]]
        return {**raw, "format_version": 1}

    monkeypatch.setitem(pj.MIGRATIONS, 0, migrate_0)
    assert pj.load_project(path).events == (Event(2, 4, label="old"),)


@pytest.mark.parametrize("content, message", [
    (b"not hdf5 at all", "not an HDF5 file"),
    (None, "no such project file"),
])
def test_non_projects_are_refused(tmp_path, content, message):
    path = tmp_path / "x.oxrd"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        pj.load_project(path)


def test_hdf5_without_marker_is_refused(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(InputError, match="without the project marker"):
        pj.load_project(path)


def test_input_checks_report_ok_changed_and_missing(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(3):
        (folder / f"s{i}.xy").write_text(f"{i} 1\n")
    echem = tmp_path / "cell.csv"
    echem.write_text("t,V\n0,3.0\n")
    project_path = tmp_path / "p.oxrd"
    project = pj.Project(inputs=(pj.make_input_ref(folder, "patterns", project_path),
                                 pj.make_input_ref(echem, "echem", project_path)))
    assert project.inputs[0].kind == "folder" and project.inputs[0].rel_path == "scans"
    assert project.inputs[0].size_bytes == sum(p.stat().st_size for p in folder.iterdir())
    assert [c.status for c in pj.check_inputs(project, project_path)] == ["ok", "ok"]
    (folder / "s1.xy").write_text("1 2\n")     # same size, different content
    echem.unlink()
    checks = pj.check_inputs(project, project_path)
    assert [c.status for c in checks] == ["changed", "missing"]
    assert checks[0].resolved_path == str(folder)


def test_inputs_are_found_beside_a_moved_project(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "a.xy").write_text("1 1\n")
    ref = pj.make_input_ref(old / "a.xy", "patterns", old / "p.oxrd")
    moved = tmp_path / "moved"
    os.rename(old, moved)
    assert pj.resolve_input(ref, moved / "p.oxrd") == str(moved / "a.xy")
    assert pj.check_inputs(pj.Project(inputs=(ref,)), moved / "p.oxrd")[0].status == "ok"


def test_folder_checksum_sees_renames(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.xy").write_text("same")
    before = pj.input_checksum(folder)
    os.rename(folder / "a.xy", folder / "b.xy")
    assert pj.input_checksum(folder)[0] != before[0]
    assert pj.input_checksum(folder)[1] == before[1]


def test_newer_autosave_is_found(tmp_path):
    path = pj.save_project(tmp_path / "p.oxrd", pj.Project())
    assert pj.newer_autosave(path) is None
    auto = pj.save_project(pj.autosave_path(path), pj.Project(events=(Event(1, 1),)))
    stamp = path.stat().st_mtime_ns
    os.utime(auto, ns=(stamp + 10**9, stamp + 10**9))
    assert pj.newer_autosave(path) == auto
    os.utime(auto, ns=(stamp - 10**9, stamp - 10**9))
    assert pj.newer_autosave(path) is None


def test_peak_fit_result_round_trips_through_a_project(tmp_path):
    from dataclasses import fields

    from analysis.fit_results import SeriesFitResult
    windows = (FitWindow(13.0, 16.0, peaks=(14.0, 15.0)), FitWindow(20.0, 22.0, model="gaussian"))
    empty = SeriesFitResult.empty(windows, scan=np.arange(4), time_s=60.0 * np.arange(4), wavelength_A=None)
    rng = np.random.default_rng(1)
    center = rng.normal(14.0, 0.1, empty.center.shape)
    flags = empty.peak_flags.copy()
    flags[1, 0] = "absent|at_bound"
    result = SeriesFitResult(**{**{f.name: getattr(empty, f.name) for f in fields(SeriesFitResult)},
                                "center": center, "peak_flags": flags,
                                "success": np.array([[True, False]] * 4)})
    arrays = {f"peak_fit/{k}": v for k, v in pj.fit_result_arrays(result).items()}
    back_arrays = pj.load_project(pj.save_project(tmp_path / "f.oxrd", pj.Project(results=arrays))).results
    back = pj.fit_result_from_arrays({k[len("peak_fit/"):]: v for k, v in back_arrays.items()})
    assert back.windows == windows and back.wavelength_A is None
    for f in fields(SeriesFitResult):
        mine, theirs = getattr(result, f.name), getattr(back, f.name)
        if f.name in ("values", "stderr"):
            assert len(mine) == len(theirs)
            for a, b in zip(mine, theirs):
                np.testing.assert_array_equal(a, b)     # stored exactly
        elif f.name not in ("windows", "wavelength_A"):
            np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))
    assert back.peak_flags[1, 0] == "absent|at_bound" and back.peak_flags.dtype == object
