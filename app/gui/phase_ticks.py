"""Library phases as reflection tick marks: a small model of what is shown, and its drawing.

:class:`PhaseTickModel` holds the library, which phases are ticked, and a working copy of each
phase whose free cell parameters the user may change (the library files are not touched).
:class:`PhaseTickOverlay` draws the ticked phases' reflections at the series' wavelength: short
vertical sticks below the current pattern, one row per phase (hkl in a tooltip), and optionally
thin vertical lines across the map. Changing a cell moves that phase's ticks at once.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal, Slot

from analysis import axis as ax
from analysis import crystallography as cr
from analysis.phase_library import Phase, Reflections

from .session import Session

PHASE_COLORS = {"P2": "#4fc3f7", "O3": "#ffb74d", "P3": "#81c784", "OP4": "#f06292", "O2": "#ba68c8",
                "OP2": "#a1887f", "P'2": "#4dd0e1", "O'3": "#ffd54f", "P'3": "#aed581", "P3''": "#9575cd",
                "Z": "#e57373", "Be": "#9e9e9e", "BeO": "#bdbdbd", "Al": "#90a4ae"}
_CYCLE = ("#fff176", "#80cbc4", "#f48fb1", "#ce93d8", "#ffcc80", "#b0bec5")
TICK_ROW_FRACTION = 0.07
"""Height of one tick row below the pattern, as a fraction of the current scan's intensity span."""
TICK_SIZE_PX = 11
TICKS_KEY = "phase_ticks"
"""The project settings key of the Phases dock's state (:meth:`PhaseTickModel.settings`)."""


def phase_color(name: str) -> str:
    """A fixed colour per well-known phase; others get a colour from a cycle chosen by their name."""
    if name in PHASE_COLORS:
        return PHASE_COLORS[name]
    return _CYCLE[sum(map(ord, name)) % len(_CYCLE)]


def _tip(x: float, y: float, data) -> str:
    """Tooltip of a hovered tick: the text stored as the point's data."""
    return str(data)


def hkl_text(reflections: Reflections, k: int) -> str:
    """Tooltip of reflection ``k``: (hkl) or d, the d-spacing, 2θ and the relative intensity."""
    h = reflections.hkl[k]
    name = f"({h[0]} {h[1]} {h[2]})" if np.any(h) else "d-list line"
    return (f"{name}   d = {reflections.d_A[k]:.4f} Å   2θ = {reflections.two_theta_deg[k]:.3f}°"
            f"   I = {reflections.rel_intensity[k]:.0f}")


