"""The contour map: every pattern of the series as one image row, 2θ across, scans (or hours) up."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent

from analysis.axis import AXIS_LABELS

from .colormaps import gradient_state
from .intensity_scale import robust_levels, scale_intensity
from .session import Y_AXIS_LABELS, Session
from .theme import CURSOR_COLOR, LEFT_AXIS_WIDTH_PX, LUT_WIDTH_PX, PLOT_BACKGROUND

_EMPTY_HINT = ("Drop a folder of .xy / .xye patterns, an HDF5 / NeXus file,\n"
               "or several pattern files anywhere on this window  (or File → Open)")
_STEP_KEYS = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1, Qt.Key.Key_PageUp: 10, Qt.Key.Key_PageDown: -10}


def pixel_rect(x: np.ndarray, y: np.ndarray) -> QRectF:
    """The rectangle in data units that an (len(y), len(x)) image covers when pixel centres sit
    on the samples (an evenly spaced grid is assumed; uneven times are drawn evenly)."""
    dx = (x[-1] - x[0]) / (x.size - 1) if x.size > 1 else 1.0
    dy = (y[-1] - y[0]) / (y.size - 1) if y.size > 1 and y[-1] != y[0] else 1.0
    return QRectF(float(x[0] - dx / 2), float(y[0] - dy / 2), float(dx * x.size), float(dy * y.size))


class ContourView(pg.GraphicsLayoutWidget):
    """The map image with a levels histogram and a horizontal cursor at the current scan.

    Emits intent only: ``scan_requested(index)`` when a row is clicked or the cursor is
    dragged, ``scan_step_requested(delta)`` for arrow / page keys.
    """

    scan_requested = Signal(int)
    scan_step_requested = Signal(int)
    hovered = Signal(str)

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self.setBackground(PLOT_BACKGROUND)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot_item: pg.PlotItem = self.addPlot(row=0, col=0)
        self.plot_item.getAxis("left").setWidth(LEFT_AXIS_WIDTH_PX)
        for side in ("left", "bottom"):
            self.plot_item.getAxis(side).enableAutoSIPrefix(False)
        self.plot_item.setMenuEnabled(False)
        self.image_item = pg.ImageItem(axisOrder="row-major", autoDownsample=True)
        self.plot_item.addItem(self.image_item)
        self.cursor = pg.InfiniteLine(angle=0, movable=True, pen=pg.mkPen(CURSOR_COLOR, width=1.5),
                                      hoverPen=pg.mkPen(CURSOR_COLOR, width=3))
        self.cursor.setZValue(10)
        self.cursor.setVisible(False)
        self.plot_item.addItem(self.cursor)
        self.histogram = pg.HistogramLUTItem(image=self.image_item)
        self.histogram.setMinimumWidth(LUT_WIDTH_PX)
        self.histogram.setMaximumWidth(LUT_WIDTH_PX)
        self.histogram.region.setBrush(pg.mkBrush(255, 255, 255, 28))
        self.histogram.plot.setBrush(pg.mkBrush(170, 170, 190, 150))
        self.histogram.plot.setPen(pg.mkPen(200, 200, 210, 200))
        self.addItem(self.histogram, row=0, col=1)
        self._hint = pg.TextItem(_EMPTY_HINT, color="#8a8a8a", anchor=(0.5, 0.5))
        self.plot_item.addItem(self._hint, ignoreBounds=True)
        self._hint.setPos(0.5, 0.5)

        self.cursor.sigPositionChangeFinished.connect(self._on_cursor_dragged)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.scene().sigMouseMoved.connect(self._on_scene_moved)
        session.series_changed.connect(self._on_series_changed)
        session.scan_changed.connect(self._on_scan_changed)
        session.display_changed.connect(self._on_display_changed)
        session.background_changed.connect(self._on_background_changed)
        self._shown_scaling: Optional[str] = None
        self._shown_y_axis: Optional[str] = None
        self._on_display_changed()
        self._on_series_changed(session.series)

    # -- session → drawing -----------------------------------------------------------------
    @Slot(object)
    def _on_series_changed(self, series) -> None:
        self.cursor.setVisible(series is not None)
        self._hint.setVisible(series is None)
        if series is None:
            self.image_item.clear()
            self.plot_item.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0)
            return
        self.plot_item.setLabel("bottom", AXIS_LABELS[series.x_kind])
        self._draw_image()
        self._place_image()
        self._on_scan_changed(self._session.current_scan)

    @Slot()
    def _on_display_changed(self) -> None:
        session = self._session
        self.histogram.gradient.restoreState(gradient_state(session.colormap))
        self.plot_item.setLabel("left", Y_AXIS_LABELS[session.y_axis])
        if session.series is None:
            return
        if session.scaling != self._shown_scaling:
            self._draw_image()
        if session.y_axis != self._shown_y_axis:
            self._place_image()
            self._on_scan_changed(session.current_scan)

    @Slot()
    def _on_background_changed(self) -> None:
        if self._session.series is not None:
            self._draw_image()

    def _draw_image(self) -> None:
        session = self._session
        image = scale_intensity(session.map_intensity(), session.scaling)
        levels = robust_levels(image)
        self.image_item.setImage(image, autoLevels=False, levels=levels)
        self.histogram.setLevels(*levels)
        span = levels[1] - levels[0]
        # show the histogram around the chosen levels, not out to the hottest pixel
        self.histogram.setHistogramRange(levels[0] - 0.05 * span, levels[1] + 0.3 * span, padding=0)
        self._shown_scaling = session.scaling

    def _place_image(self) -> None:
        session = self._session
        x, y = session.series.x, session.scan_y()
        rect = pixel_rect(x, y)
        self.image_item.setRect(rect)
        self.plot_item.setXRange(float(x[0]), float(x[-1]), padding=0)
        self.plot_item.setYRange(rect.top(), rect.bottom(), padding=0)
        self._shown_y_axis = session.y_axis

    @Slot(int)
    def _on_scan_changed(self, index: int) -> None:
        ys = self._session.scan_y()
        if ys.size:
            self.cursor.setValue(float(ys[index]))

    # -- user → intent ---------------------------------------------------------------------
    def request_scan_at(self, y: float) -> None:
        """Ask for the scan nearest to vertical data coordinate ``y``."""
        if self._session.series is not None:
            self.scan_requested.emit(self._session.scan_at_y(y))

    @Slot()
    def _on_cursor_dragged(self) -> None:
        self.request_scan_at(self.cursor.value())

    @Slot(object)
    def _on_scene_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.isAccepted():
            return
        vb = self.plot_item.vb
        if vb.sceneBoundingRect().contains(event.scenePos()):
            self.request_scan_at(vb.mapSceneToView(event.scenePos()).y())

    @Slot(object)
    def _on_scene_moved(self, scene_pos) -> None:
        series = self._session.series
        vb = self.plot_item.vb
        if series is None or not vb.sceneBoundingRect().contains(scene_pos):
            return
        point = vb.mapSceneToView(scene_pos)
        col = int(np.clip(np.searchsorted(series.x, point.x()), 0, series.n_points - 1))
        row = self._session.scan_at_y(point.y())
        self.hovered.emit(f"{AXIS_LABELS[series.x_kind].split(' ')[0]} = {point.x():.4f}   scan {row}   "
                          f"I = {self._session.map_intensity()[row, col]:.4g}")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        delta = _STEP_KEYS.get(Qt.Key(event.key()))
        if delta is None:
            super().keyPressEvent(event)
            return
        self.scan_step_requested.emit(delta)
        event.accept()
