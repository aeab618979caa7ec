"""A folder or a list of text pattern files as one :class:`ScanSeries`.

Files are taken in natural order (``scan_2`` before ``scan_10``). Files that are not patterns
(README, a voltage CSV, JSON, images, binary) are skipped and named in ``series.notes``; a file
that looks like a pattern but is broken raises :class:`InputError`, so data are never dropped
silently. Scan times come from header timestamps when every file has one, else from file
modification times, else from the scan index.
"""

from __future__ import annotations

import os
import re
from typing import Optional, Sequence

import numpy as np

from .. import axis as ax
from ..cancel import CancelToken, ProgressFn
from ..errors import InputError
from ..series import ScanSeries, stack_on_common_grid
from .sniff import IGNORED_SUFFIXES
from .parallel import parse_files
from .text import TextPattern

_MAX_SKIPPED_NAMED = 5
PREFERRED_SUFFIXES = (".xye", ".fxye", ".xy", ".dat", ".chi", ".gsa", ".txt", ".csv")


def natural_key(name: str) -> list:
    """Sort key that orders digit runs by value: ``scan_2`` < ``scan_10``."""
    return [(0, int(part), part) if part.isdigit() else (1, 0, part.lower())
            for part in re.split(r"(\d+)", name) if part]


def folder_files(folder: str) -> list[str]:
    """Regular, non-hidden files of a folder in natural order, minus known non-pattern extensions."""
    try:
        names = os.listdir(folder)
    except OSError as err:
        raise InputError(folder, f"cannot list folder ({err.strerror or err})") from None
    paths = [os.path.join(folder, n) for n in names
             if not n.startswith(".") and os.path.splitext(n)[1].lower() not in IGNORED_SUFFIXES]
    return sorted((p for p in paths if os.path.isfile(p)), key=lambda p: natural_key(os.path.basename(p)))


