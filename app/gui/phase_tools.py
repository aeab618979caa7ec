"""The phase side of the main window, composed in one place: the Analyze action and menu, the
Phases dock with tick marks, the phase-result plot dock, the library editor, the detected
sequence in the status bar, and the analysis result in the project file.

:func:`install_phase_tools` is called once by the main window after its own views exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel

from analysis.errors import InputError
from analysis.library_edits import LIBRARY_KEY, library_settings, phases_from_settings
from analysis.phase_library import Phase, load_library
from analysis.pipeline import result_arrays

from .analysis_controller import AnalysisController
from .error_dialog import show_error
from .library_editor import PhaseEditorDialog, load_user_library
from .phase_panel import PhasePanel
from .phase_plots import PhasePlotView
from .project_settings import register_analysis_settings
from .phase_ticks import TICKS_KEY, PhaseTickModel, PhaseTickOverlay

if TYPE_CHECKING:
    from .main_window import MainWindow

RESULTS_PREFIX = "analysis"


@dataclass(frozen=True)
class SavedDecomposition:
    """The arrays of a decomposition read back from a project file (see ``result_arrays``)."""

    phases: tuple
    kinds: tuple
    fraction: np.ndarray
    fraction_err: np.ndarray
    cells: np.ndarray
    cell_err: np.ndarray


@dataclass(frozen=True, eq=False)
class SavedAnalysis:
    """What the views need of an analysis reopened from a project (no transitions object)."""

    decomposition: SavedDecomposition
    sequence: str
    present: tuple
    notes: tuple = field(default_factory=tuple)
    peaks: None = None

    def present_phases(self) -> list[str]:
        return list(self.present)


def analysis_arrays(result) -> dict[str, np.ndarray]:
    """Named arrays of an analysis for the project file: ``result_arrays`` plus the sequence and
    the present phases."""
    if result is None or result.decomposition is None:
        return {}
    arrays = result_arrays(result) if not isinstance(result, SavedAnalysis) else {
        f"phases/{k}": np.asarray(getattr(result.decomposition, k))
        for k in ("fraction", "fraction_err", "cells", "cell_err")}
    arrays["phases/names"] = np.array(result.decomposition.phases, dtype=str)
    arrays["phases/kinds"] = np.array(result.decomposition.kinds, dtype=str)
    arrays["sequence"] = np.array([result.sequence], dtype=str)
    arrays["present_phases"] = np.array(result.present_phases(), dtype=str)
    return arrays


def analysis_from_arrays(arrays: dict) -> SavedAnalysis | None:
    """The inverse of :func:`analysis_arrays` (None for an empty or incomplete set)."""
    needed = ("phases/names", "phases/kinds", "phases/fraction", "phases/fraction_err", "phases/cells",
              "phases/cell_err")
    if not all(k in arrays for k in needed):
        return None
    text = lambda k: tuple(str(s) for s in np.atleast_1d(arrays.get(k, np.zeros(0, dtype=str))))  # noqa: E731
    dec = SavedDecomposition(phases=text("phases/names"), kinds=text("phases/kinds"),
                             **{k: np.asarray(arrays[f"phases/{k}"], dtype=float)
                                for k in ("fraction", "fraction_err", "cells", "cell_err")})
    sequence = text("sequence")
    return SavedAnalysis(decomposition=dec, sequence=sequence[0] if sequence else "", present=text("present_phases"))


class PhaseTools(QObject):
    """The objects :func:`install_phase_tools` built, for the window and tests to reach."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self._window = window
        session = window.session
        self.bundled = load_library()
        self.project_phases: dict[str, Phase] = {}   # a reopened project's edits, over the files
        try:
            library = load_user_library()
        except InputError as exc:   # a broken user file must not stop the window from opening
            window.status.showMessage(str(exc), 15000)
            library = dict(self.bundled)
        self.model = PhaseTickModel(library, self)
        self.ticks = PhaseTickOverlay(session, self.model, window.pattern_view.plot_item,
                                      window.contour_view.plot_item, self)
        self.panel = PhasePanel(session, self.model, window)
        self.controller = AnalysisController(session, window.runner, library, window.fitting, window)
        self.plots = PhasePlotView(session, library)
        self.plots_dock = QDockWidget("Phase results", window)
        self.plots_dock.setObjectName("phase_results_dock")
        self.plots_dock.setWidget(self.plots)
        self.sequence_label = QLabel()
        self.sequence_label.setStyleSheet("color: #81c784;")
        self.edit_action = QAction("&Edit Phase Library…", self)
        self.edit_action.triggered.connect(self._on_new_phase)
        session.series_changed.connect(self._on_series_changed)

    @Slot(str)
    def edit_phase(self, name: str) -> None:
        """Open the editor on ``name`` ("" for a new phase); on save, reload the library."""
        dialog = PhaseEditorDialog(self.model.library.get(name), self._window)
        if dialog.exec() and dialog.saved_path is not None:
            self.project_phases.pop(dialog.phase().name, None)   # the file just saved is the newer edit
            self.reload_library()
            self._window.status.showMessage(f"Phase saved to {dialog.saved_path}", 8000)

    @Slot()
    def _on_new_phase(self) -> None:
        self.edit_phase(self.model.selected)

    @Slot()
    def reload_library(self) -> None:
        """The bundled phases, the user's folder on top, and the project's edits on top of both."""
        try:
            library = load_user_library()
        except InputError as exc:
            show_error(self._window, str(exc), "Phase library not reloaded")
            return
        self._set_library({**library, **self.project_phases})

    def _set_library(self, library: dict[str, Phase]) -> None:
        self.model.set_library(library)
        self.controller.library = library
        self.plots.library = library

    def library_settings(self) -> dict:
        """The project setting ``library``: every phase of the session's library that is not bundled
        or differs from the bundled one."""
        return library_settings(self.model.library, self.bundled)

    def apply_library_settings(self, value) -> None:
        """Lay a project's saved phases over the library for this session (the user's phase folder
        is not written); a bad entry is reported and the library left as it was."""
        try:
            phases = phases_from_settings(value)
        except InputError as exc:
            self._window.status.showMessage(f"Phase edits of the project not restored: {exc}", 15000)
            return
        self.project_phases = phases
        try:
            library = load_user_library()
        except InputError:   # already reported when the window opened
            library = dict(self.bundled)
        self._set_library({**library, **phases})

    def apply_tick_settings(self, value) -> None:
        """Tick the project's phases with their saved cells (after its library edits are laid over
        the library); what the library lacks is named in the status bar."""
        skipped = self.model.restore(value)
        if skipped:
            self._window.status.showMessage(f"Phases dock of the project: not restored {', '.join(skipped)} "
                                            "(not in the phase library, or unreadable)", 15000)

    @Slot(object)
    def _on_series_changed(self, _series) -> None:
        """Other data (or a project being opened, which applies its own edits afterwards): the
        previous project's phase edits no longer apply."""
        if self.project_phases:
            self.apply_library_settings({"phases": []})

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        show_error(self._window, message, "Analysis failed")

    @Slot(str)
    def _on_sequence_changed(self, text: str) -> None:
        self.sequence_label.setText(text)
        self.sequence_label.setToolTip("Detected phase sequence" if text else "")


