"""Cells refined from the indexed peak fits against the series: a, c, volume, volume change and
interlayer spacing of every cathode phase with a fitted scan, with error bars.

The numbers come from the controller's :class:`~analysis.lattice_series.LatticeSeries` unchanged
(:func:`lattice_quantity` picks them). Row ``i`` of a series belongs to scan ``fit.scan[i]`` of the
open series. Clicking a point asks for its scan (``scan_requested``).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QWidget

from analysis.lattice_series import LatticeSeries

from .indexing_controller import IndexingController
from .phase_curve_plot import PhaseCurvePlot
from .session import Session

QUANTITIES = {"a": "a (Å)", "c": "c (Å)", "volume": "Cell volume (Å³)", "volume_pct": "Volume change (%)",
              "interlayer": "Interlayer spacing (Å)"}


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


class LatticePlotView(PhaseCurvePlot):
    """Quantity and x-axis combos over a plot of the controller's lattice series.

    ``curves[name]`` is a phase's line+symbols (NaN gaps), ``error_bars[name]`` its error bars.
    """

    def __init__(self, session: Session, controller: IndexingController, parent: Optional[QWidget] = None) -> None:
        super().__init__(session, QUANTITIES, "interlayer", parent)
        self._controller = controller
        self._scans = np.zeros(0, dtype=int)
        controller.results_changed.connect(self.redraw)
        self._on_echem_changed(session.echem)

    def shown_phases(self) -> list[str]:
        """Phases of the lattice result with at least one fitted scan."""
        return [n for n, s in self._controller.lattice.items() if np.isfinite(s.volume_A3).any()]

    @Slot()
    def redraw(self, *_args) -> None:
        self._clear()
        names, fit, series = self.shown_phases(), self._controller.indexed, self._session.series
        if not names or fit is None or series is None or np.max(fit.scan, initial=-1) >= series.n_scans:
            self._show_nothing()
            self._scans = np.zeros(0, dtype=int)
            return
        self._scans = np.asarray(fit.scan, dtype=int)
        self._x = x = self.x_combo.scan_values(self._session, self._scans)
        quantity = self.quantity_combo.currentData()
        for name in names:
            values, errors = lattice_quantity(self._controller.lattice[name], quantity)
            self._draw_phase(name, x, values, errors)
        self._label(names, QUANTITIES[quantity])
        self._on_scan_changed(self._session.current_scan)

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
