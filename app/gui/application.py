"""Start-up: the QApplication, global pyqtgraph options, the main window and the event loop."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from PySide6.QtWidgets import QApplication

from .error_dialog import show_error
from .main_window import MainWindow
from .theme import apply_theme, configure_pyqtgraph


def install_exception_dialog(window):
    """Unexpected errors in the GUI thread go to an error dialog (and stderr), not only to a terminal
    the user may not see; the session stays as it was. Returns the previous hook to restore."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb) -> None:
        previous(exc_type, exc, tb)
        if issubclass(exc_type, Exception):
            show_error(window, f"Unexpected {exc_type.__name__}: {exc}\n\nThe data and settings you had are "
                               "unchanged; details were printed to the terminal.", title="Something went wrong")

    sys.excepthook = hook
    return previous


def run_gui(paths: Sequence[str] = (), echem: Optional[str] = None) -> int:
    """Open the window on ``paths`` (a file, a folder or several files) and optional
    electrochemistry, run the event loop and return its exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("operando-xrd")
    app.setApplicationName("operando-xrd")
    configure_pyqtgraph()
    apply_theme(app)
    window = MainWindow()
    previous_hook = install_exception_dialog(window)
    if paths:
        window.open_paths(list(paths), echem)
    elif echem:
        window.open_echem(echem)
    window.show()
    try:
        return app.exec()
    finally:
        sys.excepthook = previous_hook
