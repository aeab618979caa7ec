"""The numeric block of a text pattern: separators, decimal commas, and a fast path for big files.

The fast path converts the whole block with one ``str.split`` and one ``np.array(..., float)``;
only when that fails (comments inside the block, ragged rows, junk) do we walk the lines one by
one to say exactly which line is wrong.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InputError

_COMMENT_CHARS = ("#", "'", "!", ";")
_DECIMAL_COMMA_TOKEN = re.compile(r"[-+]?\d+(?:,\d+)?(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)", re.IGNORECASE)

WHITESPACE, COMMA, SEMICOLON, DECIMAL_COMMA = "whitespace", "comma", "semicolon", "decimal-comma"


def dialect_of(row: str) -> str:
    """How one data row separates its numbers (see module docstring)."""
    if ";" in row:
        return SEMICOLON
    if "," in row:
        tokens = row.split()
        if len(tokens) >= 2 and "." not in row and all(_DECIMAL_COMMA_TOKEN.fullmatch(t) for t in tokens):
            return DECIMAL_COMMA
        return COMMA
    return WHITESPACE


def normalise(text: str, dialect: str) -> str:
    """Rewrite text in ``dialect`` as whitespace-separated numbers with decimal points."""
    if dialect == SEMICOLON:
        return text.replace(",", ".").replace(";", " ")
    if dialect == DECIMAL_COMMA:
        return text.replace(",", ".")
    if dialect == COMMA:
        return text.replace(",", " ")
    return text


def uses_decimal_comma(dialect: str, row: str) -> bool:
    return dialect == DECIMAL_COMMA or (dialect == SEMICOLON and "," in row)


def split_row(row: str) -> list[float] | None:
    """The numbers on one row, or None when any field is not a number."""
    try:
        return [float(t) for t in normalise(row, dialect_of(row)).split()]
    except ValueError:
        return None


def parse_block(path: str, block: str, first_line_number: int) -> tuple[np.ndarray, str, int]:
    """Parse the numeric block (text from its first data row to the end) into a (n_rows, n_columns) table.

    Returns (table, dialect, n_footer_lines); ``dialect`` is ``"decimal-comma"`` whenever commas
    were read as decimal points; ``n_footer_lines`` counts trailing text lines (e.g. ``END``)
    that were ignored. ``first_line_number`` (1-based) is used in messages. Raises
    :class:`InputError` for ragged rows, non-numeric fields, NaN/inf, or fewer than 2 rows.
    """
    block = block.strip()
    first = block.split("\n", 1)[0].strip()
    dialect = dialect_of(first)
    n_columns = len(normalise(first, dialect).split())
    n_rows = block.count("\n") + 1
    table, footer = None, 0
    try:
        values = np.array(normalise(block, dialect).split(), dtype=float)
        if values.size == n_rows * n_columns:
            table = values.reshape(n_rows, n_columns)
    except ValueError:
        pass
    if table is None or not np.all(np.isfinite(table)):
        table, footer = _parse_lines(path, block.splitlines(), first_line_number, dialect, n_columns)
    if table.shape[0] < 2:
        raise InputError(path, "only one data row; a pattern needs at least two points")
    return table, (DECIMAL_COMMA if uses_decimal_comma(dialect, first) else dialect), footer


def _starts_like_number(s: str) -> bool:
    return s[0].isdigit() or (s[0] in "+-." and len(s) > 1 and (s[1].isdigit() or s[1] == "."))


def _parse_lines(path: str, lines: list[str], first_line_number: int, dialect: str,
                 n_columns: int) -> tuple[np.ndarray, int]:
    """Line-by-line parse that names the first bad line (slow path); returns (table, n_footer_lines).

    Text lines after the last numeric row that do not start like a number (``END``, a
    checksum line) are a footer and are ignored; anywhere else they are an error.
    """
    rows: list[list[float]] = []
    body = [(n, ln.strip()) for n, ln in enumerate(lines, start=first_line_number)]
    body = [(n, s) for n, s in body if s and s[0] not in _COMMENT_CHARS]
    last_numeric = max((i for i, (_, s) in enumerate(body) if _starts_like_number(s)), default=-1)
    for number, s in body[:last_numeric + 1]:
        tokens = normalise(s, dialect).split()
        try:
            row = [float(t) for t in tokens]
        except ValueError:
            bad = next(t for t in tokens if not _is_float(t))
            raise InputError(path, f"non-numeric value {bad[:20]!r} at line {number}") from None
        if len(row) != n_columns:
            raise InputError(path, f"ragged columns: line {number} has {len(row)} values, "
                                   f"expected {n_columns}")
        if not all(np.isfinite(row)):
            raise InputError(path, f"NaN or infinite value at line {number}")
        rows.append(row)
    return np.array(rows, dtype=float).reshape(len(rows), n_columns), len(body) - last_numeric - 1


def _is_float(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False
