"""The phase library: one human-editable JSON file per phase, bundled in ``resources/phases``.

A phase carries a space group, a cell (with plausible ranges), and a list of reflections with
relative intensities. Reflection *positions* are always computed from the cell, so changing or
refining the cell moves them; *intensities* come from the file. Phases without a cell (polymers)
give a fixed list of d-spacings instead.

File format (all keys but ``name`` and ``reflections`` optional)::

    {"name": "P2", "kind": "cathode", "description": "...",
     "space_group": {"number": 194, "symbol": "P6_3/mmc"}, "system": "hexagonal",
     "cell": {"a": 2.885, "c": 11.15},          # missing b/angles follow from the system
     "cell_ranges": {"a": [2.80, 2.95], "c": [10.9, 11.6]},
     "reflections": [{"hkl": [0, 0, 2], "rel_intensity": 100}, ...]   # or {"d_A": 6.28, ...}
     "broadening": {"rel_d": 0.002, "fault_rel_d": 0.0},
     "stacking": "ABBA", "layers_per_cell": 2, "provenance": "[L] ...", "notes": "..."}

``broadening`` is extra sample broadening as a fraction of d (FWHM Δd/d): ``rel_d`` for every
reflection, ``fault_rel_d`` added for reflections with l ≠ 0 and (h, k) ≠ (0, 0), which stacking
faults broaden (PHASES.md §7.3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from . import crystallography as cr
from .errors import InputError
from .paths import resources_dir

KINDS = ("cathode", "parasitic")
SYSTEMS = ("cubic", "hexagonal", "orthorhombic", "monoclinic", "triclinic", "none")
FREE_PARAMETERS = {
    "cubic": ("a",),
    "hexagonal": ("a", "c"),
    "orthorhombic": ("a", "b", "c"),
    "monoclinic": ("a", "b", "c", "beta"),
    "triclinic": cr.CELL_PARAMETERS,
    "none": (),
}


@dataclass(frozen=True)
class Reflections:
    """Reflections of a phase inside a 2θ window, sorted by 2θ.

    hkl (n, 3) int (zeros for d-list phases), d_A (n,), two_theta_deg (n,), rel_intensity (n,)
    on the file's scale (strongest usually 100), fault (n,) bool: broadened by stacking faults.
    """

    hkl: np.ndarray
    d_A: np.ndarray
    two_theta_deg: np.ndarray
    rel_intensity: np.ndarray
    fault: np.ndarray

    def __len__(self) -> int:
        return int(self.d_A.size)


def constrained_cell(system: str, **params: float) -> cr.Cell:
    """A :class:`Cell` from the free parameters of a crystal system (hexagonal: a, c; cubic: a; ...)."""
    p = {"alpha": 90.0, "beta": 90.0, "gamma": 90.0, **{k: float(v) for k, v in params.items()}}
    if system == "cubic":
        p["b"] = p["c"] = p["a"]
    elif system == "hexagonal":
        p["b"], p["gamma"] = p["a"], 120.0
    missing = [k for k in cr.CELL_PARAMETERS if k not in p]
    if missing:
        raise ValueError(f"a {system} cell needs {', '.join(missing)}")
    return cr.Cell(*(p[k] for k in cr.CELL_PARAMETERS))


@dataclass(frozen=True, eq=False)
class Phase:
    """One library phase. See the module docstring for the meaning of each field.

    hkl: (n, 3) int for cell phases; fixed_d_A: (n,) Å for d-list phases (then ``cell`` is None);
    rel_intensity: (n,) relative integrated intensities; cell_ranges: parameter → (min, max).
    """

    name: str
    kind: str
    system: str
    rel_intensity: np.ndarray
    cell: Optional[cr.Cell] = None
    space_group_number: int = 0
    space_group_symbol: str = ""
    hkl: Optional[np.ndarray] = None
    fixed_d_A: Optional[np.ndarray] = None
    cell_ranges: dict = field(default_factory=dict)
    broadening_rel_d: float = 0.0
    fault_broadening_rel_d: float = 0.0
    description: str = ""
    stacking: str = ""
    layers_per_cell: Optional[int] = None
    provenance: str = ""
    notes: str = ""
    source_path: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rel_intensity", np.asarray(self.rel_intensity, dtype=float))
        if self.hkl is not None:
            object.__setattr__(self, "hkl", np.asarray(self.hkl, dtype=int).reshape(-1, 3))
        if self.fixed_d_A is not None:
            object.__setattr__(self, "fixed_d_A", np.asarray(self.fixed_d_A, dtype=float))
        if self.kind not in KINDS:
            raise ValueError(f"phase {self.name}: kind must be one of {KINDS}, not {self.kind!r}")
        if self.system not in SYSTEMS:
            raise ValueError(f"phase {self.name}: system must be one of {SYSTEMS}")
        if (self.cell is None) != (self.hkl is None):
            raise ValueError(f"phase {self.name}: give both a cell and hkl, or a fixed d-list")
        n = self.hkl.shape[0] if self.hkl is not None else np.size(self.fixed_d_A)
        if self.rel_intensity.shape != (n,):
            raise ValueError(f"phase {self.name}: {self.rel_intensity.size} intensities for {n} reflections")

    @property
    def free_parameters(self) -> tuple[str, ...]:
        """The cell parameters that can change independently (hexagonal: ("a", "c"))."""
        return FREE_PARAMETERS[self.system] if self.cell is not None else ()

    def with_cell(self, **params: float) -> "Phase":
        """A copy with some free cell parameters changed; the system's constraints are kept."""
        unknown = set(params) - set(self.free_parameters)
        if unknown:
            raise ValueError(f"phase {self.name}: {sorted(unknown)} are not free parameters "
                             f"{self.free_parameters}")
        current = {k: getattr(self.cell, k) for k in cr.CELL_PARAMETERS}
        return replace(self, cell=constrained_cell(self.system, **{**current, **params}))

    def d_A(self) -> np.ndarray:
        """(n,) d-spacings in Å of the listed reflections, from the cell (or the fixed list)."""
        if self.cell is None:
            return self.fixed_d_A.copy()
        return cr.d_spacing(self.cell, self.hkl)

    def fault_mask(self) -> np.ndarray:
        """(n,) True for reflections that stacking faults broaden: l ≠ 0 and (h, k) ≠ (0, 0)."""
        if self.hkl is None:
            return np.zeros(self.rel_intensity.size, dtype=bool)
        return (self.hkl[:, 2] != 0) & np.any(self.hkl[:, :2] != 0, axis=1)

    def reflections(self, wavelength_A: float,
                    two_theta_range: Optional[tuple[float, float]] = None) -> Reflections:
        """The listed reflections at ``wavelength_A`` (Å), inside ``two_theta_range`` (deg) if given."""
        d = self.d_A()
        tth = cr.two_theta_deg(d, wavelength_A)
        keep = np.isfinite(tth)
        if two_theta_range is not None:
            keep &= (tth >= two_theta_range[0]) & (tth <= two_theta_range[1])
        hkl = self.hkl if self.hkl is not None else np.zeros((d.size, 3), dtype=int)
        order = np.argsort(tth[keep], kind="stable")
        return Reflections(hkl=hkl[keep][order], d_A=d[keep][order], two_theta_deg=tth[keep][order],
                           rel_intensity=self.rel_intensity[keep][order],
                           fault=self.fault_mask()[keep][order])

    def cell_in_range(self) -> bool:
        """Whether every parameter that has a range lies inside it."""
        if self.cell is None:
            return True
        return all(lo <= getattr(self.cell, k) <= hi for k, (lo, hi) in self.cell_ranges.items())


