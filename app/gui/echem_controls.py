"""Electrochemistry controls: clock offset between the two computers, Na content x set-up,
and whether the voltage panel shows V or x.

The toolbar reads the session and asks for changes through the session's setters.
"""

from __future__ import annotations

import re
from typing import Optional

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtGui import QAction, QValidator
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QToolBar, QVBoxLayout, QWidget)

from analysis import echem as ec
from analysis.errors import InputError

from .error_dialog import show_error
from .session import ECHEM_LABELS, ECHEM_QUANTITIES, Session, SodiumParameters

MAX_OFFSET_S = 7 * 24 * 3600.0
"""A week either way: more than any time-zone or daylight-saving mix-up."""
_OFFSET_RE = re.compile(r"^\s*([-+\u2212]?)\s*(\d*)(?::(\d{0,2}))?(?::(\d{0,2}(?:\.\d*)?))?\s*$")


def format_offset(seconds: float) -> str:
    """``-3600`` -> ``"-1:00:00"``; ``90.5`` -> ``"+0:01:30.5"`` (h:mm:ss with an explicit sign)."""
    sign = "-" if seconds < 0 else "+"
    tenths = int(round(abs(float(seconds)) * 10))   # the spin box keeps one decimal
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    secs, tenth = divmod(rest, 10)
    text = f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{text}.{tenth}" if tenth else text


def parse_offset(text: str) -> Optional[float]:
    """Inverse of :func:`format_offset`; also ``"-1"`` (hours) and ``"-1:30"`` (h:mm). None if unreadable."""
    match = _OFFSET_RE.match(text)
    if match is None or not (match.group(2) or match.group(3) or match.group(4)):
        return None
    sign, hours, minutes, secs = match.groups()
    total = 3600.0 * float(hours or 0) + 60.0 * float(minutes or 0) + float(secs or 0)
    return -total if sign in ("-", "−") else total


