"""The project file: inputs (with checksums), settings, results and events in one HDF5 file.

Layout (format version 1)::

    /                 attrs: format = "operando-xrd project", format_version = 1, created_by
    /inputs           JSON text: [InputRef.to_dict(), ...]
    /settings         JSON text: a plain dict (display, clock offset, fit windows, phases …)
    /events           JSON text: [Event.to_dict(), ...]
    /results/<name>   one dataset per named array (names may contain "/" for groups)

Text and numbers only: no pickle, nothing executable. :func:`save_project` writes a temporary
file beside the target, flushes it to disk and renames it over the target, so an interrupted
save leaves the previous file intact. :func:`load_project` reads older formats through
:data:`MIGRATIONS` and refuses newer ones with a message saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional

import h5py
import numpy as np

from .errors import InputError
from .events import Event
from .fit_results import SeriesFitResult
from .fit_windows import windows_from_json, windows_to_json

FORMAT_NAME = "operando-xrd project"
FORMAT_VERSION = 1
PROJECT_SUFFIX = ".oxrd"
AUTOSAVE_SUFFIX = ".autosave"
_CHUNK_BYTES = 1 << 20
_COMPRESS_ABOVE_BYTES = 1 << 16   # small arrays are not worth a compression filter


@dataclass(frozen=True)
class InputRef:
    """One input the project was built from.

    role:        "patterns" or "echem" (free text; the GUI uses these two)
    path:        absolute path when saved
    rel_path:    path relative to the project file's folder ("" when on another drive)
    kind:        "file" or "folder"
    sha256:      hex digest of the file, or of the folder's sorted (name, content digest) list
    size_bytes:  file size, or the sum over the folder's files
    """

    role: str
    path: str
    rel_path: str
    kind: str
    sha256: str
    size_bytes: int

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> "InputRef":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class InputCheck:
    """How an input looks on reopening: status "ok", "changed" (checksum differs) or "missing"."""

    ref: InputRef
    status: str
    resolved_path: Optional[str]


@dataclass
class Project:
    """Everything a session needs to be restored: inputs, settings, results and events.

    settings: JSON-compatible dict (str keys; str, numbers, bools, None, lists, dicts)
    results:  name -> numeric, boolean or string ndarray of any shape
    """

    inputs: tuple[InputRef, ...] = ()
    settings: dict = field(default_factory=dict)
    results: dict[str, np.ndarray] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    format_version: int = FORMAT_VERSION


# -- checksums --------------------------------------------------------------------------------
def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_checksum(path: str | os.PathLike) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file, or of a folder's files.

    A folder's digest covers every regular file below it, in sorted relative-path order, as
    ``name NUL digest NUL`` lines, so renaming, adding, removing or editing any file changes it.
    """
    path = Path(path)
    if path.is_file():
        return file_sha256(path), path.stat().st_size
    if not path.is_dir():
        raise InputError(path, "no such file or folder")
    digest, size = hashlib.sha256(), 0
    files = sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        digest.update(p.relative_to(path).as_posix().encode() + b"\0" + file_sha256(p).encode() + b"\0")
        size += p.stat().st_size
    return digest.hexdigest(), size


def make_input_ref(path: str | os.PathLike, role: str, project_path: str | os.PathLike | None = None) -> InputRef:
    """Describe an input (checksum included), relative to ``project_path``'s folder when given."""
    absolute = os.path.abspath(os.fspath(path))
    sha, size = input_checksum(absolute)
    rel = "" if project_path is None else relative_path(absolute, project_path)
    return InputRef(role, absolute, rel, "folder" if os.path.isdir(absolute) else "file", sha, size)


def relative_path(path: str | os.PathLike, project_path: str | os.PathLike) -> str:
    """``path`` relative to the project file's folder, with "/" separators ("" on another drive)."""
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.abspath(project_path)))).as_posix()
    except ValueError:   # another drive on Windows: no relative path exists
        return ""


def resolve_input(ref: InputRef, project_path: str | os.PathLike) -> Optional[str]:
    """Where the input is now: beside the project first (the pair may have moved together), then
    at its absolute path; None when neither exists."""
    if ref.rel_path:
        beside = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(project_path)), ref.rel_path))
        if os.path.exists(beside):
            return beside
    return ref.path if os.path.exists(ref.path) else None


