"""The phase editor: a phase saved from the dialog is a JSON file in the user folder that
``load_phase`` reads back equal, and ``load_library`` picks it up."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox, QTableWidgetItem

from analysis.phase_library import load_library, load_phase, phase_to_dict
from app.gui.library_editor import PhaseEditorDialog, load_user_library, user_phases_dir


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("OPERANDO_XRD_CONFIG", str(tmp_path / "config"))
    return tmp_path / "config"


def test_edited_library_phase_saves_and_reads_back(qtbot, config):
    p2 = load_library()["P2"]
    dialog = PhaseEditorDialog(p2)
    qtbot.addWidget(dialog)
    assert dialog.reflection_table.rowCount() == p2.hkl.shape[0]
    dialog.name_edit.setText("P2 refined")
    dialog.cell_spins["c"].setValue(11.3)
    path = dialog.save()
    assert path.parent == user_phases_dir() == config / "phases"
    back = load_phase(path)
    assert phase_to_dict(back) == phase_to_dict(dialog.phase())
    assert back.cell.c == 11.3 and back.cell.a == p2.cell.a and back.cell.gamma == 120.0
    np.testing.assert_array_equal(back.hkl, p2.hkl)
    np.testing.assert_array_equal(back.rel_intensity, p2.rel_intensity)
    assert (back.space_group_number, back.layers_per_cell, back.cell_ranges) == (194, 2, p2.cell_ranges)
    library = load_user_library()
    assert "P2 refined" in library and library["P2"].cell.c == p2.cell.c


def test_new_phase_from_the_table(qtbot, config):
    dialog = PhaseEditorDialog()
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("NaX cubic")
    dialog.system_combo.setCurrentText("cubic")
    dialog.sg_number.setValue(225)
    dialog.cell_spins["a"].setValue(4.2)
    for row, (hkl, intensity) in enumerate((((1, 1, 1), 40), ((2, 0, 0), 100))):
        dialog.reflection_table.insertRow(row)
        for col, v in enumerate((*hkl, intensity)):
            dialog.reflection_table.setItem(row, col, QTableWidgetItem(str(v)))
    back = load_phase(dialog.save())
    assert back.name == "NaX cubic" and back.system == "cubic" and back.cell.c == 4.2
    # cubic d(200) = a / 2
    assert back.d_A()[1] == pytest.approx(2.1, abs=1e-12)


def test_invalid_phase_is_not_saved(qtbot, config, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    dialog = PhaseEditorDialog()
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("bad")
    dialog.sg_number.setValue(194)
    dialog.reflection_table.insertRow(0)
    for col, v in enumerate((0, 0, 1, 100)):   # (001) is forbidden in P6_3/mmc
        dialog.reflection_table.setItem(0, col, QTableWidgetItem(str(v)))
    dialog._on_save()
    assert warnings and "forbidden" in warnings[0]
    assert not (config / "phases").exists() or not any((config / "phases").iterdir())
