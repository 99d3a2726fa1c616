"""stable_id(p0, p1, p2, p3) -> string: a fixed hash of four string parts (fallback of the Rust UDF).

SHA-256 over the tag `semc:stable_id:v1`, then for each part in order either the byte 0x00 (null) or the byte
0x01, the part's UTF-8 length as 8 bytes big-endian, and its UTF-8 bytes; the result is the first 16 bytes of
the digest as 32 lowercase hex characters, never null. docs/udfs.md gives the definition with examples.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

TAG = b"semc:stable_id:v1"
NULL_PART = b"\x00"
PRESENT_PART = b"\x01"
HEX_CHARS = 32


def stable_id_of(parts: tuple[str | None, ...]) -> str:
    """The id of one row's parts; the definition every implementation must reproduce."""
    hasher = hashlib.sha256(TAG)
    for part in parts:
        if part is None:
            hasher.update(NULL_PART)
        else:
            data = part.encode("utf-8")
            hasher.update(PRESENT_PART + len(data).to_bytes(8, "big") + data)
    return hasher.hexdigest()[:HEX_CHARS]


def implementation(p0: pa.Array, p1: pa.Array, p2: pa.Array, p3: pa.Array) -> pa.Array:
    # SHA-256 has no pyarrow.compute kernel: one hashlib call per row, over the columns as Python values.
    columns = [part.to_pylist() for part in (p0, p1, p2, p3)]
    return pa.array([stable_id_of(row) for row in zip(*columns)], pa.string())
