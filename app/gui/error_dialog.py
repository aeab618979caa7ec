"""How failures reach the user: one modal box naming the file and the problem, never a traceback."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from analysis.errors import InputError

_log = logging.getLogger(__name__)


def describe_failure(exc: BaseException, what: str) -> str:
    """A message for the user: the file and the problem for bad input, the error's own words
    (plus a pointer to the log) for anything unexpected."""
    if isinstance(exc, InputError):
        if exc.path:
            return f"Could not open {exc.path}\n\n{exc.problem}"
        return f"Could not open {what}\n\n{exc.problem}"
    _log.error("unexpected failure while loading %s", what, exc_info=exc)
    return f"Could not open {what}\n\nUnexpected {type(exc).__name__}: {exc}\n(details were written to the log)"


def show_error(parent: QWidget | None, message: str, title: str = "Could not open file") -> None:
    """Show ``message`` in a critical message box (tests patch ``QMessageBox.critical``)."""
    QMessageBox.critical(parent, title, message)
