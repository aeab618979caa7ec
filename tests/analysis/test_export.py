"""Every export format is written and reads back to identical data."""

from __future__ import annotations

import importlib.util
import json

import h5py
import numpy as np
import pytest

from analysis import export
from analysis.events import Event
from analysis.series import ScanSeries
from tests.conftest import drifting_peak_series


@pytest.fixture
def series():
    s, _ = drifting_peak_series(n_scans=7, n_points=50)
    return s


EVENTS = [
    Event(scan=2, end_scan=4, label="P2 → O2", from_phases="P2", to_phases="O2", kind="two-phase",
          source="auto", note='comma, "quote"\nnew line', confidence=0.8125),
    Event(scan=5, end_scan=5, label="", kind="note"),
]


def test_matrix_csv_round_trip_is_exact(tmp_path, series):
    # values that need all 17 significant digits, plus nan and ±inf
    z = series.intensity / 3.0
    z[0, 0], z[1, 1], z[2, 2] = np.nan, np.inf, -np.inf
    x, rows = series.x * (1 + 1e-16), series.time_s / 3600.0
    path = tmp_path / "map.csv"
    export.write_matrix_csv(path, x, rows, z, corner="time_h \\ two_theta_deg")
    corner, x2, rows2, z2 = export.read_matrix_csv(path)
    assert corner == "time_h \\ two_theta_deg"
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(rows2, rows)
    np.testing.assert_array_equal(z2, z)  # nan == nan under assert_array_equal


def test_matrix_csv_layout_is_origin_style(tmp_path):
    path = tmp_path / "m.csv"
    export.write_matrix_csv(path, np.array([10.0, 10.5]), np.array([0.0, 0.25]),
                            np.array([[1.0, 2.0], [3.0, 4.5]]), corner="time_h")
    assert path.read_text().splitlines() == ["time_h,10.0,10.5", "0.0,1.0,2.0", "0.25,3.0,4.5"]


def test_series_matrix_uses_voltage_rows_when_given(tmp_path, series):
    volts = np.linspace(2.2, 4.4, series.n_scans)
    path = tmp_path / "v.csv"
    export.write_series_matrix_csv(path, series, voltage_V=volts)
    corner, x, rows, z = export.read_matrix_csv(path)
    assert corner.startswith("voltage_V")
    np.testing.assert_array_equal(rows, volts)
    np.testing.assert_array_equal(x, series.two_theta_deg)
    np.testing.assert_array_equal(z, series.intensity)


def test_matrix_csv_rejects_mismatched_shapes_and_bad_corner(tmp_path):
    with pytest.raises(ValueError, match="does not match"):
        export.write_matrix_csv(tmp_path / "a.csv", np.zeros(3), np.zeros(2), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="corner"):
        export.write_matrix_csv(tmp_path / "a.csv", np.zeros(1), np.zeros(1), np.zeros((1, 1)), corner="a,b")


def test_results_csv_round_trip(tmp_path):
    cols = {"scan": np.arange(3), "c_A": np.array([11.1, 11.2 + 1e-15, np.nan]),
            "phase": ["P2", "O2, hydrated", ""]}
    path = tmp_path / "r.csv"
    export.write_results_csv(path, cols)
    back = export.read_results_csv(path)
    assert list(back) == ["scan", "c_A", "phase"]
    np.testing.assert_array_equal(back["scan"], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(back["c_A"], cols["c_A"])
    assert back["phase"].tolist() == cols["phase"]


def test_results_csv_rejects_ragged_columns(tmp_path):
    with pytest.raises(ValueError, match="length"):
        export.write_results_csv(tmp_path / "r.csv", {"a": [1, 2], "b": [1]})


def test_events_json_and_csv_round_trip(tmp_path):
    export.write_events_json(tmp_path / "e.json", EVENTS)
    export.write_events_csv(tmp_path / "e.csv", EVENTS)
    assert export.read_events_json(tmp_path / "e.json") == EVENTS
    assert export.read_events_csv(tmp_path / "e.csv") == EVENTS
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))[0]["label"] == "P2 → O2"


def _series_with_everything():
    s, _ = drifting_peak_series(n_scans=5, n_points=40)
    sigma = np.sqrt(np.clip(s.intensity, 1, None))
    return ScanSeries(x=s.x, intensity=s.intensity, time_s=s.time_s, sigma=sigma, start_epoch_s=1.7e9,
                      time_source="header", wavelength_A=1.5406, source=s.source, layout="synthetic")


