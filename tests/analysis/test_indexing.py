"""Indexing: fitted peaks → (phase, hkl) among library phases, with parasitic peaks and overrides."""

import numpy as np
import pytest

from analysis.indexing import ManualAssignment, ScanPeaks, Tolerance, index_scan, index_series
from analysis.phase_library import load_library

WAVELENGTH_A = 1.5406


@pytest.fixture(scope="module")
def library():
    return load_library()


def synthetic_peaks(components, rng=None, noise_deg=0.004, lo=10.0, hi=80.0):
    """Peaks of (phase, weight) pairs in [lo, hi] with areas weight × rel_intensity, and the truth
    (phase name, hkl) per peak. Peaks closer than 0.15° to a stronger one are dropped, as a fitter
    would merge them."""
    centers, areas, truth = [], [], []
    for phase, weight in components:
        r = phase.reflections(WAVELENGTH_A, (lo, hi))
        for h, t, inten in zip(r.hkl, r.two_theta_deg, r.rel_intensity):
            centers.append(t)
            areas.append(weight * inten)
            truth.append((phase.name, tuple(int(i) for i in h)))
    order = np.argsort(areas)[::-1]
    kept = []
    for i in order:
        if all(abs(centers[i] - centers[j]) > 0.15 for j in kept):
            kept.append(i)
    kept = sorted(kept, key=lambda i: centers[i])
    c = np.array([centers[i] for i in kept])
    if rng is not None:
        c = c + rng.normal(0.0, noise_deg, c.size)
    n = c.size
    peaks = ScanPeaks(c, np.full(n, noise_deg), np.full(n, 0.1), np.array([areas[i] for i in kept]),
                      np.full(n, 1.0))
    return peaks, [truth[i] for i in kept]


def test_two_cathode_phases_and_window_are_indexed(library):
    # Charged P2 (c moved by +0.16 Å, far beyond the tolerance of the library cell) + O3 + Be window.
    p2 = library["P2"].with_cell(a=2.870, c=11.31)
    o3 = library["O3"].with_cell(a=2.970, c=16.00)
    peaks, truth = synthetic_peaks([(p2, 1.0), (o3, 0.6), (library["Be"], 0.5)], np.random.default_rng(1))
    result = index_scan(peaks, list(library.values()), WAVELENGTH_A)
    assert {p.name for p in result.phases} == {"P2", "O3", "Be"}
    assigned = {r.peak: (r.phase, r.hkl) for r in result.rows}
    assert assigned == {i: t for i, t in enumerate(truth)}
    assert result.unassigned == ()
    refined = {p.name: p.cell for p in result.phases}
    # Positions carry 0.004° noise; the refined c is good to ~1e-3 Å.
    assert refined["P2"].c == pytest.approx(11.31, abs=3e-3)
    assert refined["O3"].c == pytest.approx(16.00, abs=3e-3)


def test_be_101_goes_to_be_not_to_the_cathode(library):
    p2 = library["P2"]
    peaks, truth = synthetic_peaks([(p2, 1.0), (library["Be"], 0.4)])
    be101 = truth.index(("Be", (1, 0, 1)))
    result = index_scan(peaks, [library[n] for n in ("P2", "O3", "P3", "OP4", "Be", "BeO", "Al")], WAVELENGTH_A)
    row = next(r for r in result.rows if r.peak == be101)
    assert (row.phase, row.hkl, row.source) == ("Be", (1, 0, 1), "auto")
    assert all(r.phase == "P2" for r in result.rows if truth[r.peak][0] == "P2")


def test_manual_entry_wins_over_automatic(library):
    p2 = library["P2"]
    peaks, truth = synthetic_peaks([(p2, 1.0), (library["Be"], 0.4)])
    be101 = truth.index(("Be", (1, 0, 1)))
    p2_002 = truth.index(("P2", (0, 0, 2)))
    manual = [ManualAssignment(peak=be101, phase="P2", hkl=(1, 0, 4)),
              ManualAssignment(peak=p2_002, phase=None)]
    result = index_scan(peaks, [library[n] for n in ("P2", "Be")], WAVELENGTH_A, manual=manual)
    rows = {r.peak: r for r in result.rows}
    assert (rows[be101].phase, rows[be101].hkl, rows[be101].source) == ("P2", (1, 0, 4), "manual")
    assert np.isfinite(rows[be101].calc_deg)   # computed from the P2 cell
    assert p2_002 not in rows and p2_002 in result.unassigned


