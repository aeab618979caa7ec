"""Write a figure to PNG, TIFF, SVG, PDF or EPS, chosen by the file extension."""

from __future__ import annotations

import io
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import matplotlib as mpl
from matplotlib.figure import Figure
from PIL import Image

from .fonts import VECTOR_TEXT_RC

FORMATS = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".svg": "svg", ".pdf": "pdf", ".eps": "eps"}
RASTER_FORMATS = ("png", "tiff")


def figure_format(path: str | os.PathLike) -> str:
    """The matplotlib format name for ``path``'s extension; ValueError for anything else."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"{path}: unknown figure format {ext!r}; use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[ext]


def save_figure(fig: Figure, path: str | os.PathLike, dpi: Optional[float] = None) -> Path:
    """Save ``fig`` to ``path`` at its own size (no tight cropping, so journal widths hold).

    dpi: resolution of PNG/TIFF and of the rasterised map inside SVG/PDF/EPS (default 600).
    Vector formats keep text as text (TrueType in PDF, Type 42 in EPS, ``<text>`` in SVG). PNG
    and TIFF carry the dpi in their metadata so layout programs place them at the right size;
    TIFF is RGB with LZW compression. EPS has no transparency: the half-transparent white event
    lines and label boxes come out opaque white, which reads the same over the map.
    """
    fmt = figure_format(path)
    dpi = float(dpi) if dpi else 600.0
    path = Path(path)
    metadata = {"Software": "operando-xrd"} if fmt == "png" else None
    with mpl.rc_context(VECTOR_TEXT_RC):
        if fmt == "tiff":
            _save_tiff(fig, path, dpi)
        elif fmt == "eps":
            with _opaque_is_intended():
                fig.savefig(path, format="eps", dpi=dpi, facecolor="white")
        else:
            fig.savefig(path, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)
    return path


def _save_tiff(fig: Figure, path: Path, dpi: float) -> None:
    """LZW-compressed RGB TIFF (no alpha channel, which some journal pipelines reject)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    buf.seek(0)
    with Image.open(buf) as im:
        im.convert("RGB").save(path, format="TIFF", compression="tiff_lzw", dpi=(dpi, dpi))



class _DropTransparencyNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "does not support transparency" not in record.getMessage()


@contextmanager
def _opaque_is_intended() -> Iterator[None]:
    """Silence the PS backend's notice that alpha is dropped (intended, see :func:`save_figure`)."""
    logger, notice = logging.getLogger("matplotlib.backends.backend_ps"), _DropTransparencyNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)
