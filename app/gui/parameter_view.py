"""Fit results against the series: any per-peak quantity of the session's fit result plotted
against scan, time or voltage, with error bars; absent peaks are gaps. Clicking a point asks for
that scan (``scan_requested``), so the pattern shows its fit.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from analysis.fit_results import SeriesFitResult

from .fit_overlay import COMPONENT_COLORS
from .scan_axis_combo import ScanAxisCombo
from .session import Session
from .theme import CURSOR_COLOR, PLOT_BACKGROUND

QUANTITIES = {"center": "Center 2θ (°)", "fwhm": "FWHM (°)", "area": "Area (counts·°)",
              "height": "Height (counts)", "shape": "Shape (η or m)", "d_A": "d (Å)", "q_inv_A": "Q (Å⁻¹)",
              "redchi": "Reduced χ² (window)", "rwp": "R_wp (%) (window)"}
SUSPECT_FLAGS = ("poor_fit", "failed", "at_bound")
"""Flags that earn a point a red ring: the fit did not converge, fits the data poorly, or sits on a bound."""
FLAG_COLOR = "#ff5a5a"
MIN_PLOT_HEIGHT_PX = 150
"""Below this a parameter plot shows little more than its axes."""
ALL_PEAKS = "all"
"""Peak combo data: ``"all"``, ``"w:<window index>"`` (that window's peaks) or ``"p:<peak index>"``."""


def suspect_rows(result: SeriesFitResult, peak: int) -> np.ndarray:
    """(n_scans,) bool: rows whose fit of ``peak`` carries one of :data:`SUSPECT_FLAGS`."""
    return np.array([any(f in result.flags(row, peak).split("|") for f in SUSPECT_FLAGS)
                     for row in range(result.n_scans)], dtype=bool)


def quantity_values(result: SeriesFitResult, quantity: str) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """(values, errors or None), both (n_scans, n_peaks); window statistics are repeated for
    every peak of their window. Units as in :data:`QUANTITIES`."""
    if quantity in ("redchi", "rwp"):
        return getattr(result, quantity)[:, result.peak_window], None
    if quantity == "d_A":
        return result.d_A, result.d_err_A
    if quantity == "q_inv_A":
        q = result.q_inv_A
        # Q = 4π sinθ / λ, so σ_Q = Q cotθ σ_θ with σ_θ in radians (half of σ_2θ)
        theta = np.radians(result.center) / 2.0
        return q, np.abs(q / np.tan(theta)) * np.radians(result.center_err) / 2.0
    return getattr(result, quantity), getattr(result, quantity + "_err")


class ParameterView(QWidget):
    """Combo boxes (quantity, peak, x axis) over a plot of the session's fit result.

    ``curves[k]`` is peak k's line+symbols (NaN gaps for absent peaks), ``error_bars[k]`` its
    error bars (finite points only). Emits ``scan_requested(index)`` when a point is clicked.
    """

    scan_requested = Signal(int)

    def __init__(self, session: Session, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._session = session
        self.quantity_combo, self.peak_combo, self.x_combo = QComboBox(), QComboBox(), ScanAxisCombo()
        self.peak_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for key, label in QUANTITIES.items():
            self.quantity_combo.addItem(label, key)
        controls = QHBoxLayout()
        for title, combo in (("Quantity", self.quantity_combo), ("Peak", self.peak_combo), ("against", self.x_combo)):
            controls.addWidget(QLabel(title))
            controls.addWidget(combo)
        controls.addStretch(1)
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground(PLOT_BACKGROUND)
        self.plot_item: pg.PlotItem = self.plot_widget.addPlot(row=0, col=0)
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.plot_item.getAxis("bottom").enableAutoSIPrefix(False)
        self.legend = pg.LegendItem(labelTextSize="8pt")   # beside the plot, never over the points
        policy = self.legend.sizePolicy()
        policy.setRetainSizeWhenHidden(False)
        policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)
        self.legend.setSizePolicy(policy)
        self.plot_widget.addItem(self.legend, row=0, col=1)
        self.plot_widget.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(CURSOR_COLOR, width=1))
        self.plot_item.addItem(self.marker, ignoreBounds=True)
        self.curves: list[pg.PlotDataItem] = []
        self.error_bars: list[pg.ErrorBarItem] = []
        self.flag_marks: list[pg.ScatterPlotItem] = []   # red rings on suspect fits, one item per curve
        self._x = np.zeros(0)
        self.plot_widget.setMinimumHeight(MIN_PLOT_HEIGHT_PX)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(controls)
        layout.addWidget(self.plot_widget)
        for combo in (self.quantity_combo, self.peak_combo, self.x_combo):
            combo.currentIndexChanged.connect(self.redraw)
        session.fit_result_changed.connect(self._on_result_changed)
        session.echem_changed.connect(self._on_echem_changed)
        session.scan_changed.connect(self._on_scan_changed)
        self._on_echem_changed(session.echem)
        self._on_result_changed(session.fit_result)

    # -- session → drawing ------------------------------------------------------------------------
    @Slot(object)
    def _on_result_changed(self, result) -> None:
        with QSignalBlocker(self.peak_combo):
            previous = self.peak_combo.currentData()
            self.peak_combo.clear()
            if result is not None:
                self.peak_combo.addItem("all peaks", ALL_PEAKS)
                for i, w in enumerate(result.windows):
                    if w.n_peaks > 1:
                        self.peak_combo.addItem(f"window {w.label} (all)", f"w:{i}")
                for k, label in enumerate(result.peak_labels):
                    self.peak_combo.addItem(label, f"p:{k}")
            index = self.peak_combo.findData(previous)
            # by default the first window: its peaks share a scale, unlike peaks of different windows
            self.peak_combo.setCurrentIndex(index if index >= 0 else min(1, self.peak_combo.count() - 1))
        self.redraw()

    @Slot(object)
    def _on_echem_changed(self, _echem) -> None:
        if not self.x_combo.allow_voltage(self._session):
            self.redraw()

    def x_values(self, result: SeriesFitResult) -> np.ndarray:
        """(n_scans,) the chosen x of every result row: scan index, mid-exposure hours or volts."""
        return self.x_combo.scan_values(self._session, result.scan)

    def shown_peaks(self, result: SeriesFitResult) -> list[int]:
        key = self.peak_combo.currentData()
        if key is None or key == ALL_PEAKS:
            return list(range(result.n_peaks))
        kind, _, index = key.partition(":")
        if kind == "w":
            return list(range(result.n_peaks))[result.peak_slice(int(index))]
        return [int(index)]

    @Slot()
    def redraw(self, *_args) -> None:
        for item in self.curves + self.error_bars + self.flag_marks:
            self.plot_item.removeItem(item)
        self.legend.clear()
        self.curves, self.error_bars, self.flag_marks = [], [], []
        result = self._session.fit_result
        if result is None or self._session.series is None:
            self._x = np.zeros(0)
            self.marker.setVisible(False)
            return
        quantity = self.quantity_combo.currentData()
        values, errors = quantity_values(result, quantity)
        self._x = x = self.x_values(result)
        labels = result.peak_labels
        for k in self.shown_peaks(result):
            self._draw_peak(k, x, values[:, k], None if errors is None else errors[:, k], labels[k])
            self._mark_suspects(x, values[:, k], suspect_rows(result, k))
        self.legend.setVisible(len(self.curves) > 1)
        self.plot_item.setLabel("left", QUANTITIES[quantity])
        self.plot_item.setLabel("bottom", self.x_combo.label())
        self._on_scan_changed(self._session.current_scan)

    def _draw_peak(self, k: int, x: np.ndarray, y: np.ndarray, err: Optional[np.ndarray], label: str) -> None:
        color = COMPONENT_COLORS[k % len(COMPONENT_COLORS)]
        curve = pg.PlotDataItem(x, y, pen=pg.mkPen(color, width=1), symbol="o", symbolSize=5,
                                symbolPen=None, symbolBrush=pg.mkBrush(color), connect="finite", name=label)
        self.legend.addItem(curve, label)
        curve.peak_index = k
        curve.sigPointsClicked.connect(self._on_points_clicked)
        self.plot_item.addItem(curve)
        self.curves.append(curve)
        if err is not None:
            ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(err)
            bars = pg.ErrorBarItem(x=x[ok], y=y[ok], height=2.0 * err[ok], pen=pg.mkPen(color, width=0.8), beam=0)
            self.plot_item.addItem(bars)
            self.error_bars.append(bars)

    def _mark_suspects(self, x: np.ndarray, y: np.ndarray, suspect: np.ndarray) -> None:
        ok = suspect & np.isfinite(x) & np.isfinite(y)
        marks = pg.ScatterPlotItem(x=x[ok], y=y[ok], symbol="o", size=11, brush=None,
                                   pen=pg.mkPen(FLAG_COLOR, width=1.5))
        marks.setToolTip(f"Fit flagged ({', '.join(SUSPECT_FLAGS)})")
        self.plot_item.addItem(marks)
        self.flag_marks.append(marks)

    @Slot(int)
    def _on_scan_changed(self, index: int) -> None:
        result = self._session.fit_result
        rows = np.flatnonzero(result.scan == index) if result is not None else np.zeros(0, dtype=int)
        shown = rows.size > 0 and np.isfinite(self._x[rows[0]]) if self._x.size else False
        self.marker.setVisible(bool(shown))
        if shown:
            self.marker.setValue(float(self._x[rows[0]]))

    # -- user → intent ------------------------------------------------------------------------
    @Slot(object, object, object)
    def _on_points_clicked(self, _item, points, _event=None) -> None:
        """Ask for the scan of the first clicked point (its index is the result row)."""
        result = self._session.fit_result
        if result is None or len(points) == 0:
            return
        row = int(points[0].index())
        if 0 <= row < result.n_scans:
            self.scan_requested.emit(int(result.scan[row]))
