"""Write a figure to PNG, TIFF, SVG or PDF, chosen by the file extension."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import matplotlib as mpl
from matplotlib.figure import Figure

from .fonts import VECTOR_TEXT_RC

FORMATS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".svg": "svg", ".pdf": "pdf"}
RASTER_FORMATS = ("png", "tiff")


def figure_format(path: str | os.PathLike) -> str:
    """The matplotlib format name for ``path``'s extension; ValueError for anything else."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"{path}: unknown figure format {ext!r}; use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[ext]


def save_figure(fig: Figure, path: str | os.PathLike, dpi: Optional[float] = None) -> Path:
    """Save ``fig`` to ``path`` at its own size (no tight cropping, so journal widths hold).

    dpi: resolution of PNG/TIFF and of the rasterised map inside SVG/PDF (default 600).
    Vector formats keep text as text (TrueType in PDF, ``<text>`` in SVG). PNG and TIFF
    carry the dpi in their metadata so layout programs place them at the right size.
    """
    fmt = figure_format(path)
    dpi = float(dpi) if dpi else 600.0
    path = Path(path)
    metadata = {"Software": "operando-xrd"} if fmt == "png" else None
    with mpl.rc_context(VECTOR_TEXT_RC):
        kwargs = {"format": fmt, "dpi": dpi, "facecolor": "white"}
        if fmt == "tiff":
            kwargs["pil_kwargs"] = {"compression": "tiff_lzw", "dpi": (dpi, dpi)}
        elif metadata:
            kwargs["metadata"] = metadata
        fig.savefig(path, **kwargs)
    return path
