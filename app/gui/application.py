"""Start-up: the QApplication, global pyqtgraph options, the main window and the event loop."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from PySide6.QtWidgets import QApplication

from .main_window import MainWindow
from .theme import apply_theme, configure_pyqtgraph


def run_gui(paths: Sequence[str] = (), echem: Optional[str] = None) -> int:
    """Open the window on ``paths`` (a file, a folder or several files) and optional
    electrochemistry, run the event loop and return its exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("operando-xrd")
    app.setApplicationName("operando-xrd")
    configure_pyqtgraph()
    apply_theme(app)
    window = MainWindow()
    if paths:
        window.open_paths(list(paths), echem)
    elif echem:
        window.open_echem(echem)
    window.show()
    return app.exec()
