"""The Phases dock: tick library phases to draw their reflections, adjust the selected phase's
cell with spin boxes (ticks follow live), take the cell from the analysis at the current scan,
and edit or add library phases.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from analysis import crystallography as cr

from .phase_ticks import PhaseTickModel, phase_color
from .session import Session

RANGE_MARGIN = 0.1
"""Without a plausible range in the file, a length may move ±10 % and an angle ±10°."""
SPIN_STEP = {"a": 0.002, "b": 0.002, "c": 0.01, "alpha": 0.05, "beta": 0.05, "gamma": 0.05}


def parameter_range(phase, name: str) -> tuple[float, float]:
    """The spin box range of a free cell parameter: the file's plausible range, widened to hold
    the current value, else ±10 % (lengths, Å) or ±10° (angles)."""
    value = float(getattr(phase.cell, name))
    if name in phase.cell_ranges:
        lo, hi = phase.cell_ranges[name]
    elif name in ("a", "b", "c"):
        lo, hi = value * (1 - RANGE_MARGIN), value * (1 + RANGE_MARGIN)
    else:
        lo, hi = value - 10.0, value + 10.0
    return min(lo, value), max(hi, value)


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class PhasePanel(QDockWidget):
    """Library phases with check boxes; cell spin boxes of the selected phase.

    Emits ``edit_requested(name)`` ("" for a new phase) and ``reload_requested()``.
    ``spin_boxes[param]`` are the selected phase's free-parameter spin boxes.
    """

    edit_requested = Signal(str)
    reload_requested = Signal()

    def __init__(self, session: Session, model: PhaseTickModel, parent: Optional[QWidget] = None) -> None:
        super().__init__("Phases", parent)
        self.setObjectName("phases_dock")
        self._session, self._model = session, model
        self.phase_list = QListWidget()
        self.map_check = QCheckBox("Lines on the map")
        self.map_check.setChecked(model.on_map)
        self.cell_box = QGroupBox("Cell")
        self.cell_form = QFormLayout(self.cell_box)
        self.spin_boxes: dict[str, QDoubleSpinBox] = {}
        self.from_analysis_button = QPushButton("From analysis")
        self.from_analysis_button.setToolTip("The cell refined by the analysis at the current scan")
        self.reset_button = QPushButton("Library cell")
        self.edit_button, self.new_button = QPushButton("Edit phase…"), QPushButton("New phase…")
        self.reload_button = QPushButton("Reload")
        self._build_layout()
        self.phase_list.itemChanged.connect(self._on_item_changed)
        self.phase_list.currentItemChanged.connect(self._on_current_item_changed)
        self.map_check.toggled.connect(model.set_on_map)
        self.from_analysis_button.clicked.connect(self.set_cell_from_analysis)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.new_button.clicked.connect(self._on_new_clicked)
        self.reload_button.clicked.connect(self.reload_requested)
        model.library_changed.connect(self._fill_list)
        model.selected_changed.connect(self._on_selected_changed)
        model.changed.connect(self._sync_spin_boxes)
        model.changed.connect(self._sync_checks)
        session.analysis_changed.connect(self._update_buttons)
        session.scan_changed.connect(self._update_buttons)
        self._fill_list()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.from_analysis_button, self.reset_button):
            buttons.addWidget(button)
        library_buttons = QHBoxLayout()
        for button in (self.edit_button, self.new_button, self.reload_button):
            library_buttons.addWidget(button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.phase_list, 1)
        layout.addWidget(self.map_check)
        layout.addWidget(self.cell_box)
        layout.addLayout(buttons)
        layout.addLayout(library_buttons)
        self.setWidget(body)

    # -- the list --------------------------------------------------------------------------------
    @Slot()
    def _fill_list(self) -> None:
        model = self._model
        with QSignalBlocker(self.phase_list):
            self.phase_list.clear()
            names = sorted(model.library, key=lambda n: (model.library[n].kind != "cathode", n.lower()))
            for name in names:
                phase = model.library[name]
                text = name if phase.kind == "cathode" else f"{name}  (cell)"
                item = QListWidgetItem(_swatch(phase_color(name)), text)
                item.setData(Qt.ItemDataRole.UserRole, name)
                item.setToolTip("\n".join(t for t in (phase.description, phase.provenance) if t) or name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in model.shown else Qt.CheckState.Unchecked)
                self.phase_list.addItem(item)
                if name == model.selected:
                    self.phase_list.setCurrentItem(item)
        self._build_cell_form(model.selected)

    def item_of(self, name: str) -> Optional[QListWidgetItem]:
        for i in range(self.phase_list.count()):
            if self.phase_list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                return self.phase_list.item(i)
        return None

    @Slot()
    def _sync_checks(self) -> None:
        """Check boxes follow the model's ticked phases and map toggle (e.g. restored from a project)."""
        with QSignalBlocker(self.phase_list):
            for i in range(self.phase_list.count()):
                item = self.phase_list.item(i)
                shown = item.data(Qt.ItemDataRole.UserRole) in self._model.shown
                item.setCheckState(Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked)
        with QSignalBlocker(self.map_check):
            self.map_check.setChecked(self._model.on_map)

    @Slot(str)
    def _on_selected_changed(self, name: str) -> None:
        item = self.item_of(name) if name else None
        if item is not self.phase_list.currentItem():
            with QSignalBlocker(self.phase_list):
                self.phase_list.setCurrentItem(item)
        self._build_cell_form(name)

    @Slot(QListWidgetItem)
    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self._model.set_shown(item.data(Qt.ItemDataRole.UserRole), item.checkState() == Qt.CheckState.Checked)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _on_current_item_changed(self, current, _previous) -> None:
        self._model.select("" if current is None else current.data(Qt.ItemDataRole.UserRole))

    # -- the cell of the selected phase ----------------------------------------------------------
    @Slot(str)
    def _build_cell_form(self, name: str) -> None:
        while self.cell_form.rowCount():
            self.cell_form.removeRow(0)
        self.spin_boxes = {}
        phase = self._model.working.get(name)
        self.cell_box.setTitle(f"Cell of {name}" if name else "Cell (select a phase)")
        if phase is not None:
            for param in phase.free_parameters:
                box = QDoubleSpinBox()
                box.setDecimals(4)
                box.setRange(*parameter_range(self._model.library[name], param))
                box.setSingleStep(SPIN_STEP[param])
                box.setSuffix(" Å" if param in ("a", "b", "c") else "°")
                box.setValue(float(getattr(phase.cell, param)))
                box.valueChanged.connect(self._on_spin_changed)
                self.cell_form.addRow(param, box)
                self.spin_boxes[param] = box
        self._update_buttons()

    @Slot(float)
    def _on_spin_changed(self, _value: float) -> None:
        name = self._model.selected
        if name:
            self._model.set_cell(name, **{p: box.value() for p, box in self.spin_boxes.items()})

    @Slot()
    def _sync_spin_boxes(self) -> None:
        phase = self._model.working.get(self._model.selected)
        if phase is None or phase.cell is None:
            return
        for param, box in self.spin_boxes.items():
            with QSignalBlocker(box):
                value = float(getattr(phase.cell, param))
                box.setRange(min(box.minimum(), value), max(box.maximum(), value))
                box.setValue(value)

    def analysis_cell(self, name: str) -> Optional[cr.Cell]:
        """The analysis' refined cell of ``name`` at the current scan, or None (not analysed / absent)."""
        result = self._session.analysis_result
        dec = None if result is None else result.decomposition
        if dec is None or name not in dec.phases or self._session.current_scan >= dec.cells.shape[0]:
            return None
        values = np.asarray(dec.cells[self._session.current_scan, dec.phases.index(name)], dtype=float)
        return cr.Cell(*values) if np.all(np.isfinite(values)) else None

    @Slot()
    def set_cell_from_analysis(self) -> None:
        name = self._model.selected
        cell = self.analysis_cell(name) if name else None
        if cell is not None:
            phase = self._model.working[name]
            self._model.set_cell(name, **{p: getattr(cell, p) for p in phase.free_parameters})

    @Slot()
    def _update_buttons(self, *_args) -> None:
        name = self._model.selected
        self.from_analysis_button.setEnabled(bool(name) and self.analysis_cell(name) is not None)
        self.reset_button.setEnabled(bool(self.spin_boxes))
        self.edit_button.setEnabled(bool(name))

    @Slot()
    def _on_reset_clicked(self) -> None:
        if self._model.selected:
            self._model.reset_cell(self._model.selected)

    @Slot()
    def _on_edit_clicked(self) -> None:
        if self._model.selected:
            self.edit_requested.emit(self._model.selected)

    @Slot()
    def _on_new_clicked(self) -> None:
        self.edit_requested.emit("")
