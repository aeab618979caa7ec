"""What a project remembers of the session and of the tools, as plain JSON-compatible data.

The session's own settings (display, clock offset, Na-content inputs) are read and applied here;
tools that own settings or results register them with the project controller through
``register_*`` functions, so the controller knows nothing about backgrounds or peak fits.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from analysis import background as bg
from analysis import project as pj
from analysis.fit_windows import windows_from_json, windows_to_json
from analysis.pipeline import AnalysisSettings

from .session import COLORMAPS, ECHEM_QUANTITIES, SCALINGS, Y_AXES, Session, SodiumParameters

if TYPE_CHECKING:   # imported for annotations only: the controllers import this module
    from .analysis_controller import AnalysisController
    from .background_controls import BackgroundController
    from .fit_controller import FitController
    from .project_controller import ProjectController

SESSION_KEYS = ("display", "clock_offset_s", "sodium")
_BACKGROUNDS = {cls.__name__: cls for cls in (bg.SnipBackground, bg.ArplsBackground, bg.AslsBackground,
                                              bg.AnchorPolynomialBackground)}


def session_settings(session: Session) -> dict:
    """Display settings, current scan, clock offset and Na-content inputs of ``session``."""
    return {
        "display": {"scaling": session.scaling, "colormap": session.colormap, "y_axis": session.y_axis,
                    "echem_quantity": session.echem_quantity, "current_scan": int(session.current_scan)},
        "clock_offset_s": float(session.clock_offset_s),
        "sodium": None if session.sodium is None else asdict(session.sodium),
    }


def apply_session_settings(session: Session, settings: dict) -> None:
    """Restore what :func:`session_settings` saved (unknown or invalid values are skipped)."""
    display = settings.get("display", {})
    for key, allowed, setter in (("scaling", SCALINGS, session.set_scaling),
                                 ("colormap", COLORMAPS, session.set_colormap),
                                 ("y_axis", Y_AXES, session.set_y_axis)):
        if display.get(key) in allowed:
            setter(display[key])
    session.set_clock_offset_s(float(settings.get("clock_offset_s", 0.0)))
    sodium = settings.get("sodium")
    session.set_sodium(None if sodium is None else SodiumParameters(**sodium))
    if display.get("echem_quantity") in ECHEM_QUANTITIES and (display["echem_quantity"] == "voltage" or sodium):
        session.set_echem_quantity(display["echem_quantity"])
    session.set_current_scan(int(display.get("current_scan", 0)))


def background_to_dict(method: bg.BackgroundMethod) -> dict:
    """A background method (a frozen dataclass of :mod:`analysis.background`) as plain data."""
    return {"type": type(method).__name__, **asdict(method)}


def background_from_dict(d: dict) -> bg.BackgroundMethod:
    d = dict(d)
    cls = _BACKGROUNDS.get(d.pop("type", None))
    if cls is None:
        raise ValueError(f"unknown background method in project: {d!r}")
    if "anchors_x" in d:
        d["anchors_x"] = tuple(tuple(a) for a in d["anchors_x"])
    return cls(**d)


def register_background(project: "ProjectController", controller: "BackgroundController", session: Session) -> None:
    """Save the background method and whether the map is background-subtracted."""
    def get() -> dict:
        return {"method": background_to_dict(controller.method), "subtract": bool(session.subtract_background)}

    def set_(value: dict) -> None:
        controller.set_method(background_from_dict(value["method"]))
        controller.toggle_action.setChecked(bool(value.get("subtract", False)))

    project.register_settings("background", get, set_, controller.toggle_action.toggled)


def register_fitting(project: "ProjectController", fitting: "FitController", session: Session) -> None:
    """Save the fit windows (settings ``fit``) and the peak-fit result (results ``peak_fit/…``)."""
    def get_windows() -> dict:
        return {"windows": windows_to_json(fitting.windows)}

    def set_windows(value: dict) -> None:
        for index in reversed(range(len(fitting.windows))):
            fitting.remove_window(index)
        for window in windows_from_json(value.get("windows", "[]")):
            fitting.set_window(fitting.add_window(window.lo_deg, window.hi_deg, window.n_peaks), window)

    def get_result() -> dict:
        return {} if session.fit_result is None else pj.fit_result_arrays(session.fit_result)

    def set_result(arrays: dict) -> None:
        session.set_fit_result(pj.fit_result_from_arrays(arrays) if arrays else None)

    project.register_settings("fit", get_windows, set_windows, fitting.windows_changed)
    project.register_results("peak_fit", get_result, set_result, session.fit_result_changed)


def register_analysis_settings(project: "ProjectController", controller: "AnalysisController") -> None:
    """Save the settings of the last Analyze run (``analysis``, as ``operando-xrd analyze`` writes
    them), so the Analyze dialog of a reopened project starts from them."""
    def set_(value: dict) -> None:
        try:
            controller.last_settings = AnalysisSettings.from_dict(value)
        except (TypeError, ValueError, KeyError, AttributeError):   # a damaged entry: the defaults
            controller.last_settings = AnalysisSettings()

    project.register_settings("analysis", lambda: controller.last_settings.to_dict(), set_)
