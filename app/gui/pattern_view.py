"""The current scan's pattern, on the same x axis as the map (linked by the main window)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot

from analysis.axis import AXIS_LABELS

from .session import Session
from .theme import BACKGROUND_COLOR, LEFT_AXIS_WIDTH_PX, PATTERN_COLOR, PLOT_BACKGROUND


class PatternView(pg.GraphicsLayoutWidget):
    """Intensity of ``session.current_scan`` against the series' x axis.

    With backgrounds at hand: the raw pattern plus its background (dashed) while the map is raw,
    the background-subtracted pattern while the map is subtracted.
    """

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self.setBackground(PLOT_BACKGROUND)
        self.plot_item: pg.PlotItem = self.addPlot(row=0, col=0)
        self.plot_item.getAxis("left").setWidth(LEFT_AXIS_WIDTH_PX)
        self.plot_item.setLabel("left", "Intensity (a.u.)")
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.curve: pg.PlotDataItem = self.plot_item.plot(pen=pg.mkPen(PATTERN_COLOR, width=1.2))
        self.background_curve: pg.PlotDataItem = self.plot_item.plot(
            pen=pg.mkPen(BACKGROUND_COLOR, width=1.2, style=Qt.PenStyle.DashLine))
        self.plot_item.enableAutoRange(axis="y")
        self.plot_item.setAutoVisible(y=True)   # y follows the visible 2θ window when zoomed
        self._margin = pg.GraphicsWidget()
        self.addItem(self._margin, row=0, col=1)
        self.set_right_margin(0)
        session.series_changed.connect(self._on_series_changed)
        session.scan_changed.connect(self._on_scan_changed)
        session.echem_changed.connect(self._on_echem_changed)
        session.background_changed.connect(self._redraw_current_scan)
        session.display_changed.connect(self._redraw_current_scan)   # V or Na content x in the title
        self._on_series_changed(session.series)

    def set_right_margin(self, width_px: int) -> None:
        """Leave ``width_px`` empty on the right so the plot lines up with a map drawn above."""
        self._margin.setMinimumWidth(width_px)
        self._margin.setMaximumWidth(width_px)

    @Slot(object)
    def _on_series_changed(self, series) -> None:
        if series is None:
            self.curve.setData([], [])
            self.background_curve.setData([], [])
            self.plot_item.setTitle("")
            return
        self.plot_item.setLabel("bottom", AXIS_LABELS[series.x_kind])
        self._on_scan_changed(self._session.current_scan)

    @Slot(object)
    def _on_echem_changed(self, _echem) -> None:
        self._on_scan_changed(self._session.current_scan)

    @Slot()
    def _redraw_current_scan(self) -> None:
        self._on_scan_changed(self._session.current_scan)

    @Slot(int)
    def _on_scan_changed(self, index: int) -> None:
        series = self._session.series
        if series is None:
            return
        session = self._session
        self.curve.setData(series.x, session.map_intensity()[index])
        overlay = session.has_background() and not session.showing_subtracted()
        self.background_curve.setData(series.x if overlay else [], session.background[index] if overlay else [])
        title = f"Scan {index} of {series.n_scans}   ·   t = {series.time_s[index] / 3600.0:.3f} h"
        if session.showing_subtracted():
            title += "   ·   background subtracted"
        elif overlay:
            title += "   ·   <span style='color:%s'>- - background</span>" % BACKGROUND_COLOR
        volts = self._session.voltage_at_scans()
        if volts is not None and np.isfinite(volts[index]):
            title += f"   ·   {volts[index]:.3f} V"
        na_x = self._session.sodium_at_scans() if self._session.shown_echem_quantity() == "x" else None
        if na_x is not None and np.isfinite(na_x[index]):
            title += f"   ·   x = {na_x[index]:.3f}"
        self.plot_item.setTitle(title, size="9pt", color="#c8c8c8")
