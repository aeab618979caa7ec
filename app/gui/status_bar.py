"""The status bar: what is open (file, scans, wavelength, axes), notes, and load progress."""

from __future__ import annotations

import os

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton

from analysis.axis import AXIS_LABELS

from .session import Y_AXIS_LABELS, Session

NOTE_MESSAGE_MS = 15000


class SessionStatusBar(QStatusBar):
    """Follows the session; shows a progress bar and a Cancel button while loading.

    Emits ``cancel_requested`` when the user presses Cancel.
    """

    cancel_requested = Signal()

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self.file_label = QLabel("No series loaded — drop a folder or file anywhere on the window")
        self.scans_label = QLabel()
        self.wavelength_label = QLabel()
        self.axis_label = QLabel()
        self.file_label.setMaximumWidth(420)
        self.notes_label = QLabel()
        self.notes_label.setStyleSheet("color: #ffb74d;")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        for widget in (self.file_label, self.scans_label, self.wavelength_label, self.axis_label,
                       self.notes_label, self.progress_bar, self.cancel_button):
            self.addPermanentWidget(widget)
        self.set_busy(False)
        session.series_changed.connect(self._on_series_changed)
        session.display_changed.connect(self._on_display_changed)
        self._on_series_changed(session.series)

    @Slot(bool)
    def set_busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress_bar.setRange(0, 0)   # indeterminate until the first progress report

    @Slot(int, int)
    def show_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)

    @Slot(object)
    def _on_series_changed(self, series) -> None:
        if series is None:
            for label in (self.scans_label, self.wavelength_label, self.axis_label, self.notes_label):
                label.clear()
            return
        label = self._session.source_label
        self.file_label.setText(os.path.basename(label.rstrip("/\\")) or label)
        self.file_label.setToolTip(f"{label}\n{series.layout}")
        self.scans_label.setText(f"{series.n_scans} scans × {series.n_points} points")
        self.wavelength_label.setText("λ unknown" if series.wavelength_A is None else f"λ = {series.wavelength_A:.5g} Å")
        self._on_display_changed()
        notes = series.notes
        self.notes_label.setText(f"⚠ {len(notes)} note{'s' if len(notes) > 1 else ''}" if notes else "")
        self.notes_label.setToolTip("\n".join(notes))
        if notes:
            self.showMessage(" · ".join(notes), NOTE_MESSAGE_MS)

    @Slot()
    def _on_display_changed(self) -> None:
        series = self._session.series
        if series is not None:
            self.axis_label.setText(f"{AXIS_LABELS[series.x_kind]} vs {Y_AXIS_LABELS[self._session.y_axis]}")
