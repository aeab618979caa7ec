"""Writers: .xye folders and NeXus files load back through analysis.readers with the same numbers."""

import h5py
import numpy as np
import pytest

from analysis.readers import load_series
from analysis.series import ScanSeries
from analysis.simulation import simulate
from analysis.simulation_scenarios import get_scenario
from analysis.writers import iso_time, write_nexus, write_xye_folder


@pytest.fixture(scope="module")
def simulated():
    return simulate(get_scenario("p2o3_op4"), n_scans=8, step_deg=0.05, time_jitter=0.1, missing_scan=3).series


def test_xye_folder_round_trip(tmp_path, simulated):
    s = simulated
    paths = write_xye_folder(s, tmp_path / "xye")
    assert [p.name for p in paths][:2] == ["scan_000.xye", "scan_001.xye"]
    head = paths[1].read_text().splitlines()[:3]
    assert head == ["# Wavelength: 1.5406 A", f"# Date: {iso_time(s.start_epoch_s + s.time_s[1])}",
                    "# 2th_deg I sigma"]
    back = load_series(tmp_path / "xye")
    assert back.n_scans == s.n_scans and back.wavelength_A == pytest.approx(1.5406)
    np.testing.assert_array_equal(back.intensity, s.intensity)  # integer counts are written exactly
    np.testing.assert_allclose(back.x, s.x, atol=1e-9)
    np.testing.assert_allclose(back.time_s, s.time_s, atol=1e-6)  # whole-second times, ISO to the second
    assert back.start_epoch_s == pytest.approx(s.start_epoch_s)
    # sigma printed with 2 significant digits at its smallest value (σ ≥ 10 here → whole numbers):
    # rounding error ≤ 0.5
    assert s.sigma.min() >= 10
    np.testing.assert_allclose(back.sigma, s.sigma, rtol=0, atol=0.5)


def test_nexus_round_trip(tmp_path, simulated):
    s = simulated
    path = write_nexus(s, tmp_path / "s.nxs", extra={"sequence": "P2/O3 → P2/P3", "info": {"a": 1},
                                                     "values": np.arange(3.0)}, dtype="float32")
    with h5py.File(path, "r") as f:
        assert f.attrs["default"] == "entry" and f["entry"].attrs["default"] == "data"
        data = f["entry/data"]
        assert data.attrs["signal"] == "I" and list(data.attrs["axes"]) == [".", "two_theta"]
        assert data["two_theta"].attrs["units"] == "deg" and data["time"].attrs["units"] == "s"
        assert data["I"].compression == "gzip"
        wl = f["entry/instrument/monochromator/wavelength"]
        assert wl[()] == pytest.approx(1.5406) and wl.attrs["units"] == "angstrom"
        assert f["entry/start_time"][()].decode() == iso_time(s.start_epoch_s)
        assert f["entry/extra/info"][()].decode() == '{"a": 1}'
    back = load_series(path)
    np.testing.assert_array_equal(back.intensity, s.intensity)  # counts < 2**24 are exact in float32
    np.testing.assert_allclose(back.sigma, s.sigma, rtol=1e-7)  # float32 rounding
    np.testing.assert_array_equal(back.time_s, s.time_s)
    np.testing.assert_array_equal(back.x, s.x)
    assert back.wavelength_A == pytest.approx(1.5406) and back.start_epoch_s == pytest.approx(s.start_epoch_s)


def test_xye_without_start_time_and_with_float_intensity(tmp_path):
    s = ScanSeries(x=np.array([1.0, 1.5, 2.0]), intensity=np.array([[1.25, 2.5, 3.75], [2.0, 2.0, 2.0]]),
                   time_s=np.array([0.0, 60.0]), wavelength_A=None)
    paths = write_xye_folder(s, tmp_path, stem="p")
    text = paths[1].read_text().splitlines()
    # no sigma in the series: sqrt(I) is written; intensities are not all integers, so %.6g
    # smallest sigma is 1.118 → 1 decimal
    assert text[:3] == ["# time: 60.000", "# 2th_deg I sigma", "1.00 2 1.4"]
    assert paths[0].read_text().splitlines()[2] == "1.00 1.25 1.1"


def test_iso_time_keeps_milliseconds_only_when_needed():
    assert iso_time(0.0) == "1970-01-01T00:00:00+00:00"
    assert iso_time(1.25) == "1970-01-01T00:00:01.250+00:00"
