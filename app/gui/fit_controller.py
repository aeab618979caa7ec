"""Peak fitting in the GUI: the user's fitting windows, instant fits of the current scan, and the
whole-series fit as a background job whose result goes to the session.

Data flow: the panel and the plot overlay ask this controller for changes (add a window, move
its edges, add a peak, fit); the controller holds the windows (frozen
:class:`~analysis.fit_windows.FitWindow` objects, replaced, never mutated) and the current scan's
own fits, and stores series results with :meth:`Session.set_fit_result`. Views draw what
:meth:`FitController.shown_fits` returns: the current scan's fit from the stored series result
(no refit), or the scan's own fit after "Fit current scan".

A cancelled series fit leaves no partial result: the previous result (if any) stays.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

from analysis import fit_results_io
from analysis.fit_results import SeriesFitResult
from analysis.fit_windows import FitWindow
from analysis.peak_fitting import ScanFit, fit_scan
from analysis.sequential_fit import DEFAULT_STRATEGY, STRATEGIES, fit_series

from .error_dialog import describe_failure, show_error
from .fit_window_edits import rebuilt, with_found_peaks, with_peak_added, with_range
from .jobs import JobRunner
from .session import Session

FIT_JOB = "peak_fit"
DIRECTIONS = ("forward", "backward")
EXPORT_FILTERS = {"Peak fits CSV (*.csv)": ".csv", "Peak fits HDF5 (*.h5)": ".h5"}


@dataclass(frozen=True)
class FitCurves:
    """One window's fit on the current scan, for drawing. All (n,) on ``x_deg`` (2θ, degrees)
    except ``components`` (n_peaks, n), peaks only (add ``background`` to draw them on the data);
    ``centers_deg`` (n_peaks,) NaN where a peak is absent."""

    window_index: int
    x_deg: np.ndarray
    y: np.ndarray
    best: np.ndarray
    background: np.ndarray
    components: np.ndarray
    centers_deg: np.ndarray

    @property
    def residual(self) -> np.ndarray:
        return self.y - self.best


class FitController(QObject):
    """Owns the fitting windows and the ``peak_fit`` job.

    Signals: ``windows_changed()``, ``selection_changed(index)``, ``fits_changed()`` (what
    :meth:`shown_fits` returns changed), ``busy_changed(bool)``, ``progressed(done, total)``,
    ``message(text, ms)``, ``series_done(outcome)`` with outcome "succeeded" / "cancelled" /
    "failed".
    """

    windows_changed = Signal()
    selection_changed = Signal(int)
    fits_changed = Signal()
    busy_changed = Signal(bool)
    progressed = Signal(int, int)
    message = Signal(str, int)
    series_done = Signal(str)

    def __init__(self, session: Session, runner: JobRunner, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._session, self._runner, self._parent = session, runner, parent
        self.windows: tuple[FitWindow, ...] = ()
        self.selected = -1
        self.direction = "forward"
        self.strategy = DEFAULT_STRATEGY
        self.start_scan: Optional[int] = None   # None: the current scan
        self.workers: Optional[int] = None      # None: every usable core
        self._scan_fits: tuple[int, dict[int, ScanFit]] = (-1, {})
        self.export_action = QAction("&Peak fits as CSV / HDF5…", self)
        self.export_action.triggered.connect(self.export_result)
        self.export_action.setEnabled(False)
        runner.busy_changed.connect(self._on_busy_changed)
        session.series_changed.connect(self._on_series_changed)
        session.scan_changed.connect(self._on_scan_changed)
        session.fit_result_changed.connect(self._on_fit_result_changed)

    # -- windows ------------------------------------------------------------------------------
    def add_window(self, lo_deg: float, hi_deg: float, n_peaks: int = 1, **kw) -> int:
        """Add a window over [lo, hi] degrees 2θ with ``n_peaks`` automatic peaks; selects it."""
        lo_deg, hi_deg = sorted((float(lo_deg), float(hi_deg)))
        self.windows = self.windows + (FitWindow.with_n_peaks(lo_deg, hi_deg, n_peaks, **kw),)
        self.windows_changed.emit()
        self.select(len(self.windows) - 1)
        return self.selected

    def set_window(self, index: int, window: FitWindow) -> None:
        """Replace window ``index``; the current scan's own fits of it are dropped."""
        if self.windows[index] == window:
            return
        self.windows = self.windows[:index] + (window,) + self.windows[index + 1:]
        scan, fits = self._scan_fits
        if index in fits:
            self._scan_fits = (scan, {k: v for k, v in fits.items() if k != index})
            self.fits_changed.emit()
        self.windows_changed.emit()

    def adopt_windows(self, windows: tuple) -> None:
        """Replace every window at once (the windows an analysis found); the first is selected."""
        self.windows = tuple(windows)
        self._scan_fits = (-1, {})
        self.windows_changed.emit()
        self.fits_changed.emit()
        self.select(0 if self.windows else -1)

    def remove_window(self, index: int) -> None:
        self.windows = self.windows[:index] + self.windows[index + 1:]
        self._scan_fits = (-1, {})
        self.windows_changed.emit()
        self.fits_changed.emit()
        self.select(min(self.selected, len(self.windows) - 1))

    def select(self, index: int) -> None:
        index = int(index) if 0 <= int(index) < len(self.windows) else -1
        if index != self.selected:
            self.selected = index
            self.selection_changed.emit(index)

    def set_range(self, index: int, lo_deg: float, hi_deg: float) -> None:
        """Move window ``index``'s edges (e.g. dragged on a plot)."""
        self.set_window(index, with_range(self.windows[index], lo_deg, hi_deg))

    def window_at(self, x_deg: float) -> int:
        """The selected window when it holds ``x_deg``, else the first that does, else -1."""
        order = ([self.selected] if self.selected >= 0 else []) + list(range(len(self.windows)))
        return next((i for i in order if self.windows[i].lo_deg <= x_deg <= self.windows[i].hi_deg), -1)

    def add_peak(self, x_deg: float) -> int:
        """Add an initial peak position at ``x_deg`` to the window holding it; returns the window
        index, or -1 (with a status message) when no window holds that angle."""
        index = self.window_at(float(x_deg))
        if index < 0:
            self.message.emit(f"No fitting window holds {x_deg:.3f}°: add a window there first", 4000)
            return -1
        self.set_window(index, with_peak_added(self.windows[index], x_deg))
        self.select(index)
        return index

    def set_peak(self, index: int, peak: int, x_deg: float) -> None:
        """Move initial position ``peak`` of window ``index`` to ``x_deg``."""
        w = self.windows[index]
        peaks = list(w.peaks)
        peaks[peak] = float(np.clip(x_deg, w.lo_deg, w.hi_deg))
        self.set_window(index, rebuilt(w, peaks=tuple(peaks)))

    def find_peaks(self, index: int) -> int:
        """Initial positions of window ``index`` from automatic peak finding on the current scan;
        returns how many peaks were found."""
        w, data = self.windows[index], self._scan_data()
        if data is None:
            return 0
        x, y, _ = data
        found = with_found_peaks(w, x, y)
        self.set_window(index, found)
        n_found = sum(p is not None for p in found.peaks)
        self.message.emit(f"Window {w.label}: found {n_found} of {w.n_peaks} peaks", 4000)
        return n_found

    # -- fitting ------------------------------------------------------------------------------
    def _scan_data(self) -> Optional[tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]:
        """(x 2θ in degrees, intensity, σ or None) of the current scan, raw (windows carry their
        own local background), or None without a series or a way to 2θ."""
        series, scan = self._session.series, self._session.current_scan
        if series is None:
            return None
        if series.x_kind != "two_theta_deg" and not series.wavelength_A:
            self.message.emit("Peak fitting needs 2θ: set the wavelength of this series", 6000)
            return None
        sigma = None if series.sigma is None else series.sigma[scan]
        return series.two_theta_deg, series.intensity[scan], sigma

    def fit_current_scan(self) -> dict[int, ScanFit]:
        """Fit every window on the current scan on the GUI thread (milliseconds per window).

        When the session's series result holds the same windows, the scan's row there is
        replaced by these fits (a manual refit); otherwise they are shown for this scan only.
        """
        data = self._scan_data()
        if data is None or not self.windows:
            return {}
        x, y, sigma = data
        fits = {}
        for i, w in enumerate(self.windows):
            try:
                fits[i] = fit_scan(x, y, w, sigma=sigma)
            except ValueError as exc:
                self.message.emit(f"Window {w.label}: {exc}", 6000)
        self._scan_fits = (self._session.current_scan, fits)
        self._store_in_result(fits)
        self.fits_changed.emit()
        if fits:
            worst = max(f.redchi for f in fits.values())
            self.message.emit(f"Scan {self._session.current_scan}: {len(fits)} window(s) fitted, "
                              f"reduced χ² ≤ {worst:.3g}", 5000)
        return fits

    def _store_in_result(self, fits: dict[int, ScanFit]) -> None:
        result, scan = self._session.fit_result, self._session.current_scan
        if result is None or result.windows != self.windows or scan not in result.scan:
            return
        row = int(np.flatnonzero(result.scan == scan)[0])
        for i, fit in fits.items():
            result = result.with_scan_fit(row, i, fit)
        self._session.set_fit_result(result)

    def fit_whole_series(self) -> None:
        """Start the ``peak_fit`` job over every scan (progress, Cancel in the status bar)."""
        series = self._session.series
        if series is None or not self.windows or self._scan_data() is None:
            return
        start = self.start_scan
        start = self._session.current_scan if start is None else int(np.clip(start, 0, series.n_scans - 1))
        # automatic peaks get positions from the start scan first, so peak numbers run from low to
        # high angle in every scan (found by prominence, they would be numbered strongest first)
        x = series.two_theta_deg
        for i, w in enumerate(self.windows):
            if None in w.peaks:
                self.set_window(i, with_found_peaks(w, x, series.intensity[start], keep_known=True))
        windows = self.windows
        kw = dict(direction=self.direction, start_scan=start, strategy=self.strategy, workers=self.workers)
        self.message.emit(f"Fitting {len(windows)} window(s) on {series.n_scans} scans…", 0)

        def work(progress, cancel):
            return series, fit_series(series, windows, progress=progress, cancel=cancel, **kw)
        self._runner.start(FIT_JOB, work, progressed=self.progressed, succeeded=self._on_succeeded,
                           failed=self._on_failed, cancelled=self._on_cancelled)

    @Slot()
    def cancel(self) -> None:
        self._runner.cancel(FIT_JOB)

    @Slot(object)
    def _on_succeeded(self, outcome) -> None:
        series, result = outcome
        job = self._runner.current(FIT_JOB)
        if job is None or job.signals is not self.sender() or series is not self._session.series:
            # finished after Cancel (its success signal was already queued) or superseded
            self.series_done.emit("cancelled")
            return
        self._scan_fits = (-1, {})
        self._session.set_fit_result(result)
        n_poor = int(np.count_nonzero(result.window_flags != ""))
        self.message.emit(f"Fitted {result.n_scans} scans × {len(result.windows)} window(s)"
                          + (f"; {n_poor} fit(s) flagged" if n_poor else ""), 8000)
        self.series_done.emit("succeeded")

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        text = describe_failure(exc, "the series").replace("Could not open", "Could not fit", 1)
        self.series_done.emit("failed")
        show_error(self._parent, text, title="Peak fit failed")

    @Slot()
    def _on_cancelled(self) -> None:
        kept = "the previous result is kept" if self._session.fit_result is not None else "nothing was stored"
        self.message.emit(f"Series fit cancelled — {kept}", 5000)
        self.series_done.emit("cancelled")

    @Slot(str, bool)
    def _on_busy_changed(self, kind: str, busy: bool) -> None:
        if kind == FIT_JOB:
            self.busy_changed.emit(busy)

    # -- what to draw ---------------------------------------------------------------------------
    def shown_fits(self) -> list[FitCurves]:
        """The current scan's fits: its own (after "Fit current scan"), else the stored result's."""
        series, scan = self._session.series, self._session.current_scan
        if series is None:
            return []
        own_scan, own = self._scan_fits
        if own_scan == scan and own:
            return [FitCurves(i, f.x_deg, f.y, f.best, f.background, f.components, f.center)
                    for i, f in sorted(own.items())]
        result: Optional[SeriesFitResult] = self._session.fit_result
        if result is None or scan not in result.scan:
            return []
        return stored_curves(result, series, scan)

    # -- export ----------------------------------------------------------------------------------
    @Slot()
    def export_result(self) -> Optional[str]:
        """Ask for a file and write the session's fit result as peaks CSV or HDF5."""
        result = self._session.fit_result
        if result is None:
            return None
        start = os.path.splitext(self._session.source_label.rstrip("/\\"))[0] + "_peaks.csv"
        path, chosen = QFileDialog.getSaveFileName(self._parent, "Export peak fits", start,
                                                   ";;".join(EXPORT_FILTERS))
        if not path:
            return None
        if not os.path.splitext(path)[1]:
            path += EXPORT_FILTERS.get(chosen, ".csv")
        try:
            fit_results_io.save(result, path)
        except (OSError, ValueError) as exc:
            show_error(self._parent, f"Could not write {path}\n\n{exc}", title="Export failed")
            return None
        self.message.emit(f"Peak fits written to {path}", 5000)
        return path

    # -- reactions ---------------------------------------------------------------------------
    @Slot(object)
    def _on_series_changed(self, _series) -> None:
        self.cancel()
        self._scan_fits = (-1, {})
        if self._session.fit_result is not None:
            self._session.set_fit_result(None)
        self.fits_changed.emit()

    @Slot(int)
    def _on_scan_changed(self, _index: int) -> None:
        self.fits_changed.emit()

    @Slot(object)
    def _on_fit_result_changed(self, result) -> None:
        self.export_action.setEnabled(result is not None)
        self.fits_changed.emit()


def stored_curves(result: SeriesFitResult, series, scan: int) -> list[FitCurves]:
    """Every window's curves on ``scan`` drawn again from the stored parameters (no refit)."""
    row = int(np.flatnonzero(result.scan == scan)[0])
    x = series.two_theta_deg
    out = []
    for i, w in enumerate(result.windows):
        if not np.all(np.isfinite(result.values[i][row])):
            continue
        xw, best, background, components = result.curves(x, row, i)
        y = series.intensity[scan][(x >= w.lo_deg) & (x <= w.hi_deg)]
        out.append(FitCurves(i, xw, y, best, background, components, result.center[row, result.peak_slice(i)]))
    return out


__all__ = ["FitController", "FitCurves", "stored_curves", "FIT_JOB", "DIRECTIONS", "STRATEGIES"]
