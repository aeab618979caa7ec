"""What the user has open and how it is shown: one ``Session`` that views subscribe to.

Views never talk to each other; they read the session, listen to its ``*_changed`` signals
and ask for changes through its setters (which clamp and validate, then emit).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
from PySide6.QtCore import QObject, Signal

from analysis import echem as ec
from analysis.errors import InputError
from analysis.series import ScanSeries

from .event_store import EventStore

SCALINGS = ("linear", "sqrt", "log")
COLORMAPS = ("viridis", "cividis", "inferno", "magma", "plasma", "turbo", "grey")
Y_AXES = ("scan", "time_h")
Y_AXIS_LABELS = {"scan": "Scan", "time_h": "Time (h)"}
ECHEM_QUANTITIES = ("voltage", "x")
ECHEM_LABELS = {"voltage": "Voltage (V)", "x": "Na content x"}


@dataclass(frozen=True)
class SodiumParameters:
    """Faraday's-law inputs of :func:`analysis.echem.sodium_content` (mass in g, molar mass in g/mol)."""

    active_mass_g: float
    molar_mass_g_mol: float
    x0: float


class Session(QObject):
    """The open series, its electrochemistry, the current scan and display settings.

    series_changed(series | None), echem_changed(echem | None), scan_changed(index),
    display_changed() for scaling / colour map / y axis, source_changed(label).
    ``events`` is the series' :class:`~app.gui.event_store.EventStore` (with its own signals and undo stack).
    """

    series_changed = Signal(object)
    echem_changed = Signal(object)
    scan_changed = Signal(int)
    display_changed = Signal()
    source_changed = Signal(str)
    background_changed = Signal()
    fit_result_changed = Signal(object)   # analysis.fit_results.SeriesFitResult | None
    analysis_changed = Signal(object)     # analysis.pipeline.AnalysisResult | None

    def __init__(self, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.series: Optional[ScanSeries] = None
        self.echem = None
        self.source_label = ""
        self.echem_label = ""
        self.current_scan = 0
        self.scaling = "sqrt"
        self.colormap = "viridis"
        self.y_axis = "scan"
        self.clock_offset_s = 0.0
        self._voltage_at_scans: Optional[np.ndarray] = None
        self.sodium: Optional[SodiumParameters] = None
        self._sodium_cache: tuple = (None, None, None)   # (echem, parameters, x per echem point)
        self.echem_quantity = "voltage"
        # a derived display array, never a replacement of the data: backgrounds of one series
        self.background: Optional[np.ndarray] = None
        self.background_label = ""
        self.subtract_background = False
        self._background_of: Optional[ScanSeries] = None
        self._subtracted: Optional[np.ndarray] = None
        self.events = EventStore(self)   # the series' events, with their own undo stack
        self.fit_result = None   # SeriesFitResult of the open series (peak fits), or None
        self.analysis_result = None   # AnalysisResult of the open series (Analyze), or None

    # -- data ---------------------------------------------------------------------------
    def set_series(self, series: Optional[ScanSeries], label: str = "") -> None:
        """Replace the open series (the current scan is kept when it still exists)."""
        self.series = series
        self.source_label = label
        self._voltage_at_scans = None
        n = 0 if series is None else series.n_scans
        self.current_scan = min(self.current_scan, max(n - 1, 0))
        self.source_changed.emit(label)
        self.series_changed.emit(series)
        self.scan_changed.emit(self.current_scan)

    def set_echem(self, echem, label: str = "") -> None:
        self.echem = echem
        self.echem_label = label
        self._voltage_at_scans = None
        self.echem_changed.emit(echem)

    def set_clock_offset_s(self, offset_s: float) -> None:
        """Seconds added to the electrochemistry clock (e.g. -3600 when the potentiostat's
        clock runs an hour ahead of the diffractometer's); re-aligns the voltage."""
        self.clock_offset_s = float(offset_s)
        self._voltage_at_scans = None
        self.echem_changed.emit(self.echem)

    # -- navigation and display -------------------------------------------------------
    def set_current_scan(self, index: int) -> None:
        if self.series is None:
            return
        index = int(np.clip(int(index), 0, self.series.n_scans - 1))
        if index != self.current_scan:
            self.current_scan = index
            self.scan_changed.emit(index)

    def step_scan(self, delta: int) -> None:
        self.set_current_scan(self.current_scan + int(delta))

    def set_scaling(self, scaling: str) -> None:
        self._set_display("scaling", scaling, SCALINGS)

    def set_colormap(self, name: str) -> None:
        self._set_display("colormap", name, COLORMAPS)

    def set_y_axis(self, y_axis: str) -> None:
        self._set_display("y_axis", y_axis, Y_AXES)

    def _set_display(self, attr: str, value: str, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            raise ValueError(f"{attr} must be one of {allowed}, not {value!r}")
        if getattr(self, attr) != value:
            setattr(self, attr, value)
            self.display_changed.emit()

    # -- derived quantities the views share ----------------------------------------------
    # A scan stands at its mid-exposure time, where its voltage is sampled too, so the map row,
    # the cursor, the voltage marker and the voltage curve all meet at one height.
    def scan_mid_time_s(self) -> np.ndarray:
        """(n_scans,) mid-exposure time of each scan, s since the first scan's start."""
        if self.series is None:
            return np.zeros(0)
        return ec.mid_scan_times_s(self.series)

    def scan_y(self) -> np.ndarray:
        """(n_scans,) vertical coordinate of each scan: its index, or its mid-exposure time in h."""
        if self.series is None:
            return np.zeros(0)
        if self.y_axis == "time_h":
            return self.scan_mid_time_s() / 3600.0
        return np.arange(self.series.n_scans, dtype=float)

    def scan_at_y(self, y: float) -> int:
        """Index of the scan nearest to vertical coordinate ``y`` (index or hours)."""
        ys = self.scan_y()
        if ys.size == 0:
            return 0
        return int(np.argmin(np.abs(ys - y)))

    def voltage_at_scans(self) -> Optional[np.ndarray]:
        """(n_scans,) cell voltage in V at each scan's mid-exposure (NaN outside the record), or None."""
        if self.series is None or self.echem is None:
            return None
        if self._voltage_at_scans is None:
            self._voltage_at_scans = np.asarray(
                ec.voltage_at_scans(self.echem, self.series, clock_offset_s=self.clock_offset_s), dtype=float)
        return self._voltage_at_scans

    def echem_time_on_series_clock_s(self) -> Optional[np.ndarray]:
        """Electrochemistry sample times in seconds since the first scan's start, or None.

        Uses both absolute start times when known, otherwise assumes both records started
        together (the same rule as :func:`analysis.echem.voltage_at_scans`), plus the clock offset.
        """
        if self.series is None or self.echem is None:
            return None
        t = np.asarray(self.echem.time_s, dtype=float) + self.clock_offset_s
        if self.echem.start_epoch_s is not None and self.series.start_epoch_s is not None:
            t = t + (float(self.echem.start_epoch_s) - float(self.series.start_epoch_s))
        return t

    def echem_y(self) -> Optional[np.ndarray]:
        """Electrochemistry sample times on the current y axis; NaN outside the map's rows.

        The rows reach half a scan spacing beyond the first and last mid-exposure times; in
        scan-index mode times map piecewise-linearly onto indices through the mid-exposure times.
        """
        t_s = self.echem_time_on_series_clock_s()
        if t_s is None:
            return None
        mid = self.scan_mid_time_s()
        half_first = 0.5 * (mid[1] - mid[0]) if mid.size > 1 and mid[1] > mid[0] else 0.5
        half_last = 0.5 * (mid[-1] - mid[-2]) if mid.size > 1 and mid[-1] > mid[-2] else 0.5
        knots_s = np.concatenate([[mid[0] - half_first], mid, [mid[-1] + half_last]])
        if self.y_axis == "time_h":
            y = t_s / 3600.0
        else:
            index = np.concatenate([[-0.5], np.arange(mid.size, dtype=float), [mid.size - 0.5]])
            y = np.interp(t_s, knots_s, index)
        return np.where((t_s >= knots_s[0]) & (t_s <= knots_s[-1]), y, np.nan)

    # -- Na content x instead of voltage -------------------------------------------------
    def set_sodium(self, params: Optional[SodiumParameters]) -> None:
        """Set (or clear) the Faraday's-law inputs; re-draws whatever shows the echem record."""
        self.sodium = params
        self.echem_changed.emit(self.echem)

    def set_echem_quantity(self, quantity: str) -> None:
        """Show ``"voltage"`` or Na content ``"x"`` (x needs :meth:`set_sodium` first)."""
        self._set_display("echem_quantity", quantity, ECHEM_QUANTITIES)

    def sodium_content(self) -> Optional[np.ndarray]:
        """(n_echem,) Na content x at each echem point, or None (no parameters, or no current/capacity)."""
        if self.echem is None or self.sodium is None:
            return None
        echem, params, x = self._sodium_cache
        if echem is not self.echem or params != self.sodium:
            try:
                x = ec.sodium_content(self.echem, **asdict(self.sodium))
            except InputError:
                x = None
            self._sodium_cache = (self.echem, self.sodium, x)
        return x

    def sodium_at_scans(self) -> Optional[np.ndarray]:
        """(n_scans,) Na content x at each scan's mid-exposure (NaN outside the record), or None."""
        if self.series is None or self.sodium_content() is None:
            return None
        return ec.sodium_at_scans(self.echem, self.series, clock_offset_s=self.clock_offset_s, **asdict(self.sodium))

    def shown_echem_quantity(self) -> str:
        """The quantity the voltage panel shows: "x" only when asked for and computable."""
        return "x" if self.echem_quantity == "x" and self.sodium_content() is not None else "voltage"

    def echem_values(self) -> Optional[np.ndarray]:
        """(n_echem,) the shown quantity at every echem point (V or x), or None."""
        if self.echem is None:
            return None
        if self.shown_echem_quantity() == "x":
            return self.sodium_content()
        return np.asarray(self.echem.voltage_V, dtype=float)

    def echem_values_at_scans(self) -> Optional[np.ndarray]:
        """(n_scans,) the shown quantity at each scan (V or x), or None."""
        return self.sodium_at_scans() if self.shown_echem_quantity() == "x" else self.voltage_at_scans()

    # -- peak fits of the open series ------------------------------------------------------------
    def set_fit_result(self, result) -> None:
        """Store (or clear, with None) the series' peak-fit result; views draw fits from it."""
        self.fit_result = result
        self.fit_result_changed.emit(result)

    # -- whole analysis of the open series (phases, transitions) -----------------------------------
    def set_analysis_result(self, result) -> None:
        """Store (or clear, with None) the series' :class:`analysis.pipeline.AnalysisResult`."""
        self.analysis_result = result
        self.analysis_changed.emit(result)

    # -- background-subtracted map (a display array derived from the series) --------------------
    def set_background(self, series: ScanSeries, background: Optional[np.ndarray], label: str = "") -> None:
        """Backgrounds (n_scans, n_points) of ``series``; ignored unless it is still the open series."""
        if series is not self.series:
            return
        self.background, self.background_label, self._background_of = background, label, series
        self._subtracted = None if background is None else series.intensity - background
        self.background_changed.emit()

    def set_subtract_background(self, on: bool) -> None:
        if bool(on) != self.subtract_background:
            self.subtract_background = bool(on)
            self.background_changed.emit()

    def has_background(self) -> bool:
        """True when backgrounds of the open series are at hand."""
        return self.series is not None and self.background is not None and self._background_of is self.series

    def showing_subtracted(self) -> bool:
        return self.subtract_background and self.has_background()

    def map_intensity(self) -> Optional[np.ndarray]:
        """(n_scans, n_points) what the map shows: the raw intensity, or raw − background."""
        if self.series is None:
            return None
        return self._subtracted if self.showing_subtracted() else self.series.intensity
