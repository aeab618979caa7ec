"""Peak fitting drawn on the plots: fitting windows as shaded regions on the pattern and the map,
initial peak positions as dotted lines, and the current scan's fit (total curve, dashed
components on the local background, residual offset below the data) on the pattern.

User gestures become controller requests: drag a region's edges (moves the window), Shift+drag
on the pattern or the map (a new window), Ctrl+click on the pattern, or a plain click in pick mode
(a peak's initial position), drag a dotted line (moves that initial position).
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Slot

from analysis.axis import convert_axis

from .fit_controller import FitController, FitCurves
from .session import Session

FIT_COLOR = "#ff9f43"
COMPONENT_COLORS = ("#4fc3f7", "#81c784", "#ce93d8", "#fff176", "#f48fb1", "#80cbc4")
RESIDUAL_COLOR = "#9e9e9e"
SEED_COLOR = "#fff176"
REGION_BRUSH = (79, 195, 247, 22)
SELECTED_BRUSH = (79, 195, 247, 48)
RESIDUAL_GAP = 1.6
RESIDUAL_SPAN_FRACTION = 0.12
"""The residual's zero line sits 1.6 residual amplitudes (at least 12 % of the window's data range)
below the lowest data point of its window, so the residual never overlaps the pattern."""
COMPONENT_FILL_ALPHA = 45


class WindowDrawer(pg.GraphicsObject):
    """An invisible item over a plot's whole view that takes Shift+left drags (every other
    gesture passes through to the items below) and calls ``finished(lo, hi)`` in plot x units.

    An item rather than an event filter: pyqtgraph hands each drag to the topmost item that
    accepts it, and an item goes away with its plot.
    """

    def __init__(self, plot: pg.PlotItem, finished: Callable[[float, float], object]) -> None:
        super().__init__()
        self._plot, self._finished = plot, finished
        self.region: Optional[pg.LinearRegionItem] = None
        self.setZValue(1000)
        plot.addItem(self, ignoreBounds=True)
        plot.vb.sigRangeChanged.connect(self._on_range_changed)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._plot.vb.viewRect()

    def paint(self, painter, *args) -> None:
        pass

    @Slot()
    def _on_range_changed(self, *_args) -> None:
        self.prepareGeometryChange()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph hook
        ev.ignore()

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph hook
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() != Qt.MouseButton.LeftButton or (ev.isStart() and not shift) or (
                self.region is None and not ev.isStart()):
            ev.ignore()
            return
        ev.accept()
        x0, x1 = ev.buttonDownPos().x(), ev.pos().x()
        if self.region is None:
            self.region = pg.LinearRegionItem((x0, x0), movable=False, brush=pg.mkBrush(*SELECTED_BRUSH))
            self._plot.addItem(self.region, ignoreBounds=True)
        self.region.setRegion(sorted((x0, x1)))
        if ev.isFinish():
            self._plot.removeItem(self.region)
            self.region = None
            if x1 != x0:
                self._finished(*sorted((x0, x1)))


class FitOverlay(QObject):
    """Draws the controller's windows and fits on ``pattern_plot`` (and the windows on ``map_plot``)."""

    def __init__(self, session: Session, controller: FitController, pattern_plot: pg.PlotItem,
                 map_plot: Optional[pg.PlotItem] = None, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._session, self._controller = session, controller
        self.pattern_plot, self.map_plot = pattern_plot, map_plot
        self.pick_mode = False
        self.regions: list[tuple[pg.LinearRegionItem, ...]] = []
        self.seed_lines: list[tuple[int, int, pg.InfiniteLine]] = []
        self.fit_items: list[pg.PlotDataItem] = []   # every curve of the current fit
        self.best_curves: dict[int, pg.PlotDataItem] = {}
        self.residual_curves: dict[int, pg.PlotDataItem] = {}
        self.component_curves: dict[int, list[pg.PlotDataItem]] = {}   # local background + peak k
        self.drawers = [WindowDrawer(plot, self.draw_window) for plot in self._plots()]
        pattern_plot.scene().sigMouseClicked.connect(self._on_pattern_clicked)
        controller.windows_changed.connect(self._on_windows_changed)
        controller.selection_changed.connect(self._on_selection_changed)
        controller.fits_changed.connect(self.redraw_fits)
        session.series_changed.connect(self._on_series_changed)
        session.background_changed.connect(self.redraw_fits)

    def _plots(self) -> tuple[pg.PlotItem, ...]:
        return (self.pattern_plot,) if self.map_plot is None else (self.pattern_plot, self.map_plot)

    @Slot(bool)
    def set_pick_mode(self, on: bool) -> None:
        """While on, a plain left click on the pattern adds an initial peak position."""
        self.pick_mode = bool(on)

    # -- axis: windows live in degrees 2θ, the plots in the series' own x unit -------------------
    def to_display(self, x_deg):
        series = self._session.series
        if series is None or series.x_kind == "two_theta_deg":
            return np.asarray(x_deg, dtype=float)
        return convert_axis(np.asarray(x_deg, dtype=float), "two_theta_deg", series.x_kind, series.wavelength_A)

    def to_deg(self, x):
        series = self._session.series
        if series is None or series.x_kind == "two_theta_deg":
            return np.asarray(x, dtype=float)
        return convert_axis(np.asarray(x, dtype=float), series.x_kind, "two_theta_deg", series.wavelength_A)

    def _display_range(self, lo_deg: float, hi_deg: float) -> tuple[float, float]:
        a, b = (float(v) for v in self.to_display(np.array([lo_deg, hi_deg])))
        return (a, b) if a <= b else (b, a)

    # -- windows -----------------------------------------------------------------------------------
    @Slot()
    def _on_windows_changed(self) -> None:
        windows = self._controller.windows
        if len(windows) != len(self.regions):
            self._rebuild_regions()
        for i, w in enumerate(windows):
            for region in self.regions[i]:
                region.blockSignals(True)
                region.setRegion(self._display_range(w.lo_deg, w.hi_deg))
                region.blockSignals(False)
        self._rebuild_seed_lines()

    def _rebuild_regions(self) -> None:
        for pair in self.regions:
            for region, plot in zip(pair, self._plots()):
                plot.removeItem(region)
        self.regions = []
        for i in range(len(self._controller.windows)):
            pair = tuple(self._region(plot, i) for plot in self._plots())
            for region in pair:
                region.sigRegionChanged.connect(self._on_region_moving)
                region.sigRegionChangeFinished.connect(self._on_region_moved)
            self.regions.append(pair)
        self._on_selection_changed(self._controller.selected)

    def _region(self, plot: pg.PlotItem, index: int) -> pg.LinearRegionItem:
        region = pg.LinearRegionItem(brush=pg.mkBrush(*REGION_BRUSH), pen=pg.mkPen(79, 195, 247, 150),
                                     hoverBrush=pg.mkBrush(*SELECTED_BRUSH))
        region.setZValue(-5 if plot is self.pattern_plot else 5)   # under the pattern, over the map image
        plot.addItem(region, ignoreBounds=True)
        return region

    def _index_of(self, region) -> int:
        return next((i for i, pair in enumerate(self.regions) if region in pair), -1)

    @Slot(object)
    def _on_region_moving(self, region) -> None:
        """Keep the twin region (pattern ↔ map) under the mouse while dragging."""
        i = self._index_of(region)
        self._controller.select(i)
        for twin in self.regions[i] if i >= 0 else ():
            if twin is not region:
                twin.blockSignals(True)
                twin.setRegion(region.getRegion())
                twin.blockSignals(False)

    @Slot(object)
    def _on_region_moved(self, region) -> None:
        i = self._index_of(region)
        if i >= 0:
            lo, hi = sorted(float(v) for v in self.to_deg(np.array(region.getRegion())))
            self._controller.set_range(i, lo, hi)

    @Slot(int)
    def _on_selection_changed(self, index: int) -> None:
        for i, pair in enumerate(self.regions):
            for region in pair:
                region.setBrush(pg.mkBrush(*(SELECTED_BRUSH if i == index else REGION_BRUSH)))
                region.update()

    def _rebuild_seed_lines(self) -> None:
        for _, _, line in self.seed_lines:
            self.pattern_plot.removeItem(line)
        self.seed_lines = []
        for i, w in enumerate(self._controller.windows):
            for k, center in enumerate(w.peaks):
                if center is None:
                    continue
                line = pg.InfiniteLine(float(self.to_display(center)), angle=90, movable=True,
                                       pen=pg.mkPen(SEED_COLOR, width=1, style=Qt.PenStyle.DotLine),
                                       hoverPen=pg.mkPen(SEED_COLOR, width=2))
                line.setToolTip(f"Initial position of peak {k} in window {w.label}: drag to move")
                line.sigPositionChangeFinished.connect(self._on_seed_moved)
                self.pattern_plot.addItem(line, ignoreBounds=True)
                self.seed_lines.append((i, k, line))

    @Slot(object)
    def _on_seed_moved(self, line) -> None:
        for i, k, item in self.seed_lines:
            if item is line:
                self._controller.set_peak(i, k, float(self.to_deg(line.value())))
                return

    # -- fits ----------------------------------------------------------------------------------------
    @Slot()
    def redraw_fits(self) -> None:
        for item in self.fit_items:
            self.pattern_plot.removeItem(item)
        self.fit_items, self.best_curves, self.residual_curves, self.component_curves = [], {}, {}, {}
        for curves in self._controller.shown_fits():
            self._draw(curves)

    def _shown_background(self, x_deg: np.ndarray) -> np.ndarray:
        """What the pattern view took off the data at ``x_deg``: the scan's global background
        while the subtracted map is shown, else zero."""
        session = self._session
        if not session.showing_subtracted():
            return np.zeros_like(x_deg)
        bg = session.background[session.current_scan]
        return np.interp(x_deg, session.series.two_theta_deg, bg)

    def _draw(self, c: FitCurves) -> None:
        x = self.to_display(c.x_deg)
        off = self._shown_background(c.x_deg)
        best = self._add(x, c.best - off, pg.mkPen(FIT_COLOR, width=1.6))
        best.setZValue(5)
        self.best_curves[c.window_index] = best
        local = c.background - off
        base = self._add(x, local, pg.mkPen(FIT_COLOR, width=1, style=Qt.PenStyle.DotLine))
        self.component_curves[c.window_index] = []
        for k, comp in enumerate(c.components):
            if np.any(comp):
                color = pg.mkColor(COMPONENT_COLORS[k % len(COMPONENT_COLORS)])
                curve = self._add(x, local + comp, pg.mkPen(color, width=1.2, style=Qt.PenStyle.DashLine))
                self.component_curves[c.window_index].append(curve)
                color.setAlpha(COMPONENT_FILL_ALPHA)
                fill = pg.FillBetweenItem(base, curve, brush=pg.mkBrush(color))
                self.pattern_plot.addItem(fill)
                self.fit_items.append(fill)
        resid, y = c.residual, c.y - off
        amplitude = float(np.max(np.abs(resid))) if resid.size else 0.0
        span = float(np.ptp(y)) if y.size else 0.0
        zero = float(np.min(y)) - max(RESIDUAL_GAP * amplitude, RESIDUAL_SPAN_FRACTION * span)
        self._add(x, np.full(x.size, zero), pg.mkPen(RESIDUAL_COLOR, width=0.8, style=Qt.PenStyle.DotLine))
        self.residual_curves[c.window_index] = self._add(x, resid + zero, pg.mkPen(RESIDUAL_COLOR, width=1))

    def _add(self, x, y, pen) -> pg.PlotDataItem:
        item = pg.PlotDataItem(x, y, pen=pen)
        self.pattern_plot.addItem(item)
        self.fit_items.append(item)
        return item

    @Slot(object)
    def _on_series_changed(self, _series) -> None:
        self._on_windows_changed()   # same windows in 2θ, perhaps another display unit
        self.redraw_fits()

    # -- gestures ----------------------------------------------------------------------------------
    @Slot(object)
    def _on_pattern_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.isAccepted():
            return
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        vb = self.pattern_plot.vb
        if (ctrl or self.pick_mode) and vb.sceneBoundingRect().contains(event.scenePos()):
            event.accept()
            self.pick_at(vb.mapSceneToView(event.scenePos()).x())

    def pick_at(self, x_display: float) -> int:
        """Add an initial peak position at pattern x ``x_display``; returns the window index or -1."""
        if self._session.series is None:
            return -1
        return self._controller.add_peak(float(self.to_deg(x_display)))

    def draw_window(self, lo_display: float, hi_display: float) -> int:
        """Add a window over plot x [lo, hi] (too narrow a drag, under 5 points, is ignored)."""
        if self._session.series is None:
            return -1
        lo, hi = sorted(float(v) for v in self.to_deg(np.array([lo_display, hi_display])))
        x = self._session.series.two_theta_deg
        if np.count_nonzero((x >= lo) & (x <= hi)) < 5:
            return -1
        return self._controller.add_window(lo, hi)

    @Slot()
    def add_window_in_view(self) -> int:
        """Add a window over the middle fifth of the pattern's visible x range."""
        if self._session.series is None:
            return -1
        lo, hi = self.pattern_plot.vb.viewRange()[0]
        mid, half = 0.5 * (lo + hi), 0.1 * (hi - lo)
        return self.draw_window(mid - half, mid + half)
