"""``operando-xrd fit``: sequential peak fits across a series, written as peaks.csv and peaks.h5."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.errors import InputError

from .inputs import load_input_series

MODEL_ALIASES = {"pvoigt": "pseudo_voigt", "pv": "pseudo_voigt", "gauss": "gaussian", "lorentz": "lorentzian",
                 "pearson7": "pearson_vii", "pvii": "pearson_vii", "split_pvoigt": "split_pseudo_voigt"}


def add_parser(sub) -> None:
    p = sub.add_parser("fit", help="fit peaks in 2θ windows across the series; write peaks.csv and peaks.h5")
    p.add_argument("input", nargs="+", help="pattern folder/files or HDF5/NeXus file")
    p.add_argument("--window", action="append", required=True, metavar="LO:HI[:NPEAKS]",
                   help="2θ window in degrees and its number of peaks (default 1); repeatable")
    p.add_argument("--model", default="pseudo_voigt", help="gaussian, lorentzian, pvoigt, pearson7, split_pvoigt")
    p.add_argument("--background", type=int, default=1, choices=(0, 1, 2), help="local background order")
    p.add_argument("--kalpha2", action="store_true", help="add the Cu Kα2 companion of every peak")
    p.add_argument("--kalpha2-ratio", type=float, default=0.5, help="Kα2/Kα1 intensity ratio")
    p.add_argument("--shared-fwhm", action="store_true", help="peaks of a window share one FWHM")
    p.add_argument("--direction", choices=("forward", "backward"), default="forward")
    p.add_argument("--start-scan", type=int, default=None, help="scan the seeded chain starts from")
    p.add_argument("--strategy", choices=("tracked", "chain"), default=None,
                   help="tracked: vectorised seeds then independent fits; chain: each fit seeded by its neighbour")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'local'")
    p.add_argument("--wavelength", type=float, default=None, help="wavelength in Å (overrides the file)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(run=run)


def parse_fit_window(text: str, *, model: str, background: int, kalpha2, shared_fwhm: bool):
    """``"15:17:2"`` → a FitWindow over 15–17° with two automatically found peaks."""
    from analysis.fit_windows import FitWindow

    parts = text.split(":")
    try:
        lo, hi = float(parts[0]), float(parts[1])
        n_peaks = int(parts[2]) if len(parts) > 2 else 1
        if len(parts) > 3 or n_peaks < 1:
            raise ValueError
        window = FitWindow.with_n_peaks(lo, hi, n_peaks, model=model, background_order=background, ka2=kalpha2)
    except (ValueError, IndexError) as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise InputError("--window", f"{text!r} is not LO:HI[:NPEAKS] with LO < HI{detail}") from None
    return window.with_shared_fwhm() if shared_fwhm else window


def run(args: argparse.Namespace) -> int:
    from analysis.fit_results_io import save_csv, save_hdf5
    from analysis.fit_windows import Kalpha2
    from analysis.peak_models import MODELS
    from analysis.sequential_fit import DEFAULT_STRATEGY, fit_series

    model = MODEL_ALIASES.get(args.model, args.model)
    if model not in MODELS:
        raise InputError("--model", f"unknown model {args.model!r}; choose one of {', '.join(MODELS)}")
    if not 0.0 < args.kalpha2_ratio <= 1.0:
        raise InputError("--kalpha2-ratio", f"{args.kalpha2_ratio} is not a Kα2/Kα1 ratio in (0, 1]")
    series = load_input_series(args.input, args.wavelength)
    if args.start_scan is not None and not 0 <= args.start_scan < series.n_scans:
        raise InputError("--start-scan", f"scan {args.start_scan} is outside 0..{series.n_scans - 1}")
    ka2 = Kalpha2(enabled=args.kalpha2, ratio=args.kalpha2_ratio)
    windows = [parse_fit_window(w, model=model, background=args.background, kalpha2=ka2,
                                shared_fwhm=args.shared_fwhm) for w in args.window]
    result = fit_series(series, windows, direction=args.direction, start_scan=args.start_scan,
                        workers=args.workers, scheduler=args.scheduler,
                        strategy=args.strategy or DEFAULT_STRATEGY, progress=_print_progress)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_csv(result, out / "peaks.csv")
    save_hdf5(result, out / "peaks.h5")
    print(f"\nfitted {series.n_scans} scans × {len(windows)} windows; wrote {out / 'peaks.csv'} and {out / 'peaks.h5'}")
    return 0


def _print_progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\rfitting {done}/{total}", end="", file=sys.stderr, flush=True)