def test_nexus_map_has_nxdata_attributes_and_units(tmp_path):
    s = _series_with_everything()
    volts = np.linspace(2.2, 4.4, s.n_scans)
    path = tmp_path / "out.nxs"
    export.write_nexus(path, s, voltage_V=volts)
    with h5py.File(path, "r") as fh:
        assert fh.attrs["default"] == "entry"
        entry = fh["entry"]
        assert entry.attrs["NX_class"] == "NXentry" and entry.attrs["default"] == "map"
        data = entry["map"]
        assert data.attrs["NX_class"] == "NXdata"
        assert data.attrs["signal"] == "intensity"
        assert list(data.attrs["axes"]) == ["time", "two_theta"]
        assert data.attrs["time_indices"] == 0 and data.attrs["two_theta_indices"] == 1
        assert data.attrs["voltage_indices"] == 0
        assert data["two_theta"].attrs["units"] == "deg"
        assert data["time"].attrs["units"] == "s"
        assert data["voltage"].attrs["units"] == "V"
        np.testing.assert_array_equal(data["intensity"][()], s.intensity)
        np.testing.assert_array_equal(data["intensity_errors"][()], s.sigma)
        np.testing.assert_array_equal(data["two_theta"][()], s.x)
        np.testing.assert_array_equal(data["time"][()], s.time_s)
        np.testing.assert_array_equal(data["voltage"][()], volts)
        assert entry["instrument/monochromator/wavelength"][()] == 1.5406
        assert entry["instrument/monochromator/wavelength"].attrs["units"] == "angstrom"
        assert [v.decode() for v in entry["process/sources"][()]] == list(s.source)
        assert entry["start_time"][()].decode().startswith("2023-11-14T22:13:20")  # 1.7e9 s in UTC


def test_nexus_q_axis_is_named_and_unitised(tmp_path):
    s = _series_with_everything()
    q = ScanSeries(x=s.axis_as("q_inv_A"), intensity=s.intensity, time_s=s.time_s, x_kind="q_inv_A")
    export.write_nexus(tmp_path / "q.nxs", q)
    with h5py.File(tmp_path / "q.nxs", "r") as fh:
        assert list(fh["entry/map"].attrs["axes"]) == ["time", "q"]
        assert fh["entry/map/q"].attrs["units"] == "1/angstrom"
        assert "instrument" not in fh["entry"]  # no wavelength known, none invented


def test_nexus_results_group(tmp_path):
    s = _series_with_everything()
    c = np.linspace(11.1, 11.3, s.n_scans)
    results = {"c_A": (c, np.full(s.n_scans, 0.002)), "a_A": np.full(s.n_scans, 2.88)}
    export.write_nexus(tmp_path / "r.nxs", s, results=results, result_units={"c_A": "angstrom"})
    with h5py.File(tmp_path / "r.nxs", "r") as fh:
        g = fh["entry/results"]
        assert g.attrs["NX_class"] == "NXdata" and g.attrs["signal"] == "c_A"
        assert list(g.attrs["auxiliary_signals"]) == ["a_A"]
        assert list(g.attrs["axes"]) == ["time"] and g["time"].attrs["units"] == "s"
        np.testing.assert_array_equal(g["c_A"][()], c)
        np.testing.assert_array_equal(g["c_A_errors"][()], 0.002)
        assert g["c_A"].attrs["units"] == "angstrom" and "units" not in g["a_A"].attrs


def test_nexus_rejects_wrong_length_results(tmp_path):
    s = _series_with_everything()
    with pytest.raises(ValueError, match="one per scan"):
        export.write_nexus(tmp_path / "bad.nxs", s, results={"c_A": np.zeros(2)})


def _can_load_nexus():
    if importlib.util.find_spec("analysis.readers") is None:
        return False
    from analysis.readers import loading
    return hasattr(loading, "load_series") and importlib.util.find_spec("analysis.readers.hdf5") is not None


@pytest.mark.skipif(not _can_load_nexus(), reason="no HDF5 reader in this checkout yet")
def test_nexus_export_loads_back_as_identical_series(tmp_path):
    from analysis.readers.loading import load_series
    s = _series_with_everything()
    export.write_nexus(tmp_path / "s.nxs", s, voltage_V=np.linspace(2.2, 4.4, s.n_scans),
                       results={"c_A": np.ones(s.n_scans)})
    back = load_series(tmp_path / "s.nxs")
    np.testing.assert_array_equal(back.x, s.x)
    np.testing.assert_array_equal(back.intensity, s.intensity)
    np.testing.assert_array_equal(back.sigma, s.sigma)
    np.testing.assert_array_equal(back.time_s, s.time_s)
    assert (back.x_kind, back.wavelength_A, back.start_epoch_s) == (s.x_kind, s.wavelength_A, s.start_epoch_s)
    q = ScanSeries(x=s.axis_as("q_inv_A"), intensity=s.intensity, time_s=s.time_s, x_kind="q_inv_A")
    export.write_nexus(tmp_path / "q.nxs", q)
    back = load_series(tmp_path / "q.nxs")
    assert back.x_kind == "q_inv_A"
    np.testing.assert_array_equal(back.x, q.x)


def test_export_series_picks_the_format_from_the_extension(tmp_path, series):
    assert export.export_series(tmp_path / "m.csv", series) == "matrix-csv"
    np.testing.assert_array_equal(export.read_matrix_csv(tmp_path / "m.csv")[3], series.intensity)
    assert export.export_series(tmp_path / "m.nxs", series, results={"c_A": np.zeros(series.n_scans)}) == "nexus"
    with h5py.File(tmp_path / "m.nxs", "r") as fh:
        np.testing.assert_array_equal(fh["entry/map/intensity"][()], series.intensity)
        assert "c_A" in fh["entry/results"]
    with pytest.raises(ValueError, match="unknown export format"):
        export.export_series(tmp_path / "m.xlsx", series)
