"""Cells refined from the indexed peak fits against the series: a, c, volume, volume change and
interlayer spacing of every cathode phase with a fitted scan, with error bars.

The numbers come from the controller's :class:`~analysis.lattice_series.LatticeSeries` unchanged
(:func:`lattice_quantity` picks them). Row ``i`` of a series belongs to scan ``fit.scan[i]`` of the
open series. Clicking a point asks for its scan (``scan_requested``).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from analysis.lattice_series import LatticeSeries

from .indexing_controller import IndexingController
from .phase_ticks import phase_color
from .session import Session
from .theme import CURSOR_COLOR, PLOT_BACKGROUND

QUANTITIES = {"a": "a (Å)", "c": "c (Å)", "volume": "Cell volume (Å³)", "volume_pct": "Volume change (%)",
              "interlayer": "Interlayer spacing (Å)"}
X_AXES = {"scan": "Scan", "time_h": "Time (h)", "voltage": "Voltage (V)"}


def lattice_quantity(series: LatticeSeries, quantity: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, errors), both (n_rows,), of ``quantity`` (a key of :data:`QUANTITIES`); NaN where
    the phase was not fitted or has no such parameter. Volume change error: σV / V₀ in %."""
    n = series.volume_A3.size
    if quantity in ("a", "c"):
        nan = np.full(n, np.nan)
        return series.parameters.get(quantity, nan), series.errors.get(quantity, nan)
    if quantity == "volume":
        return series.volume_A3, series.volume_err_A3
    if quantity == "volume_pct":
        fitted = np.flatnonzero(np.isfinite(series.volume_A3))
        v0 = series.volume_A3[fitted[0]] if fitted.size else np.nan
        return series.volume_change_pct, 100.0 * series.volume_err_A3 / v0
    if quantity == "interlayer":
        return series.interlayer_A, series.interlayer_err_A
    raise ValueError(f"quantity must be one of {tuple(QUANTITIES)}, not {quantity!r}")


