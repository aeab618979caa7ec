"""The user's phase-library edits as project data: every phase that is not bundled or differs from
the bundled one, stored as phase JSON under the project setting ``library`` and laid over the
library again when the project is reopened (GUI) or re-run headless (``operando-xrd analyze``).

Settings value: ``{"phases": [phase dict, …]}`` (see :func:`analysis.phase_library.phase_to_dict`).
"""

from __future__ import annotations

from typing import Mapping, Optional

from .errors import InputError
from .phase_library import Phase, load_library, phase_from_dict, phase_to_dict

LIBRARY_KEY = "library"
"""The project settings key of the library edits."""


def edited_phases(library: Mapping[str, Phase], bundled: Optional[Mapping[str, Phase]] = None) -> list[Phase]:
    """Phases of ``library`` that the bundled library lacks or holds differently (in library order)."""
    bundled = load_library() if bundled is None else bundled
    return [phase for name, phase in library.items()
            if name not in bundled or phase_to_dict(bundled[name]) != phase_to_dict(phase)]


def library_settings(library: Mapping[str, Phase], bundled: Optional[Mapping[str, Phase]] = None) -> dict:
    """The project settings value of ``library``'s edits (JSON-compatible)."""
    return {"phases": [phase_to_dict(p) for p in edited_phases(library, bundled)]}


def phases_from_settings(value, source: str = "project") -> dict[str, Phase]:
    """The phases :func:`library_settings` saved, by name; InputError naming ``source`` when bad."""
    rows = value.get("phases", []) if isinstance(value, dict) else None
    if not isinstance(rows, list) or not all(isinstance(d, dict) for d in rows):
        raise InputError(source, f"the '{LIBRARY_KEY}' setting is not a list of phases")
    phases = [phase_from_dict(d, f"{source} ({LIBRARY_KEY} setting)") for d in rows]
    return {p.name: p for p in phases}