class ClockOffsetSpinBox(QDoubleSpinBox):
    """Seconds added to the electrochemistry clock, typed and shown as ±h:mm:ss; arrows step a minute."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setRange(-MAX_OFFSET_S, MAX_OFFSET_S)
        self.setDecimals(1)
        self.setSingleStep(60.0)
        self.setKeyboardTracking(False)
        self.setMinimumWidth(110)
        self.setToolTip("Time added to the electrochemistry clock, h:mm:ss (e.g. -1:00:00 when the\n"
                        "potentiostat's clock runs an hour ahead of the diffractometer's)")

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return format_offset(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        value = parse_offset(text)
        return self.value() if value is None else value

    def validate(self, text: str, pos: int):  # Qt override
        value = parse_offset(text)
        if value is None:
            partial = _OFFSET_RE.match(text) is not None or text.strip() in ("", "+", "-")
            return QValidator.State.Intermediate if partial else QValidator.State.Invalid, text, pos
        ok = abs(value) <= MAX_OFFSET_S
        return QValidator.State.Acceptable if ok else QValidator.State.Intermediate, text, pos


class SodiumDialog(QDialog):
    """Active mass, molar mass and initial x for Faraday's-law Na content (see
    :func:`analysis.echem.sodium_content`). ``parameters()`` gives the values as typed."""

    def __init__(self, current: Optional[SodiumParameters] = None, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Na content x")
        current = current or SodiumParameters(active_mass_g=0.005, molar_mass_g_mol=100.0, x0=0.85)
        self.mass_mg = self._spin(0.001, 1e5, 4, " mg", current.active_mass_g * 1000.0)
        self.molar_mass = self._spin(1.0, 1e4, 3, " g/mol", current.molar_mass_g_mol)
        self.x0 = self._spin(0.0, 10.0, 4, "", current.x0)
        form = QFormLayout()
        form.addRow("Active material mass", self.mass_mg)
        form.addRow("Molar mass (at x₀)", self.molar_mass)
        form.addRow("Initial Na content x₀", self.x0)
        note = QLabel("x = x₀ − 3.6·Q[mAh]·M / (F·m); charging removes Na.")
        note.setStyleSheet("color: #8a8a8a;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    @staticmethod
    def _spin(lo: float, hi: float, decimals: int, suffix: str, value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(minimum=lo, maximum=hi, decimals=decimals, suffix=suffix)
        spin.setValue(value)
        return spin

    def parameters(self) -> SodiumParameters:
        return SodiumParameters(active_mass_g=self.mass_mg.value() / 1000.0,
                                molar_mass_g_mol=self.molar_mass.value(), x0=self.x0.value())


class EchemToolBar(QToolBar):
    """Clock offset, "Na content…" and the V / x choice for the voltage panel.

    Emits ``clock_offset_requested(seconds)``, ``sodium_requested(SodiumParameters)`` and
    ``quantity_requested("voltage" | "x")``; these are connected to the session's setters here,
    so the toolbar is complete on its own.
    """

    clock_offset_requested = Signal(float)
    sodium_requested = Signal(object)
    quantity_requested = Signal(str)

    def __init__(self, session: Session, parent: Optional[QWidget] = None) -> None:
        super().__init__("Electrochemistry", parent)
        self.setObjectName("echem_toolbar")
        self._session = session
        self.addWidget(QLabel(" Echem clock offset "))
        self.offset_spin = ClockOffsetSpinBox()
        self.addWidget(self.offset_spin)
        self.sodium_action = QAction("Na content…", self)
        self.sodium_action.setToolTip("Compute the Na content x from the charge passed")
        self.sodium_action.triggered.connect(self.ask_sodium)
        self.addAction(self.sodium_action)
        self.addWidget(QLabel(" Show "))
        self.quantity_combo = QComboBox()
        for key in ECHEM_QUANTITIES:
            self.quantity_combo.addItem(ECHEM_LABELS[key], key)
        self.addWidget(self.quantity_combo)
        self.offset_spin.valueChanged.connect(self.clock_offset_requested)
        self.quantity_combo.currentIndexChanged.connect(self._on_quantity_index)
        self.clock_offset_requested.connect(session.set_clock_offset_s)
        self.sodium_requested.connect(self._on_sodium_requested)
        self.quantity_requested.connect(session.set_echem_quantity)
        session.echem_changed.connect(self._on_session_changed)
        session.series_changed.connect(self._on_session_changed)
        session.display_changed.connect(self._on_session_changed)
        self._on_session_changed()

    @Slot()
    def ask_sodium(self) -> Optional[SodiumParameters]:
        """Show :class:`SodiumDialog`; on OK check the record can give x, then ask for it."""
        dialog = SodiumDialog(self._session.sodium, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        params = dialog.parameters()
        if self._session.echem is not None:
            try:
                ec.sodium_content(self._session.echem, active_mass_g=params.active_mass_g,
                                  molar_mass_g_mol=params.molar_mass_g_mol, x0=params.x0)
            except InputError as exc:
                show_error(self, f"Cannot compute the Na content from {exc.path or 'the record'}\n\n{exc.problem}",
                           title="Na content")
                return None
        self.sodium_requested.emit(params)
        return params

    @Slot(object)
    def _on_sodium_requested(self, params: SodiumParameters) -> None:
        self._session.set_sodium(params)
        self._session.set_echem_quantity("x")

    @Slot(int)
    def _on_quantity_index(self, index: int) -> None:
        self.quantity_requested.emit(self.quantity_combo.itemData(index))

    @Slot()
    def _on_session_changed(self, *_args) -> None:
        session = self._session
        with QSignalBlocker(self.offset_spin):
            self.offset_spin.setValue(session.clock_offset_s)
        self.offset_spin.setEnabled(session.echem is not None)
        self.sodium_action.setEnabled(session.echem is not None)
        x_row = self.quantity_combo.model().item(self.quantity_combo.findData("x"))
        x_row.setEnabled(session.sodium_content() is not None)
        with QSignalBlocker(self.quantity_combo):
            self.quantity_combo.setCurrentIndex(self.quantity_combo.findData(session.shown_echem_quantity()))
        self.quantity_combo.setEnabled(session.echem is not None)
