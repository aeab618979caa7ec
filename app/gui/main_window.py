"""The main window: composition of session, loader and views; menus, drag and drop, settings."""

from __future__ import annotations

import os
from functools import partial
from typing import Optional, Sequence

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QFrame, QMainWindow, QMenu, QScrollArea, QSplitter,
                               QWidget)

from .actions import make_action
from .background_controls import BackgroundController
from .contour_view import ContourView
from .echem_controls import EchemToolBar
from .error_dialog import show_error
from .event_controller import EventController
from .events_panel import EventsPanel
from .export_controller import ExportController
from .fit_controller import FitController
from .fit_overlay import FitOverlay
from .fit_panel import FitPanel
from .indexing_panel import install_indexing
from .info_view import ScanInfoView
from .jobs import JobRunner
from .load_controller import LoadController
from .parameter_view import ParameterView
from .pattern_view import PatternView
from .phase_tools import install_phase_tools
from .project_controller import ProjectController
from .project_settings import register_background, register_fitting
from .session import COLORMAPS, SCALINGS, Y_AXES, Session
from .status_bar import SessionStatusBar
from .theme import LUT_WIDTH_PX
from .toolbar import DisplayToolBar
from .voltage_view import VoltageView

PATTERN_FILTER = ("Diffraction patterns (*.xy *.xye *.dat *.chi *.fxye *.csv *.txt *.nxs *.h5 *.hdf5 *.nx5);;"
                  "All files (*)")
ECHEM_FILTER = "Electrochemistry (*.csv *.mpt *.txt);;All files (*)"
DEFAULT_SIZE = (1400, 900)


