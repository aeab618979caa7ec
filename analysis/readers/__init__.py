"""Readers: text patterns, folders and lists of them, and HDF5/NeXus stacks, all to :class:`ScanSeries`.

Public API::

    load_series(path_or_paths, *, progress=None, cancel=None) -> ScanSeries
    read_pattern(path) -> (x, y, sigma | None, meta)
"""

from .loading import load_series
from .text import read_pattern

__all__ = ["load_series", "read_pattern"]
