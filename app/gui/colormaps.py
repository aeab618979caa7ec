"""The colour maps offered for the contour map, by name."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


def colormap(name: str) -> pg.ColorMap:
    """A pyqtgraph ColorMap: the perceptually uniform matplotlib maps, turbo, or ``grey``."""
    if name == "grey":
        return pg.ColorMap(pos=[0.0, 1.0], color=[(0, 0, 0), (255, 255, 255)], name="grey")
    cmap = pg.colormap.get(name)
    if cmap is None:
        raise ValueError(f"unknown colour map {name!r}")
    return cmap


def gradient_state(name: str, n_ticks: int = 64) -> dict:
    """The colour map as a GradientEditorItem state (for ``restoreState``), ticks hidden.

    ``restoreState`` rather than ``GradientEditorItem.setColorMap``: the latter corrupts a
    reference count under PySide6 6.12 and crashes the interpreter at exit. ``n_ticks`` evenly
    spaced stops reproduce the smooth maps to within about one 8-bit level.
    """
    cmap = colormap(name)
    pos = np.linspace(0.0, 1.0, n_ticks)
    rgba = cmap.map(pos, mode="byte")
    ticks = [(float(p), tuple(int(c) for c in color)) for p, color in zip(pos, rgba)]
    return {"mode": "rgb", "ticks": ticks, "ticksVisible": False}
