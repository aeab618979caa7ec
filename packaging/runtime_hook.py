"""PyInstaller runtime hook: point the app at the bundled phase library and sample data."""

import os
import sys

_base = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
os.environ.setdefault("OPERANDO_XRD_RESOURCES", os.path.join(_base, "resources"))
os.environ.setdefault("OPERANDO_XRD_SAMPLE_DATA", os.path.join(_base, "sample_data"))
