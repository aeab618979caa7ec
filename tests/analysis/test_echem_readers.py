"""Reading electrochemistry files: EC-Lab .mpt exports, delimited tables, units, bad input."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from analysis.echem import load_echem, sodium_content
from analysis.errors import InputError

# Values are written with at most 10 significant digits and read back through float parsing
# and one unit multiplication: agreement to 1e-12 relative is float rounding only.
RTOL = 1e-12
# The .mpt writer below rounds to 11 significant digits (like EC-Lab's "%.10E"): 5e-11 relative.
RTOL_MPT = 1e-10

MPT_COLUMNS = ("mode", "ox/red", "error", "control changes", "Ns changes", "counter inc.", "Ns",
               "time/s", "control/V/mA", "Ewe/V", "I/mA", "dq/mA.h", "(Q-Qo)/mA.h",
               "Q charge/discharge/mA.h", "half cycle", "x", "Energy/W.h", "P/W")


def _mpt_header_lines(n_header: int, started: str) -> list[str]:
    """A GCPL header as EC-Lab 11 writes it (latin-1, decimal commas), padded to n_header lines."""
    top = [
        "EC-Lab ASCII FILE",
        f"Nb header lines : {n_header}",
        "",
        "Galvanostatic Cycling with Potential Limitation",
        "",
        "Run on channel : 3 (SN 10742)",
        "User : ",
        "Ewe ctrl range : min = -10,00 V, max = 10,00 V",
        "Safety Limits :",
        "\tEwe max = 4,5 V",
        f"Acquisition started on : {started}",
        "Loaded Setting File : NONE",
        "Saved on :",
        "\tFile : NaMnNi_cell3_C10.mpr",
        "\tDirectory : C:\\Users\\lab\\Documents\\EC-Lab\\Data\\",
        "Device : VMP3 (SN 0123)",
        "Electrode material : Na0.67Mn0.5Ni0.33O2",
        "Mass of active material : 10,000 mg",
        " at x = 0,670",
        "Molecular weight of active material (at x = 0) : 100,000 g/mol",
        "Atomic weight of intercalated ion : 22,990 g/mol",
        "Acquisition started at : xo = 0,670",
        "Number of e- transfered per intercalated ion : 1",
        "Electrode surface area : 1,130 cm\u00b2",
        "Characteristic mass : 10,000 mg",
        "Current resolution : 100 \u00b5A",
    ]
    params = [f"Param{i:<20d}{'0,000':>12}" for i in range(n_header - len(top) - 1)]
    return top + params + ["\t".join(MPT_COLUMNS)]


def _comma(value: float) -> str:
    return f"{value:.10E}".replace(".", ",")


def write_mpt(path, time_s, ewe_V, i_mA, q_mAh, started="03/15/2026 10:22:31.000", n_header=62):
    """An EC-Lab .mpt text export, latin-1, decimal commas, with the given data."""
    lines = _mpt_header_lines(n_header, started)
    for t, e, i, q in zip(time_s, ewe_V, i_mA, q_mAh):
        cells = ["1", "1", "0", "0", "0", "0", "1", _comma(t), _comma(i), _comma(e), _comma(i), "0,0",
                 _comma(q), _comma(q), "0", _comma(0.67 - q / 26.8), "0,0", "0,0"]
        lines.append("\t".join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def _utc(*args) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


# ----------------------------------------------------------------------------- EC-Lab .mpt

def test_mpt_decimal_commas_columns_and_start_time(tmp_path):
    time_s = np.array([0.0, 600.0, 1200.0, 1800.0])
    ewe = np.array([3.7512, 3.8, 3.85, 3.9])
    q = time_s / 3600.0
    path = write_mpt(tmp_path / "cell3.mpt", time_s, ewe, np.ones(4), q)
    echem = load_echem(path)
    np.testing.assert_allclose(echem.time_s, time_s, rtol=RTOL_MPT)
    np.testing.assert_allclose(echem.voltage_V, ewe, rtol=RTOL_MPT)
    np.testing.assert_allclose(echem.current_mA, 1.0, rtol=RTOL_MPT)  # I/mA, not control/V/mA
    np.testing.assert_allclose(echem.capacity_mAh, q, rtol=RTOL_MPT)  # (Q-Qo)/mA.h
    np.testing.assert_allclose(echem.x, 0.67 - q / 26.8, rtol=RTOL_MPT)
    # "Acquisition started on" is month/day/year; "Acquisition started at : xo" must not be taken
    assert echem.start_epoch_s == _utc(2026, 3, 15, 10, 22, 31)
    assert echem.source == str(path)


@pytest.mark.parametrize("started, expected", [
    ("03/15/2026 10:22:31.000", (2026, 3, 15, 10, 22, 31)),
    ("03/15/2026 10:22:31", (2026, 3, 15, 10, 22, 31)),
    ("15.03.2026 10:22:31", (2026, 3, 15, 10, 22, 31)),
    ("03/15/2026 01:22:31 PM", (2026, 3, 15, 13, 22, 31)),
    ("15.03.2026 10:22:31,500", (2026, 3, 15, 10, 22, 31, 500000)),
    ("2026-03-15 10:22:31", (2026, 3, 15, 10, 22, 31)),
])
def test_mpt_start_time_formats(tmp_path, started, expected):
    path = write_mpt(tmp_path / "a.mpt", [0.0, 1.0], [3.0, 3.1], [1.0, 1.0], [0.0, 0.0], started=started)
    assert load_echem(path).start_epoch_s == _utc(*expected)


def test_mpt_short_header(tmp_path):
    path = tmp_path / "short.mpt"
    # galvani's layout: title line, count line, (count - 3) comment lines, column titles
    path.write_text("EC-Lab ASCII FILE\nNb header lines : 3\ntime/s\tEwe/V\t<I>/mA\n0,0\t3,5\t0,2\n2,0\t3,6\t0,2\n",
                    encoding="latin-1")
    echem = load_echem(path)
    np.testing.assert_allclose(echem.voltage_V, [3.5, 3.6], rtol=RTOL)
    np.testing.assert_allclose(echem.current_mA, [0.2, 0.2], rtol=RTOL)
    assert echem.start_epoch_s is None


def test_mpt_file_to_sodium(tmp_path):
    hour = np.linspace(0.0, 3600.0, 61)
    dx_1mah = 3.6 * 100.0 / (96485.33212 * 0.010)  # 1 mAh through 10 mg of M = 100 g/mol
    path = write_mpt(tmp_path / "cell.mpt", hour, np.linspace(3.0, 4.0, 61), np.ones(61), hour / 3600.0)
    x = sodium_content(load_echem(path), active_mass_g=0.010, molar_mass_g_mol=100.0, x0=0.67)
    # the file rounds to 11 significant digits: 1e-10 relative on values of order 1
    np.testing.assert_allclose(x[-1], 0.67 - dx_1mah, atol=1e-10)


# ----------------------------------------------------------------------------- delimited tables

def test_simulator_log_loads(tmp_path):
    path = tmp_path / "voltage_log.csv"
    path.write_text("time_s,voltage_V,current_mA,capacity_mAh\n0,3.0,0.5,0\n60,3.01,0.5,0.008333333333\n"
                    "120,3.02,0.5,0.01666666667\n")
    echem = load_echem(path)
    np.testing.assert_allclose(echem.time_s, [0, 60, 120], rtol=RTOL)
    np.testing.assert_allclose(echem.voltage_V, [3.0, 3.01, 3.02], rtol=RTOL)
    np.testing.assert_allclose(echem.current_mA, [0.5, 0.5, 0.5], rtol=RTOL)
    np.testing.assert_allclose(echem.capacity_mAh, [0, 0.008333333333, 0.01666666667], rtol=RTOL)
    assert echem.start_epoch_s is None and echem.x is None and echem.notes == ()


BASE_TITLES = {"time": "time_s", "voltage": "voltage_V", "current": "current_mA", "capacity": "capacity_mAh"}
FIELDS = {"time": "time_s", "voltage": "voltage_V", "current": "current_mA", "capacity": "capacity_mAh"}


@pytest.mark.parametrize("role, title, factor", [
    ("time", "time/s", 1.0), ("time", "Time (h)", 3600.0), ("time", "Time (min)", 60.0),
    ("time", "Elapsed Time (s)", 1.0), ("time", "elapsed", 1.0), ("time", "Test_Time(s)", 1.0),
    ("time", "test time", 1.0),
    ("voltage", "Ewe/V", 1.0), ("voltage", "Voltage", 1.0), ("voltage", "E (V)", 1.0), ("voltage", "U/V", 1.0),
    ("voltage", "Voltage(mV)", 1e-3), ("voltage", "<Ewe>/V", 1.0),
    ("current", "I/mA", 1.0), ("current", "<I>/mA", 1.0), ("current", "current", 1.0),
    ("current", "Current(A)", 1e3), ("current", "I/\u00b5A", 1e-3), ("current", "Current [uA]", 1e-3),
    ("capacity", "Capacity (mAh)", 1.0), ("capacity", "Q charge/discharge/mA.h", 1.0),
    ("capacity", "(Q-Qo)/mA.h", 1.0), ("capacity", "Capacity(Ah)", 1e3), ("capacity", "Q/C", 1 / 3.6),
])
def test_column_titles_and_units(tmp_path, role, title, factor):
    titles = dict(BASE_TITLES, **{role: title})
    raw = {"time": [0.0, 1.5, 3.0], "voltage": [3.2, 3.3, 3.4], "current": [2.0, 2.0, -1.0],
           "capacity": [0.0, 0.25, 0.5]}
    rows = zip(*(raw[r] for r in BASE_TITLES))
    path = tmp_path / "cycler.csv"
    path.write_text(",".join(titles[r] for r in BASE_TITLES) + "\n"
                    + "".join(",".join(repr(v) for v in row) + "\n" for row in rows), encoding="utf-8")
    echem = load_echem(path)
    np.testing.assert_allclose(getattr(echem, FIELDS[role]), np.array(raw[role]) * factor, rtol=RTOL)
    assert (len(echem.notes) == 1) == (title in ("current", "test time", "elapsed"))  # unit assumed, said


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_decimal_commas_with_semicolon_or_tab(tmp_path, delimiter):
    path = tmp_path / "export.txt"
    body = [["Time (h)", "Voltage (V)", "Current (mA)"], ["0,5", "3,7512", "-0,25"], ["1,0", "3,6", "-0,25"]]
    path.write_text("\n".join(delimiter.join(r) for r in body) + "\n", encoding="utf-8")
    echem = load_echem(path)
    np.testing.assert_allclose(echem.time_s, [1800.0, 3600.0], rtol=RTOL)
    np.testing.assert_allclose(echem.voltage_V, [3.7512, 3.6], rtol=RTOL)
    np.testing.assert_allclose(echem.current_mA, [-0.25, -0.25], rtol=RTOL)
    assert echem.capacity_mAh is None


def test_preamble_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "neware.csv"
    path.write_text("# exported by BTS 8.0\nCell: A12\nMass: 10 mg\n\nTotal Time,Voltage(V),Current(mA)\n"
                    "0:00:00,3.0,1\n\n1-00:00:05.5,3.1,1\n")
    echem = load_echem(path)
    np.testing.assert_allclose(echem.time_s, [0.0, 86405.5], rtol=RTOL)  # [D-]h:mm:ss, no "unit" note
    assert echem.notes == ()


@pytest.mark.parametrize("stamp, offset_s", [
    ("2026-03-15T10:00:05", 0.0), ("2026-03-15 10:00:05Z", 0.0), ("2026-03-15T11:00:05+01:00", 0.0),
    ("2026/03/15 10:00:05", 0.0), ("2026-03-15T10:00:05.250", 0.25),
])
def test_timestamp_column_gives_start(tmp_path, stamp, offset_s):
    # the first row is at time 5 s, so the record started 5 s before its first timestamp
    path = tmp_path / "abs.csv"
    path.write_text(f"Date Time,time/s,Ewe/V\n{stamp},5,3.0\n{stamp},6,3.1\n")
    assert load_echem(path).start_epoch_s == _utc(2026, 3, 15, 10, 0, 0) + offset_s


def test_timestamps_alone_give_relative_time(tmp_path):
    path = tmp_path / "abs_only.csv"
    path.write_text("timestamp,voltage\n2026-03-15T10:00:00,3.0\n2026-03-15T10:01:30,3.1\n"
                    "2026-03-15T11:00:00,3.2\n")
    echem = load_echem(path)
    np.testing.assert_allclose(echem.time_s, [0.0, 90.0, 3600.0], rtol=RTOL)
    assert echem.start_epoch_s == _utc(2026, 3, 15, 10, 0, 0)


def test_equal_time_stamps_are_kept_in_order(tmp_path):
    path = tmp_path / "step.csv"
    path.write_text("time/s,Ewe/V\n0,3.0\n10,3.1\n10,3.3\n20,3.4\n")
    echem = load_echem(path)
    np.testing.assert_array_equal(echem.time_s, [0, 10, 10, 20])
    np.testing.assert_array_equal(echem.voltage_V, [3.0, 3.1, 3.3, 3.4])


def test_arrays_are_read_only(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("time_s,voltage_V\n0,3\n1,3.1\n")
    with pytest.raises(ValueError):
        load_echem(path).voltage_V[0] = 1.0


# ----------------------------------------------------------------------------- bad input

BAD_FILES = {
    "empty.csv": (b"", "empty file"),
    "blank.csv": (b"\n  \n\t\n", "empty file"),
    "cell.mpr": (b"BIO-LOGIC MODULAR FILE\x1a\x00\x00\x01\x02" + bytes(range(256)), "binary file"),
    "no_voltage.csv": (b"time/s,I/mA\n0,1\n1,1\n", "no voltage column"),
    "no_time.csv": (b"Ewe/V,I/mA\n3.0,1\n3.1,1\n", "no time column"),
    "junk.csv": (b"time/s,Ewe/V\n0,3.0\n1,abc\n", "line 3: 'abc' in column 'Ewe/V' is not a number"),
    "backwards.csv": (b"time/s,Ewe/V\n0,3.0\n10,3.1\n5,3.2\n", "line 4: time goes backwards"),
    "header_only.csv": (b"time/s,Ewe/V\n", "no data rows"),
    "missing_v.csv": (b"time/s,Ewe/V\n0,3.0\n1,\n", "line 3: voltage value missing"),
    "short_row.csv": (b"time/s,Ewe/V,I/mA\n0,3.0,1\n1\n", "line 3 has fewer fields"),
    "unit.csv": (b"time/s,Ewe/V,I/furlong\n0,3.0,1\n", "unknown current unit"),
    "comma_decimals.csv": (b"time/s,Ewe/V\n0,5,3,75\n1,5,3,80\n", "line 2 has 4 values but the column header has 2"),
    "numbers.csv": (b"0,3.0\n1,3.1\n", "no column header line"),
    "bad_clock.csv": (b"Total Time,Voltage\n0:00:00,3.0\n0:0x:10,3.1\n", "is not a time h:mm:ss"),
    "bad_nb.mpt": (b"EC-Lab ASCII FILE\nNb header lines : 99\ntime/s\tEwe/V\n", "Nb header lines"),
    "bad_start.mpt": (b"EC-Lab ASCII FILE\nNb header lines : 4\nAcquisition started on : yesterday\n"
                      b"time/s\tEwe/V\n0\t3\n", "acquisition start time"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_names_file_and_problem(tmp_path, name):
    content, problem = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_echem(path)
    assert info.value.path == str(path)
    assert problem in str(info.value) and str(path) in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_echem(tmp_path / "nope.mpt")
    with pytest.raises(InputError, match="is a folder, not an electrochemistry file"):
        load_echem(tmp_path)
