"""The Indexing dock: index the series peak fit, see which (phase, hkl) each fitted peak is,
override an assignment (another phase and hkl, or exclude the peak), and follow the cells refined
from the peaks (:class:`~app.gui.lattice_plot.LatticePlotView`).

:func:`install_indexing` builds it and wires it into the main window, beside the Phases dock.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDockWidget, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from .error_dialog import show_error
from .indexing_controller import IndexingController
from .lattice_plot import LatticePlotView
from .session import Session

if TYPE_CHECKING:
    from .main_window import MainWindow

COLUMNS = ("Peak", "2θ (°)", "Phase", "hkl", "Source", "Scans")
AUTO, EXCLUDE = "(automatic)", "exclude"


def parse_hkl(text: str) -> Optional[tuple[int, int, int]]:
    """(h, k, l) from "1 0 4", "1,0,-4" or "104" (three single digits); None if not readable."""
    text = text.strip().strip("()")
    parts = [p for p in re.split(r"[\s,;]+", text) if p]
    if len(parts) == 1 and re.fullmatch(r"\d{3}", parts[0]):
        parts = list(parts[0])
    if len(parts) != 3 or not all(re.fullmatch(r"[+-]?\d+", p) for p in parts):
        return None
    return tuple(int(p) for p in parts)


def hkl_label(hkl: tuple) -> str:
    return " ".join(str(i) for i in hkl)


class IndexingPanel(QDockWidget):
    """Options and the Index button; the peak table; override controls; the lattice plot.

    ``table`` rows are the fit's global peaks in order. Emits ``scan_requested(index)`` from the plot.
    """

    scan_requested = Signal(int)

    def __init__(self, session: Session, controller: IndexingController, parent: Optional[QWidget] = None) -> None:
        super().__init__("Indexing", parent)
        self.setObjectName("indexing_dock")
        self._session, self._controller = session, controller
        self.controller = controller
        self.index_button = QPushButton("Index peaks")
        self.index_button.setToolTip("Assign every fitted peak to (phase, hkl) among the phases ticked in the "
                                     "Phases dock (none ticked: the analysis' phases) and refine their cells "
                                     "scan by scan")
        self.zero_check = QCheckBox("Zero shift")
        self.displacement_check = QCheckBox("Sample displacement")
        self.phases_label = QLabel()
        self.phases_label.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.phase_combo = QComboBox()
        self.hkl_edit = QLineEdit()
        self.hkl_edit.setPlaceholderText("h k l")
        self.hkl_edit.setMaximumWidth(80)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Use this assignment for the selected peak in every scan and index again")
        self.plot = LatticePlotView(session, controller)
        self._build_layout()
        self.index_button.clicked.connect(controller.run)
        self.zero_check.toggled.connect(self._on_options_toggled)
        self.displacement_check.toggled.connect(self._on_options_toggled)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.apply_button.clicked.connect(self.apply_override)
        self.plot.scan_requested.connect(self.scan_requested)
        controller.results_changed.connect(self._fill_table)
        controller.settings_changed.connect(self._on_settings_changed)
        controller.busy_changed.connect(self._on_busy_changed)
        session.fit_result_changed.connect(self._update_enabled)
        self._fill_table()

    def _build_layout(self) -> None:
        options = QHBoxLayout()
        for widget in (self.index_button, self.zero_check, self.displacement_check):
            options.addWidget(widget)
        options.addStretch(1)
        override = QHBoxLayout()
        override.addWidget(QLabel("Selected peak is"))
        override.addWidget(self.phase_combo, 1)
        override.addWidget(self.hkl_edit)
        override.addWidget(self.apply_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(options)
        top_layout.addWidget(self.phases_label)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(override)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.plot)
        splitter.setChildrenCollapsible(False)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.setWidget(body)

    # -- table --------------------------------------------------------------------------------
    @Slot()
    def _fill_table(self, *_args) -> None:
        c = self._controller
        fit = c.indexed
        self.table.setRowCount(0)
        self.phase_combo.clear()
        self.phase_combo.addItems([AUTO, EXCLUDE, *c.phase_names])
        self.phases_label.setText(f"Indexed with: {', '.join(c.phase_names)}" if fit is not None else
                                  "Fit peaks over the series, tick the candidate phases in the Phases dock, "
                                  "then index.")
        if fit is not None:
            labels = fit.peak_labels
            self.table.setRowCount(len(c.summary))
            for row, s in enumerate(c.summary):
                entry = c.manual.get(s.peak)
                excluded = entry is not None and entry.phase is None
                texts = (labels[s.peak], f"{s.mean_deg:.3f}" if np.isfinite(s.mean_deg) else "—",
                         "excluded" if excluded else (s.phase or "—"), hkl_label(s.hkl) if s.hkl else "",
                         "manual" if entry is not None else ("auto" if s.phase else ""),
                         f"{s.n_assigned}/{s.n_present}")
                for col, text in enumerate(texts):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, s.peak)
                    self.table.setItem(row, col, item)
            self.table.resizeColumnsToContents()
        self._update_enabled()

    def row_texts(self, row: int) -> list[str]:
        """The table's texts of ``row`` (for tests and copy)."""
        return [self.table.item(row, col).text() for col in range(self.table.columnCount())]

    def selected_peak(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return int(self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)) if rows else -1

    @Slot()
    def _on_selection_changed(self) -> None:
        peak = self.selected_peak()
        entry = self._controller.manual.get(peak)
        summary = {s.peak: s for s in self._controller.summary}.get(peak)
        if entry is not None:
            self.phase_combo.setCurrentText(EXCLUDE if entry.phase is None else entry.phase)
            self.hkl_edit.setText(hkl_label(entry.hkl) if entry.hkl else "")
        else:
            self.phase_combo.setCurrentText(AUTO)
            self.hkl_edit.setText(hkl_label(summary.hkl) if summary is not None and summary.hkl else "")
        self._update_enabled()

    @Slot()
    def apply_override(self) -> None:
        """Send the combo's choice for the selected peak to the controller (which indexes again)."""
        peak = self.selected_peak()
        if peak < 0:
            return
        choice = self.phase_combo.currentText()
        if choice == AUTO:
            self._controller.clear_override(peak)
        elif choice == EXCLUDE:
            self._controller.set_override(peak, None)
        else:
            hkl = parse_hkl(self.hkl_edit.text())
            if hkl is None:
                show_error(self, f"'{self.hkl_edit.text()}' is not an hkl: give three integers, e.g. 1 0 4",
                           "Assignment not changed")
                return
            self._controller.set_override(peak, choice, hkl)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        show_error(self, message, "Indexing failed")

    # -- state --------------------------------------------------------------------------------
    @Slot(bool)
    def _on_options_toggled(self, _checked: bool) -> None:
        self._controller.set_options(self.zero_check.isChecked(), self.displacement_check.isChecked())

    @Slot()
    def _on_settings_changed(self) -> None:
        """Options restored from a project show in the check boxes."""
        for box, on in ((self.zero_check, self._controller.zero_shift),
                        (self.displacement_check, self._controller.displacement)):
            if box.isChecked() != on:
                box.setChecked(on)

    @Slot(bool)
    def _on_busy_changed(self, busy: bool) -> None:
        self.index_button.setText("Indexing…" if busy else "Index peaks")
        self._update_enabled()

    @Slot()
    def _update_enabled(self, *_args) -> None:
        self.index_button.setEnabled(self._controller.can_run())
        has_row = self.selected_peak() >= 0
        for widget in (self.phase_combo, self.hkl_edit, self.apply_button):
            widget.setEnabled(has_row)


