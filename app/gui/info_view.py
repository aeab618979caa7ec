"""A small read-out of the current scan: time, voltage and where it came from."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel

from .session import Session


class ScanInfoView(QFrame):
    """Read-only labels that follow the session's current scan."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QFormLayout(self)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._labels: dict[str, QLabel] = {}
        for key in ("Scan", "Time", "Voltage", "File", "Electrochem.", "Data", "Notes"):
            label = QLabel("–")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self._labels[key] = label
            layout.addRow(f"<b>{key}</b>", label)
        self._labels["Notes"].setStyleSheet("color: #ffb74d;")
        session.series_changed.connect(self._on_changed)
        session.echem_changed.connect(self._on_changed)
        session.scan_changed.connect(self._on_changed)
        self._on_changed()

    def text_of(self, key: str) -> str:
        return self._labels[key].text()

    @Slot()
    def _on_changed(self, *_args) -> None:
        session, series = self._session, self._session.series
        echem_name = os.path.basename(session.echem_label) if session.echem is not None else "–"
        self._labels["Electrochem."].setText(echem_name)
        if series is None:
            for key in ("Scan", "Time", "Voltage", "File", "Data", "Notes"):
                self._labels[key].setText("–")
            return
        self._labels["Data"].setText(series.layout or "–")
        notes = series.notes + (tuple(getattr(session.echem, "notes", ())) if session.echem is not None else ())
        self._labels["Notes"].setText("\n".join(f"• {n}" for n in notes) if notes else "–")
        i = session.current_scan
        self._labels["Scan"].setText(f"{i} of {series.n_scans}")
        self._labels["Time"].setText(f"{series.time_s[i] / 3600.0:.3f} h  ({series.time_source})")
        volts = session.voltage_at_scans()
        v = None if volts is None else volts[i]
        self._labels["Voltage"].setText("–" if v is None or not np.isfinite(v) else f"{v:.4f} V")
        source = series.source[i] if series.source else ""
        self._labels["File"].setText(os.path.basename(source.split("::")[0]) + (
            "::" + source.split("::", 1)[1] if "::" in source else ""))
