"""The one-button analysis: Analyze runs :func:`analysis.pipeline.run_analysis` on the open series,
with the session's phase library (the user's edits included), in the background and puts its
result in the session.

The settings come from a small dialog (:class:`AnalysisDialog`): cathode phases to consider,
parasitic phases, Kα2, and where peak-fitting windows come from. A finished run replaces the
automatic events of the event store in one undoable step (manual and reviewed events stay) and
stores the result in the session; a cancelled or failed run leaves the previous result.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QListWidget, QListWidgetItem,
                               QWidget)

from analysis.cancel import CancelToken, ProgressFn
from analysis.phase_library import Phase
from analysis.pipeline import AnalysisResult, AnalysisSettings, run_analysis

from .jobs import JobRunner, JobSignals
from .session import Session

JOB_KIND = "analysis"
KALPHA2_CHOICES = {"auto": None, "on": True, "off": False}
PEAK_CHOICES = ("panel", "auto", "none")


def _checklist(names: list[str], checked: set[str]) -> QListWidget:
    widget = QListWidget()
    for name in names:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
        widget.addItem(item)
    rows = max(len(names), 1)
    widget.setFixedHeight(min(widget.sizeHintForRow(0) * rows + 2 * widget.frameWidth() + 2, 320))
    return widget


def _checked(widget: QListWidget) -> tuple[str, ...]:
    return tuple(widget.item(i).text() for i in range(widget.count())
                 if widget.item(i).checkState() == Qt.CheckState.Checked)


def _peak_choice(previous: AnalysisSettings, n_panel_windows: int) -> str:
    """Where the previous run's peak windows came from (the panel's only while it has windows);
    before any run (default settings) the panel's when it has windows."""
    if not previous.fit_peaks:
        return "none"
    return "panel" if n_panel_windows and (previous.windows or previous == AnalysisSettings()) else "auto"


