"""Cell voltage beside the map, sharing its vertical (scan or time) axis."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QStackedWidget

from .session import ECHEM_LABELS, Session
from .theme import CURSOR_COLOR, PLOT_BACKGROUND, VOLTAGE_COLOR

_HINT = ("No electrochemistry loaded.\n\nDrop a .csv or EC-Lab .mpt file here,\n"
         "or use File → Load Electrochemistry.")
_HINT_NO_SERIES = "Electrochemistry loaded.\n\nOpen a pattern series to see the voltage beside the map."
_HINT_NO_OVERLAP = ("The electrochemistry record does not overlap the scans in time.\n\n"
                    "Check that both files belong to the same experiment (or the computers' clocks).")


class VoltageView(QStackedWidget):
    """Voltage (x) against the map's vertical axis (y), with a marker at the current scan.

    Shows a hint instead of the plot until both a series and electrochemistry are loaded.
    The main window links ``plot_item``'s y axis to the map's.
    """

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self.hint = QLabel(_HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setMargin(12)
        self.hint.setStyleSheet("color: #8a8a8a;")
        self._plot_widget = pg.GraphicsLayoutWidget()
        self._plot_widget.setBackground(PLOT_BACKGROUND)
        self.plot_item: pg.PlotItem = self._plot_widget.addPlot()
        self.plot_item.setLabel("bottom", "Voltage (V)")
        self.plot_item.getAxis("bottom").enableAutoSIPrefix(False)   # no "(x0.001)" on Na content x
        self.plot_item.getAxis("left").setStyle(showValues=False)
        self.plot_item.getAxis("left").setWidth(6)
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.plot_item.setMouseEnabled(x=True, y=False)
        self.curve: pg.PlotDataItem = self.plot_item.plot(pen=pg.mkPen(VOLTAGE_COLOR, width=1.5))
        self.cursor = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=1, style=Qt.PenStyle.DashLine))
        self.marker = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(CURSOR_COLOR), pen=pg.mkPen("w", width=1))
        for item in (self.cursor, self.marker):
            item.setZValue(10)
            self.plot_item.addItem(item)
        self.addWidget(self.hint)
        self.addWidget(self._plot_widget)
        session.series_changed.connect(self._on_data_changed)
        session.echem_changed.connect(self._on_data_changed)
        session.display_changed.connect(self._on_data_changed)
        session.scan_changed.connect(self._on_scan_changed)
        self._on_data_changed()

    @property
    def showing_plot(self) -> bool:
        return self.currentWidget() is self._plot_widget

    @Slot()
    def _on_data_changed(self, *_args) -> None:
        session = self._session
        y = session.echem_y()
        inside = None if y is None else np.isfinite(y)
        if y is None or not inside.any():
            no_series = session.echem is not None and session.series is None
            self.hint.setText(_HINT if session.echem is None else _HINT_NO_SERIES if no_series else _HINT_NO_OVERLAP)
            self.setCurrentIndex(0)
            self.curve.setData([], [])
            return
        values = session.echem_values()
        self.plot_item.setLabel("bottom", ECHEM_LABELS[session.shown_echem_quantity()])
        self.curve.setData(values[inside], y[inside])
        self.setCurrentIndex(1)
        self.plot_item.enableAutoRange(axis="x")
        self._on_scan_changed(session.current_scan)

    @Slot(int)
    def _on_scan_changed(self, index: int) -> None:
        session = self._session
        volts = session.echem_values_at_scans()
        if volts is None:
            return
        y = float(session.scan_y()[index])
        self.cursor.setValue(y)
        v = volts[index]
        self.marker.setData([v] if np.isfinite(v) else [], [y] if np.isfinite(v) else [])