def _cell_from_dict(path, system: str, d: dict) -> cr.Cell:
    try:
        return constrained_cell(system, **{k: float(v) for k, v in d.items()})
    except (TypeError, ValueError) as exc:
        raise InputError(path, f"bad cell {d}: {exc}") from exc


def _reflections_from_dict(path, rows: list, has_cell: bool):
    try:
        intensity = [float(r["rel_intensity"]) for r in rows]
        if has_cell:
            return np.array([[int(i) for i in r["hkl"]] for r in rows]).reshape(-1, 3), None, intensity
        return None, np.array([float(r["d_A"]) for r in rows]), intensity
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, f"reflections need hkl (or d_A) and rel_intensity: {exc}") from exc


def phase_from_dict(d: dict, path: str = "<dict>") -> Phase:
    """Build a :class:`Phase` from the JSON structure (see module docstring); InputError if bad."""
    if "name" not in d or "reflections" not in d:
        raise InputError(path, "a phase needs 'name' and 'reflections'")
    system = d.get("system", "none" if "cell" not in d else "triclinic")
    cell = _cell_from_dict(path, system, d["cell"]) if "cell" in d else None
    hkl, fixed_d, intensity = _reflections_from_dict(path, d["reflections"], cell is not None)
    sg = d.get("space_group", {})
    broad = d.get("broadening", {})
    try:
        phase = Phase(name=str(d["name"]), kind=d.get("kind", "cathode"), system=system, cell=cell,
                      rel_intensity=intensity, hkl=hkl, fixed_d_A=fixed_d,
                      space_group_number=int(sg.get("number", 0)), space_group_symbol=str(sg.get("symbol", "")),
                      cell_ranges={k: (float(v[0]), float(v[1])) for k, v in d.get("cell_ranges", {}).items()},
                      broadening_rel_d=float(broad.get("rel_d", 0.0)),
                      fault_broadening_rel_d=float(broad.get("fault_rel_d", 0.0)),
                      description=str(d.get("description", "")), stacking=str(d.get("stacking", "")),
                      layers_per_cell=d.get("layers_per_cell"), provenance=str(d.get("provenance", "")),
                      notes=str(d.get("notes", "")), source_path=str(path))
    except (TypeError, ValueError) as exc:
        raise InputError(path, str(exc)) from exc
    _check_phase(phase, path)
    return phase