def check_inputs(project: Project, project_path: str | os.PathLike) -> list[InputCheck]:
    """Locate every input and compare its checksum with the saved one."""
    checks = []
    for ref in project.inputs:
        found = resolve_input(ref, project_path)
        if found is None:
            checks.append(InputCheck(ref, "missing", None))
            continue
        sha, _ = input_checksum(found)
        checks.append(InputCheck(ref, "ok" if sha == ref.sha256 else "changed", found))
    return checks


# -- saving -------------------------------------------------------------------------------------
def save_project(path: str | os.PathLike, project: Project) -> Path:
    """Write ``project`` to ``path`` atomically: a temporary file in the same folder, flushed and
    fsynced, then renamed over ``path``. On any failure the previous file is untouched and the
    temporary file removed. Raises ValueError for settings that are not JSON or unstorable results."""
    path = Path(path)
    settings_text = _json_text(project.settings, "settings")
    events_text = _json_text([e.to_dict() for e in project.events], "events")
    inputs_text = _json_text([r.to_dict() for r in project.inputs], "inputs")
    results = {name: _storable(name, value) for name, value in project.results.items()}
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT_NAME
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["created_by"] = "operando-xrd"
            f.create_dataset("inputs", data=inputs_text, dtype=h5py.string_dtype())
            f.create_dataset("settings", data=settings_text, dtype=h5py.string_dtype())
            f.create_dataset("events", data=events_text, dtype=h5py.string_dtype())
            group = f.create_group("results")
            for name, value in results.items():
                _write_array(group, name, value)
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _json_text(value, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"project {what} cannot be stored as JSON: {exc}") from None


def _storable(name: str, value) -> np.ndarray:
    if not name or name.startswith("/") or "//" in name or name.endswith("/"):
        raise ValueError(f"result name {name!r} is not a valid relative name")
    array = np.asarray(value)
    if array.dtype.kind not in "biufcU":
        raise ValueError(f"result {name!r} has dtype {array.dtype}; only numbers, booleans and text are stored")
    return array


def _write_array(group: h5py.Group, name: str, array: np.ndarray) -> None:
    if array.dtype.kind == "U":
        data = np.char.encode(array, "utf-8").astype(object)
        group.create_dataset(name, data=data, dtype=h5py.string_dtype())
        group[name].attrs["text"] = True
        return
    compress = array.nbytes > _COMPRESS_ABOVE_BYTES and array.ndim > 0
    group.create_dataset(name, data=array, compression="gzip" if compress else None)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX; not Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- loading ------------------------------------------------------------------------------------
def _refuse_format_0(raw: dict) -> dict:
    raise InputError(raw["path"], "was written by a pre-release development build (project format 0), "
                                  "which this version cannot read; re-create the project from its inputs")


MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _refuse_format_0}
"""version -> function turning a raw project dict of that version into one of the next version.

A raw dict has keys path, format_version, inputs (list of dicts), settings (dict),
events (list of dicts) and results (name -> ndarray)."""


