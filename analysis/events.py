"""Events on a series: automatic (detected) and manual (labelled by hand) share one model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Optional

SOURCES = ("auto", "manual", "edited")


@dataclass(frozen=True)
class Event:
    """A change in the series, spanning scans ``scan`` .. ``end_scan`` (0-based, inclusive).

    from_phases / to_phases: regime names such as ``"P2/O3"`` (empty for a plain note)
    kind:       ``"two-phase"``, ``"solid-solution"``, ``"appearance"``, ``"note"``, ...
    source:     ``"auto"`` (detected), ``"manual"`` (added by hand) or ``"edited"`` (auto, then changed)
    confidence: 0..1 for detected events, None for manual ones
    """

    scan: int
    end_scan: int
    label: str = ""
    from_phases: str = ""
    to_phases: str = ""
    kind: str = "note"
    source: str = "manual"
    note: str = ""
    confidence: Optional[float] = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"event source must be one of {SOURCES}, not {self.source!r}")
        if self.end_scan < self.scan:
            raise ValueError(f"event ends (scan {self.end_scan}) before it starts (scan {self.scan})")

    @property
    def display_label(self) -> str:
        if self.label:
            return self.label
        if self.from_phases or self.to_phases:
            return f"{self.from_phases} → {self.to_phases}"
        return f"scan {self.scan}"

    def edited(self, **changes) -> "Event":
        """A copy with ``changes``; an automatic event becomes ``"edited"``."""
        source = "edited" if self.source == "auto" else self.source
        return replace(self, source=changes.pop("source", source), **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Event":
        fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**fields)