def local_paths(event: QDropEvent | QDragEnterEvent) -> list[str]:
    """The local file or folder paths a drag carries (empty when it carries anything else)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return paths if len(paths) == len(mime.urls()) else []


class MainWindow(QMainWindow):
    """Map on the left with the pattern below it; voltage and scan read-out on the right."""

    def __init__(self, settings: Optional[QSettings] = None, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("operando-xrd")
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings("operando-xrd", "operando-xrd")
        self.session = Session(self)
        self.runner = JobRunner(self)
        self.loader = LoadController(self.session, self.runner, self)
        self.contour_view = ContourView(self.session)
        self.pattern_view = PatternView(self.session)
        self.voltage_view = VoltageView(self.session)
        self.info_view = ScanInfoView(self.session)
        self.toolbar = DisplayToolBar(self.session, self)
        self.status = SessionStatusBar(self.session, self)
        self.setStatusBar(self.status)
        self._build_layout()
        self._build_tools()
        self._build_menus()
        self._build_events_and_project()
        self._build_fitting()
        self._connect_events_and_project_to_fitting()
        self.phase_tools = install_phase_tools(self)   # Analyze, phases dock, phase plots
        self.indexing_panel = install_indexing(self)   # peak indexing and cells from the peak fits
        # a new user starts where the work starts: fitting windows and their results in front
        self.fit_panel.raise_()
        self.parameter_dock.raise_()
        self.addToolBar(self.toolbar)
        self.addToolBar(self.echem_toolbar)
        self._connect()
        self._restore_settings()

    # -- construction -----------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.pattern_view.plot_item.setXLink(self.contour_view.plot_item)
        self.voltage_view.plot_item.setYLink(self.contour_view.plot_item)
        self.pattern_view.set_right_margin(LUT_WIDTH_PX)
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.addWidget(self.contour_view)
        self.left_splitter.addWidget(self.pattern_view)
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(self.voltage_view)
        # scrollable, so the info column can be as short as the pattern plot beside it
        info_scroll = QScrollArea()
        info_scroll.setWidget(self.info_view)
        info_scroll.setWidgetResizable(True)
        info_scroll.setFrameShape(QFrame.Shape.NoFrame)
        info_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        info_scroll.setMinimumWidth(self.info_view.minimumSizeHint().width())
        self.right_splitter.addWidget(info_scroll)
        self.columns = QSplitter(Qt.Orientation.Horizontal)
        self.columns.addWidget(self.left_splitter)
        self.columns.addWidget(self.right_splitter)
        for splitter, stretch in ((self.left_splitter, (3, 2)), (self.right_splitter, (3, 2)), (self.columns, (4, 1))):
            splitter.setChildrenCollapsible(False)
            for i, factor in enumerate(stretch):
                splitter.setStretchFactor(i, factor)
        self.left_splitter.setSizes([540, 300])
        self.right_splitter.setSizes([540, 300])
        self.columns.setSizes([1060, 340])
        self.setCentralWidget(self.columns)

    def _build_tools(self) -> None:
        self.exports = ExportController(self.session, self.runner, self)
        self.background = BackgroundController(self.session, self.runner, self)
        self.echem_toolbar = EchemToolBar(self.session, self)

    def _build_fitting(self) -> None:
        """Peak fitting: controller, overlay on the pattern and map, panel dock, parameter plot dock."""
        self.fitting = FitController(self.session, self.runner, self)
        self.fit_overlay = FitOverlay(self.session, self.fitting, self.pattern_view.plot_item,
                                      self.contour_view.plot_item, self)
        self.fit_panel = FitPanel(self.session, self.fitting, self)
        self.fit_panel.add_window_requested.connect(self.fit_overlay.add_window_in_view)
        self.fit_panel.pick_toggled.connect(self.fit_overlay.set_pick_mode)
        self.parameter_view = ParameterView(self.session)
        self.parameter_dock = QDockWidget("Fit results", self)
        self.parameter_dock.setObjectName("fit_results_dock")
        self.parameter_dock.setWidget(self.parameter_view)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.fit_panel)
        self.tabifyDockWidget(self.events_panel, self.fit_panel)
        self.fit_panel.raise_()
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.parameter_dock)
        self.resizeDocks([self.parameter_dock], [230], Qt.Orientation.Vertical)
        self.exports.menu.addAction(self.fitting.export_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.fit_panel.toggleViewAction())
        self.view_menu.addAction(self.parameter_dock.toggleViewAction())

    def _connect_events_and_project_to_fitting(self) -> None:
        """Events on the fit-result plot (scans along x there); fit windows and results in the project."""
        overlay = self.event_controller.attach_plot(self.parameter_view.plot_item, "x",
                                                    partial(self.parameter_view.x_combo.overlay_values, self.session))
        self.parameter_view.x_combo.currentIndexChanged.connect(overlay.redraw)
        register_fitting(self.project, self.fitting, self.session)

    def _build_menus(self) -> None:
        file_menu = self.file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(file_menu, "&Open…", self._on_open_files, QKeySequence.StandardKey.Open)
        self.open_folder_action = self._action(file_menu, "Open &Folder…", self._on_open_folder, "Ctrl+Shift+O")
        self.echem_action = self._action(file_menu, "Load &Electrochemistry…", self._on_open_echem, "Ctrl+E")
        file_menu.addMenu(self.exports.menu)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.file_toolbar = self.addToolBar("File")
        self.file_toolbar.setObjectName("file_toolbar")
        for action in (self.open_action, self.open_folder_action, self.echem_action):
            self.file_toolbar.addAction(action)
        view_menu = self.view_menu = self.menuBar().addMenu("&View")
        self.time_axis_action = QAction("Vertical axis in &hours", self, checkable=True, shortcut="Ctrl+T")
        self.time_axis_action.toggled.connect(self._on_time_axis_toggled)
        view_menu.addAction(self.time_axis_action)
        view_menu.addAction(self.toolbar.toggleViewAction())
        view_menu.addAction(self.echem_toolbar.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.background.toggle_action)
        view_menu.addAction(self.background.method_action)

    def _build_events_and_project(self) -> None:
        """Events (overlays on the map and voltage panel, list panel, Edit menu) and the project
        file (File menu, title with a modified mark, autosave)."""
        self.event_controller = EventController(self.session, self.session.events, self)
        for plot_item in (self.contour_view.plot_item, self.voltage_view.plot_item):
            self.event_controller.attach_plot(plot_item)
        self.events_panel = EventsPanel(self.session.events, self)
        self.event_controller.attach_panel(self.events_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.events_panel)
        self.view_menu.addAction(self.events_panel.toggleViewAction())
        self.project = ProjectController(self.session, self.loader, self.settings, self, runner=self.runner)
        register_background(self.project, self.background, self.session)
        first = self.file_menu.actions()[0]
        self.file_menu.insertActions(first, self.project.actions)
        self.file_menu.insertSeparator(first)
        self.edit_menu = QMenu("&Edit", self)
        for action in self.event_controller.actions:
            if action is None:
                self.edit_menu.addSeparator()
            else:
                self.edit_menu.addAction(action)
        self.menuBar().insertMenu(self.view_menu.menuAction(), self.edit_menu)
        self.project.title_changed.connect(self.setWindowTitle)
        self.project.modified_changed.connect(self.setWindowModified)
        self.project.message.connect(self.status.showMessage)
        self.setWindowTitle(self.project.title())

    def _action(self, menu, text: str, slot, shortcut) -> QAction:
        action = make_action(self, text, shortcut, slot)
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        session, loader = self.session, self.loader
        self.contour_view.scan_requested.connect(session.set_current_scan)
        self.contour_view.scan_step_requested.connect(session.step_scan)
        self.contour_view.hovered.connect(self._on_hovered)
        self.toolbar.scan_requested.connect(session.set_current_scan)
        self.toolbar.scaling_requested.connect(session.set_scaling)
        self.toolbar.colormap_requested.connect(session.set_colormap)
        self.toolbar.y_axis_requested.connect(session.set_y_axis)
        session.display_changed.connect(self._on_display_changed)
        loader.busy_changed.connect(self.status.set_busy)
        loader.progressed.connect(self.status.show_progress)
        loader.failed.connect(self._on_load_failed)
        loader.cancelled.connect(self._on_load_cancelled)
        self.status.cancel_requested.connect(loader.cancel)
        self.status.cancel_requested.connect(self.background.cancel)
        self.status.cancel_requested.connect(self.fitting.cancel)
        self.fitting.busy_changed.connect(self.status.set_busy)
        self.fitting.progressed.connect(self.status.show_progress)
        self.fitting.message.connect(self.status.showMessage)
        self.parameter_view.scan_requested.connect(session.set_current_scan)
        self.background.busy_changed.connect(self.status.set_busy)
        self.background.progressed.connect(self.status.show_progress)
        for controller in (self.background, self.exports):
            controller.message.connect(self.status.showMessage)
        self.left_splitter.splitterMoved.connect(self._on_left_splitter_moved)
        self.right_splitter.splitterMoved.connect(self._on_right_splitter_moved)

    # -- opening things -----------------------------------------------------------------------
    def open_paths(self, paths: Sequence[str], echem_path: Optional[str] = None) -> None:
        """Open a file, a folder or several files (plus optional electrochemistry) in the background."""
        paths = [os.fspath(p) for p in paths]
        if paths:
            self._remember_folder(paths[0])
        self.loader.open_paths(paths, os.fspath(echem_path) if echem_path else None)

    def open_echem(self, path: str) -> None:
        self._remember_folder(path)
        self.loader.open_echem(os.fspath(path))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = local_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self._remember_folder(paths[0])
        self.loader.open_dropped(paths)

    @Slot()
    def _on_open_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open patterns", self._last_folder(), PATTERN_FILTER)
        if paths:
            self.open_paths(paths)

    @Slot()
    def _on_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of patterns", self._last_folder())
        if folder:
            self.open_paths([folder])

    @Slot()
    def _on_open_echem(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load electrochemistry", self._last_folder(), ECHEM_FILTER)
        if path:
            self.open_echem(path)

    # -- reactions ----------------------------------------------------------------------------
    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        self.status.showMessage("Loading failed — the previous data are still shown", 8000)
        show_error(self, message)

    @Slot()
    def _on_load_cancelled(self) -> None:
        self.status.showMessage("Loading cancelled — the previous data are still shown", 5000)

    @Slot(str)
    def _on_hovered(self, text: str) -> None:
        self.status.showMessage(text, 3000)

    @Slot()
    def _on_display_changed(self) -> None:
        self.time_axis_action.blockSignals(True)
        self.time_axis_action.setChecked(self.session.y_axis == "time_h")
        self.time_axis_action.blockSignals(False)

    @Slot(bool)
    def _on_time_axis_toggled(self, checked: bool) -> None:
        self.session.set_y_axis("time_h" if checked else "scan")

    @Slot(int, int)
    def _on_left_splitter_moved(self, _pos: int, _index: int) -> None:
        self.right_splitter.setSizes(self.left_splitter.sizes())

    @Slot(int, int)
    def _on_right_splitter_moved(self, _pos: int, _index: int) -> None:
        self.left_splitter.setSizes(self.right_splitter.sizes())

    @Slot()
    def _match_right_column(self) -> None:
        """The voltage panel as tall as the map: the two are y-linked, and pyqtgraph aligns linked
        views on screen, so a shorter panel would cut off the first scans."""
        if self.right_splitter.sizes() != self.left_splitter.sizes():
            self.right_splitter.setSizes(self.left_splitter.sizes())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        QTimer.singleShot(0, self._match_right_column)   # after the splitters got their new heights

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        QTimer.singleShot(0, self._match_right_column)

    # -- settings -----------------------------------------------------------------------------
    def _last_folder(self) -> str:
        return str(self.settings.value("last_folder", os.path.expanduser("~")))

    def _remember_folder(self, path: str) -> None:
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        self.settings.setValue("last_folder", folder)

    def _restore_settings(self) -> None:
        s = self.settings
        for key, allowed, setter in (("scaling", SCALINGS, self.session.set_scaling),
                                     ("colormap", COLORMAPS, self.session.set_colormap),
                                     ("y_axis", Y_AXES, self.session.set_y_axis)):
            value = s.value(key)
            if value in allowed:
                setter(value)
        geometry = s.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)
        for name in ("columns", "left_splitter"):
            sizes = s.value(f"window/{name}")
            if sizes is not None:
                getattr(self, name).restoreState(sizes)
        self.right_splitter.setSizes(self.left_splitter.sizes())

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("scaling", self.session.scaling)
        s.setValue("colormap", self.session.colormap)
        s.setValue("y_axis", self.session.y_axis)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/columns", self.columns.saveState())
        s.setValue("window/left_splitter", self.left_splitter.saveState())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.project.autosave()   # unsaved changes survive in the autosave, offered on reopening
        self.save_settings()
        self.runner.wait_all()
        super().closeEvent(event)
