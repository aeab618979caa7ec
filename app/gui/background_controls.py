"""View → Subtract background: the method dialog and the background job.

The backgrounds of every scan are computed off the GUI thread (``background`` job, progress and
Cancel in the status bar) by :func:`analysis.background.background_stack` and handed to the
session as a derived display array; the series itself is never replaced.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QLineEdit, QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from analysis.background import (AnchorPolynomialBackground, ArplsBackground, AslsBackground, BackgroundMethod,
                                 SnipBackground, background_stack, describe)
from analysis.series import ScanSeries

from .error_dialog import describe_failure, show_error
from .jobs import JobRunner
from .session import Session

BACKGROUND_JOB = "background"
SNIP_WINDOW_FRACTION = 0.03
"""Default SNIP half window as a fraction of the x range: 2.1° on a 10-80° 2θ scan, wider than
the base of lab-resolution peaks yet narrower than amorphous humps."""
SNIP_SMOOTH_POINTS = 3
"""Default SNIP smoothing half window, points. Without it SNIP clips to the lower envelope of the
counting noise: on the sample data the subtracted background sat 25-40 counts (about 2 σ) above
zero; with 3 points it sits within ±8 counts, and peak areas change by under 2 %."""
X_UNITS = {"two_theta_deg": "°", "q_inv_A": "Å⁻¹", "d_A": "Å"}
METHOD_NAMES = (("snip", "SNIP (automatic)"), ("arpls", "arPLS (automatic)"), ("asls", "AsLS (automatic)"),
                ("anchors", "Polynomial through anchor windows"))


def default_method(series: Optional[ScanSeries]) -> BackgroundMethod:
    """SNIP with a half window of :data:`SNIP_WINDOW_FRACTION` of the series' x range, smoothed."""
    if series is None or series.n_points < 2:
        return SnipBackground(smooth_half_window=SNIP_SMOOTH_POINTS)
    span = float(abs(series.x[-1] - series.x[0]))
    return SnipBackground(max_half_window_x=float(f"{SNIP_WINDOW_FRACTION * span:.2g}"),
                          smooth_half_window=SNIP_SMOOTH_POINTS)


def parse_anchors(text: str) -> tuple[tuple[float, float], ...]:
    """``"10-12, 33.5-35"`` -> ``((10, 12), (33.5, 35))``; raises ValueError naming the bad part."""
    windows = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        bounds = part.replace("–", "-").split("-")
        if len(bounds) != 2:
            raise ValueError(f"'{part}' is not a window like 10-12")
        windows.append((float(bounds[0]), float(bounds[1])))
    return tuple(windows)


