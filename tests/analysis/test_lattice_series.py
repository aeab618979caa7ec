"""Cells along an indexed series: per-scan refinement, volume change, interlayer spacing."""

import numpy as np
import pytest

from analysis.indexing import index_series
from analysis.lattice_series import fit_lattice_series
from analysis.phase_library import load_library
from tests.analysis.test_indexing import WAVELENGTH_A, synthetic_peaks


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_cells_volume_and_interlayer_follow_the_truth(library):
    cs = np.linspace(11.15, 11.35, 5)
    as_ = np.linspace(2.885, 2.850, 5)
    phases = [library[n] for n in ("P2", "O3", "Be")]
    peaks = [synthetic_peaks([(library["P2"].with_cell(a=a, c=c), 1.0), (library["Be"], 0.3)])[0]
             for a, c in zip(as_, cs)]
    table = index_series(peaks, phases, WAVELENGTH_A)
    lattice = fit_lattice_series(table, peaks, phases, WAVELENGTH_A)
    assert set(lattice) == {"P2", "O3"}          # cathode phases only, by default
    p2 = lattice["P2"]
    # Exact positions: optimizer tolerance only.
    assert p2.parameters["c"] == pytest.approx(cs, abs=1e-6)
    assert p2.parameters["a"] == pytest.approx(as_, abs=1e-6)
    volume = np.sqrt(3) / 2 * as_ ** 2 * cs       # hexagonal: V = √3/2 a² c
    assert p2.volume_A3 == pytest.approx(volume, rel=1e-6)
    assert p2.volume_change_pct == pytest.approx(100 * (volume / volume[0] - 1), abs=1e-4)
    assert p2.interlayer_A == pytest.approx(cs / 2, abs=1e-6)   # P2: two layers per cell
    assert np.all(p2.n_reflections >= 8)
    assert np.all(np.isnan(lattice["O3"].volume_A3))            # O3 absent: never fitted


def test_shared_zero_shift_is_recovered(library):
    phase = library["P2"].with_cell(a=2.87, c=11.3)
    peaks, _ = synthetic_peaks([(phase, 1.0)])
    shifted = type(peaks)(peaks.center_deg + 0.06, peaks.center_err_deg, peaks.fwhm_deg, peaks.area)
    table = index_series([shifted], [library["P2"]], WAVELENGTH_A)
    lattice = fit_lattice_series(table, [shifted], [library["P2"]], WAVELENGTH_A, zero_shift=True)
    assert lattice["P2"].zero_deg[0] == pytest.approx(0.06, abs=1e-6)
    assert lattice["P2"].parameters["c"][0] == pytest.approx(11.3, abs=1e-5)


def test_noise_gives_consistent_errors(library):
    rng = np.random.default_rng(11)
    phase = library["P2"].with_cell(a=2.87, c=11.3)
    peaks = [synthetic_peaks([(phase, 1.0)], rng, noise_deg=0.005)[0] for _ in range(40)]
    table = index_series(peaks, [library["P2"]], WAVELENGTH_A)
    c = fit_lattice_series(table, peaks, [library["P2"]], WAVELENGTH_A)["P2"]
    # 40 scans estimate a standard deviation to ~11 %; allow 35 %.
    ratio = np.std(c.parameters["c"], ddof=1) / np.mean(c.errors["c"])
    assert 0.65 < ratio < 1.35
