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
