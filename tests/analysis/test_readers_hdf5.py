"""Every HDF5/NeXus layout of ecosystem.md §1, built with h5py in the test, read back exactly."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from analysis import axis as ax
from analysis.errors import InputError
from analysis.readers import load_series

N_SCANS, N_POINTS = 6, 40
RNG = np.random.default_rng(1)
STACK = RNG.uniform(10.0, 1000.0, size=(N_SCANS, N_POINTS))
ERRORS = np.sqrt(STACK)
TTH = np.linspace(5.0, 45.0, N_POINTS)
Q_A = np.linspace(0.5, 4.5, N_POINTS)
EPOCH = 1.77e9 + 30.0 * np.arange(N_SCANS)


def _string_attr(obj, name, value):
    obj.attrs[name] = value


def _nxdata(group, signal="data", axis="radial", axis_values=TTH, unit_key="units", unit="deg", errors=True):
    group.attrs["NX_class"] = "NXdata"
    group.attrs["signal"] = signal
    group.attrs["axes"] = [".", axis]
    group.create_dataset(signal, data=STACK)
    if errors:
        group.create_dataset(f"{signal}_errors", data=ERRORS)
    ds = group.create_dataset(axis, data=axis_values)
    if unit is not None:
        ds.attrs[unit_key] = unit
    return group


def test_pyfai_hdf5writer(tmp_path):
    path = tmp_path / "pyfai.h5"
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "entry_0000"
        entry = f.create_group("entry_0000")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "integrate/results"
        entry.create_dataset("start_time", data="2026-03-01T12:00:00+00:00")
        process = entry.create_group("integrate")
        process.attrs["NX_class"] = "NXprocess"
        _nxdata(process.create_group("results"), axis="radial", axis_values=Q_A * 10.0, unit_key="unit",
                unit="nm^{-1}")
        entry["integrate/results/radial"].attrs["name"] = "q"
    series = load_series(path)
    assert series.x_kind == ax.Q
    np.testing.assert_allclose(series.x, Q_A, rtol=1e-12)  # nm^-1 -> Å^-1 is an exact factor 0.1
    np.testing.assert_array_equal(series.intensity, STACK)
    np.testing.assert_array_equal(series.sigma, ERRORS)
    assert "via @default" in series.layout and "/entry_0000/integrate/results" in series.layout
    assert series.start_epoch_s == pytest.approx(1772366400.0)
    assert series.time_source == "index"


def test_pyfai_angstrom_latex_unit(tmp_path):
    path = tmp_path / "pyfai_A.h5"
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "entry_0000"
        entry = f.create_group("entry_0000")
        entry.attrs["default"] = "integrate/results"
        _nxdata(entry.create_group("integrate/results"), axis_values=Q_A, unit_key="unit", unit="\\AA^{-1}")
    series = load_series(path)
    assert series.x_kind == ax.Q
    np.testing.assert_array_equal(series.x, Q_A)


def test_nxazint1d(tmp_path):
    path = tmp_path / "azint.nxs"
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "data"
        _nxdata(entry.create_group("data"), signal="I", axis="radial_axis", unit="degrees")
        mono = entry.create_group("instrument/monochromator")
        mono.attrs["NX_class"] = "NXmonochromator"
        mono.create_dataset("wavelength", data=0.5904)
        mono["wavelength"].attrs["units"] = "angstrom"
    series = load_series(path)
    assert series.x_kind == ax.TWO_THETA
    np.testing.assert_array_equal(series.x, TTH)
    np.testing.assert_array_equal(series.intensity, STACK)
    np.testing.assert_array_equal(series.sigma, ERRORS)  # I_errors
    assert series.wavelength_A == pytest.approx(0.5904, rel=1e-12)


def test_dioptas_batch(tmp_path):
    path = tmp_path / "dioptas.nxs"
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "processed"
        processed = f.create_group("processed")
        processed.attrs["NX_class"] = "NXentry"
        _nxdata(processed.create_group("result"), axis="binning", unit_key="unit", unit="deg", errors=False)
        processed.create_dataset("process/files", data=np.array([f"img_{i}.tif" for i in range(N_SCANS)], dtype="S"))
    series = load_series(path)
    np.testing.assert_array_equal(series.x, TTH)
    np.testing.assert_array_equal(series.intensity, STACK)
    assert series.sigma is None
    assert "/processed/result" in series.layout


def test_ewoks_bliss_scan(tmp_path):
    path = tmp_path / "ewoks.h5"
    with h5py.File(path, "w") as f:
        scan = f.create_group("1.1")
        scan.attrs["NX_class"] = "NXentry"
        scan.create_dataset("start_time", data="2026-03-01T12:00:00+00:00")
        integ = scan.create_group("p3_integrate/integrated")
        integ.attrs["NX_class"] = "NXdata"
        integ.attrs["signal"] = "intensity"
        integ.attrs["axes"] = ["points", "2th"]
        integ.create_dataset("intensity", data=STACK)
        integ.create_dataset("intensity_errors", data=ERRORS)
        integ.create_dataset("points", data=np.arange(N_SCANS))
        integ.create_dataset("2th", data=TTH).attrs["units"] = "deg"
        scan.create_dataset("measurement/epoch", data=EPOCH)
        scan["measurement/p3_integrated"] = h5py.SoftLink("/1.1/p3_integrate/integrated/intensity")
        mono = scan.create_group("instrument/mono")
        mono.attrs["NX_class"] = "NXmonochromator"
        mono.create_dataset("energy", data=75.0).attrs["units"] = "keV"
    series = load_series(path)
    np.testing.assert_array_equal(series.x, TTH)
    np.testing.assert_array_equal(series.intensity, STACK)
    np.testing.assert_array_equal(series.sigma, ERRORS)
    assert series.time_source == "file"
    np.testing.assert_allclose(series.time_s, 30.0 * np.arange(N_SCANS))
    assert series.start_epoch_s == EPOCH[0]
    assert series.wavelength_A == pytest.approx(12.398419843 / 75.0, rel=1e-12)
    assert series.source[2].endswith("/1.1/p3_integrate/integrated/intensity[2]")


def test_legacy_colon_axes_and_signal_attr(tmp_path):
    path = tmp_path / "legacy.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("entry/data")
        ds = g.create_dataset("counts", data=STACK)
        ds.attrs["signal"] = 1
        ds.attrs["axes"] = "points:2th"
        g.create_dataset("2th", data=TTH).attrs["units"] = "degrees"
        g.create_dataset("time", data=np.arange(N_SCANS) * 12.5)
    series = load_series(path)
    np.testing.assert_array_equal(series.intensity, STACK)
    np.testing.assert_array_equal(series.x, TTH)
    assert "legacy" in series.layout
    np.testing.assert_allclose(series.time_s, 12.5 * np.arange(N_SCANS))
    assert series.time_source == "file" and series.start_epoch_s is None


def test_elapsed_times_count_from_start_time(tmp_path):
    path = tmp_path / "elapsed.nxs"
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.create_dataset("start_time", data="2026-03-01T12:00:00Z")
        g = _nxdata(entry.create_group("data"), errors=False)
        g.create_dataset("elapsed_time", data=100.0 + 20.0 * np.arange(N_SCANS))
    series = load_series(path)
    np.testing.assert_allclose(series.time_s, 20.0 * np.arange(N_SCANS))
    assert series.start_epoch_s == pytest.approx(1772366400.0 + 100.0)  # first scan 100 s after start_time


def test_axis_indices_attribute(tmp_path):
    path = tmp_path / "indices.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("entry/data")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "I"
        g.attrs["tth_indices"] = 1
        g.create_dataset("I", data=STACK)
        g.create_dataset("tth", data=TTH)  # no unit: the name says 2θ
        g.create_dataset("q", data=np.linspace(0, 1, N_POINTS))
    series = load_series(path)
    np.testing.assert_array_equal(series.x, TTH)
    assert any("no unit" in n for n in series.notes)


def test_heuristic_without_nexus_attributes(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("junk/small", data=np.ones((2, 3)))
        f.create_dataset("results/intensities", data=STACK)
        f.create_dataset("results/tth", data=TTH).attrs["units"] = "deg"
        f.create_dataset("results/frame", data=np.arange(N_POINTS))  # same length, but a counter
        f.create_dataset("results/a_time", data=np.arange(N_POINTS) * 2.0)  # same length, no preferred name
    series = load_series(path)
    np.testing.assert_array_equal(series.intensity, STACK)
    np.testing.assert_array_equal(series.x, TTH)
    assert "heuristic" in series.layout


def test_single_pattern_nxdata_and_metres_wavelength(tmp_path):
    path = tmp_path / "monpd.nxs"
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        g = entry.create_group("results")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "data"
        g.attrs["axes"] = ["polar_angle"]
        g.create_dataset("data", data=STACK[0])
        g.create_dataset("polar_angle", data=TTH).attrs["units"] = "2th_deg"
        mono = entry.create_group("instrument/monochromator")
        mono.attrs["NX_class"] = "NXmonochromator"
        mono.create_dataset("wavelength", data=1.5406e-10)  # metres by magnitude (no units attribute)
    series = load_series(path)
    assert series.n_scans == 1
    np.testing.assert_array_equal(series.intensity[0], STACK[0])
    assert series.wavelength_A == pytest.approx(1.5406, rel=1e-12)


def test_decreasing_axis_and_transposed_stack(tmp_path):
    path = tmp_path / "flipped.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("entry/data")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "data"
        g.create_dataset("data", data=STACK.T[::-1])  # (points, scans), axis descending
        g.create_dataset("2th", data=TTH[::-1]).attrs["units"] = "deg"
    series = load_series(path)
    np.testing.assert_array_equal(series.x, TTH)
    np.testing.assert_array_equal(series.intensity, STACK)
    assert any("transposed" in n for n in series.notes) and any("reversed" in n for n in series.notes)


def test_all_nan_edge_bins_dropped(tmp_path):
    path = tmp_path / "edges.h5"
    stack = STACK.copy()
    stack[:, :3] = np.nan
    with h5py.File(path, "w") as f:
        g = f.create_group("entry/data")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "data"
        g.create_dataset("data", data=stack)
        g.create_dataset("2th", data=TTH).attrs["units"] = "deg"
    series = load_series(path)
    np.testing.assert_array_equal(series.x, TTH[3:])
    np.testing.assert_array_equal(series.intensity, STACK[:, 3:])
    assert any("dropped 3" in n for n in series.notes)


def test_compressed_with_hdf5plugin(tmp_path):
    import hdf5plugin
    path = tmp_path / "lz4.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("entry/data")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "data"
        g.create_dataset("data", data=STACK.astype(np.float32), **hdf5plugin.Bitshuffle(cname="lz4"))
        g.create_dataset("2th", data=TTH).attrs["units"] = "deg"
    series = load_series(path)
    np.testing.assert_array_equal(series.intensity, STACK.astype(np.float32))


def test_chosen_by_content_not_extension(tmp_path):
    h5_named_dat = tmp_path / "stack.dat"
    with h5py.File(h5_named_dat, "w") as f:
        g = f.create_group("entry/data")
        g.attrs["NX_class"] = "NXdata"
        g.attrs["signal"] = "data"
        g.create_dataset("data", data=STACK)
        g.create_dataset("2th", data=TTH).attrs["units"] = "deg"
    np.testing.assert_array_equal(load_series(h5_named_dat).intensity, STACK)
    text_named_h5 = tmp_path / "pattern.h5"
    text_named_h5.write_text("".join(f"{a:.4f} {b:.3f}\n" for a, b in zip(TTH, STACK[0])))
    np.testing.assert_allclose(load_series(text_named_h5).intensity[0], STACK[0], rtol=0, atol=0.5e-3)


def test_bliss_default_counter_plot_and_mca_do_not_win_over_the_pattern_stack(tmp_path):
    path = tmp_path / "bliss.h5"
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "1.1"
        scan = f.create_group("1.1")
        scan.attrs["NX_class"] = "NXentry"
        scan.attrs["default"] = "plotselect"
        plot = scan.create_group("plotselect")  # a 1-D counter plot: not a pattern
        plot.attrs.update({"NX_class": "NXdata", "signal": "mon", "axes": ["elapsed_time"]})
        plot.create_dataset("mon", data=np.ones(N_SCANS))
        plot.create_dataset("elapsed_time", data=np.arange(N_SCANS, dtype=float))
        mca = scan.create_group("mca")  # a bigger 2-D stack on an energy axis: not diffraction
        mca.attrs.update({"NX_class": "NXdata", "signal": "spectrum", "axes": [".", "energy"]})
        mca.create_dataset("spectrum", data=np.ones((N_SCANS, 4 * N_POINTS)))
        mca.create_dataset("energy", data=np.linspace(1, 40, 4 * N_POINTS)).attrs["units"] = "keV"
        integ = scan.create_group("p3_integrate/integrated")
        integ.attrs.update({"NX_class": "NXdata", "signal": "intensity", "axes": ["points", "2th"]})
        integ.create_dataset("intensity", data=STACK)
        integ.create_dataset("2th", data=TTH).attrs["units"] = "deg"
    series = load_series(path)
    np.testing.assert_array_equal(series.intensity, STACK)
    assert "/1.1/p3_integrate/integrated" in series.layout
    assert any("/1.1/mca/spectrum" in n for n in series.notes)


def test_scan_counter_is_not_taken_for_a_transposed_axis(tmp_path):
    path = tmp_path / "noaxis.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("entry/data")
        g.attrs.update({"NX_class": "NXdata", "signal": "data", "axes": [".", "2th"]})  # 2th is missing
        g.create_dataset("data", data=STACK)
        g.create_dataset("points", data=np.arange(N_SCANS))
        f.create_dataset("entry/other", data=np.ones(3))
    with pytest.raises(InputError, match="no stack"):
        load_series(path)


def test_heuristic_never_takes_a_time_counter_for_x(tmp_path):
    path = tmp_path / "counters.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("results/intensities", data=np.ones((N_POINTS, N_POINTS)))
        f.create_dataset("results/time", data=np.arange(N_POINTS) * 10.0)
    with pytest.raises(InputError, match="no stack"):
        load_series(path)
