"""Figure styles: one frozen dataclass of choices, and built-in journal column presets.

Journal sizes (from the journals' author guidelines, see ``/work/shared/ecosystem.md``):
RSC 8.3 / 17.1 cm, ACS 3.25 / 7 in, Elsevier 90 / 190 mm; 7 pt sans-serif text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Optional

CM_PER_IN = 2.54
SCALINGS = ("linear", "sqrt", "log")
Y_AXES = ("time", "scan")
PANELS = ("voltage", "x", None)


@dataclass(frozen=True)
class FigureStyle:
    """Every choice that shapes an exported figure; sizes in cm, fonts in points.

    windows:       2θ ranges ``((lo_deg, hi_deg), ...)`` drawn side by side; empty = whole axis
    scaling:       intensity scaling for the colour map, one of :data:`SCALINGS`
    y_axis:        ``"time"`` (hours) or ``"scan"`` (index) on the shared vertical axis
    panel:         side panel next to the map: ``"voltage"``, ``"x"`` (Na content) or None
    clip_percentiles: colour limits as percentiles of the scaled intensity in the windows
    """

    name: str = "rsc-single"
    width_cm: float = 8.3
    height_cm: float = 7.5
    dpi: int = 600
    font_family: str = "Arial"
    font_size_pt: float = 7.0
    cmap: str = "viridis"
    scaling: str = "sqrt"
    y_axis: str = "time"
    windows: tuple[tuple[float, float], ...] = ()
    show_colorbar: bool = True
    show_events: bool = True
    show_ticks: bool = True
    panel: Optional[str] = "voltage"
    clip_percentiles: tuple[float, float] = (0.5, 99.8)
    line_width_pt: float = 0.75
    panel_width_cm: float = 1.6

    def __post_init__(self) -> None:
        windows = tuple((float(lo), float(hi)) for lo, hi in self.windows)
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "clip_percentiles", tuple(float(p) for p in self.clip_percentiles))
        if self.scaling not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, not {self.scaling!r}")
        if self.y_axis not in Y_AXES:
            raise ValueError(f"y_axis must be one of {Y_AXES}, not {self.y_axis!r}")
        if self.panel not in PANELS:
            raise ValueError(f"panel must be one of {PANELS}, not {self.panel!r}")
        if not (self.width_cm > 0 and self.height_cm > 0 and self.dpi > 0 and self.font_size_pt > 0):
            raise ValueError("width, height, dpi and font size must be positive")
        for lo, hi in windows:
            if not hi > lo:
                raise ValueError(f"window ({lo}, {hi}) must have hi > lo")

    @property
    def size_in(self) -> tuple[float, float]:
        """(width, height) in inches, as matplotlib wants them."""
        return self.width_cm / CM_PER_IN, self.height_cm / CM_PER_IN

    def with_changes(self, **changes) -> "FigureStyle":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["windows"] = [list(w) for w in self.windows]
        d["clip_percentiles"] = list(self.clip_percentiles)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FigureStyle":
        """Inverse of :meth:`to_dict`; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        if "windows" in kwargs:
            kwargs["windows"] = tuple(tuple(w) for w in kwargs["windows"])
        if "clip_percentiles" in kwargs:
            kwargs["clip_percentiles"] = tuple(kwargs["clip_percentiles"])
        return cls(**kwargs)


def _journal(name: str, width_cm: float, height_cm: float, dpi: int) -> FigureStyle:
    return FigureStyle(name=name, width_cm=width_cm, height_cm=height_cm, dpi=dpi)


def builtin_presets() -> dict[str, FigureStyle]:
    """The journal column presets by name (a fresh dict each call; there is no module state)."""
    presets = [
        _journal("rsc-single", 8.3, 7.5, 600),
        _journal("rsc-double", 17.1, 9.0, 600),
        _journal("acs-single", 3.25 * CM_PER_IN, 7.5, 600),
        _journal("acs-double", 7.0 * CM_PER_IN, 9.0, 600),
        _journal("elsevier-single", 9.0, 8.0, 500),
        _journal("elsevier-double", 19.0, 9.5, 500),
    ]
    return {p.name: p for p in presets}
