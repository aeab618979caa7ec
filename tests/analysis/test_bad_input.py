"""Bad input raises InputError naming the file and the problem; nothing else escapes, nothing hangs."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from analysis.errors import InputError
from analysis.readers import load_series, read_pattern

GOOD_ROWS = "".join(f"{10 + 0.1 * i:.2f} {100 + i:.1f}\n" for i in range(20))


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _expect(path, problem_pattern, loader=load_series):
    with pytest.raises(InputError) as info:
        loader(path)
    message = str(info.value)
    assert os.path.basename(str(path)) in message, message
    assert info.value.problem and __import__("re").search(problem_pattern, info.value.problem), message
    return info.value


@pytest.mark.parametrize("loader", [load_series, read_pattern])
@pytest.mark.parametrize("name,content,problem", [
    ("empty.xy", "", "empty file"),
    ("blank.xy", "\n   \n\t\n", "empty file"),
    ("junk.xy", bytes(range(256)) * 20, "binary"),
    ("comments_only.xy", "# wavelength: 1.54\n# nothing else\n", "no numeric columns"),
    ("prose.txt", "This folder holds the run of 3 March.\nAsk Ana.\n", "no numeric columns"),
    ("ragged.xy", GOOD_ROWS + "12.00 5.0 7.0\n" + GOOD_ROWS.replace("10.", "20."), "ragged columns: line 21"),
    ("words.xy", GOOD_ROWS + "12.5 abc\n", r"non-numeric value 'abc' at line 21"),
    ("text_inside.xy", GOOD_ROWS + "oops\n" + GOOD_ROWS.replace("10.", "20."), r"non-numeric value 'oops' at line 21"),
    ("nan.xy", GOOD_ROWS + "12.5 nan\n", "NaN or infinite value at line 21"),
    ("zigzag.xy", "10 1\n11 2\n10.5 3\n12 4\n", "not monotonic"),
    ("one_row.xy", "# one point\n10 1\n", "only one data row"),
    ("voltage.csv", "time/s,Ewe/V\n0,3.1\n10,3.2\n20,3.3\n", "electrochemistry"),
    ("std.gsa", "title\nBANK 1 20 2 CONS 1000 10 0 0 STD\n" + "  100  101  102  103  104\n" * 4, "not supported"),
    ("tof.gsa", "title\nBANK 1 20 20 RALF 1000 10 0 0 FXYE\n" + GOOD_ROWS, "not supported"),
])
def test_bad_text_files(tmp_path, loader, name, content, problem):
    _expect(_write(tmp_path / name, content), problem, loader)


def test_nonexistent_paths(tmp_path):
    _expect(tmp_path / "missing.xy", "no such file")
    _expect(tmp_path / "missing.xy", "no such file", read_pattern)
    with pytest.raises(InputError, match="missing.xy"):
        load_series([tmp_path / "missing.xy", _write(tmp_path / "ok.xy", GOOD_ROWS)])


def test_empty_list():
    with pytest.raises(InputError, match="no files"):
        load_series([])


def test_huge_binary_file_is_rejected_from_its_first_bytes(tmp_path):
    path = tmp_path / "huge.dat"
    with open(path, "wb") as fh:
        fh.truncate(1 << 36)  # 64 GiB sparse file of NUL bytes: reading it all would hang or fail
    _expect(path, "binary")


def test_folder_without_patterns(tmp_path):
    _expect(tmp_path, "no diffraction patterns")
    _write(tmp_path / "README.md", "hello")
    _write(tmp_path / "notes.txt", "just words here\n")
    _write(tmp_path / "echem.csv", "time/s,Ewe/V\n0,3.1\n10,3.2\n")
    error = _expect(tmp_path, "no diffraction patterns")
    assert "notes.txt" in error.problem and "echem.csv" in error.problem


def test_broken_pattern_in_folder_is_not_skipped(tmp_path):
    _write(tmp_path / "s1.xy", GOOD_ROWS)
    _write(tmp_path / "s2.xy", GOOD_ROWS + "12.5 nan\n")
    with pytest.raises(InputError, match="s2.xy.*NaN"):
        load_series(tmp_path)


def test_incompatible_files_mixed(tmp_path):
    a = _write(tmp_path / "tth.xy", "# 2th_deg I\n" + GOOD_ROWS)
    b = _write(tmp_path / "q.xy", "# q_A^-1 I\n" + GOOD_ROWS)
    with pytest.raises(InputError) as info:
        load_series([a, b])
    assert "tth.xy" in str(info.value) and "q.xy" in str(info.value)


def test_folder_and_hdf5_not_allowed_in_list(tmp_path):
    good = _write(tmp_path / "ok.xy", GOOD_ROWS)
    with pytest.raises(InputError, match="folder"):
        load_series([good, tmp_path])
    h5 = tmp_path / "s.h5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("x", data=np.arange(3))
    with pytest.raises(InputError, match="s.h5"):
        load_series([good, h5])


def test_hdf5_without_pattern_stack(tmp_path):
    path = tmp_path / "nostack.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("scalar", data=3.0)
        f.create_dataset("names", data=np.array([b"a", b"b"]))
        f.create_dataset("image", data=np.ones((4, 5, 6)))
        f.create_dataset("unsorted_axis", data=np.array([3.0, 1.0, 2.0, 5.0, 4.0]))
        f.create_dataset("stack", data=np.ones((3, 5)))
    _expect(path, "no stack of 1-D patterns")


def test_hdf5_with_nan_inside_data(tmp_path):
    path = tmp_path / "nan.h5"
    stack = np.ones((3, 10))
    stack[1, 4] = np.nan
    with h5py.File(path, "w") as f:
        g = f.create_group("entry/data")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "data"
        g.create_dataset("data", data=stack)
        g.create_dataset("2th", data=np.linspace(10, 20, 10))
    _expect(path, "NaN")


def test_truncated_hdf5(tmp_path):
    good = tmp_path / "good.h5"
    with h5py.File(good, "w") as f:
        f.create_dataset("data", data=np.ones((50, 50)))
    raw = good.read_bytes()
    path = _write(tmp_path / "truncated.h5", raw[:600])
    _expect(path, "cannot open as HDF5|cannot read|no stack")


def _mutations(seed: int, count: int):
    """Deterministic damaged variants of a good file: cut, byte flips, inserted junk, swapped lines."""
    rng = np.random.default_rng(seed)
    good = ("# Wavelength: 1.5406 A\n# Date: 2026-03-01 12:00:00\n# 2th_deg I sigma\n"
            + "".join(f"{10 + 0.1 * i:.2f} {100 + i:.1f} {10:.1f}\n" for i in range(40))).encode()
    junk = [b"\x00", b"\xff", b",", b";", b"#", b"nan", b"-", b"e", b"\n", b"BANK 1 2 3 CONS 1 1 0 0 FXYE\n", b"'"]
    for _ in range(count):
        data = bytearray(good)
        for _ in range(int(rng.integers(1, 4))):
            if not data:
                break
            kind = rng.integers(4)
            pos = int(rng.integers(0, len(data)))
            if kind == 0:
                del data[pos:]
            elif kind == 1:
                data[pos:pos] = junk[int(rng.integers(len(junk)))]
            elif kind == 2 and pos < len(data):
                data[pos] = int(rng.integers(0, 256))
            else:
                lines = bytes(data).split(b"\n")
                rng.shuffle(lines)
                data = bytearray(b"\n".join(lines))
        yield bytes(data)


def test_damaged_files_load_or_raise_input_error_only(tmp_path):
    outcomes = {"loaded": 0, "input_error": 0}
    for i, data in enumerate(_mutations(seed=7, count=300)):
        path = _write(tmp_path / f"m{i}.xye", data)
        try:
            series = load_series(path)
        except InputError as err:
            assert path.name in str(err)
            outcomes["input_error"] += 1
        else:
            assert series.n_points >= 2 and np.all(np.diff(series.x) > 0)
            assert np.all(np.isfinite(series.intensity))
            outcomes["loaded"] += 1
    # both branches are exercised, so the test can fail either way
    assert outcomes["loaded"] > 0 and outcomes["input_error"] > 0, outcomes


def test_unreadable_file(tmp_path, monkeypatch):
    import builtins
    path = _write(tmp_path / "locked.xy", GOOD_ROWS)
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):  # chmod 0 does not stop root, so refuse here instead
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    _expect(path, "permission denied")
