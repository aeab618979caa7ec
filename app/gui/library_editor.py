"""Editing the phase library: a dialog for one phase, saved as JSON in the user's phase folder.

The user folder is ``$OPERANDO_XRD_CONFIG/phases`` when that variable is set, else the
platform's application config folder + ``/phases``. :func:`load_user_library` reads the bundled
library with that folder on top (a user phase replaces a bundled one of the same name).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from analysis import crystallography as cr
from analysis.errors import InputError
from analysis.phase_library import (FREE_PARAMETERS, KINDS, SYSTEMS, Phase, load_library, phase_from_dict,
                                    phase_to_dict, save_phase)

CONFIG_ENV = "OPERANDO_XRD_CONFIG"
DEFAULT_CELL = {"a": 3.0, "b": 3.0, "c": 10.0, "alpha": 90.0, "beta": 90.0, "gamma": 90.0}


def user_phases_dir(create: bool = False) -> Path:
    """The folder of the user's own phase files (created when ``create``)."""
    root = os.environ.get(CONFIG_ENV) or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppConfigLocation)
    folder = Path(root) / "phases"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_user_library() -> dict[str, Phase]:
    """Bundled phases with the user's folder on top (when it exists)."""
    folder = user_phases_dir()
    return load_library(extra_dirs=[folder] if folder.is_dir() else [])


