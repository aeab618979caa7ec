"""Fitting windows: which 2θ range, which peaks, which model, and per-parameter constraints.

Parameter names inside a window (also the lmfit names):

* ``p{i}_center``, ``p{i}_fwhm``, ``p{i}_area`` and the shape names of the model
  (``p{i}_eta``, ``p{i}_m``, ``p{i}_asym``) for peak ``i`` (0-based);
* ``ka2_ratio`` when the Cu Kα2 companion is on;
* ``bg0``, ``bg1``, ``bg2`` for the local background ``bg0 + bg1*t + bg2*t**2`` with
  ``t = 2θ - (lo + hi)/2`` in degrees.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Optional

from .axis import CU_KA1_A, CU_KA2_A
from .peak_models import MODELS, SHAPE_PARAMS

CONSTRAINT_KINDS = ("bounded", "fixed", "tied")


@dataclass(frozen=True)
class Constraint:
    """A constraint on one window parameter.

    kind "bounded": ``min <= value <= max`` (either side may be infinite);
    kind "fixed":   held at ``value``;
    kind "tied":    ``expr`` is an lmfit expression of other parameters of the same window, e.g.
                    ``"p0_fwhm"`` (shared FWHM) or ``"p0_center + 0.35"``. Expressions of the form
                    ``a*name + b`` run on the fast engine; anything else runs through lmfit.
    """

    kind: str
    value: Optional[float] = None
    min: float = -math.inf
    max: float = math.inf
    expr: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CONSTRAINT_KINDS:
            raise ValueError(f"constraint kind must be one of {CONSTRAINT_KINDS}, not {self.kind!r}")
        if self.kind == "fixed" and self.value is None:
            raise ValueError("a fixed constraint needs a value")
        if self.kind == "tied" and not self.expr.strip():
            raise ValueError("a tied constraint needs an expression")
        if self.kind == "bounded" and not self.min < self.max:
            raise ValueError(f"bounds must satisfy min < max, got {self.min}, {self.max}")


def bounded(lo: float = -math.inf, hi: float = math.inf) -> Constraint:
    return Constraint("bounded", min=float(lo), max=float(hi))


def fixed(value: float) -> Constraint:
    return Constraint("fixed", value=float(value))


def tied(expr: str) -> Constraint:
    return Constraint("tied", expr=expr)


@dataclass(frozen=True)
class Kalpha2:
    """The Cu Kα2 companion: same FWHM and shape, area ``ratio`` × the Kα1 area."""

    enabled: bool = False
    ratio: float = 0.5
    ratio_free: bool = False
    wavelength1_A: float = CU_KA1_A
    wavelength2_A: float = CU_KA2_A

    @property
    def wavelength_ratio(self) -> float:
        return self.wavelength2_A / self.wavelength1_A


@dataclass(frozen=True)
class FitWindow:
    """One fitting window.

    lo_deg, hi_deg:    the 2θ range in degrees
    peaks:             initial Kα1 centers in degrees, one per peak; ``None`` entries are found
                       automatically (see :func:`analysis.peak_finding.find_window_peaks`)
    model:             one of :data:`analysis.peak_models.MODELS`
    background_order:  0, 1 or 2 (local polynomial inside the window)
    ka2:               the Kα2 companion settings
    constraints:       ``((param_name, Constraint), ...)``
    max_shift_deg:     how far a center may move from its seed in one scan (default: a quarter
                       of the window width)
    name, peak_labels: for tables and plots (e.g. ``"O3 (003)"``)
    """

    lo_deg: float
    hi_deg: float
    peaks: tuple[Optional[float], ...] = (None,)
    model: str = "pseudo_voigt"
    background_order: int = 1
    ka2: Kalpha2 = field(default_factory=Kalpha2)
    constraints: tuple[tuple[str, Constraint], ...] = ()
    max_shift_deg: Optional[float] = None
    name: str = ""
    peak_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "peaks", tuple(None if p is None else float(p) for p in self.peaks))
        object.__setattr__(self, "constraints", tuple((str(k), c) for k, c in self.constraints))
        object.__setattr__(self, "peak_labels", tuple(self.peak_labels))
        if not self.hi_deg > self.lo_deg:
            raise ValueError(f"window needs lo < hi, got {self.lo_deg}, {self.hi_deg}")
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, not {self.model!r}")
        if self.background_order not in (0, 1, 2):
            raise ValueError("background_order must be 0, 1 or 2")
        if not self.peaks:
            raise ValueError("a window needs at least one peak")
        unknown = {k for k, _ in self.constraints} - set(self.param_names)
        if unknown:
            raise ValueError(f"constraints on unknown parameters {sorted(unknown)}")

    @classmethod
    def with_n_peaks(cls, lo_deg: float, hi_deg: float, n_peaks: int, **kw) -> "FitWindow":
        """A window whose ``n_peaks`` initial positions are found automatically."""
        return cls(lo_deg, hi_deg, peaks=(None,) * int(n_peaks), **kw)

    @property
    def n_peaks(self) -> int:
        return len(self.peaks)

    @property
    def label(self) -> str:
        return self.name or f"{self.lo_deg:g}-{self.hi_deg:g}"

    @property
    def mid_deg(self) -> float:
        return 0.5 * (self.lo_deg + self.hi_deg)

    @property
    def shift_deg(self) -> float:
        return self.max_shift_deg if self.max_shift_deg is not None else 0.25 * (self.hi_deg - self.lo_deg)

    def peak_param_names(self, i: int) -> tuple[str, ...]:
        base = ("center", "fwhm", "area") + SHAPE_PARAMS[self.model]
        return tuple(f"p{i}_{b}" for b in base)

    @property
    def param_names(self) -> tuple[str, ...]:
        names: list[str] = []
        for i in range(self.n_peaks):
            names.extend(self.peak_param_names(i))
        if self.ka2.enabled:
            names.append("ka2_ratio")
        names.extend(f"bg{k}" for k in range(self.background_order + 1))
        return tuple(names)

    @property
    def constraint_map(self) -> dict[str, Constraint]:
        return dict(self.constraints)

    def with_constraint(self, name: str, constraint: Constraint) -> "FitWindow":
        kept = tuple((k, c) for k, c in self.constraints if k != name)
        return replace(self, constraints=kept + ((name, constraint),))

    def with_shared_fwhm(self) -> "FitWindow":
        """All peaks of the window share peak 0's FWHM (an lmfit expression tie)."""
        w = self
        for i in range(1, self.n_peaks):
            w = w.with_constraint(f"p{i}_fwhm", tied("p0_fwhm"))
        return w

    def to_dict(self) -> dict:
        d = asdict(self)
        d["constraints"] = [[k, asdict(c)] for k, c in self.constraints]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FitWindow":
        d = dict(d)
        d["peaks"] = tuple(d.get("peaks", (None,)))
        d["ka2"] = Kalpha2(**d.get("ka2", {}))
        d["constraints"] = tuple((k, Constraint(**c)) for k, c in d.get("constraints", ()))
        d["peak_labels"] = tuple(d.get("peak_labels", ()))
        return cls(**d)


def windows_to_json(windows) -> str:
    """JSON text for a tuple of windows (infinite bounds are written as ``Infinity``)."""
    return json.dumps([w.to_dict() for w in windows])


def windows_from_json(text: str) -> tuple[FitWindow, ...]:
    return tuple(FitWindow.from_dict(d) for d in json.loads(text))
