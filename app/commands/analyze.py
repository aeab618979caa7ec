"""``operando-xrd analyze``: the whole pipeline headless, with the files of the headless contract.

DIR/summary.json   n_scans, wavelength, sequence, events (see :func:`analysis.pipeline.summary`)
DIR/phases.csv     scan,time_s,voltage,phase,fraction,fraction_err,a,c,volume (long format)
DIR/peaks.csv      per scan per peak fits (and DIR/peaks.h5)
DIR/lattice.csv    scan,phase,a,a_err,c,c_err,volume,volume_err,volume_change_pct,interlayer_A,n_reflections
                   (cells from the indexed peak fits; with peak fits and a wavelength)
DIR/contour.png    the contour map with voltage panel and events
DIR/analysis.oxrd  the project file (inputs with checksums, settings, results, events)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

from analysis.errors import InputError

from .fit import parse_fit_window
from .inputs import load_input_series, load_voltage

PHASE_COLUMNS = ("scan", "time_s", "voltage", "phase", "fraction", "fraction_err", "a", "c", "volume")


def add_parser(sub) -> None:
    p = sub.add_parser("analyze", help="phases, transitions and peak fits of a series, written to a folder")
    p.add_argument("input", nargs="+", help="pattern folder/files or HDF5/NeXus file")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--wavelength", type=float, default=None, help="wavelength in Å (default: from the file)")
    p.add_argument("--phases", default=None, help="comma-separated library phases, e.g. P2,O3,P3,OP4 "
                                                   "(default: search the whole library)")
    p.add_argument("--echem", default=None, help="electrochemistry file (CSV or EC-Lab .mpt)")
    p.add_argument("--clock-offset", type=float, default=0.0, help="seconds added to the echem clock")
    p.add_argument("--window", action="append", default=[], metavar="LO:HI[:NPEAKS]",
                   help="peak-fitting window (default: found automatically); repeatable")
    p.add_argument("--no-kalpha2", action="store_true", help="no Cu Kα2 companion even for Cu Kα1 data")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from analysis.fit_windows import Kalpha2
    from analysis.pipeline import AnalysisSettings, is_lab_cu, run_analysis

    phases = _parse_phases(args.phases)  # check the arguments before the (slow) load and analysis
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    series = load_input_series(args.input, args.wavelength)
    if series.wavelength_A is None:
        print("operando-xrd: no wavelength in the file and none given (--wavelength): "
              "regimes will come from the patterns alone", file=sys.stderr)
    voltage = load_voltage(args.echem, series, args.clock_offset)
    kalpha2 = False if args.no_kalpha2 else is_lab_cu(series.wavelength_A)
    windows = tuple(parse_fit_window(w, model="pseudo_voigt", background=1, kalpha2=Kalpha2(enabled=kalpha2),
                                     shared_fwhm=False) for w in args.window)
    settings = AnalysisSettings(phases=phases, wavelength_A=args.wavelength, kalpha2=kalpha2 or None,
                                windows=windows, clock_offset_s=args.clock_offset)
    result = run_analysis(series, settings, voltage=voltage, progress=_print_progress)
    written = write_outputs(out, series, result, inputs=args.input, echem=args.echem)
    print(f"\nsequence: {result.sequence}")
    for path in written:
        print(f"wrote {path}")
    return 0


def _parse_phases(text):
    if not text:
        return None
    from analysis.phase_library import load_library

    names = tuple(p.strip() for p in text.split(",") if p.strip())
    library = load_library()
    unknown = [n for n in names if n not in library]
    if unknown:
        raise InputError("--phases", f"unknown phase(s) {', '.join(unknown)}; the library has "
                                     f"{', '.join(sorted(library))}")
    return names


def write_outputs(out: Path, series, result, *, inputs, echem=None) -> list[Path]:
    """All files of the headless contract into ``out``; returns their paths."""
    from analysis.fit_results_io import save_csv, save_hdf5
    from analysis.pipeline import phase_rows, summary

    written = [out / "summary.json", out / "phases.csv"]
    _write_json_atomic(written[0], summary(result, series))
    with open(written[1], "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=PHASE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in phase_rows(result, series):
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    if result.peaks is not None:
        save_csv(result.peaks, out / "peaks.csv")
        save_hdf5(result.peaks, out / "peaks.h5")
        written += [out / "peaks.csv", out / "peaks.h5"]
        if result.wavelength_A:
            written.append(_write_lattice(out / "lattice.csv", result))
    written.append(_write_contour(out / "contour.png", series, result))
    written.append(_write_project(out / "analysis.oxrd", result, inputs=inputs, echem=echem))
    return written


def _write_lattice(path: Path, result) -> Path:
    """Cells refined from the indexed peak fits (present cathode phases; parasitic peaks indexed, left out)."""
    from analysis.peak_indexing_run import index_analysis_peaks, write_lattice_csv
    from analysis.phase_library import load_library

    _, lattice = index_analysis_peaks(result, load_library())
    return write_lattice_csv(path, lattice, result.peaks.scan)


def _write_contour(path: Path, series, result) -> Path:
    from app.figures import figure_from_args

    return figure_from_args(series, path, preset="rsc-double", voltage=result.voltage, events=result.events,
                            dpi=300)


def _write_project(path: Path, result, *, inputs, echem) -> Path:
    from analysis.pipeline import result_arrays
    from analysis.project import Project, fit_result_arrays, make_input_ref, save_project

    refs = [make_input_ref(p, "patterns", path) for p in inputs]
    if echem:
        refs.append(make_input_ref(echem, "echem", path))
    results = result_arrays(result)
    if result.peaks is not None:
        results.update({f"peak_fit/{k}": v for k, v in fit_result_arrays(result.peaks).items()})
    settings = {"analysis": result.settings.to_dict(), "clock_offset_s": result.settings.clock_offset_s,
                "sequence": result.sequence}
    return save_project(path, Project(inputs=tuple(refs), settings=settings, results=results,
                                      events=tuple(result.events)))


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _print_progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\ranalysing {100 * done // max(total, 1)} %", end="", file=sys.stderr, flush=True)
