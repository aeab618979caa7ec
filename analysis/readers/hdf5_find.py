"""Finding the pattern stack in an HDF5/NeXus file (no data are read here, only shapes and attributes).

Order of search, as in ``/work/shared/ecosystem.md`` §1:
1. ``@default`` from the root to an NXentry to an NXdata (pyFAI, Dioptas, NXazint1d);
2. any NXdata group with ``@signal`` (or a legacy dataset with ``signal=1``), largest first;
3. the largest 2-D numeric dataset whose last axis matches a strictly monotonic 1-D dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import h5py
import numpy as np

from .header import axis_from_label

AXIS_NAMES = ("2th", "tth", "two_theta", "twotheta", "radial", "radial_axis", "polar_angle", "q", "d", "binning",
              "2theta")
"""Axis dataset names that producers use, most specific first."""

NOT_X_NAMES = frozenset({"time", "epoch", "elapsed_time", "timestamps", "timestamp", "points", "frame", "frames",
                         "index", "scan", "scan_number", "image_number"})
"""Monotonic 1-D datasets that count scans or time; the heuristic never takes them for the x axis."""

MAX_AXIS_POINTS_CHECK = 1_000_000


@dataclass
class StackLocation:
    """Where the pattern stack is: the signal dataset, its x-axis dataset and optional errors."""

    signal: h5py.Dataset
    axis: h5py.Dataset
    errors: h5py.Dataset | None
    group: h5py.Group
    how: str
    transposed: bool = False


def attr_text(obj, name: str, default=None):
    """An attribute as ``str`` (decoding bytes and 1-element arrays), or ``default``."""
    value = obj.attrs.get(name, default)
    if isinstance(value, np.ndarray):
        value = value.tolist()
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value


def nx_class(obj) -> str:
    value = attr_text(obj, "NX_class", "")
    return value if isinstance(value, str) else ""


def find_stack(f: h5py.File) -> tuple[StackLocation | None, list[str]]:
    """The best pattern stack in ``f`` and the paths of other candidates passed over.

    A 2-D stack reached through ``@default`` wins at once. Otherwise candidates are ranked:
    stacks (several patterns) before single patterns, then diffraction axes (2θ/Q/d names or
    units) before other axes (e.g. an MCA energy axis), then size.
    """
    via_default = _follow_default(f)
    default_found = resolve_nxdata(via_default, "via @default") if via_default is not None else None
    if default_found is not None and is_stack(default_found):
        return default_found, []
    candidates: list[StackLocation] = [default_found] if default_found is not None else []
    f.visititems(lambda name, obj: _collect_nxdata(obj, candidates))
    if not any(is_stack(c) and diffraction_axis(c.axis) for c in candidates):
        heuristic = _largest_2d_with_axis(f)
        if heuristic is not None:
            candidates.append(heuristic)
    if not candidates:
        return None, []
    candidates.sort(key=lambda c: (is_stack(c), diffraction_axis(c.axis), c.signal.size), reverse=True)
    others = [c.signal.name for c in candidates[1:] if c.signal.name != candidates[0].signal.name]
    return candidates[0], others


def is_stack(loc: StackLocation) -> bool:
    """True when the signal holds more than one pattern."""
    return sum(1 for n in loc.signal.shape if n > 1) >= 2


def diffraction_axis(axis: h5py.Dataset) -> bool:
    """True when an axis dataset is named or labelled like 2θ, Q or d."""
    if axis.name.rsplit("/", 1)[-1].lower() in AXIS_NAMES:
        return True
    for key in ("units", "unit"):
        unit = attr_text(axis, key)
        if isinstance(unit, str) and axis_from_label(unit) is not None:
            return True
    return False


def _follow_default(f: h5py.File) -> h5py.Group | None:
    group = f
    for _ in range(6):
        if "signal" in group.attrs and group is not f:
            return group
        target = attr_text(group, "default")
        if not isinstance(target, str) or not target:
            return group if nx_class(group) == "NXdata" else _only_data_child(group, f)
        try:
            nxt = group[target]
        except (KeyError, ValueError):
            return None
        if not isinstance(nxt, h5py.Group):
            return None
        group = nxt
    return None


def _only_data_child(group: h5py.Group, root: h5py.File) -> h5py.Group | None:
    """The single NXdata-like child of an entry that has no ``@default`` of its own (Dioptas)."""
    if group is root:
        return None
    children = [g for g in group.values()
                if isinstance(g, h5py.Group) and (nx_class(g) == "NXdata" or "signal" in g.attrs)]
    return children[0] if len(children) == 1 else None


def _collect_nxdata(obj, out: list[StackLocation]) -> None:
    if isinstance(obj, h5py.Group) and (nx_class(obj) == "NXdata" or "signal" in obj.attrs):
        found = resolve_nxdata(obj, "NXdata search")
    elif isinstance(obj, h5py.Dataset) and str(attr_text(obj, "signal", "")) == "1":
        found = resolve_nxdata(obj.parent, "legacy signal=1 attribute", legacy_signal=obj)
    else:
        return
    if found is not None and all(found.signal.name != c.signal.name for c in out):
        out.append(found)


def _numeric(ds) -> bool:
    return isinstance(ds, h5py.Dataset) and ds.dtype.kind in "fiu" and ds.size > 0


def _signal_of(group: h5py.Group, legacy_signal) -> h5py.Dataset | None:
    if legacy_signal is not None:
        return legacy_signal
    name = attr_text(group, "signal")
    if isinstance(name, str) and name in group and _numeric(group[name]):
        return group[name]
    for ds in group.values():
        if _numeric(ds) and str(attr_text(ds, "signal", "")) == "1":
            return ds
    return None


def _axis_names(group: h5py.Group, signal: h5py.Dataset) -> list[str]:
    """Axis names that attributes point to, the one for the last dimension first."""
    raw = attr_text(group, "axes")
    if raw is None:
        raw = attr_text(signal, "axes")
    if isinstance(raw, str):
        names = [n for n in re.split(r"[:,\s]+", raw) if n]
    elif isinstance(raw, (list, tuple)):
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in raw]
    else:
        names = []
    last = [names[-1]] if len(names) == signal.ndim and names else []
    for key in group.attrs:
        if key.endswith("_indices"):
            index = attr_text(group, key)
            if isinstance(index, (int, np.integer)) and int(index) in (signal.ndim - 1, -1):
                last.insert(0, key[: -len("_indices")])
    return last + [n for n in names if n not in last and n != "."]


def resolve_nxdata(group: h5py.Group, how: str, legacy_signal=None) -> StackLocation | None:
    """Signal, axis and errors of an NXdata-like group, or None when it holds no 1-D pattern(s)."""
    signal = _signal_of(group, legacy_signal)
    if signal is None or signal.ndim not in (1, 2, 3):
        return None
    shape = [n for n in signal.shape if n != 1] or [1]
    if len(shape) > 2:
        return None
    named = _axis_names(group, signal)
    axis, transposed = _matching_axis(group, named, signal.shape[-1], shape[0] if len(shape) == 2 else None)
    if axis is None:
        return None
    errors = None
    for name in (f"{signal.name.rsplit('/', 1)[-1]}_errors", "errors"):
        if name in group and _numeric(group[name]) and group[name].shape == signal.shape:
            errors = group[name]
            break
    path = group.name
    return StackLocation(signal=signal, axis=axis, errors=errors, group=group, how=f"NXdata {path} ({how})",
                         transposed=transposed)


def _matching_axis(group, named, n_last, n_first) -> tuple[h5py.Dataset | None, bool]:
    """A 1-D strictly monotonic dataset whose length matches the signal's last (or first) axis.

    Any monotonic dataset may serve the last axis; a stack stored as (points, scans) is only
    recognised by a 2θ/Q/d axis, so that a scan counter is never taken for the x axis.
    """
    ordered = named + [n for n in AXIS_NAMES if n not in named]
    ordered += [k for k in group.keys() if k not in ordered]
    for want, transposed in ((n_last, False), (n_first, True)):
        if want is None or want < 2:
            continue
        for name in ordered:
            try:
                ds = group.get(name)
            except (KeyError, OSError):  # dangling external link
                continue
            if (_numeric(ds) and ds.ndim == 1 and ds.shape[0] == want and _monotonic(ds)
                    and (not transposed or diffraction_axis(ds))):
                return ds, transposed
    return None, False


def _monotonic(ds: h5py.Dataset) -> bool:
    if ds.shape[0] > MAX_AXIS_POINTS_CHECK:
        return False
    d = np.diff(np.asarray(ds[()], dtype=float))
    return bool(np.all(d > 0) or np.all(d < 0))


def _largest_2d_with_axis(f: h5py.File) -> StackLocation | None:
    stacks: list[h5py.Dataset] = []
    axes: list[h5py.Dataset] = []

    def visit(name, obj):
        if _numeric(obj) and obj.ndim == 2 and min(obj.shape) >= 1 and obj.shape[1] >= 2:
            stacks.append(obj)
        elif _numeric(obj) and obj.ndim == 1 and obj.shape[0] >= 2:
            axes.append(obj)

    f.visititems(visit)
    rank = {n: i for i, n in enumerate(AXIS_NAMES)}
    axes.sort(key=lambda a: rank.get(a.name.rsplit("/", 1)[-1].lower(), len(rank)))
    for stack in sorted(stacks, key=lambda s: s.size, reverse=True):
        for axis in axes:
            if (axis.shape[0] == stack.shape[1] and axis.name.rsplit("/", 1)[-1].lower() not in NOT_X_NAMES
                    and _monotonic(axis)):
                return StackLocation(signal=stack, axis=axis, errors=None, group=stack.parent,
                                     how=f"2-D dataset {stack.name} with axis {axis.name} (heuristic)")
    return None