def _check_phase(phase: Phase, path) -> None:
    for k, (lo, hi) in phase.cell_ranges.items():
        if k not in phase.free_parameters or not lo < hi:
            raise InputError(path, f"cell range {k} = ({lo}, {hi}) is not a valid range of a free parameter")
    if phase.cell is not None and phase.space_group_number:
        try:
            ok = cr.is_allowed(phase.space_group_number, phase.hkl)
        except ValueError as exc:
            raise InputError(path, str(exc)) from exc
        if not ok.all():
            bad = [tuple(int(i) for i in h) for h in phase.hkl[~ok]]
            raise InputError(path, f"reflections {bad} are forbidden in space group {phase.space_group_number}")


def phase_to_dict(phase: Phase) -> dict:
    """The JSON structure of a phase (inverse of :func:`phase_from_dict`)."""
    d: dict = {"name": phase.name, "kind": phase.kind, "description": phase.description}
    if phase.space_group_number:
        d["space_group"] = {"number": phase.space_group_number, "symbol": phase.space_group_symbol}
    d["system"] = phase.system
    if phase.cell is not None:
        d["cell"] = {k: getattr(phase.cell, k) for k in cr.CELL_PARAMETERS}
        d["reflections"] = [{"hkl": [int(i) for i in h], "rel_intensity": float(r)}
                            for h, r in zip(phase.hkl, phase.rel_intensity)]
    else:
        d["reflections"] = [{"d_A": float(x), "rel_intensity": float(r)}
                            for x, r in zip(phase.fixed_d_A, phase.rel_intensity)]
    if phase.cell_ranges:
        d["cell_ranges"] = {k: list(v) for k, v in phase.cell_ranges.items()}
    d["broadening"] = {"rel_d": phase.broadening_rel_d, "fault_rel_d": phase.fault_broadening_rel_d}
    for key in ("stacking", "layers_per_cell", "provenance", "notes"):
        if getattr(phase, key):
            d[key] = getattr(phase, key)
    return d


def load_phase(path) -> Phase:
    """Read one phase file; InputError naming the file if it is not valid JSON or not a phase."""
    path = Path(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read phase file: {exc}") from exc
    if not isinstance(d, dict):
        raise InputError(path, "a phase file holds one JSON object")
    return phase_from_dict(d, str(path))


def save_phase(phase: Phase, path) -> Path:
    """Write a phase as indented JSON (one reflection per line is left to the editor); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(phase_to_dict(phase), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def bundled_phases_dir() -> Path:
    return resources_dir() / "phases"


def load_library(extra_dirs: Iterable = ()) -> dict[str, Phase]:
    """All phases, by name: the bundled ones, then each of ``extra_dirs`` in order.

    A phase in a later folder replaces a bundled phase of the same name, so users can override
    defaults with their own refined cells. Folders that do not exist are an InputError.
    """
    library: dict[str, Phase] = {}
    for folder in (bundled_phases_dir(), *map(Path, extra_dirs)):
        if not folder.is_dir():
            raise InputError(folder, "phase folder does not exist")
        for path in sorted(folder.glob("*.json")):
            phase = load_phase(path)
            library[phase.name] = phase
    return library
