"""The one command, ``operando-xrd``: no arguments opens the GUI; subcommands run headless."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from typing import Sequence

from analysis.errors import InputError

SUBCOMMANDS = ("info", "fit", "analyze", "figure")


def _build_parser() -> argparse.ArgumentParser:
    from .commands import analyze, figure, fit, info

    parser = argparse.ArgumentParser(
        prog="operando-xrd",
        description="Operando X-ray diffraction. Without a command: open the GUI "
                    "(operando-xrd [PATHS] [--demo] [--echem FILE]).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (info, fit, analyze, figure):
        module.add_parser(sub)
    return parser


def _build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="operando-xrd", description="Open the operando-xrd window.",
                                     epilog=f"headless commands: {', '.join(SUBCOMMANDS)} (operando-xrd COMMAND -h)")
    parser.add_argument("paths", nargs="*", help="pattern files, a folder or an HDF5/NeXus file to open")
    parser.add_argument("--demo", action="store_true", help="open the bundled sample operando series")
    parser.add_argument("--echem", default=None, help="electrochemistry file (CSV or EC-Lab .mpt)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # frozen (PyInstaller) builds start worker processes through here
    # The fits multiply small matrices, where BLAS threads cost more than they give (measured: half
    # the CPU time for the same wall time with one thread); set before numpy is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        args = _build_parser().parse_args(argv)
        try:
            return args.run(args)
        except InputError as exc:
            print(f"operando-xrd: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # output piped into `head` and closed early
            sys.stderr.close()
            return 0
        except OSError as exc:  # an output that cannot be written, a Dask scheduler that cannot be reached
            print(f"operando-xrd: {describe_os_error(exc)}", file=sys.stderr)
            return 2
    return _run_gui(_build_gui_parser().parse_args(argv))


def describe_os_error(exc: OSError) -> str:
    """One line: ``"PATH: problem"`` when the error names a file, else the error's own text."""
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def _run_gui(args: argparse.Namespace) -> int:
    from analysis.paths import sample_data_dir

    paths, echem = list(args.paths), args.echem
    if args.demo:
        demo = sample_data_dir()
        paths = [str(demo / "p2o3_operando.nxs")]
        echem = echem or str(demo / "p2o3_operando_echem.csv")
    from .gui.application import run_gui

    return run_gui(paths, echem)


if __name__ == "__main__":
    sys.exit(main())