def candidate_phases(model, analysis_result) -> list:
    """The phases to index with: those ticked in the Phases dock (their working cells); with none
    ticked, the analysis' present cathode phases and its parasitic phases; else none."""
    names = list(model.shown)
    if not names and analysis_result is not None:
        names = [*analysis_result.present_phases(), *getattr(analysis_result.settings, "parasitic", ())]
    return [model.phase(n) for n in dict.fromkeys(names) if n in model.library]


def install_indexing(window: "MainWindow") -> IndexingPanel:
    """Build the Indexing dock and wire it into ``window`` (phases: :func:`candidate_phases`)."""
    model, session = window.phase_tools.model, window.session
    controller = IndexingController(session, window.runner,
                                    lambda: candidate_phases(model, session.analysis_result), window)
    panel = IndexingPanel(window.session, controller, window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
    window.tabifyDockWidget(window.phase_tools.panel, panel)
    window.view_menu.addAction(panel.toggleViewAction())
    panel.scan_requested.connect(window.session.set_current_scan)
    controller.busy_changed.connect(window.status.set_busy)
    controller.progressed.connect(window.status.show_progress)
    controller.message.connect(window.status.showMessage)
    controller.failed.connect(panel._on_failed)
    window.status.cancel_requested.connect(controller.cancel)
    overlay = window.event_controller.attach_plot(panel.plot.plot_item, "x", panel.plot.scan_x)
    panel.plot.x_combo.currentIndexChanged.connect(overlay.redraw)
    # a project older than the setting opens with no options, overrides or re-run of the replaced session
    window.project.register_settings("indexing", controller.settings, controller.restore, controller.settings_changed,
                                     default={"overrides": []})
    window.project.opened.connect(controller.resume)   # a reopened project's table comes back
    return panel
