"""The fitting dock: the list of windows, the selected window's settings, and the fit buttons.

Everything the user changes is asked of the :class:`~app.gui.fit_controller.FitController`;
the panel redraws from the controller's ``windows_changed`` / ``selection_changed`` signals. It
emits ``add_window_requested`` (the plot overlay knows the visible range) and ``pick_toggled``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QListWidget, QPushButton, QScrollArea, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from analysis.fit_windows import FitWindow, Kalpha2
from analysis.peak_models import MODELS
from analysis.sequential_fit import STRATEGIES

from .constraint_table import ConstraintTable
from .fit_controller import DIRECTIONS, FitController
from .fit_window_edits import has_shared_fwhm, rebuilt, with_n_peaks, with_range
from .session import Session

MODEL_LABELS = {"gaussian": "Gaussian", "lorentzian": "Lorentzian", "pseudo_voigt": "pseudo-Voigt",
                "pearson7": "Pearson VII", "split_pseudo_voigt": "split pseudo-Voigt"}
STRATEGY_LABELS = {"tracked": "tracked (fast)", "chain": "chain (neighbour seeds)"}


def describe_window(w: FitWindow) -> str:
    """One list line: range, peaks, model, extras."""
    extras = [s for s, on in (("Kα2", w.ka2.enabled), ("shared FWHM", has_shared_fwhm(w))) if on]
    n_c = len(w.constraints) - (w.n_peaks - 1 if has_shared_fwhm(w) else 0)
    extras += [f"{n_c} constraint{'s' if n_c > 1 else ''}"] if n_c > 0 else []
    return (f"{w.lo_deg:.2f}–{w.hi_deg:.2f}°  ·  {w.n_peaks} × {MODEL_LABELS[w.model]}"
            + "".join(f"  ·  {e}" for e in extras))


def parse_peaks(text: str) -> tuple[Optional[float], ...]:
    """``"15.1, auto, 16.3"`` -> ``(15.1, None, 16.3)``; raises ValueError for anything else."""
    out = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        out.append(None if part.lower() in ("auto", "?", "-") else float(part))
    if not out:
        raise ValueError("give at least one initial position (or 'auto')")
    return tuple(out)


def format_peaks(peaks) -> str:
    return ", ".join("auto" if p is None else f"{p:.3f}" for p in peaks)


class FitPanel(QDockWidget):
    """Windows, their settings and the fit buttons. Emits ``add_window_requested()`` and
    ``pick_toggled(on)``; everything else goes straight to the controller."""

    add_window_requested = Signal()
    pick_toggled = Signal(bool)

    def __init__(self, session: Session, controller: FitController, parent: Optional[QWidget] = None) -> None:
        super().__init__("Peak fitting", parent)
        self.setObjectName("fit_panel")
        self._session, self._controller = session, controller
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self._build_list())
        layout.addWidget(self._build_editor())
        layout.addWidget(self._build_fit_box())
        layout.addStretch(1)
        scroll = QScrollArea()   # the dock may be short on a small screen: scroll rather than squeeze
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        # as wide as the settings need (they never scroll sideways), plus room for the vertical scroll bar
        scroll.setMinimumWidth(body.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        self.setWidget(scroll)
        controller.windows_changed.connect(self._on_windows_changed)
        controller.selection_changed.connect(self._on_selection_changed)
        controller.busy_changed.connect(self._on_busy_changed)
        controller.message.connect(self._on_message)
        session.series_changed.connect(self._on_series_changed)
        self._on_windows_changed()
        self._on_series_changed(session.series)

    # -- construction -------------------------------------------------------------------------------
    def _build_list(self) -> QGroupBox:
        box = QGroupBox("Windows")
        self.window_list = QListWidget()
        self.window_list.setMaximumHeight(64)
        self.window_list.currentRowChanged.connect(self._controller.select)
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add a window over the middle of the visible pattern\n"
                                   "(or Shift+drag on the pattern or the map)")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self.add_window_requested)
        self.remove_button.clicked.connect(self._on_remove)
        row = QHBoxLayout()
        for b in (self.add_button, self.remove_button):
            row.addWidget(b)
        row.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(self.window_list)
        layout.addLayout(row)
        return box

    def _build_editor(self) -> QGroupBox:
        self.editor = box = QGroupBox("Selected window")
        self.lo_spin, self.hi_spin = (QDoubleSpinBox(decimals=3, minimum=0.0, maximum=180.0, singleStep=0.05,
                                                     suffix="°", keyboardTracking=False) for _ in range(2))
        self.model_combo = QComboBox()
        for m in MODELS:
            self.model_combo.addItem(MODEL_LABELS[m], m)
        self.bg_spin = QSpinBox(minimum=0, maximum=2, keyboardTracking=False)
        self.ka2_check = QCheckBox("Kα2")
        self.ka2_ratio = QDoubleSpinBox(decimals=3, minimum=0.0, maximum=1.0, singleStep=0.01, keyboardTracking=False)
        self.ka2_ratio.setToolTip("Kα2 / Kα1 intensity ratio")
        self.n_peaks_spin = QSpinBox(minimum=1, maximum=12, keyboardTracking=False)
        self.find_button = QPushButton("Find")
        self.find_button.setToolTip("Initial positions from automatic peak finding on the current scan")
        self.pick_button = QToolButton(text="Pick", checkable=True)
        self.pick_button.setToolTip("Click on the pattern to add initial peak positions (Ctrl+click works always)")
        self.peaks_edit = QLineEdit()
        self.peaks_edit.setToolTip("Initial Kα1 positions in degrees; 'auto' for automatic")
        self.shared_check = QCheckBox("Shared FWHM")
        self.constraints = ConstraintTable()
        add_c, remove_c = QToolButton(text="+"), QToolButton(text="−")
        add_c.clicked.connect(self.constraints.add_row)
        remove_c.clicked.connect(self.constraints.remove_selected)
        form = QFormLayout(box)
        form.addRow("Range", self._row(self.lo_spin, QLabel("to"), self.hi_spin))
        form.addRow("Model", self._row(self.model_combo, QLabel(" Bg order"), self.bg_spin))
        form.addRow("Peaks", self._row(self.n_peaks_spin, self.find_button, self.pick_button, self.shared_check))
        form.addRow("Initial", self.peaks_edit)
        form.addRow("", self._row(self.ka2_check, QLabel("ratio"), self.ka2_ratio))
        form.addRow("Constraints", self._row(add_c, remove_c))
        form.addRow(self.constraints)
        for spin in (self.lo_spin, self.hi_spin):
            spin.valueChanged.connect(self._on_range_edited)
        self.model_combo.currentIndexChanged.connect(self._on_settings_edited)
        self.bg_spin.valueChanged.connect(self._on_settings_edited)
        self.ka2_check.toggled.connect(self._on_settings_edited)
        self.ka2_ratio.valueChanged.connect(self._on_settings_edited)
        self.n_peaks_spin.valueChanged.connect(self._on_n_peaks_edited)
        self.shared_check.toggled.connect(self._on_shared_toggled)
        self.peaks_edit.editingFinished.connect(self._on_peaks_edited)
        self.find_button.clicked.connect(self._on_find)
        self.pick_button.toggled.connect(self.pick_toggled)
        self.constraints.edited.connect(self._on_constraints_edited)
        self.constraints.invalid.connect(self._on_message)
        return box

    def _build_fit_box(self) -> QGroupBox:
        box = QGroupBox("Fit")
        self.fit_scan_button = QPushButton("Fit current scan")
        self.fit_series_button = QPushButton("Fit series")
        self.cancel_button = QPushButton("Cancel")
        self.direction_combo = QComboBox()
        self.direction_combo.addItems(DIRECTIONS)
        self.start_spin = QSpinBox(minimum=-1, maximum=0, specialValueText="current scan", keyboardTracking=False)
        self.start_spin.setValue(-1)
        self.strategy_combo = QComboBox()
        for s in STRATEGIES:
            self.strategy_combo.addItem(STRATEGY_LABELS.get(s, s), s)
        self.strategy_combo.setCurrentIndex(self.strategy_combo.findData(self._controller.strategy))
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet("color: #9e9e9e;")
        self.fit_scan_button.clicked.connect(self._controller.fit_current_scan)
        self.fit_series_button.clicked.connect(self._on_fit_series)
        self.cancel_button.clicked.connect(self._controller.cancel)
        form = QFormLayout(box)
        form.addRow(self._row(self.fit_scan_button, self.fit_series_button, self.cancel_button))
        form.addRow("Start at", self._row(self.start_spin, self.direction_combo))
        form.addRow("Strategy", self.strategy_combo)
        form.addRow(self.status_label)
        self._on_busy_changed(False)
        return box

    @staticmethod
    def _row(*widgets) -> QWidget:
        w = QWidget()
        layout = QHBoxLayout(w)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget)
        layout.addStretch(1)
        return w

    # -- controller → widgets -------------------------------------------------------------------------
    def _window(self) -> Optional[FitWindow]:
        i = self._controller.selected
        return self._controller.windows[i] if i >= 0 else None

    @Slot()
    def _on_windows_changed(self) -> None:
        with QSignalBlocker(self.window_list):
            self.window_list.clear()
            self.window_list.addItems([describe_window(w) for w in self._controller.windows])
            self.window_list.setCurrentRow(self._controller.selected)
        self._show_selected()
        has = bool(self._controller.windows)
        self.fit_scan_button.setEnabled(has and self._session.series is not None)
        self.fit_series_button.setEnabled(has and self._session.series is not None
                                          and not self.cancel_button.isEnabled())

    @Slot(int)
    def _on_selection_changed(self, index: int) -> None:
        with QSignalBlocker(self.window_list):
            self.window_list.setCurrentRow(index)
        self._show_selected()

    def _show_selected(self) -> None:
        w = self._window()
        self.editor.setEnabled(w is not None)
        self.remove_button.setEnabled(w is not None)
        if w is None:
            self.constraints.show_window(None)
            return
        widgets = (self.lo_spin, self.hi_spin, self.model_combo, self.bg_spin, self.ka2_check, self.ka2_ratio,
                   self.n_peaks_spin, self.shared_check, self.peaks_edit)
        blockers = [QSignalBlocker(x) for x in widgets]
        self.lo_spin.setValue(w.lo_deg)
        self.hi_spin.setValue(w.hi_deg)
        self.model_combo.setCurrentIndex(self.model_combo.findData(w.model))
        self.bg_spin.setValue(w.background_order)
        self.ka2_check.setChecked(w.ka2.enabled)
        self.ka2_ratio.setValue(w.ka2.ratio)
        self.ka2_ratio.setEnabled(w.ka2.enabled)
        self.n_peaks_spin.setValue(w.n_peaks)
        self.shared_check.setChecked(has_shared_fwhm(w))
        self.shared_check.setEnabled(w.n_peaks > 1)
        self.peaks_edit.setText(format_peaks(w.peaks))
        del blockers
        self.constraints.show_window(w)

    @Slot(bool)
    def _on_busy_changed(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        ready = bool(self._controller.windows) and self._session.series is not None
        self.fit_series_button.setEnabled(ready and not busy)

    @Slot(str)
    @Slot(str, int)
    def _on_message(self, text: str, _ms: int = 0) -> None:
        self.status_label.setText(text)

    @Slot(object)
    def _on_series_changed(self, series) -> None:
        with QSignalBlocker(self.start_spin):
            self.start_spin.setMaximum(0 if series is None else series.n_scans - 1)
        self._on_windows_changed()

    # -- widgets → controller -------------------------------------------------------------------------
    def _replace(self, window: FitWindow) -> None:
        self._controller.set_window(self._controller.selected, window)

    @Slot()
    def _on_remove(self) -> None:
        if self._controller.selected >= 0:
            self._controller.remove_window(self._controller.selected)

    @Slot()
    def _on_range_edited(self, *_args) -> None:
        w = self._window()
        if w is not None and self.hi_spin.value() > self.lo_spin.value():
            self._replace(with_range(w, self.lo_spin.value(), self.hi_spin.value()))

    @Slot()
    def _on_settings_edited(self, *_args) -> None:
        w = self._window()
        if w is None:
            return
        ka2 = Kalpha2(enabled=self.ka2_check.isChecked(), ratio=self.ka2_ratio.value(),
                      ratio_free=w.ka2.ratio_free, wavelength1_A=w.ka2.wavelength1_A,
                      wavelength2_A=w.ka2.wavelength2_A)
        self._replace(rebuilt(w, model=self.model_combo.currentData(), background_order=self.bg_spin.value(), ka2=ka2))

    @Slot(int)
    def _on_n_peaks_edited(self, n: int) -> None:
        w = self._window()
        if w is not None:
            self._replace(with_n_peaks(w, n))

    @Slot(bool)
    def _on_shared_toggled(self, on: bool) -> None:
        w = self._window()
        if w is not None:
            self._replace(rebuilt(w, shared_fwhm=on))

    @Slot()
    def _on_peaks_edited(self) -> None:
        w = self._window()
        if w is None:
            return
        try:
            self._replace(rebuilt(w, peaks=parse_peaks(self.peaks_edit.text())))
        except ValueError as exc:
            self._on_message(f"Initial positions: {exc}")

    @Slot()
    def _on_find(self) -> None:
        if self._controller.selected >= 0:
            self._controller.find_peaks(self._controller.selected)

    @Slot(object)
    def _on_constraints_edited(self, constraints) -> None:
        w = self._window()
        if w is None:
            return
        base = rebuilt(w, shared_fwhm=False)
        try:
            window = rebuilt(replace(base, constraints=tuple(constraints)), shared_fwhm=has_shared_fwhm(w))
        except ValueError as exc:
            self._on_message(f"Constraint: {exc}")
            return
        self._replace(window)

    @Slot()
    def _on_fit_series(self) -> None:
        c = self._controller
        c.direction = self.direction_combo.currentText()
        c.strategy = self.strategy_combo.currentData()
        c.start_scan = None if self.start_spin.value() < 0 else self.start_spin.value()
        c.fit_whole_series()



__all__ = ["FitPanel", "describe_window", "parse_peaks"]