def load_project(path: str | os.PathLike) -> Project:
    """Read a project file, migrating older formats. Raises InputError naming the file when it is
    missing, is not a project, was written by a newer version, or is damaged."""
    raw = _read_raw(os.fspath(path))
    version = raw["format_version"]
    if version > FORMAT_VERSION:
        raise InputError(path, f"was written by a newer operando-xrd (project format {version}); "
                               f"this version reads up to format {FORMAT_VERSION}")
    while raw["format_version"] < FORMAT_VERSION:
        step = MIGRATIONS.get(raw["format_version"])
        if step is None:
            raise InputError(path, f"project format {raw['format_version']} is too old to read")
        raw = step(raw)
    try:
        return Project(inputs=tuple(InputRef.from_dict(d) for d in raw["inputs"]),
                       settings=dict(raw["settings"]), results=raw["results"],
                       events=tuple(Event.from_dict(d) for d in raw["events"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, f"damaged project contents ({exc})") from None


def _read_raw(path: str) -> dict:
    if not os.path.exists(path):
        raise InputError(path, "no such project file")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise InputError(path, "not an operando-xrd project (not an HDF5 file, or damaged)") from None
    with f:
        if f.attrs.get("format") != FORMAT_NAME:
            raise InputError(path, "not an operando-xrd project (an HDF5 file without the project marker)")
        try:
            raw = {"path": path, "format_version": int(f.attrs["format_version"])}
            for key in ("inputs", "settings", "events"):
                raw[key] = json.loads(f[key][()].decode("utf-8")) if key in f else ([] if key != "settings" else {})
            raw["results"] = _read_results(f["results"]) if "results" in f else {}
        except (KeyError, ValueError, OSError) as exc:
            raise InputError(path, f"damaged project file ({exc})") from None
    return raw


def _read_results(group: h5py.Group) -> dict[str, np.ndarray]:
    results: dict[str, np.ndarray] = {}

    def visit(name: str, obj) -> None:
        if isinstance(obj, h5py.Dataset):
            if obj.attrs.get("text", False):
                results[name] = np.char.decode(np.asarray(obj[()], dtype=bytes), "utf-8")
            else:
                results[name] = np.asarray(obj[()])

    group.visititems(visit)
    return results


# -- peak-fit results as named arrays -------------------------------------------------------------
_FIT_ARRAYS = ("scan", "time_s", "center", "center_err", "fwhm", "fwhm_err", "area", "area_err", "height",
               "height_err", "shape", "shape_err", "redchi", "rwp", "success")


def fit_result_arrays(result: SeriesFitResult) -> dict[str, np.ndarray]:
    """A peak-fit result as project result arrays (windows as JSON text, flags as text arrays,
    an unknown wavelength as NaN), ready to be stored under a prefix such as ``"peak_fit/"``."""
    arrays = {name: np.asarray(getattr(result, name)) for name in _FIT_ARRAYS}
    arrays["windows_json"] = np.array(windows_to_json(result.windows))
    arrays["wavelength_A"] = np.array(np.nan if result.wavelength_A is None else float(result.wavelength_A))
    arrays["peak_flags"] = np.asarray(result.peak_flags, dtype=str)
    arrays["window_flags"] = np.asarray(result.window_flags, dtype=str)
    for i, (values, stderr) in enumerate(zip(result.values, result.stderr)):
        arrays[f"values/w{i}"], arrays[f"stderr/w{i}"] = np.asarray(values), np.asarray(stderr)
    return arrays


def fit_result_from_arrays(arrays: Mapping[str, np.ndarray]) -> SeriesFitResult:
    """The inverse of :func:`fit_result_arrays`."""
    windows = windows_from_json(str(arrays["windows_json"]))
    wavelength_A = float(arrays["wavelength_A"])
    return SeriesFitResult(
        windows=windows, wavelength_A=None if np.isnan(wavelength_A) else wavelength_A,
        **{name: np.asarray(arrays[name]) for name in _FIT_ARRAYS if name != "success"},
        success=np.asarray(arrays["success"], dtype=bool),
        peak_flags=np.asarray(arrays["peak_flags"], dtype=object),
        window_flags=np.asarray(arrays["window_flags"], dtype=object),
        values=tuple(np.asarray(arrays[f"values/w{i}"]) for i in range(len(windows))),
        stderr=tuple(np.asarray(arrays[f"stderr/w{i}"]) for i in range(len(windows))))


def autosave_path(project_path: str | os.PathLike) -> Path:
    """Where the autosave of ``project_path`` lives: beside it, with ``.autosave`` appended."""
    project_path = Path(project_path)
    return project_path.with_name(project_path.name + AUTOSAVE_SUFFIX)


def newer_autosave(project_path: str | os.PathLike) -> Optional[Path]:
    """The autosave of ``project_path`` when it exists and is newer than the project itself."""
    auto = autosave_path(project_path)
    if not auto.exists():
        return None
    if Path(project_path).exists() and auto.stat().st_mtime_ns <= Path(project_path).stat().st_mtime_ns:
        return None
    return auto
