"""Named figure styles saved as JSON in the user's config directory and reused across sessions."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Optional

from .presets import FigureStyle, builtin_presets

CONFIG_ENV = "OPERANDO_XRD_CONFIG"
STORE_FILE = "figure_styles.json"


def config_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The config directory: ``explicit``, else ``$OPERANDO_XRD_CONFIG``, else the platform default."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "operando-xrd"


class StyleStore:
    """User presets in ``<config_dir>/figure_styles.json`` ({name: style dict}).

    Built-in journal presets are always available and cannot be overwritten or deleted;
    a user preset of the same name is refused so a name always means one thing.
    """

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.path = config_dir(directory) / STORE_FILE

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{self.path}: cannot read figure styles ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{self.path}: figure styles must be a JSON object")
        return data

    def _write(self, data: dict[str, dict]) -> None:
        # temp file in the same directory + os.replace: a crash never leaves a half-written store
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".figure_styles.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, sort_keys=True, ensure_ascii=False)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def names(self) -> list[str]:
        """Built-in preset names first, then the user's, each group sorted."""
        builtin = sorted(builtin_presets())
        return builtin + sorted(n for n in self._read() if n not in builtin)

    def get(self, name: str) -> FigureStyle:
        """The style called ``name`` (built-in or saved); KeyError when there is none."""
        builtin = builtin_presets()
        if name in builtin:
            return builtin[name]
        data = self._read()
        if name not in data:
            raise KeyError(f"no figure style called {name!r}; known: {', '.join(self.names())}")
        return FigureStyle.from_dict({**data[name], "name": name})

    def save(self, style: FigureStyle, name: Optional[str] = None) -> FigureStyle:
        """Save ``style`` under ``name`` (default: its own name); returns the stored style."""
        name = name or style.name
        if name in builtin_presets():
            raise ValueError(f"{name!r} is a built-in preset; save under another name")
        stored = style.with_changes(name=name)
        data = self._read()
        data[name] = stored.to_dict()
        self._write(data)
        return stored

    def delete(self, name: str) -> None:
        data = self._read()
        if name not in data:
            raise KeyError(f"no saved figure style called {name!r}")
        del data[name]
        self._write(data)
