"""The figure export dialog: widgets edit the style, the preview follows, presets and export work."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.figures import StyleStore, builtin_presets
from app.gui.figure_dialog import FigureDialog
from tests.app.test_figures import EVENTS, TICKS, operando_series


@pytest.fixture
def dialog(qtbot, tmp_path):
    series, volts = operando_series()
    dlg = FigureDialog(series, volts, EVENTS, ticks=TICKS, config_dir=tmp_path)
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.preview_rendered, timeout=10000):
        pass
    return dlg


def test_starts_with_the_default_journal_preset(dialog):
    assert dialog.current_style() == builtin_presets()["rsc-single"]
    assert dialog.preset_box.currentText() == "rsc-single"
    assert "rsc-double" in [dialog.preset_box.itemText(i) for i in range(dialog.preset_box.count())]


def test_preview_has_the_figure_aspect_ratio(dialog):
    pixmap = dialog.preview_pixmap()
    # rendered at (label width / figure width) dpi; truncation to whole pixels: ±1 px per side
    assert abs(pixmap.height() / pixmap.width() - 7.5 / 8.3) < 2.0 / pixmap.width()


def test_editing_widgets_changes_style_and_rerenders(qtbot, dialog):
    with qtbot.waitSignal(dialog.preview_rendered, timeout=10000):
        dialog.scaling.setCurrentText("log")
        dialog.windows.setText("14:18, 41:45")
        dialog.height_cm.setValue(5.0)
    style = dialog.current_style()
    assert style.scaling == "log" and style.windows == ((14.0, 18.0), (41.0, 45.0)) and style.height_cm == 5.0
    pixmap = dialog.preview_pixmap()
    assert abs(pixmap.height() / pixmap.width() - 5.0 / 8.3) < 2.0 / pixmap.width()


def test_bad_window_text_is_reported_not_raised(qtbot, dialog):
    dialog.windows.setText("15-17")
    qtbot.waitUntil(lambda: "LO:HI" in dialog.message.text(), timeout=10000)
    with pytest.raises(ValueError):
        dialog.current_style()


def test_choosing_a_preset_loads_it(dialog):
    dialog.preset_box.setCurrentText("acs-double")
    assert dialog.width_cm.value() == pytest.approx(17.78)  # 7 in, shown to 0.01 cm
    assert dialog.current_style().name == "acs-double"


def test_save_preset_writes_the_store(qtbot, dialog, tmp_path, monkeypatch):
    from app.gui import figure_dialog
    dialog.cmap.setCurrentText("magma")
    monkeypatch.setattr(figure_dialog.QInputDialog, "getText", lambda *a, **k: ("my magma", True))
    dialog.save_preset_button.click()
    stored = StyleStore(tmp_path).get("my magma")
    assert stored.cmap == "magma" and stored.width_cm == 8.3
    assert dialog.preset_box.currentText() == "my magma"


def test_saving_over_a_builtin_preset_warns(dialog, tmp_path, monkeypatch):
    from app.gui import figure_dialog
    warnings = []
    monkeypatch.setattr(figure_dialog.QInputDialog, "getText", lambda *a, **k: ("rsc-single", True))
    monkeypatch.setattr(figure_dialog.QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    dialog.save_preset_button.click()
    assert warnings and "built-in" in warnings[0]
    assert not (tmp_path / "figure_styles.json").exists()


def test_export_writes_the_full_resolution_file(qtbot, dialog, tmp_path, monkeypatch):
    from app.gui import figure_dialog
    out = tmp_path / "fig.png"
    dialog.dpi.setValue(200)
    monkeypatch.setattr(figure_dialog.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with qtbot.waitSignal(dialog.exported, timeout=20000) as blocker:
        dialog.export_button.click()
    assert blocker.args == [str(out)]
    with Image.open(out) as im:
        assert abs(im.size[0] - 8.3 / 2.54 * 200) <= 1  # matplotlib truncates size × dpi


def test_export_failure_is_shown(qtbot, dialog, tmp_path, monkeypatch):
    from app.gui import figure_dialog
    errors = []
    monkeypatch.setattr(figure_dialog.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "fig.bmp"), ""))
    monkeypatch.setattr(figure_dialog.QMessageBox, "critical", lambda *a: errors.append(a[2]))
    dialog.export_button.click()
    assert errors and "unknown figure format" in errors[0]


def test_per_scan_voltage_survives_preview_decimation(qtbot, tmp_path):
    """900 scans are thinned for the preview; per-scan voltage must follow (or rendering fails)."""
    from tests.conftest import drifting_peak_series
    series, _ = drifting_peak_series(n_scans=900, n_points=200)
    volts = np.linspace(2.2, 4.4, series.n_scans)
    dlg = FigureDialog(series, volts, config_dir=tmp_path)
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.preview_rendered, timeout=10000):
        pass
    assert "one per scan" not in dlg.message.text()
    assert not dlg.preview_pixmap().isNull()


def test_export_writes_eps(qtbot, dialog, tmp_path, monkeypatch):
    from app.gui import figure_dialog
    out = tmp_path / "fig.eps"
    dialog.dpi.setValue(100)
    assert "*.eps" in figure_dialog.FILE_FILTER
    monkeypatch.setattr(figure_dialog.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with qtbot.waitSignal(dialog.exported, timeout=20000):
        dialog.export_button.click()
    data = out.read_bytes()
    assert data.startswith(b"%!PS-Adobe") and b"EPSF" in data.split(b"\n", 1)[0]
    assert b"%%BoundingBox: 0 0 235 213" in data or b"%%BoundingBox: 0 0 236 213" in data  # 8.3 x 7.5 cm in pt