def phase_file_name(name: str) -> str:
    """A portable file name for a phase name (``P'2`` → ``P_2.json``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") + ".json"


class PhaseEditorDialog(QDialog):
    """Name, kind, space group, cell, plausible ranges and reflections of one phase.

    ``phase()`` builds the :class:`Phase` (InputError when invalid); Save writes it to the user
    folder (``saved_path``) and accepts.
    """

    def __init__(self, phase: Optional[Phase] = None, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Phase {phase.name}" if phase else "New phase")
        self._base = phase_to_dict(phase) if phase is not None else {}
        self.saved_path: Optional[Path] = None
        self.name_edit, self.description_edit = QLineEdit(), QLineEdit()
        self.kind_combo, self.system_combo = QComboBox(), QComboBox()
        self.kind_combo.addItems(list(KINDS))
        self.system_combo.addItems(list(SYSTEMS))
        self.sg_number, self.sg_symbol = QSpinBox(), QLineEdit()
        self.sg_number.setRange(0, 230)
        self.sg_number.setSpecialValueText("not given")
        self.layers_spin = QSpinBox()
        self.layers_spin.setRange(0, 12)
        self.layers_spin.setSpecialValueText("not given")
        self.cell_spins = {p: self._spin(0.5, 100.0 if p in "abc" else 179.0) for p in cr.CELL_PARAMETERS}
        self.range_spins = {p: (self._spin(0.0, 180.0), self._spin(0.0, 180.0)) for p in cr.CELL_PARAMETERS}
        self.reflection_table = QTableWidget(0, 4)
        self.reflection_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._build_layout()
        self._fill(phase)
        self.system_combo.currentTextChanged.connect(self._on_system_changed)
        self._on_system_changed(self.system_combo.currentText())

    @staticmethod
    def _spin(lo: float, hi: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setDecimals(4)
        box.setRange(lo, hi)
        return box

    def _build_layout(self) -> None:
        form = QFormLayout()
        for label, widget in (("Name", self.name_edit), ("Description", self.description_edit),
                              ("Kind", self.kind_combo), ("Crystal system", self.system_combo),
                              ("Space group number", self.sg_number), ("Space group symbol", self.sg_symbol),
                              ("Layers per cell", self.layers_spin)):
            form.addRow(label, widget)
        header = QHBoxLayout()
        for text in ("value", "plausible min", "plausible max"):
            header.addWidget(QLabel(text))
        form.addRow("Cell (Å, °)", header)
        for p in cr.CELL_PARAMETERS:
            row = QHBoxLayout()
            lo, hi = self.range_spins[p]
            for widget in (self.cell_spins[p], lo, hi):
                row.addWidget(widget)
            form.addRow(p, row)
        add, remove = QPushButton("Add reflection"), QPushButton("Remove reflection")
        add.clicked.connect(self._on_add_row)
        remove.clicked.connect(self._on_remove_row)
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(add)
        row_buttons.addWidget(remove)
        row_buttons.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reflection_table, 1)
        layout.addLayout(row_buttons)
        layout.addWidget(buttons)
        self.resize(520, 720)

    def _fill(self, phase: Optional[Phase]) -> None:
        d = self._base
        self.name_edit.setText(d.get("name", ""))
        self.description_edit.setText(d.get("description", ""))
        self.description_edit.setCursorPosition(0)
        self.kind_combo.setCurrentText(d.get("kind", "cathode"))
        self.system_combo.setCurrentText(d.get("system", "hexagonal"))
        self.sg_number.setValue(int(d.get("space_group", {}).get("number", 0)))
        self.sg_symbol.setText(d.get("space_group", {}).get("symbol", ""))
        self.layers_spin.setValue(int(d.get("layers_per_cell") or 0))
        cell = d.get("cell", DEFAULT_CELL)
        for p, box in self.cell_spins.items():
            box.setValue(float(cell.get(p, DEFAULT_CELL[p])))
        for p, (lo, hi) in self.range_spins.items():
            r = d.get("cell_ranges", {}).get(p, (0.0, 0.0))
            lo.setValue(float(r[0]))
            hi.setValue(float(r[1]))
        rows = d.get("reflections", [])
        self._set_columns(phase is not None and phase.cell is None)
        self.reflection_table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = [r["d_A"]] if "d_A" in r else list(r["hkl"])
            for j, v in enumerate([*values, r["rel_intensity"]]):
                self.reflection_table.setItem(i, j, QTableWidgetItem(f"{v:g}"))

    def _set_columns(self, d_list: bool) -> None:
        headers = ["d (Å)", "Intensity"] if d_list else ["h", "k", "l", "Intensity"]
        self.reflection_table.setColumnCount(len(headers))
        self.reflection_table.setHorizontalHeaderLabels(headers)

    def _on_system_changed(self, system: str) -> None:
        d_list = system == "none"
        if d_list != (self.reflection_table.columnCount() == 2):
            self.reflection_table.setRowCount(0)
            self._set_columns(d_list)
        free = FREE_PARAMETERS[system]
        for p in cr.CELL_PARAMETERS:
            for widget in (self.cell_spins[p], *self.range_spins[p]):
                widget.setEnabled(p in free)

    def _on_add_row(self) -> None:
        self.reflection_table.insertRow(self.reflection_table.rowCount())

    def _on_remove_row(self) -> None:
        rows = sorted({i.row() for i in self.reflection_table.selectedIndexes()}, reverse=True)
        for row in rows or [self.reflection_table.rowCount() - 1]:
            self.reflection_table.removeRow(row)

    def _reflection_rows(self) -> list[dict]:
        table, rows = self.reflection_table, []
        for i in range(table.rowCount()):
            cells = [table.item(i, j).text().strip() if table.item(i, j) else "" for j in range(table.columnCount())]
            if not any(cells):
                continue
            try:
                if table.columnCount() == 2:
                    rows.append({"d_A": float(cells[0]), "rel_intensity": float(cells[1])})
                else:
                    rows.append({"hkl": [int(c) for c in cells[:3]], "rel_intensity": float(cells[3])})
            except ValueError as exc:
                raise InputError("<editor>", f"reflection row {i + 1}: {exc}") from exc
        return rows

    def phase_dict(self) -> dict:
        """The phase as the JSON structure of :mod:`analysis.phase_library`."""
        system = self.system_combo.currentText()
        d = {k: v for k, v in self._base.items() if k in ("broadening", "stacking", "provenance", "notes")}
        d.update(name=self.name_edit.text().strip(), kind=self.kind_combo.currentText(), system=system,
                 description=self.description_edit.text().strip(), reflections=self._reflection_rows())
        if self.sg_number.value():
            d["space_group"] = {"number": self.sg_number.value(), "symbol": self.sg_symbol.text().strip()}
        if self.layers_spin.value():
            d["layers_per_cell"] = self.layers_spin.value()
        free = FREE_PARAMETERS[system]
        if system != "none":
            d["cell"] = {p: self.cell_spins[p].value() for p in free}
            d["cell_ranges"] = {p: [self.range_spins[p][0].value(), self.range_spins[p][1].value()]
                                for p in free if self.range_spins[p][1].value() > self.range_spins[p][0].value()}
        return d

    def phase(self) -> Phase:
        """The edited phase; InputError when a field is missing or inconsistent."""
        d = self.phase_dict()
        if not d["name"]:
            raise InputError("<editor>", "the phase needs a name")
        return phase_from_dict(d, f"<phase {d['name']}>")

    def save(self) -> Path:
        """Write the phase to the user folder; returns the file path."""
        phase = self.phase()
        self.saved_path = save_phase(phase, user_phases_dir(create=True) / phase_file_name(phase.name))
        return self.saved_path

    def _on_save(self) -> None:
        try:
            self.save()
        except (InputError, OSError) as exc:
            QMessageBox.warning(self, "Phase not saved", str(exc))
            return
        self.accept()
