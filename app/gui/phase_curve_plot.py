"""The widget shared by the per-phase plots (phase results, refined cells): quantity and x-axis combos
over one line+symbols curve with error bars per phase, coloured keys above the plot."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .phase_ticks import phase_color
from .scan_axis_combo import ScanAxisCombo
from .session import Session
from .theme import CURSOR_COLOR, PLOT_BACKGROUND


class PhaseCurvePlot(QWidget):
    """Base of a per-phase plot. ``curves[name]`` is a phase's line+symbols (NaN gaps),
    ``error_bars[name]`` its error bars (finite points only).

    A subclass implements ``redraw``, ``_on_scan_changed(index)`` and ``_on_points_clicked``, and
    calls ``self._on_echem_changed(session.echem)`` once its own state exists.
    """

    scan_requested = Signal(int)

    def __init__(self, session: Session, quantities: dict[str, str], quantity: str,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._session = session
        self.quantity_combo, self.x_combo = QComboBox(), ScanAxisCombo()
        for key, label in quantities.items():
            self.quantity_combo.addItem(label, key)
        self.quantity_combo.setCurrentIndex(self.quantity_combo.findData(quantity))
        self.key_label = QLabel()   # coloured phase names: a legend that never covers the data
        controls = QHBoxLayout()
        for title, combo in (("Quantity", self.quantity_combo), ("against", self.x_combo)):
            controls.addWidget(QLabel(title))
            controls.addWidget(combo)
        controls.addSpacing(16)
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(controls)
        layout.addWidget(self.plot_widget)
        self.quantity_combo.currentIndexChanged.connect(self.redraw)
        self.x_combo.currentIndexChanged.connect(self.redraw)
        session.echem_changed.connect(self._on_echem_changed)
        session.scan_changed.connect(self._on_scan_changed)

    def scan_x(self) -> np.ndarray:
        """Each scan's x for the event overlay: index or hours; none against voltage (not monotonic)."""
        return self.x_combo.overlay_values(self._session)

    def redraw(self, *_args) -> None:
        raise NotImplementedError

    def _on_scan_changed(self, index: int) -> None:
        raise NotImplementedError

    @Slot(object)
    def _on_echem_changed(self, _echem) -> None:
        if not self.x_combo.allow_voltage(self._session):
            self.redraw()

    def _clear(self) -> None:
        """Take every phase's curve and error bars out of the plot."""
        for item in [*self.curves.values(), *self.error_bars.values()]:
            self.plot_item.removeItem(item)
        self.curves, self.error_bars = {}, {}

    def _show_nothing(self) -> None:
        self._x = np.zeros(0)
        self.marker.setVisible(False)
        self.key_label.clear()

    def _label(self, names: list[str], quantity_label: str) -> None:
        """Coloured keys for ``names`` and both axis titles."""
        self.key_label.setText("   ".join(f"<b style='color:{phase_color(n)}'>{n}</b>" for n in names))
        self.plot_item.setLabel("left", quantity_label)
        self.plot_item.setLabel("bottom", self.x_combo.label())

    def _draw_phase(self, name: str, x: np.ndarray, y: np.ndarray, err: np.ndarray) -> None:
        """Phase ``name``'s curve through (x, y), both (n,), with ±``err`` bars where all are finite."""
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

    def _on_points_clicked(self, _item, points, _event=None) -> None:
        raise NotImplementedError
