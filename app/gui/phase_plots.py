"""Phase results of the session's analysis against the series: cell a, c, volume, volume change,
interlayer spacing and weight fraction of every present cathode phase, with error bars.

Scans where a phase is absent (its cell not located) are gaps. Clicking a point asks for that
scan (``scan_requested``). The numbers come from ``AnalysisResult.decomposition`` unchanged
(:func:`phase_quantity` is the one place they are derived).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QWidget

from .phase_curve_plot import PhaseCurvePlot
from .session import Session

QUANTITIES = {"a": "a (Å)", "c": "c (Å)", "volume": "Cell volume (Å³)", "volume_pct": "Volume change (%)",
              "d_int": "Interlayer spacing c/n (Å)", "fraction": "Weight fraction"}
LAYERS_PER_CELL = {"P2": 2, "O3": 3, "P3": 3, "O2": 2, "OP4": 4, "OP2": 2}
"""Fallback layer counts for phases whose library file has no ``layers_per_cell``."""


def cell_volume_A3(cells: np.ndarray) -> np.ndarray:
    """(...,) volume in Å³ of cells (..., 6) = a, b, c Å, α, β, γ deg (NaN propagates)."""
    a, b, c = cells[..., 0], cells[..., 1], cells[..., 2]
    ca, cb, cg = (np.cos(np.radians(cells[..., k])) for k in (3, 4, 5))
    return a * b * c * np.sqrt(np.clip(1.0 - ca ** 2 - cb ** 2 - cg ** 2 + 2.0 * ca * cb * cg, 0.0, None))


def volume_error_A3(cells: np.ndarray, cell_err: np.ndarray) -> np.ndarray:
    """(...,) standard error of the volume, from independent errors of the free parameters.

    A parameter tied by symmetry has error 0 and the value of the one it follows (hexagonal b = a),
    so each free parameter is moved together with its tied copies (hexagonal: σV/V = √((2σa/a)² + (σc/c)²)).
    """
    var = np.zeros(cells.shape[:-1])
    for k in range(6):
        group = slice(0, 3) if k < 3 else slice(3, 6)
        step = 1e-6 * np.maximum(np.abs(cells[..., k]), 1.0)
        moved = cells.copy()
        same = np.zeros(cells.shape, dtype=bool)
        same[..., group] = (cells[..., group] == cells[..., k:k + 1]) & (cell_err[..., group] == 0)
        same[..., k] = True
        moved[same] += np.broadcast_to(step[..., None], cells.shape)[same]
        slope = (cell_volume_A3(moved) - cell_volume_A3(cells)) / step
        var += np.where(cell_err[..., k] > 0, (slope * cell_err[..., k]) ** 2, 0.0)
    return np.sqrt(var)


def layers_of(name: str, library: Optional[dict] = None) -> Optional[int]:
    """Layers per cell of ``name``: the library file's, else :data:`LAYERS_PER_CELL`, else None."""
    phase = (library or {}).get(name)
    if phase is not None and phase.layers_per_cell:
        return int(phase.layers_per_cell)
    return LAYERS_PER_CELL.get(name)


