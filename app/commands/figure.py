"""``operando-xrd figure``: the publication contour figure, headless."""

from __future__ import annotations

import argparse

from analysis.errors import InputError

from .inputs import check_wavelength, load_input_series
from .project_inputs import is_project_file, open_project_inputs


def add_parser(sub) -> None:
    p = sub.add_parser("figure", help="render the contour + voltage figure to PNG/TIFF/SVG/PDF/EPS")
    p.add_argument("input", nargs="+", help="pattern folder/files, HDF5/NeXus file, or a project file (.oxrd): "
                                            "its series, voltage and events")
    p.add_argument("-o", "--out", required=True, help="output file; format from the extension")
    p.add_argument("--preset", default=None, help="style preset (rsc-single, acs-double, elsevier-single, ...)")
    p.add_argument("--window", action="append", default=[], metavar="LO:HI", help="2θ window (repeatable)")
    p.add_argument("--echem", default=None, help="electrochemistry file for the voltage panel")
    p.add_argument("--clock-offset", type=float, default=None,
                   help="seconds added to the echem clock (default 0, or the project's)")
    p.add_argument("--events", default=None, help="events JSON (as exported) to annotate")
    p.add_argument("--scaling", choices=("linear", "sqrt", "log"), default=None)
    p.add_argument("--cmap", default=None, help="matplotlib colour map name, e.g. viridis")
    p.add_argument("--dpi", type=float, default=None)
    p.add_argument("--wavelength", type=float, default=None, help="wavelength in Å (overrides the file)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from analysis.echem import load_echem
    from app.figures import echem_on_series_clock, figure_from_args

    echem_path, events, offset = args.echem, (), args.clock_offset
    if len(args.input) == 1 and is_project_file(args.input[0]):
        project = open_project_inputs(args.input[0])
        series, events = project.series, project.events
        echem_path = echem_path or project.echem_path
        offset = project.clock_offset_s if offset is None else offset
        check_wavelength(args.wavelength)
        if args.wavelength:
            series = series.with_wavelength(args.wavelength)
    else:
        series = load_input_series(args.input, args.wavelength)
    voltage = None
    if echem_path:
        voltage = echem_on_series_clock(load_echem(echem_path), series, clock_offset_s=offset or 0.0)
    if args.events:
        from analysis.export import read_events_json

        try:
            events = read_events_json(args.events)
        except (ValueError, KeyError, TypeError) as exc:   # not JSON, or not a list of events
            raise InputError(args.events, f"not an events JSON file ({exc})") from None
    overrides = {k: v for k, v in (("scaling", args.scaling), ("cmap", args.cmap)) if v}
    try:
        out = figure_from_args(series, args.out, preset=args.preset, windows=args.window, voltage=voltage,
                               events=events, dpi=args.dpi, overrides=overrides)
    except (ValueError, KeyError) as exc:
        problem = str(exc).strip("'\"")
        raise InputError(args.out, problem.removeprefix(f"{args.out}: ")) from None
    print(f"wrote {out}")
    return 0
