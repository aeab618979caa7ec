"""The constraints table of the fitting panel: one row per constrained window parameter
(parameter, bounded / fixed / tied, setting), read into :class:`~analysis.fit_windows.Constraint`
objects."""

from __future__ import annotations

import math
from typing import Optional

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from analysis.fit_windows import CONSTRAINT_KINDS, Constraint, FitWindow, bounded, fixed, tied

from .fit_window_edits import has_shared_fwhm

_SETTING_HINT = {"bounded": "min, max", "fixed": "value", "tied": "expression, e.g. p0_fwhm"}


def parse_constraint(kind: str, text: str) -> Constraint:
    """A constraint from the table's kind and setting text; raises ValueError when unreadable."""
    if kind == "fixed":
        return fixed(float(text))
    if kind == "tied":
        return tied(text.strip())
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise ValueError("bounds are written 'min, max' (leave a side empty for no bound)")
    lo = float(parts[0]) if parts[0] else -math.inf
    hi = float(parts[1]) if parts[1] else math.inf
    return bounded(lo, hi)


def format_constraint(c: Constraint) -> str:
    if c.kind == "fixed":
        return f"{c.value:g}"
    if c.kind == "tied":
        return c.expr
    return f"{'' if math.isinf(c.min) else f'{c.min:g}'}, {'' if math.isinf(c.max) else f'{c.max:g}'}"


class ConstraintTable(QTableWidget):
    """Parameter | kind | setting for one window (shared-FWHM ties are the checkbox's, not listed).

    Emits ``edited(constraints)`` with the whole readable set whenever a row changes, and
    ``invalid(message)`` for a row it cannot read.
    """

    edited = Signal(object)
    invalid = Signal(str)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(("Parameter", "Kind", "Setting"))
        self.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(False)
        self.setMaximumHeight(96)
        self._names: tuple[str, ...] = ()
        self.itemChanged.connect(self._on_changed)

    def show_window(self, w: Optional[FitWindow]) -> None:
        with QSignalBlocker(self):
            self.setRowCount(0)
            self._names = () if w is None else w.param_names
            shared = w is not None and has_shared_fwhm(w)
            for name, c in (() if w is None else w.constraints):
                if not (shared and name.endswith("_fwhm") and c == tied("p0_fwhm")):
                    self._add_row(name, c.kind, format_constraint(c))

    def add_row(self) -> None:
        if self._names:
            with QSignalBlocker(self):
                self._add_row(self._names[0], "bounded", "")

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.selectedIndexes()}, reverse=True)
        for row in rows or ([self.rowCount() - 1] if self.rowCount() else []):
            self.removeRow(row)
        self._on_changed()

    def _add_row(self, name: str, kind: str, setting: str) -> None:
        row = self.rowCount()
        self.insertRow(row)
        for col, (choices, value) in enumerate(((self._names, name), (CONSTRAINT_KINDS, kind))):
            combo = QComboBox()
            combo.addItems(choices)
            combo.setCurrentText(value)
            combo.currentIndexChanged.connect(self._on_changed)
            self.setCellWidget(row, col, combo)
        item = QTableWidgetItem(setting)
        item.setToolTip(_SETTING_HINT[kind])
        self.setItem(row, 2, item)

    def row(self, row: int) -> tuple[str, str, str]:
        item = self.item(row, 2)
        return self.cellWidget(row, 0).currentText(), self.cellWidget(row, 1).currentText(), item.text() if item else ""

    @Slot()
    def _on_changed(self, *_args) -> None:
        out = []
        for r in range(self.rowCount()):
            name, kind, text = self.row(r)
            if not text.strip():
                continue   # a row still being filled in
            try:
                out.append((name, parse_constraint(kind, text)))
            except ValueError as exc:
                self.invalid.emit(f"{name}: {exc}")
                return
        self.edited.emit(tuple(out))
