"""The one entry point: a file, a folder or a list of files in, a :class:`ScanSeries` out."""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from ..cancel import CancelToken, ProgressFn, check
from ..errors import InputError
from ..series import ScanSeries
from .files import folder_files, load_text_files, series_from_patterns
from .hdf5 import load_hdf5
from .sniff import is_hdf5
from .text import parse_pattern_file

PathLike = Union[str, os.PathLike]


def load_series(path_or_paths: Union[PathLike, Sequence[PathLike]], *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> ScanSeries:
    """Load a scan series from a text pattern, an HDF5/NeXus file, a folder, or a list of files.

    The reader is chosen by content (HDF5 signature, text sniffing), not by extension.
    ``progress(done, total)`` is called about once per percent; ``cancel`` is checked between
    files (raises :class:`analysis.cancel.Cancelled`). Bad input raises :class:`InputError`.
    """
    if isinstance(path_or_paths, (str, os.PathLike)):
        return _load_path(os.fspath(path_or_paths), progress, cancel)
    paths = [os.fspath(p) for p in path_or_paths]
    if not paths:
        raise InputError(None, "no files given")
    if len(paths) == 1:
        return _load_path(paths[0], progress, cancel)
    for path in paths:
        _require_exists(path)
        if os.path.isdir(path):
            raise InputError(path, "is a folder; give either one folder or a list of files")
        if is_hdf5(path):
            raise InputError(path, "is an HDF5 file; load HDF5 files one at a time, not in a list")
    return load_text_files(paths, layout_hint="list", origin=paths[0], progress=progress, cancel=cancel)


def _require_exists(path: str) -> None:
    if not os.path.exists(path):
        raise InputError(path, "no such file or folder")


def _load_path(path: str, progress, cancel) -> ScanSeries:
    _require_exists(path)
    if os.path.isdir(path):
        return load_text_files(folder_files(path), layout_hint="folder", origin=path, progress=progress,
                               cancel=cancel)
    if is_hdf5(path):
        return load_hdf5(path, progress=progress, cancel=cancel)
    check(cancel)
    series = series_from_patterns([parse_pattern_file(path)], layout_hint="file", origin=path)
    if progress is not None:
        progress(1, 1)
    return series