def phase_quantity(decomposition, names: list[str], quantity: str,
                   library: Optional[dict] = None) -> tuple[np.ndarray, np.ndarray]:
    """(values, errors), both (n_scans, len(names)), of ``quantity`` (a key of :data:`QUANTITIES`).

    Every quantity, the fraction too, is NaN where the phase is not located (a gap, where the
    decomposition reports fraction 0 for an absent phase). Volume change is in % of the phase's
    volume at the first scan where it is located. d_int = c / layers per cell (NaN if unknown).
    """
    cols = [decomposition.phases.index(n) for n in names]
    cells = np.asarray(decomposition.cells, dtype=float)[:, cols, :]
    if quantity == "fraction":
        located = np.isfinite(cells[..., 2])
        return (np.where(located, np.asarray(decomposition.fraction, dtype=float)[:, cols], np.nan),
                np.where(located, np.asarray(decomposition.fraction_err, dtype=float)[:, cols], np.nan))
    errs = np.nan_to_num(np.asarray(decomposition.cell_err, dtype=float)[:, cols, :])
    if quantity in ("a", "c"):
        k = 0 if quantity == "a" else 2
        values, errors = cells[..., k], errs[..., k]
    elif quantity == "d_int":
        n = np.array([layers_of(name, library) or np.nan for name in names], dtype=float)
        values, errors = cells[..., 2] / n, errs[..., 2] / n
    else:
        values, errors = cell_volume_A3(cells), volume_error_A3(cells, errs)
        if quantity == "volume_pct":
            first = np.array([_first_finite(values[:, j]) for j in range(values.shape[1])])
            values, errors = 100.0 * (values / first - 1.0), 100.0 * errors / first
    errors = np.where(np.isfinite(values), errors, np.nan)
    return values, errors


def _first_finite(v: np.ndarray) -> float:
    ok = np.flatnonzero(np.isfinite(v))
    return float(v[ok[0]]) if ok.size else np.nan


def fraction_label(decomposition) -> str:
    """The fraction axis title, saying what the numbers are: weight fractions only once the per-phase
    scale factors are calibrated; otherwise weight fractions under the library's intensity model."""
    if decomposition.fraction_kind == "weight":
        return "Weight fraction (calibrated scale factors)"
    return "Fraction (library intensities; weight fraction once calibrated)"

class PhasePlotView(PhaseCurvePlot):
    """Quantity and x-axis combos over a plot of the present phases of ``session.analysis_result``.

    ``curves[name]`` is a phase's line+symbols (NaN gaps), ``error_bars[name]`` its error bars.
    """

    def __init__(self, session: Session, library: Optional[dict] = None, parent: Optional[QWidget] = None) -> None:
        # c/n compares phases of different stackings on one scale (P2 c ≈ 11 Å, O3 c ≈ 16 Å)
        super().__init__(session, QUANTITIES, "d_int", parent)
        self.library = library or {}
        session.analysis_changed.connect(self.redraw)
        session.series_changed.connect(self.redraw)
        self._on_echem_changed(session.echem)

    def x_values(self) -> np.ndarray:
        """(n_scans,) scan index, mid-exposure hours or volts at each scan."""
        return self.x_combo.scan_values(self._session)

    def shown_phases(self) -> list[str]:
        result = self._session.analysis_result
        return [] if result is None or result.decomposition is None else result.present_phases()

    @Slot()
    def redraw(self, *_args) -> None:
        self._clear()
        names = self.shown_phases()
        series = self._session.series
        result = self._session.analysis_result
        if not names or series is None or result.decomposition.fraction.shape[0] != series.n_scans:
            self._show_nothing()
            return
        quantity = self.quantity_combo.currentData()
        values, errors = phase_quantity(self._session.analysis_result.decomposition, names, quantity, self.library)
        self._x = x = self.x_values()
        for j, name in enumerate(names):
            self._draw_phase(name, x, values[:, j], errors[:, j])
        self._label(names, fraction_label(result.decomposition) if quantity == "fraction" else QUANTITIES[quantity])
        self._on_scan_changed(self._session.current_scan)

    @Slot(int)
    def _on_scan_changed(self, index: int) -> None:
        shown = 0 <= index < self._x.size and bool(np.isfinite(self._x[index]))
        self.marker.setVisible(shown)
        if shown:
            self.marker.setValue(float(self._x[index]))

    @Slot(object, object, object)
    def _on_points_clicked(self, _item, points, _event=None) -> None:
        """Ask for the scan of the first clicked point (a point's index is its scan)."""
        if len(points) and 0 <= int(points[0].index()) < self._x.size:
            self.scan_requested.emit(int(points[0].index()))
