"""Per-scan or continuous curves drawn beside the map (voltage, Na content, fitted parameters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence[float]]
TraceInput = Union[ArrayLike, tuple[ArrayLike, ArrayLike]]
"""Either per-scan values, shape (n_scans,), or a continuous record ``(time_h, values)``."""

ParameterInput = Union[ArrayLike, tuple[ArrayLike, Optional[ArrayLike]]]
"""Per-scan values, shape (n_scans,), or ``(values, errors)`` with errors None or (n_scans,)."""

_UNIT_SUFFIXES = (
    ("_A3", "Å³"), ("_A", "Å"), ("_nm", "nm"), ("_deg", "°"), ("_pct", "%"),
    ("_V", "V"), ("_h", "h"), ("_s", "s"),
)


@dataclass(frozen=True)
class SidePanel:
    """One curve against time: ``values`` at ``time_h`` (hours since the first scan started).

    errors: (n,) standard uncertainties drawn as error bars, or None
    markers: draw points (fitted per-scan values) rather than a line (measured record)
    """

    label: str
    time_h: np.ndarray
    values: np.ndarray
    errors: Optional[np.ndarray] = None
    markers: bool = False

    def __post_init__(self) -> None:
        for name in ("time_h", "values", "errors"):
            a = getattr(self, name)
            if a is not None:
                object.__setattr__(self, name, np.asarray(a, dtype=float))
        if self.values.shape != self.time_h.shape or (
                self.errors is not None and self.errors.shape != self.values.shape):
            raise ValueError(f"panel {self.label!r}: time, values and errors must have one shape")


def trace_panel(label: str, trace: TraceInput, scan_time_h: np.ndarray) -> SidePanel:
    """A line panel from per-scan values or from a ``(time_h, values)`` record."""
    if isinstance(trace, tuple) and len(trace) == 2:
        time_h, values = (np.asarray(a, dtype=float) for a in trace)
        return SidePanel(label, time_h, values)
    values = np.asarray(trace, dtype=float)
    if values.shape != scan_time_h.shape:
        raise ValueError(f"{label}: {values.shape[0] if values.ndim else 1} values for "
                         f"{scan_time_h.size} scans; give one per scan or a (time_h, values) pair")
    return SidePanel(label, scan_time_h, values)


def split_parameter(name: str, value: ParameterInput, n_scans: int) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """``(values, errors)`` from either form of :data:`ParameterInput`, checked against n_scans."""
    if isinstance(value, tuple) and len(value) == 2:
        values = np.asarray(value[0], dtype=float)
        errors = None if value[1] is None else np.asarray(value[1], dtype=float)
    else:
        values, errors = np.asarray(value, dtype=float), None
    if values.shape != (n_scans,) or (errors is not None and errors.shape != (n_scans,)):
        raise ValueError(f"parameter {name!r}: expected {n_scans} values (and errors)")
    return values, errors


def parameter_label(name: str, labels: Optional[Mapping[str, str]] = None) -> str:
    """An axis label for a parameter name: ``labels[name]``, or ``c_A`` → ``c (Å)``."""
    if labels and name in labels:
        return labels[name]
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return f"{name[:-len(suffix)].replace('_', ' ')} ({unit})"
    return name.replace("_", " ")


def parameter_panels(parameters: Mapping[str, ParameterInput], scan_time_h: np.ndarray,
                     labels: Optional[Mapping[str, str]] = None) -> list[SidePanel]:
    """One marker panel per named per-scan parameter, in the mapping's order."""
    panels = []
    for name, value in parameters.items():
        values, errors = split_parameter(name, value, scan_time_h.size)
        panels.append(SidePanel(parameter_label(name, labels), scan_time_h, values, errors, markers=True))
    return panels
