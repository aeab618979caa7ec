"""Deciding what a file is from its first few kilobytes, not from its extension."""

from __future__ import annotations

import os
import re

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
SNIFF_BYTES = 4096
"""Binary detection reads no more than this many bytes, so a huge junk file cannot hang us."""

# Extensions that are never diffraction patterns, skipped in a folder without opening them.
IGNORED_SUFFIXES = frozenset({
    ".json", ".md", ".rst", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".cbf", ".edf", ".poni",
    ".log", ".ini", ".cfg", ".yaml", ".yml", ".py", ".ipynb", ".html", ".xml", ".zip", ".gz", ".mpr",
    ".mpt", ".nda", ".ndax", ".res", ".xlsx", ".xls", ".docx", ".mask", ".npy", ".npz", ".prm", ".instprm",
})

# Column names that mark an electrochemistry table (EC-Lab, Neware, hand-made CSV), not a pattern.
_ECHEM_WORDS = re.compile(
    r"(?<![a-z])(ewe|ecell|voltage|potential|current|capacity|<i>|i/ma|q-q0|cycle number|control/v|"
    r"half cycle|step_index|cycle_index|mah)(?![a-z])", re.IGNORECASE)

_TEXT_BYTES = bytes(range(32, 127)) + b"\t\n\r\f\x0b"


def is_hdf5(path: str | os.PathLike) -> bool:
    """True when the file starts with the HDF5 signature (at 0 or a user-block offset 512, 1024...).

    An unreadable file is "not HDF5" here; the text reader then reports why it cannot be read.
    """
    try:
        with open(path, "rb") as fh:
            if fh.read(8) == HDF5_SIGNATURE:
                return True
            offset = 512
            size = os.fstat(fh.fileno()).st_size
            while offset + 8 <= min(size, 1 << 20):
                fh.seek(offset)
                if fh.read(8) == HDF5_SIGNATURE:
                    return True
                offset *= 2
    except OSError:
        return False
    return False


def looks_binary(head: bytes) -> bool:
    """True for bytes that are not plausibly text: a NUL, or many control / undecodable bytes."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
        return False
    except UnicodeDecodeError as err:
        # A multi-byte character cut at the sniff boundary is still text.
        if err.start >= len(head) - 4:
            return False
    odd = len(head.translate(None, _TEXT_BYTES))
    # Latin-1 text (µ, °, Å) has a few high bytes; binary data has many.
    return odd > 0.10 * len(head)


def echem_columns(header_lines: list[str]) -> list[str]:
    """Electrochemistry column names found in header lines (empty when there are none)."""
    found: list[str] = []
    for line in header_lines:
        found.extend(m.group(1) for m in _ECHEM_WORDS.finditer(line))
    return found
