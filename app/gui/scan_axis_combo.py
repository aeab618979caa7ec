"""The "against" combo of the per-scan plots: scan index, mid-exposure time or cell voltage."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtWidgets import QComboBox, QWidget

from .session import Session

X_AXES = {"scan": "Scan", "time_h": "Time (h)", "voltage": "Voltage (V)"}


class ScanAxisCombo(QComboBox):
    """A combo of :data:`X_AXES` (item data: its key) that turns scans into plot x values."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        for key, label in X_AXES.items():
            self.addItem(label, key)

    def label(self) -> str:
        """The axis title of the chosen x, e.g. ``"Time (h)"``."""
        return X_AXES[self.currentData()]

    def scan_values(self, session: Session, scans: Optional[np.ndarray] = None) -> np.ndarray:
        """(n,) the chosen x of each scan in ``scans`` (every scan of the open series when None):
        the scan index, mid-exposure hours, or volts (NaN outside the record). Needs a series."""
        rows = np.arange(session.series.n_scans) if scans is None else np.asarray(scans, dtype=int)
        key = self.currentData()
        if key == "time_h":
            return session.scan_mid_time_s()[rows] / 3600.0
        volts = session.voltage_at_scans()
        if key == "voltage" and volts is not None:
            return np.asarray(volts, dtype=float)[rows]
        return rows.astype(float)

    def overlay_values(self, session: Session) -> np.ndarray:
        """Each scan's x for the event overlay: index or hours; none against voltage (not monotonic)."""
        if session.series is None or self.currentData() == "voltage":
            return np.zeros(0)
        return self.scan_values(session)

    def allow_voltage(self, session: Session) -> bool:
        """Enable the voltage item only when ``session`` has voltages at its scans; when voltage was
        chosen and is gone, fall back to the scan index. True when the choice changed (the combo's
        ``currentIndexChanged`` then asks its plot to redraw)."""
        has_voltage = session.voltage_at_scans() is not None
        self.model().item(self.findData("voltage")).setEnabled(has_voltage)
        if not has_voltage and self.currentData() == "voltage":
            self.setCurrentIndex(0)
            return True
        return False