def install_phase_tools(window: "MainWindow") -> PhaseTools:
    """Build the phase side and wire it into ``window`` (menus, docks, status bar, project)."""
    tools = PhaseTools(window)
    session, status, controller = window.session, window.status, tools.controller
    menu = window.menuBar().addMenu("&Analysis")
    menu.addAction(controller.analyze_action)
    menu.addSeparator()
    menu.addAction(tools.edit_action)
    window.file_toolbar.addSeparator()
    window.file_toolbar.addAction(controller.analyze_action)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, tools.panel)
    window.tabifyDockWidget(window.fit_panel, tools.panel)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, tools.plots_dock)
    window.tabifyDockWidget(window.parameter_dock, tools.plots_dock)
    window.view_menu.addAction(tools.panel.toggleViewAction())
    window.view_menu.addAction(tools.plots_dock.toggleViewAction())
    status.insertPermanentWidget(0, tools.sequence_label)
    controller.busy_changed.connect(status.set_busy)
    controller.progressed.connect(status.show_progress)
    controller.message.connect(status.showMessage)
    controller.failed.connect(tools._on_failed)
    controller.sequence_changed.connect(tools._on_sequence_changed)
    status.cancel_requested.connect(controller.cancel)
    tools.plots.scan_requested.connect(session.set_current_scan)
    overlay = window.event_controller.attach_plot(tools.plots.plot_item, "x", tools.plots.scan_x)
    tools.plots.x_combo.currentIndexChanged.connect(overlay.redraw)
    tools.panel.edit_requested.connect(tools.edit_phase)
    tools.panel.reload_requested.connect(tools.reload_library)
    window.project.register_settings(LIBRARY_KEY, tools.library_settings, tools.apply_library_settings,
                                     tools.model.library_changed)
    # after the library: the ticked phases and cells refer to the project's phases; a project older
    # than the setting opens with nothing ticked, whatever the replaced session showed
    window.project.register_settings(TICKS_KEY, tools.model.settings, tools.apply_tick_settings, tools.model.changed,
                                     default={"shown": [], "cells": {}})
    register_analysis_settings(window.project, controller)
    window.project.register_results(RESULTS_PREFIX, lambda: analysis_arrays(session.analysis_result),
                                    lambda arrays: session.set_analysis_result(analysis_from_arrays(arrays)),
                                    session.analysis_changed)
    return tools