def load_text_files(paths: Sequence[str], *, layout_hint: str, origin: str,
                    progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> ScanSeries:
    """Read text patterns (already in natural order) into one series.

    ``origin`` is the folder or first file, named in errors; ``layout_hint`` is ``"folder"`` or ``"list"``.
    """
    notes: list[str] = []
    if layout_hint == "folder":
        paths, twin_note = same_scans_in_several_formats(paths)
        notes += [twin_note] if twin_note else []
    patterns, skipped = parse_files(paths, progress, cancel)
    if not patterns:
        why = "; ".join(f"{os.path.basename(p)}: {problem}" for p, problem in skipped[:_MAX_SKIPPED_NAMED])
        raise InputError(origin, "no diffraction patterns found" + (f" ({why})" if why else ""))
    if skipped:
        named = ", ".join(f"{os.path.basename(p)} ({problem})" for p, problem in skipped[:_MAX_SKIPPED_NAMED])
        more = f" and {len(skipped) - _MAX_SKIPPED_NAMED} more" if len(skipped) > _MAX_SKIPPED_NAMED else ""
        notes.append(f"ignored {len(skipped)} file(s) that are not patterns: {named}{more}")
    return series_from_patterns(patterns, layout_hint=layout_hint, origin=origin, notes=notes)


def series_from_patterns(patterns: Sequence[TextPattern], *, layout_hint: str, origin: str,
                         notes: Sequence[str] = ()) -> ScanSeries:
    """Stack parsed patterns: check they are compatible, put them on one grid, work out times."""
    notes = list(notes)
    x_kind = _common_kind(patterns)
    grid, intensity, sigma = _stack(patterns, notes)
    time_s, start_epoch_s, time_source = scan_times(patterns, notes)
    wavelength = _common_wavelength(patterns, notes)
    notes.extend(_file_notes(patterns))
    return ScanSeries(x=grid, intensity=intensity, sigma=sigma, time_s=time_s, x_kind=x_kind,
                      start_epoch_s=start_epoch_s, time_source=time_source, wavelength_A=wavelength,
                      source=tuple(p.path for p in patterns), layout=_layout(patterns, layout_hint),
                      notes=tuple(notes))


def _file_notes(patterns: Sequence[TextPattern]) -> list[str]:
    """Per-file notes, each said once with the files it applies to."""
    files_by_note: dict[str, list[str]] = {}
    for p in patterns:
        for note in p.notes:
            files_by_note.setdefault(note, []).append(os.path.basename(p.path))
    out = []
    for note, names in files_by_note.items():
        which = names[0] if len(names) == 1 else f"{len(names)} files, e.g. {names[0]}"
        out.append(f"{note} ({which})")
    return out


def same_scans_in_several_formats(paths: Sequence[str]) -> tuple[list[str], str | None]:
    """Keep one extension when a folder holds the same scans twice (e.g. Dioptas .xy and .chi).

    Returns (paths to read, note or None). The format with the most files wins; on a tie the
    one listed first in ``PREFERRED_SUFFIXES`` (uncertainties before none).
    """
    by_suffix: dict[str, list[str]] = {}
    for p in paths:
        by_suffix.setdefault(os.path.splitext(p)[1].lower(), []).append(p)
    if len(by_suffix) < 2:
        return list(paths), None
    stems = {suffix: {os.path.splitext(os.path.basename(p))[0] for p in group} for suffix, group in by_suffix.items()}
    rank = {s: i for i, s in enumerate(PREFERRED_SUFFIXES)}
    best = max(by_suffix, key=lambda s: (len(by_suffix[s]), -rank.get(s, len(rank))))
    twins = [s for s in by_suffix if s != best and len(stems[s] & stems[best]) >= 0.5 * len(stems[s])]
    if not twins:
        return list(paths), None
    keep = [p for p in paths if os.path.splitext(p)[1].lower() not in twins]
    return keep, (f"the folder holds the same scans as {best} and {', '.join(twins)} files; "
                  f"read the {best} files only")


def _layout(patterns: Sequence[TextPattern], hint: str) -> str:
    if len(patterns) == 1 and hint != "folder":
        return f"text pattern ({patterns[0].format}) {os.path.basename(patterns[0].path)}"
    suffixes = sorted({os.path.splitext(p.path)[1].lower() or "(no extension)" for p in patterns})
    where = "folder" if hint == "folder" else "list"
    return f"{where} of {len(patterns)} {'/'.join(suffixes)} files"


def _common_kind(patterns: Sequence[TextPattern]) -> str:
    first = patterns[0]
    for p in patterns[1:]:
        if p.x_kind != first.x_kind:
            raise InputError(p.path, f"incompatible files: {os.path.basename(first.path)} has a "
                                     f"{ax.AXIS_LABELS[first.x_kind]} axis but {os.path.basename(p.path)} "
                                     f"has {ax.AXIS_LABELS[p.x_kind]}")
    return first.x_kind


def _stack(patterns: Sequence[TextPattern], notes: list[str]):
    axes = [p.x for p in patterns]
    try:
        grid, intensity, interpolated = stack_on_common_grid(axes, [p.y for p in patterns])
    except ValueError:
        lo = max(range(len(axes)), key=lambda i: axes[i][0])
        hi = min(range(len(axes)), key=lambda i: axes[i][-1])
        a, b = patterns[lo], patterns[hi]
        raise InputError(a.path, f"incompatible files: {os.path.basename(a.path)} starts at {a.x[0]:g} but "
                                 f"{os.path.basename(b.path)} ends at {b.x[-1]:g}; the axes do not overlap") from None
    have_sigma = [p.sigma is not None for p in patterns]
    sigma = None
    if all(have_sigma):
        sigma = np.vstack([np.interp(grid, p.x, p.sigma) if interpolated else p.sigma for p in patterns])
    elif any(have_sigma):
        notes.append(f"only {sum(have_sigma)} of {len(patterns)} files have an uncertainty column; "
                     "uncertainties dropped")
    if interpolated:
        moved = sum(1 for a in axes if a.shape != grid.shape or not np.allclose(a, grid, rtol=0, atol=1e-9))
        notes.append(f"{moved} of {len(patterns)} scans were on a different grid and were linearly "
                     f"interpolated onto a common grid of {grid.size} points ({grid[0]:g}–{grid[-1]:g})")
    return grid, intensity, sigma


def scan_times(patterns: Sequence[TextPattern], notes: list[str]) -> tuple[np.ndarray, float | None, str]:
    """(time_s, start_epoch_s, time_source) from header times, else modification times, else the index."""
    n = len(patterns)
    epochs = [p.start_epoch_s for p in patterns]
    elapsed = [p.elapsed_s for p in patterns]
    for values, what in ((epochs, "timestamps"), (elapsed, "elapsed-time fields")):
        if not any(v is not None for v in values):
            continue
        if not all(v is not None for v in values):
            notes.append(f"only {sum(v is not None for v in values)} of {n} files have header {what}; not used")
            continue
        t = np.array(values, dtype=float)
        if n > 1 and not (np.all(np.diff(t) >= 0) and t[-1] > t[0]):
            notes.append(f"header {what} do not increase in file order; not used")
            continue
        absolute = values is epochs
        notes.append(f"scan times from header {what}" + ("" if absolute else " (no absolute start time)"))
        return t - t[0], (float(t[0]) if absolute else None), "header"
    mtimes = _mtimes(patterns)
    if mtimes is not None and (n == 1 or (np.all(np.diff(mtimes) >= 0) and mtimes[-1] > mtimes[0])):
        notes.append("scan times from file modification times (may differ from acquisition times "
                     "if the files were copied)")
        return mtimes - mtimes[0], float(mtimes[0]), "mtime"
    why = "file modification times are not in file-name order" if mtimes is not None else "no timestamps"
    notes.append(f"no usable scan times ({why}); scan index used as time (1 s per scan)")
    return np.arange(n, dtype=float), None, "index"


def _mtimes(patterns: Sequence[TextPattern]) -> np.ndarray | None:
    try:
        return np.array([os.stat(p.path).st_mtime for p in patterns], dtype=float)
    except OSError:
        return None


def _common_wavelength(patterns: Sequence[TextPattern], notes: list[str]) -> float | None:
    values = [p.wavelength_A for p in patterns if p.wavelength_A is not None]
    if not values:
        return None
    if max(values) - min(values) > 1e-4 * values[0]:
        notes.append(f"files state different wavelengths ({min(values):.5g}–{max(values):.5g} Å); "
                     f"used {values[0]:.5g} Å from the first")
    return values[0]
