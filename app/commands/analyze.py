"""``operando-xrd analyze``: the whole pipeline headless, with the files of the headless contract.

DIR/summary.json   n_scans, wavelength, sequence, events (see :func:`analysis.pipeline.summary`)
DIR/phases.csv     scan,time_s,voltage,phase,fraction,fraction_err,a,c,volume (long format)
DIR/peaks.csv      per scan per peak fits (and DIR/peaks.h5)
DIR/lattice.csv    scan,phase,a,a_err,c,c_err,volume,volume_err,volume_change_pct,interlayer_A,n_reflections
                   (cells from the indexed peak fits; with peak fits and a wavelength)
DIR/contour.png    the contour map with voltage panel and events
DIR/analysis.oxrd  the project file (inputs with checksums, settings, results, events)

INPUT may be a project file: the run re-uses its inputs, echem file, clock offset, saved Analyze
settings (setting ``analysis``) and phase-library edits (setting ``library``); flags given on the
command line take their place. ``--library DIR`` lays phase folders over both.
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
from .inputs import check_wavelength, load_input_series, load_voltage
from .project_inputs import is_project_file, open_project_inputs

PHASE_COLUMNS = ("scan", "time_s", "voltage", "phase", "fraction", "fraction_err", "a", "c", "volume")


def add_parser(sub) -> None:
    p = sub.add_parser("analyze", help="phases, transitions and peak fits of a series, written to a folder")
    p.add_argument("input", nargs="+", help="pattern folder/files, HDF5/NeXus file, or a project file (.oxrd): "
                                            "its inputs, analysis settings and phase-library edits")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--wavelength", type=float, default=None, help="wavelength in Å (default: from the file)")
    p.add_argument("--phases", default=None, help="comma-separated library phases, e.g. P2,O3,P3,OP4 "
                                                   "(default: the project's, else search the whole library)")
    p.add_argument("--library", action="append", default=[], metavar="DIR",
                   help="folder of extra phase files (*.json) over the bundled library; repeatable")
    p.add_argument("--echem", default=None, help="electrochemistry file (CSV or EC-Lab .mpt)")
    p.add_argument("--clock-offset", type=float, default=None,
                   help="seconds added to the echem clock (default 0, or the project's)")
    p.add_argument("--window", action="append", default=[], metavar="LO:HI[:NPEAKS]",
                   help="peak-fitting window (default: the project's, else found automatically); repeatable")
    p.add_argument("--no-kalpha2", action="store_true", help="no Cu Kα2 companion even for Cu Kα1 data")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from analysis.pipeline import run_analysis

    check_wavelength(args.wavelength)
    project = None
    if len(args.input) == 1 and is_project_file(args.input[0]):
        project = open_project_inputs(args.input[0])
    library = _library(args.library, project, args.input[0])
    phases = _parse_phases(args.phases, library)  # check the arguments before the (slow) load and analysis
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    series = project.series if project is not None else load_input_series(args.input)
    settings = _settings(args, phases, series, project)
    _check_known(settings, library, args.input[0])
    if settings.wavelength_A:
        series = series.with_wavelength(settings.wavelength_A)
    if series.wavelength_A is None:
        print("operando-xrd: no wavelength in the file and none given (--wavelength): "
              "regimes will come from the patterns alone", file=sys.stderr)
    echem = args.echem or (project.echem_path if project is not None else None)
    voltage = load_voltage(echem, series, settings.clock_offset_s)
    result = run_analysis(series, settings, voltage=voltage, progress=_print_progress, library=library)
    inputs = list(project.pattern_paths) if project is not None else args.input
    written = write_outputs(out, series, result, inputs=inputs, echem=echem, library=library, project=project)
    print(f"\nsequence: {result.sequence}")
    for note in result.notes:
        print(f"note: {note}")
    for path in written:
        print(f"wrote {path}")
    return 0


def _library(folders, project, source: str) -> dict:
    """Bundled phases, a project's saved edits over them, and the ``--library`` folders over both
    (an explicit flag wins). InputError naming a folder that does not exist or a bad phase."""
    from analysis.library_edits import LIBRARY_KEY, phases_from_settings
    from analysis.phase_library import load_library

    bundled = load_library()
    with_folders = load_library(extra_dirs=folders)
    from_folders = {name: phase for name, phase in with_folders.items()
                    if name not in bundled or phase.source_path != bundled[name].source_path}
    saved = {}
    if project is not None and LIBRARY_KEY in project.settings:
        saved = phases_from_settings(project.settings[LIBRARY_KEY], source=source)
    return {**bundled, **saved, **from_folders}


def _settings(args: argparse.Namespace, phases, series, project):
    """The project's saved analysis settings (defaults without a project) with every flag given on
    the command line in their place."""
    from dataclasses import replace

    from analysis.fit_windows import Kalpha2
    from analysis.pipeline import AnalysisSettings, is_lab_cu

    saved = project.settings.get("analysis") if project is not None else None
    try:
        settings = AnalysisSettings.from_dict(saved) if saved else AnalysisSettings()
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(args.input[0], f"the project's analysis settings cannot be read: {exc}") from exc
    if project is None:   # no saved choice: Kα2 follows the wavelength
        settings = replace(settings, kalpha2=is_lab_cu(args.wavelength or series.wavelength_A) or None)
    if args.no_kalpha2:
        settings = replace(settings, kalpha2=False)
    if phases is not None:
        settings = replace(settings, phases=phases)
    if args.wavelength is not None:
        settings = replace(settings, wavelength_A=args.wavelength)
    if args.window:
        kalpha2 = settings.kalpha2 if settings.kalpha2 is not None else is_lab_cu(
            settings.wavelength_A or series.wavelength_A)
        settings = replace(settings, windows=tuple(
            parse_fit_window(w, model="pseudo_voigt", background=1, kalpha2=Kalpha2(enabled=kalpha2),
                             shared_fwhm=False) for w in args.window))
    offset = args.clock_offset if args.clock_offset is not None else (
        project.clock_offset_s if project is not None else 0.0)
    return replace(settings, clock_offset_s=float(offset))


def _check_known(settings, library: dict, source: str) -> None:
    """InputError naming ``source`` (the project) when its saved settings name phases the library lacks."""
    unknown = [n for n in (*(settings.phases or ()), *settings.parasitic) if n not in library]
    if unknown:
        raise InputError(source, f"the saved analysis names phase(s) {', '.join(unknown)} that the library lacks "
                                 "(give --phases, or --library with their files)")


def _parse_phases(text, library):
    if not text:
        return None
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [n for n in names if n not in library]
    if unknown:
        raise InputError("--phases", f"unknown phase(s) {', '.join(unknown)}; the library has "
                                     f"{', '.join(sorted(library))}")
    return names


def write_outputs(out: Path, series, result, *, inputs, echem=None, library=None, project=None) -> list[Path]:
    """All files of the headless contract into ``out``; returns their paths.

    library: the phases the run used (None: the bundled library); project: the project re-run
    (:class:`~app.commands.project_inputs.ProjectInputs`), whose settings and manual events the new
    project keeps."""
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
            written.append(_write_lattice(out / "lattice.csv", result, library))
    written.append(_write_contour(out / "contour.png", series, result))
    written.append(_write_project(out / "analysis.oxrd", result, inputs=inputs, echem=echem, library=library,
                                  project=project))
    return written


def _write_lattice(path: Path, result, library=None) -> Path:
    """Cells refined from the indexed peak fits (present cathode phases; parasitic peaks indexed, left out)."""
    from analysis.peak_indexing_run import index_analysis_peaks, write_lattice_csv
    from analysis.phase_library import load_library

    _, lattice = index_analysis_peaks(result, load_library() if library is None else library)
    return write_lattice_csv(path, lattice, result.peaks.scan)


def _write_contour(path: Path, series, result) -> Path:
    from app.figures import figure_from_args

    return figure_from_args(series, path, preset="rsc-double", voltage=result.voltage, events=result.events,
                            dpi=300)


def _write_project(path: Path, result, *, inputs, echem, library=None, project=None) -> Path:
    """The project of the run: the settings of a re-run project with this run's analysis settings,
    library edits and sequence; its manual and reviewed events with this run's detected ones."""
    from analysis.library_edits import LIBRARY_KEY, library_settings
    from analysis.pipeline import result_arrays
    from analysis.project import Project, fit_result_arrays, make_input_ref, save_project

    refs = [make_input_ref(p, "patterns", path) for p in inputs]
    if echem:
        refs.append(make_input_ref(echem, "echem", path))
    results = result_arrays(result)
    results.update(_gui_analysis_arrays(results, result))
    if result.peaks is not None:
        results.update({f"peak_fit/{k}": v for k, v in fit_result_arrays(result.peaks).items()})
    settings = dict(project.settings) if project is not None else {}
    settings.update({"analysis": result.settings.to_dict(), "clock_offset_s": result.settings.clock_offset_s,
                     "sequence": result.sequence})
    if library is not None:
        settings[LIBRARY_KEY] = library_settings(library)
    kept = [e for e in project.events if e.source != "auto"] if project is not None else []
    return save_project(path, Project(inputs=tuple(refs), settings=settings, results=results,
                                      events=(*kept, *result.events)))


def _gui_analysis_arrays(results: dict, result) -> dict:
    """The decomposition again where the GUI reads it (``analysis/…``: phases, sequence, present
    phases), so the window shows the run when the project is opened."""
    import numpy as np

    arrays = {f"analysis/{k}": v for k, v in results.items() if k.startswith("phases/")}
    if arrays:
        arrays["analysis/sequence"] = np.array([result.sequence], dtype=str)
        arrays["analysis/present_phases"] = np.array(result.present_phases(), dtype=str)
    return arrays


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _print_progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\ranalysing {100 * done // max(total, 1)} %", end="", file=sys.stderr, flush=True)
