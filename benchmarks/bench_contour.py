"""Time from "open this file" to the first contour map on screen, for a 2,000 × 5,000 stack.

Builds a synthetic series (drifting Gaussian peaks on a background, Poisson noise), writes it
as an NXdata HDF5 file with h5py, then in an offscreen QApplication opens it through the
window's real path (background load job → session → contour view) and processes events until
the map has been painted. Prints each stage; the target for the total is < 1 s.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_contour.py [n_scans n_points]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import h5py
import numpy as np


def synthetic_stack(n_scans: int, n_points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(two_theta_deg (n_points,), counts (n_scans, n_points) float32), vectorised per peak."""
    rng = np.random.default_rng(seed)
    x = np.linspace(10.0, 80.0, n_points)
    frac = np.linspace(0.0, 1.0, n_scans)[:, None]
    counts = np.full((n_scans, n_points), 200.0, dtype=np.float32)
    for center, height in zip(rng.uniform(12, 78, 25), rng.uniform(200, 3000, 25)):
        c = center - 0.3 * np.sin(np.pi * frac)
        counts += (height * np.exp(-0.5 * ((x[None, :] - c) / 0.05) ** 2)).astype(np.float32)
    return x, rng.poisson(counts).astype(np.float32)


def write_nxdata(path: str, x: np.ndarray, counts: np.ndarray) -> None:
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "entry"
        entry = f.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "I", "axes": [".", "two_theta"]})
        data.create_dataset("I", data=counts)
        data.create_dataset("two_theta", data=x).attrs["units"] = "deg"
        data.create_dataset("time", data=30.0 * np.arange(counts.shape[0])).attrs["units"] = "s"


def main(n_scans: int = 2000, n_points: int = 5000) -> float:
    from PySide6.QtCore import QEvent, QObject, QSettings
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.theme import apply_theme, configure_pyqtgraph

    tmp = tempfile.mkdtemp(prefix="bench_contour_")
    path = os.path.join(tmp, "stack.nxs")
    t = time.perf_counter()
    x, counts = synthetic_stack(n_scans, n_points)
    write_nxdata(path, x, counts)
    print(f"built and wrote {n_scans} × {n_points} stack ({os.path.getsize(path) / 1e6:.0f} MB) "
          f"in {time.perf_counter() - t:.2f} s (not counted)")

    app = QApplication.instance() or QApplication([])
    configure_pyqtgraph()
    apply_theme(app)
    window = MainWindow(settings=QSettings(os.path.join(tmp, "settings.ini"), QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    for _ in range(5):
        app.processEvents()

    class PaintWatch(QObject):
        """Notes the first paint of the map's viewport after the image arrived."""
        painted_at = None

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if (event.type() == QEvent.Type.Paint and self.painted_at is None
                    and window.contour_view.image_item.image is not None):
                self.painted_at = time.perf_counter()
            return False

    watch = PaintWatch()
    window.contour_view.viewport().installEventFilter(watch)
    stamps = {}
    # source_changed is emitted first in Session.set_series: the read is done, drawing not started
    window.session.source_changed.connect(lambda _l: stamps.setdefault("read", time.perf_counter()))
    window.loader.loaded.connect(lambda _r: stamps.setdefault("drawn", time.perf_counter()))
    t0 = time.perf_counter()
    window.open_paths([path])
    painted_end = None
    while painted_end is None and time.perf_counter() - t0 < 60:
        app.processEvents()   # returns after the paint event it delivered has been handled
        if watch.painted_at is not None:
            painted_end = time.perf_counter()
        time.sleep(0.001)
    if painted_end is None:
        raise SystemExit("the map was never painted")
    total = painted_end - t0
    print(f"file read into a ScanSeries (pool thread):    {stamps['read'] - t0:.3f} s")
    print(f"image scaled, levelled and set (GUI thread):  {stamps['drawn'] - stamps['read']:.3f} s")
    print(f"first contour painted (open → on screen):     {total:.3f} s  (target < 1 s)")
    image = window.contour_view.image_item.image
    print(f"image {image.shape} {image.dtype}, levels {window.contour_view.image_item.getLevels()}")
    t = time.perf_counter()
    window.session.set_scaling("log")
    app.processEvents()
    window.contour_view.viewport().repaint()
    print(f"switch to log scaling and repaint:            {time.perf_counter() - t:.3f} s")
    window.close()
    return total


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
