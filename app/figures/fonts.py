"""Font choice and matplotlib rc settings for publication output, without findfont warnings."""

from __future__ import annotations

from matplotlib import font_manager

# Journals ask for Arial/Helvetica; these are metric-compatible or close look-alikes, then
# DejaVu Sans, which ships with matplotlib and so always exists.
SANS_FALLBACKS = ("Arial", "Helvetica", "Liberation Sans", "Nimbus Sans", "TeX Gyre Heros", "DejaVu Sans")

VECTOR_TEXT_RC = {
    "pdf.fonttype": 42,   # TrueType: text stays text (selectable, editable) in PDF
    "ps.fonttype": 42,
    "svg.fonttype": "none",  # SVG <text> elements instead of glyph paths
}


def installed_families() -> set[str]:
    """Font family names matplotlib can find on this machine."""
    return {f.name for f in font_manager.fontManager.ttflist}


def resolve_font_family(requested: str) -> str:
    """``requested`` if installed, else the first installed fallback (case-insensitive match).

    Passing only an installed name to matplotlib is what keeps ``findfont`` from logging
    "font family not found" for every text element.
    """
    by_lower = {name.lower(): name for name in installed_families()}
    for candidate in (requested, *SANS_FALLBACKS):
        if candidate and candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    return "DejaVu Sans"


def figure_rc(font_family: str, font_size_pt: float, line_width_pt: float) -> dict:
    """rc settings for building a figure: one resolved family, sizes in points, thin lines."""
    family = resolve_font_family(font_family)
    return {
        **VECTOR_TEXT_RC,
        # the concrete family, not "sans-serif": SVG text names prop.get_family() as saved, and
        # a generic name would be expanded from whatever rcParams hold at save time
        "font.family": [family, "sans-serif"],
        "font.sans-serif": [family],
        "mathtext.fontset": "custom",
        "mathtext.rm": family,
        "mathtext.it": f"{family}:italic",
        "mathtext.bf": f"{family}:bold",
        "font.size": font_size_pt,
        "axes.labelsize": font_size_pt,
        "axes.titlesize": font_size_pt,
        "xtick.labelsize": font_size_pt,
        "ytick.labelsize": font_size_pt,
        "legend.fontsize": font_size_pt,
        "axes.linewidth": line_width_pt,
        "lines.linewidth": line_width_pt * 1.3,
        "xtick.major.width": line_width_pt,
        "ytick.major.width": line_width_pt,
        "xtick.minor.width": line_width_pt * 0.7,
        "ytick.minor.width": line_width_pt * 0.7,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "xtick.minor.size": 1.5,
        "ytick.minor.size": 1.5,
        "xtick.major.pad": 1.8,
        "ytick.major.pad": 1.8,
        "axes.labelpad": 2.0,
        "xtick.direction": "out",
        "ytick.direction": "out",
        "errorbar.capsize": 0.0,
        "figure.dpi": 100,
        "savefig.facecolor": "white",
    }
