"""Display controls: intensity scaling, colour map, vertical axis and the current scan."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QToolBar

from .session import COLORMAPS, SCALINGS, Y_AXES, Y_AXIS_LABELS, Session

_SCALING_LABELS = {"linear": "Linear", "sqrt": "√ Square root", "log": "log₁₀"}


class DisplayToolBar(QToolBar):
    """Shows the session's display settings and emits what the user asks for."""

    scaling_requested = Signal(str)
    colormap_requested = Signal(str)
    y_axis_requested = Signal(str)
    scan_requested = Signal(int)

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__("Display", parent)
        self.setObjectName("display_toolbar")
        self._session = session
        self.scaling_combo = self._combo("Intensity", SCALINGS, _SCALING_LABELS)
        self.colormap_combo = self._combo("Colours", COLORMAPS, {c: c.capitalize() for c in COLORMAPS})
        self.y_axis_combo = self._combo("Vertical axis", Y_AXES, Y_AXIS_LABELS)
        self.addSeparator()
        self.addWidget(QLabel(" Scan "))
        self.scan_spin = QSpinBox()
        self.scan_spin.setKeyboardTracking(False)
        self.scan_spin.setMinimumWidth(80)
        self.addWidget(self.scan_spin)
        self.scaling_combo.currentIndexChanged.connect(self._on_scaling_index)
        self.colormap_combo.currentIndexChanged.connect(self._on_colormap_index)
        self.y_axis_combo.currentIndexChanged.connect(self._on_y_axis_index)
        self.scan_spin.valueChanged.connect(self.scan_requested)
        session.display_changed.connect(self._on_display_changed)
        session.series_changed.connect(self._on_series_changed)
        session.scan_changed.connect(self._on_scan_changed)
        self._on_display_changed()
        self._on_series_changed(session.series)

    def _combo(self, title: str, keys: tuple[str, ...], labels: dict[str, str]) -> QComboBox:
        self.addWidget(QLabel(f" {title} "))
        combo = QComboBox()
        for key in keys:
            combo.addItem(labels[key], key)
        self.addWidget(combo)
        return combo

    @Slot(int)
    def _on_scaling_index(self, index: int) -> None:
        self.scaling_requested.emit(self.scaling_combo.itemData(index))

    @Slot(int)
    def _on_colormap_index(self, index: int) -> None:
        self.colormap_requested.emit(self.colormap_combo.itemData(index))

    @Slot(int)
    def _on_y_axis_index(self, index: int) -> None:
        self.y_axis_requested.emit(self.y_axis_combo.itemData(index))

    @Slot()
    def _on_display_changed(self) -> None:
        s = self._session
        for combo, value in ((self.scaling_combo, s.scaling), (self.colormap_combo, s.colormap),
                             (self.y_axis_combo, s.y_axis)):
            with QSignalBlocker(combo):
                combo.setCurrentIndex(combo.findData(value))

    @Slot(object)
    def _on_series_changed(self, series) -> None:
        with QSignalBlocker(self.scan_spin):
            self.scan_spin.setEnabled(series is not None)
            self.scan_spin.setRange(0, 0 if series is None else series.n_scans - 1)
            self.scan_spin.setSuffix("" if series is None else f" / {series.n_scans - 1}")

    @Slot(int)
    def _on_scan_changed(self, index: int) -> None:
        with QSignalBlocker(self.scan_spin):
            self.scan_spin.setValue(index)