class AnalysisDialog(QDialog):
    """Phases, parasitic phases, Kα2 and peak windows of one run; :meth:`settings` reads them."""

    def __init__(self, library: dict[str, Phase], previous: AnalysisSettings, n_panel_windows: int,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Analyze")
        cathodes = [n for n, p in library.items() if p.kind == "cathode"]
        parasitics = [n for n, p in library.items() if p.kind == "parasitic"]
        self.phase_list = _checklist(cathodes, set(previous.phases or cathodes))
        self.parasitic_list = _checklist(parasitics, set(previous.parasitic))
        self.kalpha2_combo = QComboBox()
        for label, value in KALPHA2_CHOICES.items():
            self.kalpha2_combo.addItem(label, value)
        self.kalpha2_combo.setCurrentIndex(list(KALPHA2_CHOICES.values()).index(previous.kalpha2))
        self.peaks_combo = QComboBox()
        self.peaks_combo.addItem(f"fitting panel's windows ({n_panel_windows})", "panel")
        self.peaks_combo.addItem("found automatically", "auto")
        self.peaks_combo.addItem("no peak fits", "none")
        self.peaks_combo.model().item(0).setEnabled(n_panel_windows > 0)
        self.peaks_combo.setCurrentIndex(PEAK_CHOICES.index(_peak_choice(previous, n_panel_windows)))
        form = QFormLayout(self)
        form.addRow("Cathode phases", self.phase_list)
        form.addRow("Cell parts (parasitic)", self.parasitic_list)
        form.addRow("Cu Kα2", self.kalpha2_combo)
        form.addRow("Peak fits in", self.peaks_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Analyze")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def settings(self, windows: tuple, clock_offset_s: float) -> AnalysisSettings:
        """The chosen settings; ``windows`` are the fitting panel's (used when chosen)."""
        phases = _checked(self.phase_list)
        peaks = self.peaks_combo.currentData()
        return AnalysisSettings(phases=phases if len(phases) < self.phase_list.count() else None,
                                parasitic=_checked(self.parasitic_list), kalpha2=self.kalpha2_combo.currentData(),
                                windows=tuple(windows) if peaks == "panel" else (), fit_peaks=peaks != "none",
                                clock_offset_s=clock_offset_s)


class AnalysisController(QObject):
    """Owns the Analyze action (Ctrl+R) and the background run.

    busy_changed(bool), progressed(done, total), message(text, ms), sequence_changed(text),
    ended() after every run (success, failure or cancel).
    """

    busy_changed = Signal(bool)
    progressed = Signal(int, int)
    message = Signal(str, int)
    failed = Signal(str)
    sequence_changed = Signal(str)
    ended = Signal()

    def __init__(self, session: Session, runner: JobRunner, library: dict[str, Phase], fitting=None,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._session, self._runner, self._fitting = session, runner, fitting
        self.library = library
        self.last_settings = AnalysisSettings()
        self._series = None   # the series of the running job
        self._result_series = None   # the series the session's analysis result belongs to
        self.analyze_action = QAction("&Analyze…", self)
        self.analyze_action.setShortcut(QKeySequence("Ctrl+R"))
        self.analyze_action.setToolTip("Phases, transitions and peak fits of the whole series (Ctrl+R)")
        self.analyze_action.triggered.connect(self._on_analyze_triggered)
        session.series_changed.connect(self._on_series_changed)
        session.analysis_changed.connect(self._on_analysis_changed)
        self._on_series_changed(session.series)

    def panel_windows(self) -> tuple:
        return tuple(self._fitting.windows) if self._fitting is not None else ()

    @Slot()
    def _on_analyze_triggered(self) -> None:
        if self._session.series is None:
            return
        dialog = AnalysisDialog(self.library, self.last_settings, len(self.panel_windows()), self.parent())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.analyze(dialog.settings(self.panel_windows(), self._session.clock_offset_s))

    def analyze(self, settings: AnalysisSettings) -> None:
        """Start a run on the open series with ``settings`` (a running one is cancelled)."""
        series = self._session.series
        if series is None:
            return
        self.last_settings = settings
        self._series = series
        voltage = self._session.voltage_at_scans()
        library = dict(self.library)   # the phases the Phases dock shows, the user's edits included

        def work(progress: ProgressFn, cancel: CancelToken) -> AnalysisResult:
            return run_analysis(series, settings, voltage=voltage, progress=progress, cancel=cancel, library=library)

        self.busy_changed.emit(True)
        self.message.emit("Analyzing the series…", 0)
        self._runner.start(JOB_KIND, work, self._connect_job)

    def _connect_job(self, signals: JobSignals) -> None:
        signals.progressed.connect(self.progressed)
        signals.succeeded.connect(self._on_succeeded)
        signals.failed.connect(self._on_failed)
        signals.cancelled.connect(self._on_cancelled)
        signals.finished.connect(self._on_finished)

    @Slot()
    def cancel(self) -> None:
        self._runner.cancel(JOB_KIND)

    def is_busy(self) -> bool:
        return self._runner.is_busy(JOB_KIND)

    @Slot(object)
    def _on_succeeded(self, result: AnalysisResult) -> None:
        if self._series is not self._session.series:
            return   # the series changed while the job ran
        self._session.events.replace_auto(result.events)
        self._session.set_analysis_result(result)
        peaks = result.peaks
        if peaks is not None and self._fitting is not None and not self.panel_windows():
            self._fitting.adopt_windows(tuple(peaks.windows))   # an empty panel shows the windows found
        if peaks is not None and self._fitting is not None and tuple(peaks.windows) == self.panel_windows():
            self._session.set_fit_result(peaks)   # the fitting panel's own windows: its result too
        notes = ("   ·   " + "; ".join(result.notes)) if result.notes else ""
        self.message.emit(f"Analysis done: {result.sequence or 'no regimes'}{notes}", 15000)

    @Slot(object)
    def _on_failed(self, exc: Exception) -> None:
        self.message.emit("Analysis failed — the previous result is kept", 8000)
        self.failed.emit(str(exc))

    @Slot()
    def _on_cancelled(self) -> None:
        self.message.emit("Analysis cancelled — the previous result is kept", 5000)

    @Slot()
    def _on_finished(self) -> None:
        current = self._runner.current(JOB_KIND)
        if current is None or current.signals is self.sender():   # no newer run is going on
            self.busy_changed.emit(False)
        self.ended.emit()

    @Slot(object)
    def _on_series_changed(self, series) -> None:
        """Other data: the previous result no longer applies (a project sets its own afterwards)."""
        self.analyze_action.setEnabled(series is not None)
        if self._session.analysis_result is not None and series is not self._result_series:
            self._session.set_analysis_result(None)

    @Slot(object)
    def _on_analysis_changed(self, result) -> None:
        self._result_series = None if result is None else self._session.series
        self.sequence_changed.emit("" if result is None else result.sequence)
