"""Fit benchmark data with xrdfit; run by bench_fit.py inside xrdfit's own venv.

Usage: python xrdfit_worker.py data.npz out.npz n_scans

For each window and scan it calls xrdfit's own per-peak fit (``xrdfit.pv_fit.do_pv_fit``: lmfit
pseudo-Voigt maxima plus a constant background) and passes each result on to the next scan the
way ``FitExperiment.run_analysis(reuse_fits=True)`` does (``set_previous_fit`` and
``adjust_maxima_bounds``), without its file reading, so only fitting is timed.
"""

import sys
import time

import numpy as np
from xrdfit.pv_fit import do_pv_fit
from xrdfit.spectrum_fitting import PeakParams


def main(data_path, out_path, n_scans):
    d = np.load(data_path)
    x, y, windows, starts = d["x"], d["y"][:n_scans], d["windows"], d["start_centers"]
    n_peaks = starts.shape[1]
    shape = (n_scans, len(windows) * n_peaks)
    out = {k: np.full(shape, np.nan) for k in ("center", "center_err", "fwhm", "area")}
    t0 = time.perf_counter()
    for w, (lo, hi) in enumerate(windows):
        sel = (x >= lo) & (x <= hi)
        names = [f"m{i}" for i in range(n_peaks)]
        # maxima bounds ±0.2 deg: xrdfit derives its sigma limits from them (0.1-4 × the range),
        # so they must be narrow enough to allow the true FWHM of 0.12-0.14 deg
        params = PeakParams((lo, hi), names, [(c - 0.2, c + 0.2) for c in starts[w]])
        for s in range(n_scans):
            result = do_pv_fit(np.column_stack([x[sel], y[s, sel]]), params)
            params.set_previous_fit(result.params, [100.0] * n_peaks, 4)
            params.adjust_maxima_bounds(result)
            for i in range(n_peaks):
                col = w * n_peaks + i
                c = result.params[f"maximum_{i}_center"]
                out["center"][s, col] = c.value
                out["center_err"][s, col] = np.nan if c.stderr is None else c.stderr
                out["fwhm"][s, col] = 2.0 * result.params[f"maximum_{i}_sigma"].value
                out["area"][s, col] = result.params[f"maximum_{i}_amplitude"].value
    elapsed = time.perf_counter() - t0
    np.savez(out_path, elapsed_s=elapsed, n_fits=n_scans * len(windows), **out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
