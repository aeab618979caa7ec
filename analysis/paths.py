"""Where the bundled resources and sample data live (the repository's top-level folders)."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    """The phase library and other data files; ``OPERANDO_XRD_RESOURCES`` overrides."""
    return Path(os.environ.get("OPERANDO_XRD_RESOURCES", _ROOT / "resources"))


def sample_data_dir() -> Path:
    """The bundled operando sample series; ``OPERANDO_XRD_SAMPLE_DATA`` overrides."""
    return Path(os.environ.get("OPERANDO_XRD_SAMPLE_DATA", _ROOT / "sample_data"))
