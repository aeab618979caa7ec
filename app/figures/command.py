"""One call that does what ``operando-xrd figure`` asks: pick a style, render, save."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from analysis.events import Event
from analysis.series import ScanSeries

from .contour_figure import render_contour_figure, render_contour_with_parameters
from .panels import ParameterInput, TraceInput
from .presets import FigureStyle
from .saving import figure_format, save_figure
from .stacked_figure import render_stacked_figure
from .style_store import StyleStore

DEFAULT_PRESET = "rsc-single"
LAYOUTS = ("side", "stacked")


def parse_window(text: str) -> tuple[float, float]:
    """``"15:17.5"`` → (15.0, 17.5); ValueError with the offending text otherwise."""
    parts = text.split(":")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"window {text!r}: expected LO:HI in degrees, e.g. 15:17.5") from None
    if not hi > lo:
        raise ValueError(f"window {text!r}: HI must be larger than LO")
    return lo, hi


def resolve_style(preset: Optional[str] = None, *, config_dir: str | os.PathLike | None = None,
                  windows: Sequence[tuple[float, float] | str] = (), overrides: Optional[Mapping] = None
                  ) -> FigureStyle:
    """A built-in or saved preset (default ``rsc-single``) with windows and any field overrides."""
    style = StyleStore(config_dir).get(preset or DEFAULT_PRESET)
    changes = dict(overrides or {})
    if windows:
        changes["windows"] = tuple(parse_window(w) if isinstance(w, str) else tuple(w) for w in windows)
    return style.with_changes(**changes) if changes else style


def echem_on_series_clock(echem, series: ScanSeries, *, clock_offset_s: float = 0.0
                          ) -> tuple[np.ndarray, np.ndarray]:
    """An echem record (``time_s``, ``voltage_V``, ``start_epoch_s``, e.g. :class:`analysis.echem.EchemData`)
    as ``(time_h, voltage_V)`` on the series clock (0 h = first scan starts), for the voltage panel.

    The inverse of :func:`analysis.echem.scan_times_on_echem_clock`: absolute start times when
    both records have them, else both records start together; ``clock_offset_s`` is added to
    the echem clock.
    """
    t_echem_s = np.asarray(echem.time_s, dtype=float)
    if series.start_epoch_s is not None and echem.start_epoch_s is not None:
        t_series_s = t_echem_s + (echem.start_epoch_s + clock_offset_s) - series.start_epoch_s
    else:
        t_series_s = t_echem_s + clock_offset_s
    return t_series_s / 3600.0, np.asarray(echem.voltage_V, dtype=float)


def figure_from_args(series: ScanSeries, out_path: str | os.PathLike, *, preset: Optional[str] = None,
                     windows: Sequence[tuple[float, float] | str] = (), voltage: Optional[TraceInput] = None,
                     na_x: Optional[TraceInput] = None, events: Sequence[Event] = (),
                     ticks: Sequence[tuple[str, np.ndarray]] = (),
                     parameters: Optional[Mapping[str, ParameterInput]] = None, layout: str = "side",
                     dpi: Optional[float] = None, config_dir: str | os.PathLike | None = None,
                     overrides: Optional[Mapping] = None) -> Path:
    """Render the contour figure of ``series`` and save it to ``out_path`` (format from extension).

    preset:   built-in (``rsc-single``, ``acs-double``, ...) or saved style name
    windows:  2θ windows as ``(lo, hi)`` or ``"lo:hi"`` strings
    voltage:  per-scan (n_scans,) or ``(time_h, voltage_V)`` record; na_x likewise
    parameters: per-scan ``{name: values or (values, errors)}`` drawn as extra panels
    layout:   ``"side"`` (time up, panels right of the map) or ``"stacked"`` (time left to
              right, panels under the map)
    overrides: FigureStyle fields to change, e.g. ``{"scaling": "log", "y_axis": "scan"}``
    dpi:      defaults to the style's dpi
    Raises ValueError (bad window, extension, style field) and KeyError (unknown preset).
    """
    figure_format(out_path)  # fail on a bad extension before rendering
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    style = resolve_style(preset, config_dir=config_dir, windows=windows, overrides=overrides)
    if layout == "stacked":
        fig = render_stacked_figure(series, style, parameters, voltage=voltage, na_x=na_x, events=events,
                                    ticks=ticks)
    elif parameters:
        fig = render_contour_with_parameters(series, style, parameters, voltage=voltage, na_x=na_x,
                                             events=events, ticks=ticks)
    else:
        fig = render_contour_figure(series, style, voltage=voltage, na_x=na_x, events=events, ticks=ticks)
    return save_figure(fig, out_path, dpi=dpi or style.dpi)
