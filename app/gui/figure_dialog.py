"""Export dialog for publication figures: style controls, a live preview, presets, export.

The figure itself is drawn by :mod:`app.figures` (matplotlib, no Qt); this dialog only edits a
:class:`FigureStyle`, shows the preview scaled into a label, and saves. Preview and export are
jobs on the dialog's own one-thread :class:`JobRunner`: matplotlib's rc settings are global, so
two figures must never be built at the same time, and the GUI thread builds none.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from typing import Optional, Sequence

import numpy as np
from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from analysis.cancel import CancelToken, ProgressFn
from analysis.events import Event
from analysis.series import ScanSeries
from app.figures import FigureStyle, StyleStore, parse_window, render_contour_figure, save_figure
from app.figures.command import DEFAULT_PRESET
from app.figures.fonts import installed_families, resolve_font_family
from app.figures.map_data import scan_rows_h
from app.figures.preview import decimate_for_preview, remap_events, render_preview_rgba
from app.figures.saving import figure_format

from .jobs import JobRunner, JobSignals

CMAPS = ("viridis", "cividis", "magma", "inferno", "plasma", "turbo", "gray", "Greys")
PANEL_CHOICES = (("Voltage", "voltage"), ("Na content x", "x"), ("None", None))
FILE_FILTER = "PNG image (*.png);;TIFF image (*.tif *.tiff);;PDF (*.pdf);;SVG (*.svg);;EPS (*.eps)"
PREVIEW_DELAY_MS = 200
PREVIEW_JOB, EXPORT_JOB = "figure-preview", "figure-export"
CLOSE_WAIT_MS = 60_000   # closing waits this long at most for a render in progress (a 600 dpi export)


@dataclass(frozen=True)
class FigureInputs:
    """What a figure is drawn from (immutable, safe to hand to a worker thread)."""

    series: ScanSeries
    voltage: object = None
    na_x: object = None
    events: tuple = ()
    ticks: tuple = ()


@dataclass(frozen=True)
class RenderedPreview:
    """A preview job's answer for request number ``request``: pixels (h, w, 4) or the problem text."""

    request: int
    rgba: Optional[np.ndarray]
    problem: str = ""


def render_preview(inputs: FigureInputs, style: FigureStyle, width_px: int, request: int,
                   progress: ProgressFn, cancel: CancelToken) -> RenderedPreview:
    """Preview work for a worker thread: the figure as RGBA pixels, or the reason it cannot be drawn."""
    try:
        rgba = render_preview_rgba(inputs.series, style, width_px, voltage=inputs.voltage, na_x=inputs.na_x,
                                   events=inputs.events, ticks=inputs.ticks, cancel=cancel)
    except ValueError as exc:
        return RenderedPreview(request, None, str(exc))
    return RenderedPreview(request, rgba)


def export_figure(inputs: FigureInputs, style: FigureStyle, path: str, progress: ProgressFn,
                  cancel: CancelToken) -> str:
    """Export work for a worker thread: render at full resolution and save; returns ``path``."""
    fig = render_contour_figure(inputs.series, style, voltage=inputs.voltage, na_x=inputs.na_x,
                                events=inputs.events, ticks=inputs.ticks)
    save_figure(fig, path, dpi=style.dpi)
    return path