class PhaseTickModel(QObject):
    """The library with working cells, the ticked phases and the selected one.

    changed(): ticked set, a working cell or the map toggle changed; library_changed(): phases
    were added, replaced or reloaded; selected_changed(name).
    """

    changed = Signal()
    library_changed = Signal()
    selected_changed = Signal(str)

    def __init__(self, library: dict[str, Phase], parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.library: dict[str, Phase] = {}
        self.working: dict[str, Phase] = {}
        self.shown: list[str] = []
        self.selected = ""
        self.on_map = True
        self.set_library(library)

    def set_library(self, library: dict[str, Phase]) -> None:
        """Replace the library; working cells of phases whose file did not change are kept."""
        old = self.library
        self.library = dict(library)
        self.working = {name: (self.working[name] if name in self.working and old.get(name) is phase else phase)
                        for name, phase in self.library.items()}
        self.shown = [n for n in self.shown if n in self.library]
        if self.selected not in self.library:
            self.selected = ""
        self.library_changed.emit()
        self.changed.emit()

    def phase(self, name: str) -> Phase:
        """The working copy of ``name`` (its cell as the user set it)."""
        return self.working[name]

    def set_shown(self, name: str, shown: bool) -> None:
        if shown and name not in self.shown:
            self.shown.append(name)
        elif not shown and name in self.shown:
            self.shown.remove(name)
        else:
            return
        self.changed.emit()

    def select(self, name: str) -> None:
        if name != self.selected:
            self.selected = name if name in self.library else ""
            self.selected_changed.emit(self.selected)

    def set_cell(self, name: str, **params: float) -> None:
        """Change free cell parameters of the working copy of ``name``; ticks follow."""
        phase = self.working[name]
        new = phase.with_cell(**params)
        if new.cell != phase.cell:
            self.working[name] = new
            self.changed.emit()

    def reset_cell(self, name: str) -> None:
        """Back to the library file's cell."""
        if self.working[name] is not self.library[name]:
            self.working[name] = self.library[name]
            self.changed.emit()

    def set_on_map(self, on: bool) -> None:
        if bool(on) != self.on_map:
            self.on_map = bool(on)
            self.changed.emit()

    # -- project ----------------------------------------------------------------------------------
    def settings(self) -> dict:
        """The project setting ``phase_ticks`` (JSON-compatible): ``shown`` (ticked names in ticking
        order), ``cells`` (name → all six parameters, Å and degrees, of every working cell that
        differs from the library's), ``selected`` (name or "") and ``on_map``."""
        cells = {name: {k: float(getattr(phase.cell, k)) for k in cr.CELL_PARAMETERS}
                 for name, phase in self.working.items()
                 if phase.cell is not None and phase.cell != self.library[name].cell}
        return {"shown": list(self.shown), "cells": cells, "selected": self.selected, "on_map": self.on_map}

    def restore(self, value) -> list[str]:
        """Bring back what :meth:`settings` saved, over the current library: the listed cells (the
        others go back to the library's), the ticked phases, the map toggle and the selection.
        Phases the library lacks and unreadable cells are skipped; returns them, one text each."""
        value = value if isinstance(value, dict) else {}
        working, skipped = dict(self.library), []
        cells = value.get("cells")
        for name, cell in (cells.items() if isinstance(cells, dict) else ()):
            phase = self.library.get(name)
            try:
                working[name] = phase.with_cell(**{k: float(cell[k]) for k in phase.free_parameters})
            except (AttributeError, KeyError, TypeError, ValueError):   # no such phase, or a bad cell
                skipped.append(f"the cell of {name}")
        shown = value.get("shown")
        shown = [n for n in shown if isinstance(n, str)] if isinstance(shown, list) else []
        skipped += [f"the ticks of {n}" for n in shown if n not in self.library]
        self.working = working
        self.shown = [n for n in dict.fromkeys(shown) if n in self.library]
        self.on_map = bool(value.get("on_map", True))
        self.changed.emit()
        selected = value.get("selected", "")
        self.select(selected if isinstance(selected, str) else "")
        return skipped


class PhaseTickOverlay(QObject):
    """Draws the model's ticked phases on the pattern plot (and map) of the session's series.

    ``ticks[name]`` is the ScatterPlotItem of a phase's row (x = 2θ of its reflections),
    ``map_lines[name]`` its lines on the map.
    """

    def __init__(self, session: Session, model: PhaseTickModel, pattern_plot: pg.PlotItem,
                 map_plot: Optional[pg.PlotItem] = None, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._session, self._model = session, model
        self._pattern_plot, self._map_plot = pattern_plot, map_plot
        self.ticks: dict[str, pg.ScatterPlotItem] = {}
        self.map_lines: dict[str, pg.PlotCurveItem] = {}
        self.reflections: dict[str, Reflections] = {}
        model.changed.connect(self.redraw)
        session.series_changed.connect(self.redraw)
        session.scan_changed.connect(self._on_scan_changed)
        session.background_changed.connect(self._place_rows)
        session.display_changed.connect(self.redraw)
        self.redraw()

    def positions(self, name: str) -> np.ndarray:
        """(n,) 2θ in degrees of the ticks drawn for ``name`` (empty when not drawn)."""
        item = self.ticks.get(name)
        return np.zeros(0) if item is None else np.asarray(item.getData()[0], dtype=float)

    def _two_theta_range(self) -> Optional[tuple[float, float]]:
        series = self._session.series
        if series is None or series.wavelength_A is None:
            return None
        tth = series.two_theta_deg
        return float(np.nanmin(tth)), float(np.nanmax(tth))

    @Slot()
    def redraw(self, *_args) -> None:
        for item in self.ticks.values():
            self._pattern_plot.removeItem(item)
        for item in self.map_lines.values():
            self._map_plot.removeItem(item)
        self.ticks, self.map_lines, self.reflections = {}, {}, {}
        window = self._two_theta_range()
        if window is None:
            return
        series = self._session.series
        for name in self._model.shown:
            refl = self._model.phase(name).reflections(series.wavelength_A, window)
            self.reflections[name] = refl
            self._draw_phase(name, refl)
        self._place_rows()

    def _draw_phase(self, name: str, refl: Reflections) -> None:
        """Ticks in the series' own x unit (2θ, Q or d) so they sit on the data."""
        x = self._to_series_x(refl.two_theta_deg)
        color = phase_color(name)
        tips = [f"{name}  {hkl_text(refl, k)}" for k in range(len(refl))]
        item = pg.ScatterPlotItem(x=x, y=np.zeros_like(x), symbol="|", size=TICK_SIZE_PX,
                                  pen=pg.mkPen(color, width=1.6),
                                  brush=pg.mkBrush(color), data=tips, hoverable=True, tip=_tip, pxMode=True)
        item.setZValue(5)
        self._pattern_plot.addItem(item)
        self.ticks[name] = item
        if self._map_plot is not None and self._model.on_map:
            y = self._session.scan_y()
            if y.size:
                lo, hi = float(y[0]) - 0.5, float(y[-1]) + 0.5
                xs = np.repeat(x, 2)
                ys = np.tile([lo, hi], x.size)
                pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine)
                line = pg.PlotCurveItem(xs, ys, connect="pairs", pen=pen)
                line.setOpacity(0.45)
                line.setZValue(4)
                self._map_plot.addItem(line, ignoreBounds=True)
                self.map_lines[name] = line

    def _to_series_x(self, two_theta_deg: np.ndarray) -> np.ndarray:
        series = self._session.series
        if series.x_kind == ax.TWO_THETA:
            return np.asarray(two_theta_deg, dtype=float)
        return np.asarray(ax.convert_axis(two_theta_deg, ax.TWO_THETA, series.x_kind, series.wavelength_A), dtype=float)

    @Slot(int)
    def _on_scan_changed(self, _index: int) -> None:
        self._place_rows()

    @Slot()
    def _place_rows(self) -> None:
        """Rows just below the current scan's lowest intensity, one per phase in ticking order."""
        intensity = self._session.map_intensity()
        if not self.ticks or intensity is None:
            return
        y = intensity[self._session.current_scan]
        finite = y[np.isfinite(y)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        step = TICK_ROW_FRACTION * max(hi - lo, 1e-9)
        for row, name in enumerate(self._model.shown):
            item = self.ticks.get(name)
            if item is not None:
                x = item.getData()[0]
                item.setData(x=x, y=np.full(x.size, lo - (row + 1) * step), data=item.data["data"])
