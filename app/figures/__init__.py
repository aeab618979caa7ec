"""Publication figures rendered with matplotlib alone (no Qt, works headless with Agg).

Entry points: :func:`render_contour_figure`, :func:`render_contour_with_parameters`,
:func:`render_stacked_figure`, :func:`render_parameter_figure`, :func:`save_figure` and, for
the command line, :func:`figure_from_args`. Styles are :class:`FigureStyle` values, journal
presets come from :func:`builtin_presets`, and user presets live in a :class:`StyleStore`.
"""

from .command import echem_on_series_clock, figure_from_args, parse_window, resolve_style
from .contour_figure import render_contour_figure, render_contour_with_parameters
from .parameter_figure import render_parameter_figure
from .presets import FigureStyle, builtin_presets
from .saving import save_figure
from .stacked_figure import render_stacked_figure
from .style_store import StyleStore

__all__ = [
    "FigureStyle", "StyleStore", "builtin_presets", "echem_on_series_clock", "figure_from_args", "parse_window", "render_contour_figure",
    "render_contour_with_parameters", "render_parameter_figure", "render_stacked_figure", "resolve_style",
    "save_figure",
]
