"""A folder or a list of text files as one series: order, times, common grid, skipped files."""

from __future__ import annotations

import os

import numpy as np
import pytest

from analysis import axis as ax
from analysis.errors import InputError
from analysis.readers import load_series
from analysis.readers.files import natural_key

X = np.linspace(10.0, 20.0, 101)


def _write_scan(path, scale, header="", x=X):
    rows = "\n".join(f"{a:.4f} {scale * (1.0 + a):.3f}" for a in x)
    path.write_text(header + rows + "\n", encoding="utf-8")
    return path


def test_natural_key_orders_numbers_by_value():
    names = ["scan_10.xy", "scan_2.xy", "scan_1.xy", "Scan_3.xy"]
    assert sorted(names, key=natural_key) == ["scan_1.xy", "scan_2.xy", "Scan_3.xy", "scan_10.xy"]


def test_folder_natural_order_and_header_times(tmp_path):
    for i in (10, 2, 1):
        _write_scan(tmp_path / f"scan_{i}.xy", i, header=f"# Date: 2026-03-01 12:{i:02d}:00\n")
    series = load_series(tmp_path)
    assert [os.path.basename(s) for s in series.source] == ["scan_1.xy", "scan_2.xy", "scan_10.xy"]
    # intensity scale equals the file number, so the order is visible in the data
    np.testing.assert_allclose(series.intensity[:, 0], [1 * 11, 2 * 11, 10 * 11])
    assert series.time_source == "header"
    np.testing.assert_allclose(series.time_s, [0.0, 60.0, 540.0])
    assert series.start_epoch_s == pytest.approx(1772366460.0)  # 2026-03-01T12:01:00Z
    assert any("header" in n for n in series.notes)


def test_folder_mtime_times(tmp_path):
    for i in range(3):
        path = _write_scan(tmp_path / f"s{i}.xy", 1.0)
        os.utime(path, (1.7e9 + 30.0 * i, 1.7e9 + 30.0 * i))
    series = load_series(tmp_path)
    assert series.time_source == "mtime"
    np.testing.assert_allclose(series.time_s, [0.0, 30.0, 60.0])
    assert series.start_epoch_s == pytest.approx(1.7e9)
    assert any("modification" in n for n in series.notes)


def test_folder_index_times_when_mtimes_disagree_with_names(tmp_path):
    for i in range(3):
        path = _write_scan(tmp_path / f"s{i}.xy", 1.0)
        os.utime(path, (1.7e9 - 30.0 * i, 1.7e9 - 30.0 * i))  # newest first: a copy, not acquisition order
    series = load_series(tmp_path)
    assert series.time_source == "index"
    np.testing.assert_array_equal(series.time_s, [0.0, 1.0, 2.0])
    assert series.start_epoch_s is None


def test_header_elapsed_seconds(tmp_path):
    for i in range(3):
        _write_scan(tmp_path / f"s{i}.xy", 1.0, header=f"# time: {100 + 45 * i}\n")
    series = load_series(tmp_path)
    assert series.time_source == "header"
    np.testing.assert_allclose(series.time_s, [0.0, 45.0, 90.0])


def test_list_of_files_and_ignored_neighbours(tmp_path):
    paths = [_write_scan(tmp_path / f"p{i}.dat", i + 1) for i in range(3)]
    (tmp_path / "README").write_text("Operando run of cell 3.\nSee notebook p. 12.\n")
    (tmp_path / "voltage.csv").write_text("time/s,Ewe/V,I/mA\n0,3.1,0.1\n10,3.2,0.1\n20,3.3,0.1\n")
    (tmp_path / "meta.json").write_text('{"a": 1}')
    (tmp_path / "image.bin").write_bytes(bytes(range(256)) * 8)
    series = load_series(tmp_path)
    assert series.n_scans == 3
    assert "folder of 3 .dat files" == series.layout
    ignored = next(n for n in series.notes if n.startswith("ignored"))
    assert "README" in ignored and "voltage.csv" in ignored and "image.bin" in ignored
    listed = load_series([str(p) for p in reversed(paths)])
    # a list keeps the order given (the caller chose it)
    np.testing.assert_allclose(listed.intensity[:, 0], [3 * 11, 2 * 11, 1 * 11])


def test_different_grids_are_interpolated_with_note(tmp_path):
    _write_scan(tmp_path / "a1.xy", 1.0)
    _write_scan(tmp_path / "a2.xy", 1.0, x=np.linspace(10.0, 20.0, 201))
    series = load_series(tmp_path)
    assert series.n_points == 201  # finest step wins
    # the signal is linear in x, so linear interpolation reproduces it to the printed 3 decimals
    np.testing.assert_allclose(series.intensity[0], 1.0 + series.x, rtol=0, atol=1e-3)
    assert any("1 of 2 scans" in n and "interpolated" in n for n in series.notes)


def test_mixed_axes_raise_naming_files(tmp_path):
    _write_scan(tmp_path / "a1.xy", 1.0, header="# 2th_deg I\n")
    _write_scan(tmp_path / "a2.xy", 1.0, header="# q_A^-1 I\n", x=np.linspace(1, 4, 50))
    with pytest.raises(InputError, match="a1.xy.*a2.xy|a2.xy.*a1.xy"):
        load_series(tmp_path)


