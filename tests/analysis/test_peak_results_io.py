"""Series fit results: shapes, d and Q, and identical CSV / HDF5 round trips."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from analysis.errors import InputError
from analysis.fit_results_io import CSV_COLUMNS, load_csv, load_hdf5, save, save_csv, save_hdf5
from analysis.fit_windows import FitWindow, Kalpha2
from analysis.sequential_fit import fit_series
from test_sequential_fit import two_phase_series


@pytest.fixture(scope="module")
def result():
    """Two windows, one with a vanishing/appearing pair (absent flags, NaNs), one with Kα2."""
    series, _, _ = two_phase_series(n_scans=24)
    windows = (FitWindow(29.5, 33.5, (31.0, 31.6), name="pair"),
               FitWindow(29.5, 33.5, (31.0,), ka2=Kalpha2(True, ratio_free=True), model="pearson7",
                         background_order=2))
    return fit_series(series, windows, strategy="chain")


def test_result_shapes_and_d_spacing(result):
    assert result.center.shape == (24, 3) and result.redchi.shape == (24, 2)
    assert list(result.peak_window) == [0, 0, 1] and list(result.peak_in_window) == [0, 1, 0]
    # hand check of Bragg's law for one cell: d = λ / (2 sin θ)
    c = result.center[0, 0]
    assert result.d_A[0, 0] == pytest.approx(1.5406 / (2 * np.sin(np.radians(c / 2))), rel=1e-12)
    assert result.q_inv_A[0, 0] == pytest.approx(2 * np.pi / result.d_A[0, 0], rel=1e-12)
    assert np.any(result.absent) and np.all(np.isnan(result.d_A[result.absent]))
    assert result.peak_labels[:2] == ("pair #0", "pair #1")


def test_csv_has_the_documented_columns_and_loads_back_identical(result, tmp_path):
    path = tmp_path / "peaks.csv"
    save_csv(result, path)
    with open(path, newline="") as fh:
        rows = list(csv.reader(line for line in fh if not line.startswith("#")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) - 1 == 24 * 3
    first = dict(zip(rows[0], rows[1]))
    assert (first["scan"], first["window"], first["peak"]) == ("0", "0", "0")
    assert float(first["center"]) == result.center[0, 0]
    back = load_csv(path)
    assert back.equals(result)


def test_hdf5_round_trip_is_identical(result, tmp_path):
    path = tmp_path / "fit.h5"
    save_hdf5(result, path)
    save_hdf5(result, path)  # writing again replaces the group
    assert load_hdf5(path).equals(result)
    save(result, tmp_path / "again.hdf5")
    assert load_hdf5(tmp_path / "again.hdf5").equals(result)


def test_round_trip_notices_a_change(result, tmp_path):
    path = tmp_path / "peaks.csv"
    save_csv(result, path)
    text = path.read_text().splitlines()
    cells = text[4].split(",")  # three comment lines and the header come first
    assert cells[:3] == ["0", "0", "0"]
    cells[9] = repr(float(cells[9]) * (1 + 1e-12))  # height of peak 0 on scan 0, present there
    text[4] = ",".join(cells)
    path.write_text("\n".join(text) + "\n")
    assert not load_csv(path).equals(result)


def test_loading_something_else_names_the_file(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="other.csv"):
        load_csv(bad)
    with pytest.raises(InputError, match="empty.h5"):
        import h5py
        h5py.File(tmp_path / "empty.h5", "w").close()
        load_hdf5(tmp_path / "empty.h5")


def test_curves_redraw_a_stored_fit(result):
    series, _, _ = two_phase_series(n_scans=24)
    xw, best, bg, comps = result.curves(series.x, 5, 0)
    assert comps.shape == (2, xw.size)
    assert np.allclose(comps.sum(axis=0) + bg, best)
    # the stored model describes the data to the noise: χ² per point near the stored redchi
    y = series.intensity[5][(series.x >= 29.5) & (series.x <= 33.5)]
    assert np.sqrt(np.mean((y - best) ** 2)) < 2 * np.sqrt(np.mean(y))


def test_windows_with_constraints_survive_json():
    from analysis.fit_windows import bounded, fixed, windows_from_json, windows_to_json

    w = (FitWindow(20.0, 26.0, (22.2, None), ka2=Kalpha2(True, 0.45, True), name="(003)")
         .with_shared_fwhm().with_constraint("p0_eta", fixed(0.3)).with_constraint("p0_center", bounded(22.0, 22.4)))
    assert windows_from_json(windows_to_json([w])) == (w,)
