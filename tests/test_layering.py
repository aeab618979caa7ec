"""The numeric core stays headless: no module of analysis/ may import Qt, pyqtgraph, matplotlib or app."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import analysis

BLOCKER = """
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        root = name.split('.')[0]
        if root in ('PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'matplotlib', 'app'):
            raise ImportError('analysis must not import ' + name)
sys.meta_path.insert(0, Block())
for mod in sys.argv[1:]:
    importlib.import_module(mod)
print('ok', len(sys.argv) - 1)
"""


def test_every_analysis_module_imports_without_qt():
    root = Path(analysis.__file__).parent
    modules = ["analysis"] + [m.name for m in pkgutil.walk_packages([str(root)], "analysis.")
                              if not m.name.rsplit(".", 1)[-1].startswith("_")]
    assert len(modules) >= 5  # the core has at least series, axis, errors, cancel, events
    out = subprocess.run([sys.executable, "-c", BLOCKER, *modules], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"ok {len(modules)}"