def test_non_overlapping_files_raise(tmp_path):
    _write_scan(tmp_path / "a1.xy", 1.0)
    _write_scan(tmp_path / "a2.xy", 1.0, x=np.linspace(30.0, 40.0, 101))
    with pytest.raises(InputError, match="do not overlap"):
        load_series(tmp_path)


def test_q_folder_keeps_q_axis(tmp_path):
    q_nm = np.linspace(10.0, 40.0, 101)
    for i in range(2):
        _write_scan(tmp_path / f"q{i}.xy", 1.0, header="# q_nm^-1 I\n", x=q_nm)
    series = load_series(tmp_path)
    assert series.x_kind == ax.Q
    np.testing.assert_allclose(series.x, q_nm / 10.0, rtol=0, atol=0.5e-5)  # printed 4 decimals, /10


def test_progress_and_cancel(tmp_path):
    from analysis.cancel import CancelToken, Cancelled
    for i in range(5):
        _write_scan(tmp_path / f"s{i}.xy", 1.0)
    calls = []
    load_series(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (5, 5)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        load_series(tmp_path, cancel=token)


def test_worker_processes_give_the_same_result_as_one_process(tmp_path):
    from analysis.readers.files import folder_files
    from analysis.readers.parallel import CHUNK_FILES, parse_files
    n = CHUNK_FILES + 7  # more than one chunk, so order across chunks is exercised
    for i in range(n):
        _write_scan(tmp_path / f"s{i}.xy", i + 1.0)
    (tmp_path / "notes.txt").write_text("not a pattern\n")
    paths = folder_files(tmp_path)
    serial, skipped_serial = parse_files(paths, workers=1)
    parallel, skipped_parallel = parse_files(paths, workers=2)
    assert [p.path for p in parallel] == [p.path for p in serial]
    assert skipped_parallel == skipped_serial == [(str(tmp_path / "notes.txt"), skipped_serial[0][1])]
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a.y, b.y)


def test_worker_processes_report_broken_file(tmp_path):
    from analysis.readers.files import folder_files
    from analysis.readers.parallel import parse_files
    for i in range(4):
        _write_scan(tmp_path / f"s{i}.xy", 1.0)
    (tmp_path / "s2.xy").write_text("10 1\n11 2\n12 x\n")
    with pytest.raises(InputError, match="s2.xy.*non-numeric"):
        parse_files(folder_files(tmp_path), workers=2)


def test_header_times_not_increasing_fall_back_to_mtime(tmp_path):
    for i in range(3):
        # every file carries the same copied date: no information about scan order
        path = _write_scan(tmp_path / f"s{i}.xy", 1.0, header="# Date: 2026-03-01 12:00:00\n")
        os.utime(path, (1.7e9 + 10.0 * i, 1.7e9 + 10.0 * i))
    series = load_series(tmp_path)
    assert series.time_source == "mtime"
    np.testing.assert_allclose(series.time_s, [0.0, 10.0, 20.0])
    assert any("do not increase" in n for n in series.notes)


def test_partial_header_times_are_not_mixed_with_mtimes(tmp_path):
    for i in range(3):
        header = "# Date: 2026-03-01 12:00:00\n" if i == 0 else ""
        path = _write_scan(tmp_path / f"s{i}.xy", 1.0, header=header)
        os.utime(path, (1.7e9 + 10.0 * i, 1.7e9 + 10.0 * i))
    series = load_series(tmp_path)
    assert series.time_source == "mtime"
    assert any("only 1 of 3" in n for n in series.notes)


def test_hdf5_file_in_text_folder_is_skipped_and_named(tmp_path):
    import h5py
    for i in range(2):
        _write_scan(tmp_path / f"s{i}.xy", 1.0)
    with h5py.File(tmp_path / "raw.h5", "w") as f:
        f.create_dataset("frames", data=np.zeros((2, 3, 3)))
    series = load_series(tmp_path)
    assert series.n_scans == 2
    assert any("raw.h5 (HDF5 file" in n for n in series.notes)


def test_same_scans_saved_in_two_formats_are_read_once(tmp_path):
    for i in range(3):
        _write_scan(tmp_path / f"img_{i}.xy", 1.0)
        (tmp_path / f"img_{i}.chi").write_text(f"img_{i}.tif\n2-Theta Angle (Degrees)\nIntensity\n{X.size}\n"
                                               + "".join(f"{a:.4f} {1.0 + a:.3f}\n" for a in X))
    series = load_series(tmp_path)
    assert series.n_scans == 3
    assert all(s.endswith(".xy") for s in series.source)  # tie on count: .xy ranks before .chi
    assert any("same scans" in n for n in series.notes)


def test_per_file_notes_are_said_once(tmp_path):
    for i in range(4):
        rows = "".join(f"{a:.4f};{1.0 + a:.3f}\n".replace(".", ",") for a in X)
        (tmp_path / f"dc_{i}.csv").write_text(rows)
    series = load_series(tmp_path)
    decimal = [n for n in series.notes if "decimal commas" in n]
    assert decimal == ["decimal commas read as decimal points (4 files, e.g. dc_0.csv)"]