class BackgroundDialog(QDialog):
    """Choose the method and its parameters; :meth:`method` builds the frozen method object."""

    def __init__(self, method: BackgroundMethod, x_unit: str, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Background")
        self.setMinimumWidth(460)
        self.kind = QComboBox()
        for key, label in METHOD_NAMES:
            self.kind.addItem(label, key)
        self.snip_window = QDoubleSpinBox(minimum=1e-4, maximum=1e4, decimals=4, suffix=f" {x_unit}")
        self.snip_window.setToolTip("Wider than half the base of the broadest peak,\n"
                                    "narrower than the background's bumps")
        self.snip_smooth = QSpinBox(minimum=0, maximum=100, suffix=" points")
        self.snip_smooth.setToolTip("Smoothing before clipping; 0 lets the background follow the lowest noise")
        self.arpls_lam = QDoubleSpinBox(minimum=1.0, maximum=1e12, decimals=0)
        self.asls_lam = QDoubleSpinBox(minimum=1.0, maximum=1e12, decimals=0)
        self.asls_p = QDoubleSpinBox(minimum=1e-4, maximum=0.5, decimals=4, singleStep=0.005)
        self.anchors = QLineEdit()
        self.anchors.setPlaceholderText(f"peak-free windows in {x_unit}, e.g. 10-12, 33.5-35, 70-72")
        self.order = QSpinBox(minimum=0, maximum=8)
        self.pages = QStackedWidget()
        for rows in ((("Largest half window", self.snip_window), ("Smoothing half window", self.snip_smooth)),
                     (("Stiffness λ", self.arpls_lam),),
                     (("Stiffness λ", self.asls_lam), ("Asymmetry p", self.asls_p)),
                     (("Anchor windows", self.anchors), ("Polynomial order", self.order))):
            page = QWidget()
            form = QFormLayout(page)
            for label, widget in rows:
                form.addRow(label, widget)
            self.pages.addWidget(page)
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #ff5a5a;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.kind)
        layout.addWidget(self.pages)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self._show(method)

    def _show(self, m: BackgroundMethod) -> None:
        defaults = {"snip": SnipBackground(), "arpls": ArplsBackground(), "asls": AslsBackground()}
        self.snip_window.setValue(getattr(m, "max_half_window_x", defaults["snip"].max_half_window_x))
        self.snip_smooth.setValue(m.smooth_half_window if isinstance(m, SnipBackground) else SNIP_SMOOTH_POINTS)
        self.arpls_lam.setValue(m.lam if isinstance(m, ArplsBackground) else defaults["arpls"].lam)
        self.asls_lam.setValue(m.lam if isinstance(m, AslsBackground) else defaults["asls"].lam)
        self.asls_p.setValue(m.p if isinstance(m, AslsBackground) else defaults["asls"].p)
        anchors = m.anchors_x if isinstance(m, AnchorPolynomialBackground) else ()
        self.anchors.setText(", ".join(f"{lo:g}-{hi:g}" for lo, hi in anchors))
        self.order.setValue(m.order if isinstance(m, AnchorPolynomialBackground) else 2)
        key = {SnipBackground: "snip", ArplsBackground: "arpls", AslsBackground: "asls",
               AnchorPolynomialBackground: "anchors"}[type(m)]
        self.kind.setCurrentIndex(self.kind.findData(key))
        self.pages.setCurrentIndex(self.kind.currentIndex())

    def method(self) -> BackgroundMethod:
        """The chosen method; raises ValueError for unreadable anchor windows."""
        key = self.kind.currentData()
        if key == "snip":
            return SnipBackground(max_half_window_x=self.snip_window.value(),
                                  smooth_half_window=self.snip_smooth.value())
        if key == "arpls":
            return ArplsBackground(lam=self.arpls_lam.value())
        if key == "asls":
            return AslsBackground(lam=self.asls_lam.value(), p=self.asls_p.value())
        return AnchorPolynomialBackground(anchors_x=parse_anchors(self.anchors.text()), order=self.order.value())

    @Slot()
    def _on_ok(self) -> None:
        try:
            self.method()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return
        self.accept()


class BackgroundController(QObject):
    """Owns ``toggle_action`` (View → Subtract background) and ``method_action`` (Background method…).

    Signals for the status bar: ``busy_changed(bool)``, ``progressed(done, total)``,
    ``message(text, ms)``; ``computed()`` after the session received new backgrounds.
    """

    busy_changed = Signal(bool)
    progressed = Signal(int, int)
    message = Signal(str, int)
    computed = Signal()

    def __init__(self, session: Session, runner: JobRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._session, self._runner, self._parent = session, runner, parent
        self._method: Optional[BackgroundMethod] = None
        self.toggle_action = QAction("Subtract &background", self, checkable=True, shortcut="Ctrl+B")
        self.toggle_action.setToolTip("Show the map and pattern with each scan's background subtracted")
        self.method_action = QAction("Background &method…", self)
        self.toggle_action.toggled.connect(self._on_toggled)
        self.method_action.triggered.connect(self.ask_method)
        runner.busy_changed.connect(self._on_busy_changed)
        session.series_changed.connect(self._on_series_changed)
        session.background_changed.connect(self._on_background_changed)
        self._on_series_changed(session.series)

    @property
    def method(self) -> BackgroundMethod:
        """The chosen method, or the default for the open series."""
        return self._method if self._method is not None else default_method(self._session.series)

    def set_method(self, method: BackgroundMethod) -> None:
        """Use ``method`` from now on; recomputes at once when the map is subtracted."""
        if method == self.method and self._session.has_background():
            self._method = method
            return
        self._method = method
        if self._session.series is not None:
            self._session.set_background(self._session.series, None)
            if self._session.subtract_background:
                self.start()

    @Slot()
    def ask_method(self) -> None:
        series = self._session.series
        unit = X_UNITS.get(series.x_kind, "") if series is not None else "°"
        dialog = BackgroundDialog(self.method, unit, self._parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_method(dialog.method())

    @Slot(bool)
    def _on_toggled(self, checked: bool) -> None:
        self._session.set_subtract_background(checked)
        if checked and self._session.has_background():
            self.message.emit(f"Background subtracted: {self._session.background_label}", 5000)
        elif checked:
            self.start()
        else:
            self.cancel()
            self.message.emit("Showing the raw map", 3000)

    def start(self) -> None:
        """Compute the backgrounds of the open series with :attr:`method` as the ``background`` job."""
        series, method = self._session.series, self.method
        if series is None:
            return
        self.message.emit(f"Computing backgrounds ({describe(method)})…", 0)

        def work(progress, cancel):
            return series, method, background_stack(series, method, progress=progress, cancel=cancel)
        self._runner.start(BACKGROUND_JOB, work, progressed=self.progressed, succeeded=self._on_succeeded,
                           failed=self._on_failed, cancelled=self._on_cancelled)

    @Slot()
    def cancel(self) -> None:
        self._runner.cancel(BACKGROUND_JOB)

    @Slot(object)
    def _on_succeeded(self, result) -> None:
        series, method, stack = result
        if method != self.method:
            return   # the method changed while this ran; the newer job's result will follow
        self._session.set_background(series, np.asarray(stack), describe(method))
        self.message.emit(f"Background subtracted: {describe(method)}", 5000)
        self.computed.emit()

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self._uncheck()
        text = describe_failure(exc, "the background").replace("Could not open", "Could not compute", 1)
        show_error(self._parent, text, title="Background failed")

    @Slot()
    def _on_cancelled(self) -> None:
        if not self._runner.is_busy(BACKGROUND_JOB) and not self._session.has_background():
            self._uncheck()
            self.message.emit("Background subtraction cancelled", 5000)

    def _uncheck(self) -> None:
        self.toggle_action.setChecked(False)

    @Slot(str, bool)
    def _on_busy_changed(self, kind: str, busy: bool) -> None:
        if kind == BACKGROUND_JOB:
            self.busy_changed.emit(busy)

    @Slot(object)
    def _on_series_changed(self, series) -> None:
        self.toggle_action.setEnabled(series is not None)
        if series is not None and self._session.subtract_background and not self._session.has_background():
            self.start()

    @Slot()
    def _on_background_changed(self) -> None:
        with QSignalBlocker(self.toggle_action):
            self.toggle_action.setChecked(self._session.subtract_background)
