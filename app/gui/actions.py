"""Menu and toolbar actions made one way: text, optional shortcut, a named slot."""

from __future__ import annotations

from typing import Callable, Optional, Union

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

Shortcut = Optional[Union[str, QKeySequence.StandardKey]]


def make_action(parent: QObject, text: str, shortcut: Shortcut, slot: Callable) -> QAction:
    """A QAction owned by ``parent`` whose ``triggered`` runs ``slot`` (no shortcut when None)."""
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    return action
