"""The dialog's preview is drawn on a worker thread; the newest settings win, stale results are dropped."""

from __future__ import annotations

import threading

import numpy as np

from app.figures import FigureStyle
from app.figures.preview import render_preview_rgba
from app.gui import figure_dialog
from app.gui.figure_dialog import PREVIEW_JOB, RenderedPreview
from tests.app.test_figure_dialog import dialog  # noqa: F401 - the shared fixture
from tests.app.test_figures import operando_series


def _coloured_share(image) -> float:
    """Share of pixels that are not grey (R, G, B not all equal): the map's area when its colour map
    is coloured (about 0.4 here: the map is under half of the figure, white margins and the voltage
    panel are grey), only the phase ticks' few pixels (under 0.01) with the grey map."""
    ptr = image.constBits()
    rgba = np.frombuffer(ptr, dtype=np.uint8, count=image.sizeInBytes()).reshape(image.height(), -1)
    rgba = rgba[:, :4 * image.width()].reshape(image.height(), image.width(), 4)
    rgb = rgba[..., :3].astype(int)
    return float(np.mean((rgb[..., 0] != rgb[..., 1]) | (rgb[..., 1] != rgb[..., 2])))


def test_render_preview_rgba_has_the_asked_width_and_figure_aspect():
    series, volts = operando_series()
    style = FigureStyle(height_cm=6.0)
    rgba = render_preview_rgba(series, style, 400, voltage=volts)
    assert rgba.dtype == np.uint8 and rgba.shape[2] == 4
    # dpi = 400 px / figure width; Agg rounds the canvas to whole pixels (±1)
    assert abs(rgba.shape[1] - 400) <= 1
    assert abs(rgba.shape[0] - 400 * 6.0 / 8.3) <= 1


def test_preview_is_drawn_on_a_worker_thread(qtbot, dialog, monkeypatch):
    threads = []
    real = figure_dialog.render_preview_rgba

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(figure_dialog, "render_preview_rgba", recording)
    with qtbot.waitSignal(dialog.preview_rendered, timeout=10000):
        dialog.cmap.setCurrentText("magma")
    assert threads and threading.get_ident() not in threads


def test_rapid_changes_show_only_the_newest_preview(qtbot, dialog, monkeypatch):
    """The first render is held in the worker until the second request is made; the GUI thread
    stays free meanwhile (it takes the next edits), and only the second result is ever shown."""
    started, release = threading.Event(), threading.Event()
    waited = []
    real = figure_dialog.render_preview_rgba

    def held_when_grey(series, style, width_px, **kwargs):
        if style.cmap == "gray":
            started.set()
            waited.append(release.wait(10))   # False only if nobody released it: the GUI was blocked
        return real(series, style, width_px, **kwargs)

    monkeypatch.setattr(figure_dialog, "render_preview_rgba", held_when_grey)
    shown = []
    dialog.preview_rendered.connect(lambda: shown.append(dialog.preview_image()))
    dialog.cmap.setCurrentText("gray")
    dialog.height_cm.setValue(5.0)
    dialog.request_preview()                     # no debounce wait
    assert started.wait(10)                      # the grey render is running in the worker ...
    dialog.cmap.setCurrentText("magma")          # ... while the GUI thread takes new edits
    dialog.height_cm.setValue(9.0)
    dialog.request_preview()
    release.set()
    qtbot.waitUntil(lambda: not dialog.runner.is_busy(PREVIEW_JOB), timeout=20000)
    assert waited == [True]
    assert len(shown) == 1                       # the grey result was dropped, never shown
    image = shown[0]
    # rendered at the label's width; height follows the 9 x 8.3 cm figure (whole pixels: ±1 px per side)
    assert abs(image.height() / image.width() - 9.0 / 8.3) < 2.0 / image.width()
    # the map is magma, not the grey of the held request (thresholds: see _coloured_share)
    assert _coloured_share(image) > 0.2
    assert dialog.preview_image() == image


def test_grey_map_reference_for_the_colour_check(qtbot, dialog):
    """The colour check above can fail: with the grey map almost no pixel is coloured."""
    with qtbot.waitSignal(dialog.preview_rendered, timeout=10000):
        dialog.cmap.setCurrentText("gray")
    assert _coloured_share(dialog.preview_image()) < 0.05


def test_result_queued_before_a_newer_request_is_ignored(qtbot, dialog):
    """A result already on its way when a newer request is made (the job could not be cancelled
    any more) carries the old request number and is dropped."""
    before = dialog.preview_image()
    stale = RenderedPreview(request=0, rgba=np.full((10, 10, 4), 255, dtype=np.uint8))
    with qtbot.assertNotEmitted(dialog.preview_rendered, wait=100):
        dialog._on_preview_rendered(stale)
    assert dialog.preview_image() == before


def test_a_window_without_data_is_reported_from_the_worker(qtbot, dialog):
    dialog.windows.setText("60:70")              # parses, but the series ends at 50°
    qtbot.waitUntil(lambda: "holds no data" in dialog.message.text(), timeout=10000)
    dialog.windows.setText("14:18")
    qtbot.waitUntil(lambda: dialog.message.text() == "" or "installed" in dialog.message.text(), timeout=10000)


def test_closing_waits_for_the_render_in_progress(qtbot, dialog, monkeypatch):
    """No render may outlive the dialog (at exit it would run on in a thread Python is tearing down)."""
    started, release = threading.Event(), threading.Event()
    real = figure_dialog.render_preview_rgba

    def held(*args, **kwargs):
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(figure_dialog, "render_preview_rgba", held)
    dialog.request_preview()
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()
    dialog.close()
    assert release.is_set()                      # close() returned only after the render could end
    assert dialog.runner.wait_all(0)             # and nothing of the dialog's is left running
    assert not dialog.runner.is_busy(PREVIEW_JOB)
