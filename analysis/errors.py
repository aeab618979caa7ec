"""The one error type that bad input raises, naming the file and the problem."""

from __future__ import annotations

import os


class InputError(ValueError):
    """Input that cannot be read as asked: the message names the file and the problem.

    ``path`` is the offending file or folder (may be empty when no file is involved);
    ``problem`` is a short human sentence such as ``"no numeric columns"``.
    """

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = os.fspath(path) if path is not None else ""
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


def read_failure(path, exc: OSError, what: str = "a file") -> InputError:
    """The InputError for an OS error met while reading ``path`` (``what`` names what was expected)."""
    if isinstance(exc, FileNotFoundError):
        return InputError(path, "no such file")
    if isinstance(exc, IsADirectoryError):
        return InputError(path, f"is a folder, not {what}")
    if isinstance(exc, PermissionError):
        return InputError(path, "permission denied")
    return InputError(path, f"cannot be read ({exc.strerror or exc})")
