"""One dark look for the whole window, chosen for long nights at a beamline.

Plots keep pyqtgraph's dark background; Qt widgets get a matching Fusion dark palette so the
window does not glare around the plots. Pens and fixed sizes live here so views agree.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

PLOT_BACKGROUND = "#141414"
CURSOR_COLOR = "#ff5a5a"
PATTERN_COLOR = "#e8e8e8"
VOLTAGE_COLOR = "#4fc3f7"
BACKGROUND_COLOR = "#ffb74d"
LEFT_AXIS_WIDTH_PX = 62
"""Map and pattern plot share this left-axis width, so their 2θ axes line up pixel for pixel."""
LUT_WIDTH_PX = 118
"""Width of the levels histogram beside the map; the pattern plot leaves the same margin."""


def apply_theme(app: QApplication) -> None:
    """Fusion style with a dark palette (call once, before the main window is built)."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#232323", QPalette.ColorRole.WindowText: "#dcdcdc",
        QPalette.ColorRole.Base: "#1a1a1a", QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.ToolTipBase: "#2d2d2d", QPalette.ColorRole.ToolTipText: "#dcdcdc",
        QPalette.ColorRole.Text: "#dcdcdc", QPalette.ColorRole.Button: "#2d2d2d",
        QPalette.ColorRole.ButtonText: "#dcdcdc", QPalette.ColorRole.BrightText: "#ff5a5a",
        QPalette.ColorRole.Highlight: "#2f6ea5", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#4fc3f7", QPalette.ColorRole.PlaceholderText: "#8a8a8a",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6e6e6e"))
    app.setPalette(palette)


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options; call once at start-up."""
    pg.setConfigOptions(imageAxisOrder="row-major")