class LatticePlotView(QWidget):
    """Quantity and x-axis combos over a plot of the controller's lattice series.

    ``curves[name]`` is a phase's line+symbols (NaN gaps), ``error_bars[name]`` its error bars.
    """

    scan_requested = Signal(int)

    def __init__(self, session: Session, controller: IndexingController, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._session, self._controller = session, controller
        self.quantity_combo, self.x_combo = QComboBox(), QComboBox()
        for combo, items in ((self.quantity_combo, QUANTITIES), (self.x_combo, X_AXES)):
            for key, label in items.items():
                combo.addItem(label, key)
        self.quantity_combo.setCurrentIndex(self.quantity_combo.findData("interlayer"))
        self.key_label = QLabel()
        controls = QHBoxLayout()
        for title, combo in (("Quantity", self.quantity_combo), ("against", self.x_combo)):
            controls.addWidget(QLabel(title))
            controls.addWidget(combo)
        controls.addSpacing(12)
        controls.addWidget(self.key_label)
        controls.addStretch(1)
        self.plot_widget = pg.PlotWidget(background=PLOT_BACKGROUND)
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        for side in ("left", "bottom"):
            self.plot_item.getAxis(side).enableAutoSIPrefix(False)
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(CURSOR_COLOR, width=1))
        self.plot_item.addItem(self.marker, ignoreBounds=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.error_bars: dict[str, pg.ErrorBarItem] = {}
        self._x = np.zeros(0)
        self._scans = np.zeros(0, dtype=int)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(controls)
        layout.addWidget(self.plot_widget)
        self.quantity_combo.currentIndexChanged.connect(self.redraw)
        self.x_combo.currentIndexChanged.connect(self.redraw)
        controller.results_changed.connect(self.redraw)
        session.echem_changed.connect(self._on_echem_changed)
        session.scan_changed.connect(self._on_scan_changed)
        self._on_echem_changed(session.echem)

    def _series_x(self) -> np.ndarray:
        """(n_scans,) of the open series: scan index, mid-exposure hours or volts."""
        key = self.x_combo.currentData()
        if key == "time_h":
            return self._session.scan_mid_time_s() / 3600.0
        volts = self._session.voltage_at_scans()
        if key == "voltage" and volts is not None:
            return np.asarray(volts, dtype=float)
        return np.arange(self._session.series.n_scans, dtype=float)

    def scan_x(self) -> np.ndarray:
        """Each scan's x for the event overlay: index or hours; none against voltage (not monotonic)."""
        if self._session.series is None or self.x_combo.currentData() == "voltage":
            return np.zeros(0)
        return self._series_x()

    def shown_phases(self) -> list[str]:
        """Phases of the lattice result with at least one fitted scan."""
        return [n for n, s in self._controller.lattice.items() if np.isfinite(s.volume_A3).any()]

    @Slot(object)
    def _on_echem_changed(self, _echem) -> None:
        item = self.x_combo.model().item(self.x_combo.findData("voltage"))
        has_voltage = self._session.voltage_at_scans() is not None
        item.setEnabled(has_voltage)
        if not has_voltage and self.x_combo.currentData() == "voltage":
            self.x_combo.setCurrentIndex(0)
        else:
            self.redraw()

    @Slot()
    def redraw(self, *_args) -> None:
        for item in [*self.curves.values(), *self.error_bars.values()]:
            self.plot_item.removeItem(item)
        self.curves, self.error_bars = {}, {}
        names, fit, series = self.shown_phases(), self._controller.indexed, self._session.series
        if not names or fit is None or series is None or np.max(fit.scan, initial=-1) >= series.n_scans:
            self._x, self._scans = np.zeros(0), np.zeros(0, dtype=int)
            self.marker.setVisible(False)
            self.key_label.clear()
            return
        self._scans = np.asarray(fit.scan, dtype=int)
        self._x = x = self._series_x()[self._scans]
        quantity = self.quantity_combo.currentData()
        for name in names:
            values, errors = lattice_quantity(self._controller.lattice[name], quantity)
            self._draw_phase(name, x, values, errors)
        self.key_label.setText("   ".join(f"<b style='color:{phase_color(n)}'>{n}</b>" for n in names))
        self.plot_item.setLabel("left", QUANTITIES[quantity])
        self.plot_item.setLabel("bottom", X_AXES[self.x_combo.currentData()])
        self._on_scan_changed(self._session.current_scan)

    def _draw_phase(self, name: str, x: np.ndarray, y: np.ndarray, err: np.ndarray) -> None:
        color = phase_color(name)
        curve = pg.PlotDataItem(x, y, pen=pg.mkPen(color, width=1), symbol="o", symbolSize=4, symbolPen=None,
                                symbolBrush=pg.mkBrush(color), connect="finite", name=name)
        curve.sigPointsClicked.connect(self._on_points_clicked)
        self.plot_item.addItem(curve)
        self.curves[name] = curve
        ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(err)
        bars = pg.ErrorBarItem(x=x[ok], y=y[ok], height=2.0 * err[ok], pen=pg.mkPen(color, width=0.8), beam=0)
        self.plot_item.addItem(bars)
        self.error_bars[name] = bars

    @Slot(int)
    def _on_scan_changed(self, index: int) -> None:
        rows = np.flatnonzero(self._scans == index)
        shown = rows.size > 0 and bool(np.isfinite(self._x[rows[0]]))
        self.marker.setVisible(shown)
        if shown:
            self.marker.setValue(float(self._x[rows[0]]))

    @Slot(object, object, object)
    def _on_points_clicked(self, _item, points, _event=None) -> None:
        """Ask for the scan of the first clicked point (a point's index is its row of the fit)."""
        if len(points) and 0 <= int(points[0].index()) < self._scans.size:
            self.scan_requested.emit(int(self._scans[int(points[0].index())]))