def test_manual_entry_for_another_scan_is_ignored(library):
    peaks, truth = synthetic_peaks([(library["P2"], 1.0)])
    manual = [ManualAssignment(peak=0, phase="Be", hkl=(1, 0, 0), scan=5)]
    result = index_scan(peaks, [library["P2"]], WAVELENGTH_A, scan=0, manual=manual)
    assert all(r.source == "auto" for r in result.rows)


def test_tolerance_scales_with_error_and_width():
    peaks = ScanPeaks(np.array([20.0, 30.0, 40.0]), np.array([0.001, 0.05, 0.001]), np.array([0.02, 0.1, 0.3]))
    tol = Tolerance(min_deg=0.03, n_sigma=3, fwhm_fraction=0.5).per_peak(peaks)
    assert tol == pytest.approx([0.03, 0.15, 0.15])


def test_a_peak_beyond_tolerance_is_left_unassigned(library):
    p2 = library["P2"]
    peaks, truth = synthetic_peaks([(p2, 1.0)])
    odd = ScanPeaks(np.append(peaks.center_deg, 33.3), np.append(peaks.center_err_deg, 0.004),
                    np.append(peaks.fwhm_deg, 0.1), np.append(peaks.area, 30.0))
    result = index_scan(odd, [library[n] for n in ("P2", "O3", "Be")], WAVELENGTH_A)
    assert result.unassigned == (odd.center_deg.size - 1,)


def test_series_follows_a_drifting_cell(library):
    cs = np.linspace(11.15, 11.40, 6)
    peaks, truths = [], []
    rng = np.random.default_rng(4)
    for c in cs:
        p, t = synthetic_peaks([(library["P2"].with_cell(c=c), 1.0), (library["Be"], 0.3)], rng)
        peaks.append(p)
        truths.append(t)
    progress = []
    table = index_series(peaks, [library[n] for n in ("P2", "O3", "P3", "Be")], WAVELENGTH_A,
                         progress=lambda done, total: progress.append((done, total)))
    for scan, truth in enumerate(truths):
        rows = table.for_scan(scan)
        assert {r.peak: (r.phase, r.hkl) for r in rows} == {i: t for i, t in enumerate(truth)}
        p2 = next(p for p in table.phases[scan] if p.name == "P2")
        assert p2.cell.c == pytest.approx(cs[scan], abs=3e-3)
    assert progress[-1] == (6, 6)


def test_fit_results_feed_the_indexing_with_absent_peaks(library):
    from analysis.fit_results import SeriesFitResult
    from analysis.fit_windows import FitWindow
    from analysis.indexing import peaks_from_fit

    peaks, truth = synthetic_peaks([(library["P2"], 1.0), (library["Be"], 0.4)])
    n = len(peaks)
    windows = [FitWindow(lo_deg=10.0, hi_deg=80.0, peaks=tuple([None] * n))]
    result = SeriesFitResult.empty(windows, [0, 1], [0.0, 600.0], WAVELENGTH_A)
    for name, values in (("center", peaks.center_deg), ("center_err", peaks.center_err_deg),
                         ("fwhm", peaks.fwhm_deg), ("area", peaks.area), ("area_err", peaks.area_err)):
        getattr(result, name)[:] = values
    result.center[1, 0] = np.nan          # peak 0 not found in scan 1
    scans = peaks_from_fit(result)
    assert [len(s) for s in scans] == [n, n]
    table = index_series(scans, [library[n] for n in ("P2", "Be")], WAVELENGTH_A)
    for scan in (0, 1):
        got = {r.peak: (r.phase, r.hkl) for r in table.for_scan(scan)}
        expected = {i: t for i, t in enumerate(truth) if scan == 0 or i != 0}
        assert got == expected
    assert table.unassigned == ((), ())
