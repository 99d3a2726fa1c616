"""column_to_byte(line_text, column, encoding) -> int64 (fallback of the Rust UDF).

The UTF-8 byte offset in `line_text` of a 0-based column counted in `encoding` units: "utf-8" (bytes),
"utf-16" (code units; a character beyond U+FFFF counts 2) or "utf-32" (code points). The column may equal the
line's length (the end of the line). Null when any argument is null, the encoding is not one of those three
exact names, the column is negative or beyond the end of the line, or it does not fall on a character boundary
(inside a multi-byte UTF-8 sequence, or between the two halves of a UTF-16 surrogate pair).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ENCODINGS = ("utf-8", "utf-16", "utf-32")


def _units(ch: str, encoding: str) -> int:
    if encoding == "utf-32":
        return 1
    point = ord(ch)
    if encoding == "utf-16":
        return 2 if point > 0xFFFF else 1
    return 1 if point < 0x80 else 2 if point < 0x800 else 3 if point < 0x10000 else 4


def byte_offset(line: str, column: int, encoding: str) -> int | None:
    """One row: the definition every implementation must reproduce (the caller has checked the encoding)."""
    if column < 0:
        return None
    units = offset = 0
    for ch in line:
        if units == column:
            return offset
        units += _units(ch, encoding)
        if units > column:
            return None
        offset += _units(ch, "utf-8")
    return offset if units == column else None


def _filled(mask: pa.Array) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def implementation(line_text: pa.Array, column: pa.Array, encoding: pa.Array) -> pa.Array:
    known = pc.and_(pc.is_in(encoding, value_set=pa.array(ENCODINGS)), pc.is_valid(column))
    ascii_line = pc.string_is_ascii(line_text)
    # ASCII lines (almost all of them): every unit is one byte, so the column is the offset when in range.
    length = pc.cast(pc.utf8_length(line_text), pa.int64())
    in_range = pc.and_(pc.greater_equal(column, 0), pc.less_equal(column, length))
    fast = _filled(pc.and_(pc.and_(known, ascii_line), in_range))
    slow = np.flatnonzero(_filled(pc.and_(known, pc.invert(ascii_line))))
    values = np.zeros(len(line_text), dtype=np.int64)
    valid = fast.copy()
    if fast.any():
        values[fast] = pc.fill_null(column, 0).to_numpy(zero_copy_only=False)[fast]
    if len(slow):
        indices = pa.array(slow)
        rows = zip(*(array.take(indices).to_pylist() for array in (line_text, column, encoding)))
        for index, (line, col, enc) in zip(slow, rows):
            offset = byte_offset(line, col, enc)
            if offset is not None:
                values[index], valid[index] = offset, True
    return pa.array(values, pa.int64(), mask=~valid)
