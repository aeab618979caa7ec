"""What an HDF5/NeXus file says around the stack: axis unit, wavelength, per-scan times, start time."""

from __future__ import annotations

import h5py
import numpy as np

from .. import axis as ax
from . import header as hdr
from .hdf5_find import attr_text, nx_class

TIME_NAMES = ("epoch", "timestamps", "timestamp", "time", "elapsed_time", "elapsed", "epoch_time", "t", "time_s")
"""Per-scan time datasets, most absolute first (BLISS ``measurement/epoch``, NeXus ``time``)."""

_NAME_KINDS = {"2th": ax.TWO_THETA, "tth": ax.TWO_THETA, "two_theta": ax.TWO_THETA, "twotheta": ax.TWO_THETA,
               "2theta": ax.TWO_THETA, "polar_angle": ax.TWO_THETA, "q": ax.Q, "d": ax.D}


def axis_kind(axis: h5py.Dataset, notes: list[str]) -> tuple[str, float]:
    """(kind, scale) of an axis dataset from its ``units``/``unit`` attribute, else from its name."""
    for key in ("units", "unit"):
        unit = attr_text(axis, key)
        if isinstance(unit, str) and unit.strip():
            found = hdr.axis_from_label(unit)
            if found:
                return found
            notes.append(f"unknown axis unit {unit!r} on {axis.name}")
    name = axis.name.rsplit("/", 1)[-1].lower()
    kind = _NAME_KINDS.get(name) or _NAME_KINDS.get(str(attr_text(axis, "name", "")).lower())
    if kind is not None:
        notes.append(f"{axis.name} has no unit attribute; {ax.AXIS_LABELS[kind]} assumed from its name")
        return kind, 1.0
    notes.append(f"{axis.name} has no unit attribute; assumed 2θ in degrees")
    return ax.TWO_THETA, 1.0


def entry_of(obj) -> h5py.Group:
    """The top-level group (NXentry, BLISS scan) that holds ``obj``; the root for top-level objects."""
    parts = [p for p in obj.name.split("/") if p]
    return obj.file[parts[0]] if len(parts) > 1 else obj.file


def _scalar(ds: h5py.Dataset) -> float | None:
    try:
        value = np.asarray(ds[()], dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    return float(value[0]) if value.size else None


def _length_A(value: float, units: str) -> float:
    units = units.lower().strip()
    if units in ("m", "meter", "metre", "meters", "metres") or (not units and value < 1e-6):
        return value * 1e10
    if units in ("nm", "nanometer", "nanometre"):
        return value * 10.0
    return value


def _energy_keV(value: float, units: str) -> float:
    units = units.lower().strip()
    return value / 1000.0 if units == "ev" else value


def wavelength_A(entry: h5py.Group) -> float | None:
    """λ in Å from an NXmonochromator (``wavelength`` or ``energy``) anywhere under the entry."""
    monochromators: list[h5py.Group] = []
    entry.visititems(lambda n, o: monochromators.append(o)
                     if isinstance(o, h5py.Group) and nx_class(o) == "NXmonochromator" else None)
    for group in monochromators:
        found = _wavelength_in(group)
        if found:
            return found
    loose: list[h5py.Dataset] = []
    entry.visititems(lambda n, o: loose.append(o)
                     if isinstance(o, h5py.Dataset) and n.rsplit("/", 1)[-1].lower() in ("wavelength", "energy")
                     else None)
    for ds in loose:
        found = _wavelength_in(ds.parent, only=ds.name.rsplit("/", 1)[-1])
        if found:
            return found
    return None


def _wavelength_in(group: h5py.Group, only: str | None = None) -> float | None:
    for name in ("wavelength", "energy"):
        if only is not None and name != only.lower():
            continue
        ds = group.get(name)
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "fiu":
            continue
        value = _scalar(ds)
        if not value or value <= 0:
            continue
        units = str(attr_text(ds, "units", attr_text(ds, "unit", "")) or "")
        if name == "wavelength":
            lam = _length_A(value, units)
        else:
            lam = hdr.HC_KEV_A / _energy_keV(value, units)
        if 0.01 <= lam <= 20.0:
            return float(f"{lam:.12g}")
    return None


def scan_times(group: h5py.Group, n_scans: int) -> tuple[np.ndarray | None, h5py.Dataset | None]:
    """Per-scan times in seconds (as stored) from a time-like dataset in or above the stack's group.

    Looks in the group itself, then in each ancestor and its ``measurement`` subgroup (BLISS).
    Returns (times, dataset) or (None, None).
    """
    node = group
    while True:
        for place in (node, node.get("measurement")):
            if not isinstance(place, h5py.Group):
                continue
            for name in TIME_NAMES:
                ds = place.get(name)
                if (isinstance(ds, h5py.Dataset) and ds.dtype.kind in "fiu" and ds.ndim == 1
                        and ds.shape[0] == n_scans and n_scans > 0):
                    t = np.asarray(ds[()], dtype=float)
                    if np.all(np.isfinite(t)):
                        unit = str(attr_text(ds, "units", attr_text(ds, "unit", "")) or "").lower()
                        return (t / 1000.0 if unit == "ms" else t), ds
        if node.name == "/":
            return None, None
        node = node.parent


def start_epoch_s(entry: h5py.Group) -> float | None:
    """POSIX time from a ``start_time`` dataset or attribute of the entry (or the file root)."""
    for obj in (entry, entry.file):
        ds = obj.get("start_time") if isinstance(obj, h5py.Group) else None
        texts = []
        if isinstance(ds, h5py.Dataset):
            value = ds[()]
            texts.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
        for key in ("start_time", "file_time"):
            value = attr_text(obj, key)
            if value is not None:
                texts.append(str(value))
        for text in texts:
            stamp = hdr.parse_timestamp(text)
            if stamp is not None:
                return stamp
    return None
