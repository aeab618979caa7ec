"""Finding a project's inputs on reopening: ask for a missing one, warn about changed ones."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from analysis import project as pj
from analysis.errors import InputError


def ask(parent: QWidget, title: str, text: str) -> bool:
    """A Yes / No question (tests patch ``QMessageBox.question``)."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    return QMessageBox.question(parent, title, text, buttons) == QMessageBox.StandardButton.Yes


def locate_inputs(project: pj.Project, project_path: Path, parent: QWidget) -> list[tuple[str, str]]:
    """(role, path) of every input of ``project``.

    A missing input is asked for (InputError naming it when the user does not locate it);
    inputs whose checksum changed are listed in one warning, and the project still opens.
    """
    found, changed = [], []
    for check in pj.check_inputs(project, project_path):
        where = check.resolved_path
        if check.status == "missing":
            where = ask_for_missing(check.ref, parent)
            if pj.input_checksum(where)[0] != check.ref.sha256:
                changed.append(where)
        elif check.status == "changed":
            changed.append(where)
        found.append((check.ref.role, where))
    if changed:
        QMessageBox.warning(parent, "Inputs changed since the project was saved",
                            "These inputs differ from the ones the project was saved with "
                            "(their checksums changed):\n\n" + "\n".join(changed) +
                            "\n\nThe project opens with them as they are now; results and events "
                            "may no longer match the data.")
    return found


def ask_for_missing(ref: pj.InputRef, parent: QWidget) -> str:
    """Where the user says a missing input is now; InputError naming it when they do not say."""
    if not ask(parent, "Input not found", f"The project's {ref.role} input is missing:\n\n{ref.path}\n\nLocate it?"):
        raise InputError(ref.path, f"the project's {ref.role} input is missing")
    if ref.kind == "folder":
        where = QFileDialog.getExistingDirectory(parent, f"Locate {os.path.basename(ref.path)}")
    else:
        where, _ = QFileDialog.getOpenFileName(parent, f"Locate {os.path.basename(ref.path)}")
    if not where:
        raise InputError(ref.path, f"the project's {ref.role} input is missing")
    return where
