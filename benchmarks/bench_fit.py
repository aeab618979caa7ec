"""Peak-fitting benchmark: 1,000 scans × 3 windows × 2 pseudo-Voigt peaks (+ linear background),
300 points per window, Poisson noise, known truth.

Prints wall times and accuracy against the truth for
  * the default strategy (tracked seeds + vectorised independent fits) on 2 workers and on 1,
  * the seeded serial chain on 2 workers and on 1 (the alternative design),
  * fit_scan latency for the GUI (fresh and seeded),
  * xrdfit (its own venv, via subprocess) on the same data with the same peak shape, on the
    first ``--xrdfit-scans`` scans, extrapolated per fit,
  * a Dask LocalCluster run when ``distributed`` is importable.

Run: /work/venv/bin/python benchmarks/bench_fit.py [--xrdfit-python /work/venv-xrdfit/bin/python]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.fit_windows import FitWindow
from analysis.peak_fitting import fit_scan
from analysis.peak_models import profile
from analysis.sequential_fit import DEFAULT_STRATEGY, fit_series
from analysis.series import ScanSeries

WINDOWS = ((14.0, 20.0), (26.0, 32.0), (38.0, 44.0))
OFFSETS = (2.2, 3.6)          # peak positions inside each window at the start, degrees
AREAS = (150.0, 90.0)         # counts·deg
FWHM, ETA, BACKGROUND = 0.12, 0.4, 50.0


def make_data(n_scans=1000, seed=0):
    """Series plus truth (n_scans, 6): centers drift by ±0.3° (a charge/discharge-like sine),
    areas change by ±30 %, FWHM broadens by 20 % over the series."""
    rng = np.random.default_rng(seed)
    x = np.arange(10.0, 50.0, 0.02)
    t = np.linspace(0.0, 1.0, n_scans)
    centers, areas, fwhms = [], [], []
    y = np.full((n_scans, x.size), BACKGROUND)
    for lo, _ in WINDOWS:
        for k, (off, a0) in enumerate(zip(OFFSETS, AREAS)):
            c = lo + off + 0.3 * np.sin(2 * np.pi * t) * (1 if k == 0 else -0.5)
            a = a0 * (1 + 0.3 * np.cos(2 * np.pi * t + k))
            w = FWHM * (1 + 0.2 * t)
            for s in range(n_scans):
                y[s] += profile("pseudo_voigt", x, c[s], w[s], a[s], (ETA,))
            centers.append(c), areas.append(a), fwhms.append(w)
    series = ScanSeries(x=x, intensity=rng.poisson(y).astype(float), time_s=10.0 * np.arange(n_scans),
                        wavelength_A=1.5406, layout="synthetic benchmark")
    truth = {"center": np.array(centers).T, "area": np.array(areas).T, "fwhm": np.array(fwhms).T}
    return series, truth


def windows():
    return [FitWindow(lo, hi, tuple(lo + o for o in OFFSETS)) for lo, hi in WINDOWS]


def accuracy(fit: dict, truth: dict, rows=slice(None)) -> str:
    dc = fit["center"][rows] - truth["center"][rows]
    parts = [f"center: max|Δ| {np.nanmax(np.abs(dc)) * 1e3:.2f} mdeg, rms {np.sqrt(np.nanmean(dc ** 2)) * 1e3:.2f} mdeg"]
    if "center_err" in fit and np.any(np.isfinite(fit["center_err"][rows])):
        z = np.abs(dc) / fit["center_err"][rows]
        parts.append(f"|Δ|<4σ {np.nanmean(z < 4) * 100:.1f} %, rms(Δ/σ) {np.sqrt(np.nanmean(z ** 2)):.2f}")
    for q in ("fwhm", "area"):
        rel = (fit[q][rows] - truth[q][rows]) / truth[q][rows]
        parts.append(f"{q}: rms rel {np.sqrt(np.nanmean(rel ** 2)) * 100:.2f} %")
    bad = np.isnan(fit["center"][rows]).sum()
    parts.append(f"NaN/absent {bad}")
    return "; ".join(parts)


def _cpu_s() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_ours(series, truth, strategy, workers):
    t0, c0 = time.perf_counter(), _cpu_s()
    res = fit_series(series, windows(), strategy=strategy, workers=workers)
    dt, cpu = time.perf_counter() - t0, _cpu_s() - c0
    fit = {q: getattr(res, q) for q in ("center", "center_err", "fwhm", "area")}
    flagged = int(np.sum(res.window_flags != "")) + int(np.sum(res.peak_flags != ""))
    print(f"  {strategy:8s} workers={workers}: {dt:6.2f} s  ({dt / (series.n_scans * 3) * 1e3:.2f} ms/fit, "
          f"{flagged} flags, CPU {cpu:.2f} s)")
    print(f"      {accuracy(fit, truth)}")
    return dt, fit


def gui_latency(series):
    w = windows()[0]
    x = series.two_theta_deg
    fresh, seeded = [], []
    seed = fit_scan(x, series.intensity[0], w)
    for s in range(0, 200):
        t0 = time.perf_counter()
        fit_scan(x, series.intensity[s], w)
        fresh.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fit_scan(x, series.intensity[s], w, seed=seed)
        seeded.append(time.perf_counter() - t0)
    print(f"  fit_scan (one window, 2 peaks, 300 points): fresh guess median {np.median(fresh) * 1e3:.1f} ms "
          f"(95th pct {np.percentile(fresh, 95) * 1e3:.1f}), seeded median {np.median(seeded) * 1e3:.1f} ms")


def run_xrdfit(series, truth, python, n_scans, ours):
    if not Path(python).exists():
        print(f"  xrdfit: {python} not found; create it with python3 -m venv + pip install xrdfit numpy")
        return None
    worker = Path(__file__).with_name("xrdfit_worker.py")
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data.npz", Path(tmp) / "out.npz"
        np.savez(data, x=series.x, y=series.intensity[:n_scans], windows=np.array(WINDOWS),
                 start_centers=np.array([[lo + o for o in OFFSETS] for lo, _ in WINDOWS]))
        subprocess.run([python, str(worker), str(data), str(out), str(n_scans)], check=True,
                       capture_output=True, text=True)
        r = dict(np.load(out))
    per_fit = float(r["elapsed_s"]) / int(r["n_fits"])
    print(f"  xrdfit 1.3 (lmfit PseudoVoigt maxima + constant background, seeded like reuse_fits=True): "
          f"{float(r['elapsed_s']):.2f} s for {int(r['n_fits'])} fits = {per_fit * 1e3:.2f} ms/fit, "
          f"projected {per_fit * series.n_scans * 3:.1f} s for all {series.n_scans * 3}")
    print(f"      {accuracy(r, truth, slice(0, n_scans))}")
    print(f"      (operando-xrd on the same {n_scans} scans: {accuracy(ours, truth, slice(0, n_scans))})")
    return per_fit


def run_dask(series, truth):
    try:
        from distributed import LocalCluster
    except ImportError:
        print("  dask: distributed not installed, skipped")
        return
    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        res = fit_series(series, windows(), scheduler=cluster.scheduler_address)
        run = time.perf_counter() - t1
    fit = {q: getattr(res, q) for q in ("center", "center_err", "fwhm", "area")}
    print(f"  dask LocalCluster (2 worker processes): start-up {started:.1f} s, fit {run:.2f} s")
    print(f"      {accuracy(fit, truth)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scans", type=int, default=1000)
    ap.add_argument("--xrdfit-python", default="/work/venv-xrdfit/bin/python")
    ap.add_argument("--xrdfit-scans", type=int, default=100)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    series, truth = make_data(args.scans)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(f"data: {args.scans} scans × 3 windows × 2 pV peaks, 300 points/window "
          f"(made in {time.perf_counter() - t0:.1f} s); default strategy: {DEFAULT_STRATEGY}")
    print("operando-xrd:")
    best, ours = run_ours(series, truth, DEFAULT_STRATEGY, 2)
    run_ours(series, truth, DEFAULT_STRATEGY, 1)
    other = "chain" if DEFAULT_STRATEGY == "tracked" else "tracked"
    run_ours(series, truth, other, 2)
    run_ours(series, truth, other, 1)
    gui_latency(series)
    per_fit = run_xrdfit(series, truth, args.xrdfit_python, min(args.xrdfit_scans, args.scans), ours)
    if per_fit:
        ours = best / (series.n_scans * 3)
        print(f"  speed-up vs xrdfit: {per_fit / ours:.0f}× per fit "
              f"(ours {best:.2f} s total on 2 workers vs xrdfit projected {per_fit * series.n_scans * 3:.0f} s)")
    run_dask(series, truth)


if __name__ == "__main__":
    sys.exit(main())
