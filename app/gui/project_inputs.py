"""Finding a project's inputs on reopening: ask for a missing one, warn about changed ones."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from analysis import project as pj
from analysis.cancel import CancelToken, ProgressFn
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


def fingerprint(path: str) -> tuple:
    """Names, sizes and modification times below ``path`` (cheap: no file is read)."""
    if os.path.isfile(path):
        st = os.stat(path)
        return ((os.path.basename(path), st.st_size, st.st_mtime_ns),)
    rows = []
    for folder, _dirs, files in os.walk(path):
        for name in files:
            st = os.stat(os.path.join(folder, name))
            rows.append((os.path.relpath(os.path.join(folder, name), path), st.st_size, st.st_mtime_ns))
    return tuple(sorted(rows))



def checksum_inputs(paths: list[str], progress: ProgressFn, cancel: CancelToken) -> dict:
    """{(path, fingerprint): (sha256, size_bytes)} for every path (a job's work function)."""
    sums = {}
    for i, path in enumerate(paths):
        cancel.raise_if_cancelled()
        sums[(path, fingerprint(path))] = pj.input_checksum(path)
        progress(i + 1, len(paths))
    return sums