def rgba_to_image(rgba: np.ndarray) -> QImage:
    """A QImage owning a copy of (h, w, 4) uint8 RGBA pixels."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width = rgba.shape[:2]
    return QImage(rgba.data, width, height, 4 * width, QImage.Format_RGBA8888).copy()


def _per_scan_to_record(values, series: ScanSeries):
    """Per-scan values become a ``(time_h, values)`` record so they survive preview decimation."""
    if values is None or isinstance(values, tuple):
        return values
    return scan_rows_h(series)[1], np.asarray(values, dtype=float)


class FigureDialog(QDialog):
    """Edit a figure style with a live preview and export the figure.

    series: the scans; voltage / na_x: per-scan (n_scans,) or ``(time_h, values)`` records;
    events: drawn as lines and labels; ticks: ``[(phase_name, two_theta_deg), ...]``;
    config_dir: where user presets are stored (default: see :func:`app.figures.style_store.config_dir`).
    """

    exported = Signal(str)
    preview_rendered = Signal()

    def __init__(self, series: ScanSeries, voltage=None, events: Sequence[Event] = (), *, na_x=None,
                 ticks: Sequence = (), config_dir: str | os.PathLike | None = None,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export figure")
        self._series, self._events, self._ticks = series, tuple(events), tuple(ticks)
        self._voltage = _per_scan_to_record(voltage, series)
        self._na_x = _per_scan_to_record(na_x, series)
        self._store = StyleStore(config_dir)
        preview_series, kept = decimate_for_preview(series)
        self._full = FigureInputs(series, self._voltage, self._na_x, self._events, self._ticks)
        self._light = FigureInputs(preview_series, self._voltage, self._na_x,
                                   tuple(remap_events(self._events, kept)), self._ticks)
        self._preview_image, self._request, self._font_note, self._export_path = QImage(), 0, "", ""
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)   # one figure at a time: rc_context changes global rcParams
        self.runner = JobRunner(self, self._pool)
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.request_preview)
        self._build()
        self.preset_box.blockSignals(True)
        self.preset_box.setCurrentText(DEFAULT_PRESET)
        self.preset_box.blockSignals(False)
        self._load_style(self._store.get(DEFAULT_PRESET))

    # --- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        self.preset_box = QComboBox()
        self.preset_box.addItems(self._store.names())
        self.width_cm, self.height_cm = self._spin(1.0, 60.0, 0.1, " cm"), self._spin(1.0, 60.0, 0.1, " cm")
        self.dpi = QSpinBox(minimum=50, maximum=2400, singleStep=50)
        self.font_family = QComboBox(editable=True)
        self.font_family.addItems(sorted({"Arial", "Helvetica", *installed_families()}))
        self.font_size = self._spin(4.0, 16.0, 0.5, " pt")
        self.cmap, self.scaling, self.y_axis, self.panel = QComboBox(), QComboBox(), QComboBox(), QComboBox()
        self.cmap.addItems(CMAPS)
        self.scaling.addItems(["linear", "sqrt", "log"])
        self.y_axis.addItems(["time", "scan"])
        for text, value in PANEL_CHOICES:
            self.panel.addItem(text, value)
        self.windows = QLineEdit(placeholderText="whole range, or e.g. 15:17.5, 40:44")
        self.show_colorbar, self.show_events, self.show_ticks = (QCheckBox(t) for t in
                                                                  ("Colour bar", "Events", "Phase ticks"))
        self.message = QLabel(wordWrap=True)
        self.preview = QLabel(alignment=Qt.AlignCenter)
        self.preview.setMinimumSize(360, 300)
        self.preview.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.save_preset_button, self.export_button = QPushButton("Save preset…"), QPushButton("Export…")
        close_button = QPushButton("Close")
        self._lay_out(close_button)
        self.preset_box.currentTextChanged.connect(self._on_preset_chosen)
        for spin in (self.width_cm, self.height_cm, self.font_size):
            spin.valueChanged.connect(self._on_style_edited)
        self.dpi.valueChanged.connect(self._on_style_edited)
        for combo in (self.font_family, self.cmap, self.scaling, self.y_axis, self.panel):
            combo.currentTextChanged.connect(self._on_style_edited)
        self.windows.textChanged.connect(self._on_style_edited)
        for box in (self.show_colorbar, self.show_events, self.show_ticks):
            box.toggled.connect(self._on_style_edited)
        self.save_preset_button.clicked.connect(self._on_save_preset_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        close_button.clicked.connect(self.accept)

    @staticmethod
    def _spin(lo: float, hi: float, step: float, suffix: str) -> QDoubleSpinBox:
        return QDoubleSpinBox(minimum=lo, maximum=hi, singleStep=step, decimals=2, suffix=suffix)

    def _lay_out(self, close_button: QPushButton) -> None:
        form = QFormLayout()
        for label, widget in (("Preset", self.preset_box), ("Width", self.width_cm), ("Height", self.height_cm),
                              ("Resolution (dpi)", self.dpi), ("Font", self.font_family),
                              ("Font size", self.font_size), ("Colour map", self.cmap),
                              ("Intensity", self.scaling), ("Vertical axis", self.y_axis),
                              ("Side panel", self.panel), ("2θ windows", self.windows)):
            form.addRow(label, widget)
        for box in (self.show_colorbar, self.show_events, self.show_ticks):
            form.addRow("", box)
        controls = QVBoxLayout()
        controls.addLayout(form)
        controls.addWidget(self.message)
        controls.addStretch(1)
        buttons = QHBoxLayout()
        for button in (self.save_preset_button, self.export_button, close_button):
            buttons.addWidget(button)
        controls.addLayout(buttons)
        row = QHBoxLayout(self)
        row.addLayout(controls)
        row.addWidget(self.preview, 1)

    # --- style <-> widgets -----------------------------------------------------------------

    def _load_style(self, style: FigureStyle) -> None:
        self._style_name = style.name
        widgets = (self.width_cm, self.height_cm, self.dpi, self.font_family, self.font_size, self.cmap,
                   self.scaling, self.y_axis, self.panel, self.windows, self.show_colorbar, self.show_events,
                   self.show_ticks)
        for w in widgets:
            w.blockSignals(True)
        self.width_cm.setValue(style.width_cm)
        self.height_cm.setValue(style.height_cm)
        self.dpi.setValue(style.dpi)
        self.font_family.setCurrentText(style.font_family)
        self.font_size.setValue(style.font_size_pt)
        self.cmap.setCurrentText(style.cmap)
        self.scaling.setCurrentText(style.scaling)
        self.y_axis.setCurrentText(style.y_axis)
        self.panel.setCurrentIndex([v for _, v in PANEL_CHOICES].index(style.panel))
        self.windows.setText(", ".join(f"{lo:g}:{hi:g}" for lo, hi in style.windows))
        self.show_colorbar.setChecked(style.show_colorbar)
        self.show_events.setChecked(style.show_events)
        self.show_ticks.setChecked(style.show_ticks)
        for w in widgets:
            w.blockSignals(False)
        self._base_style = style
        self._on_style_edited()

    def current_style(self) -> FigureStyle:
        """The style the widgets describe; ValueError when the windows text does not parse."""
        text = self.windows.text().strip()
        windows = tuple(parse_window(part.strip()) for part in text.split(",") if part.strip()) if text else ()
        return self._base_style.with_changes(
            name=self._style_name, width_cm=self.width_cm.value(), height_cm=self.height_cm.value(),
            dpi=self.dpi.value(), font_family=self.font_family.currentText(), font_size_pt=self.font_size.value(),
            cmap=self.cmap.currentText(), scaling=self.scaling.currentText(), y_axis=self.y_axis.currentText(),
            panel=self.panel.currentData(), windows=windows, show_colorbar=self.show_colorbar.isChecked(),
            show_events=self.show_events.isChecked(), show_ticks=self.show_ticks.isChecked())

    # --- preview ---------------------------------------------------------------------------

    @Slot()
    def _on_style_edited(self, *_args) -> None:
        self._timer.start()   # restarted by every edit: a burst of edits makes one request

    @Slot()
    def request_preview(self) -> None:
        """Render the preview of the current settings in the background; a newer request
        supersedes any older one, whose result is never shown."""
        self._timer.stop()
        self._request += 1
        try:
            style = self.current_style()
        except ValueError as exc:
            self.runner.cancel(PREVIEW_JOB)   # an older preview must not clear this message
            self.message.setText(str(exc))
            return
        used = resolve_font_family(style.font_family)
        self._font_note = ("" if used.lower() == style.font_family.lower()
                           else f"{style.font_family} is not installed; using {used}.")
        width_px = max(self.preview.width(), 360)
        self.runner.start(PREVIEW_JOB, partial(render_preview, self._light, style, width_px, self._request),
                          connect=self._connect_preview_job)

    def _connect_preview_job(self, signals: JobSignals) -> None:
        signals.succeeded.connect(self._on_preview_rendered)
        signals.failed.connect(self._on_preview_failed)

    @Slot(object)
    def _on_preview_rendered(self, result: RenderedPreview) -> None:
        if result.request != self._request:   # queued before a newer request was made: stale
            return
        if result.rgba is None:
            self.message.setText(result.problem)
            return
        self.message.setText(self._font_note)
        self._preview_image = rgba_to_image(result.rgba)
        self._show_pixmap()
        self.preview_rendered.emit()

    @Slot(object)
    def _on_preview_failed(self, exc: Exception) -> None:
        self.message.setText(f"Preview failed: {exc}")

    def _show_pixmap(self) -> None:
        pixmap = QPixmap.fromImage(self._preview_image)
        self.preview.setPixmap(pixmap.scaled(self.preview.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def preview_image(self) -> QImage:
        """The last preview shown, at full rendered size (for tests and copy-to-clipboard)."""
        return QImage(self._preview_image)

    def preview_pixmap(self) -> QPixmap:
        """The last preview shown, at full rendered size."""
        return QPixmap.fromImage(self._preview_image)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._preview_image.isNull():
            self._show_pixmap()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._stop_previews()
        super().closeEvent(event)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override: Close, Escape, accept/reject
        self._stop_previews()
        super().done(result)

    def _stop_previews(self) -> None:
        """No more previews; wait for the figure being drawn, so no render outlives the dialog
        (an export still running finishes and reports ``exported``)."""
        self._timer.stop()
        self.runner.cancel(PREVIEW_JOB)
        self._pool.waitForDone(CLOSE_WAIT_MS)

    # --- actions ---------------------------------------------------------------------------

    @Slot(str)
    def _on_preset_chosen(self, name: str) -> None:
        if name:
            self._load_style(self._store.get(name))

    @Slot()
    def _on_save_preset_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "Save preset", "Preset name:", text=self._style_name)
        if not ok or not name.strip():
            return
        try:
            saved = self._store.save(self.current_style(), name.strip())
        except ValueError as exc:
            QMessageBox.warning(self, "Save preset", str(exc))
            return
        self.preset_box.blockSignals(True)
        self.preset_box.clear()
        self.preset_box.addItems(self._store.names())
        self.preset_box.setCurrentText(saved.name)
        self.preset_box.blockSignals(False)
        self._style_name = saved.name

    @Slot()
    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export figure", "", FILE_FILTER)
        if not path:
            return
        try:
            figure_format(path)
            style = self.current_style()
        except ValueError as exc:
            self._show_export_error(path, exc)
            return
        self._export_path = path
        self.runner.start(EXPORT_JOB, partial(export_figure, self._full, style, path),
                          connect=self._connect_export_job)

    def _connect_export_job(self, signals: JobSignals) -> None:
        signals.succeeded.connect(self._on_export_done)
        signals.failed.connect(self._on_export_failed)

    @Slot(object)
    def _on_export_done(self, path: str) -> None:
        self.exported.emit(str(path))

    @Slot(object)
    def _on_export_failed(self, exc: Exception) -> None:
        self._show_export_error(self._export_path, exc)

    def _show_export_error(self, path: str, exc: Exception) -> None:
        QMessageBox.critical(self, "Export figure", f"Could not export {path}\n\n{exc}")
