"""Reading a project file (``.oxrd``) as the input of a headless command."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import h5py

from analysis.errors import InputError
from analysis.series import ScanSeries


@dataclass(frozen=True)
class ProjectInputs:
    """What a command needs from a project: its series, echem file, events and clock offset; the
    pattern inputs as found now and every saved setting (analysis settings, library edits …)."""

    series: ScanSeries
    echem_path: Optional[str]
    events: tuple
    clock_offset_s: float
    pattern_paths: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)


def is_project_file(path: str) -> bool:
    """True for an operando-xrd project (an HDF5 file whose root says so), whatever its name."""
    from analysis.project import FORMAT_NAME

    if not os.path.isfile(path) or not h5py.is_hdf5(path):
        return False
    try:
        with h5py.File(path, "r", locking=False) as f:
            fmt = f.attrs.get("format", b"")
    except OSError:
        return False
    return (fmt.decode() if isinstance(fmt, bytes) else str(fmt)) == FORMAT_NAME


def open_project_inputs(path: str) -> ProjectInputs:
    """Load the series a project was built from (found beside the project or at its saved path).

    Raises InputError naming the project and the missing input when an input cannot be found.
    """
    from analysis.project import check_inputs, load_project
    from analysis.readers import load_series

    project = load_project(path)
    checks = check_inputs(project, path)
    missing = [c.ref.path for c in checks if c.status == "missing"]
    if missing:
        raise InputError(path, f"input not found: {missing[0]} (move it beside the project or back)")
    patterns = [c.resolved_path for c in checks if c.ref.role == "patterns"]
    if not patterns:
        raise InputError(path, "the project names no pattern input")
    echem = next((c.resolved_path for c in checks if c.ref.role == "echem"), None)
    series = load_series(patterns[0] if len(patterns) == 1 else patterns)
    return ProjectInputs(series=series, echem_path=echem, events=tuple(project.events),
                         clock_offset_s=float(project.settings.get("clock_offset_s", 0.0)),
                         pattern_paths=tuple(patterns), settings=dict(project.settings))
