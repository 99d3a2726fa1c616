"""normalize_qualname(qualname) -> string: a Python `__qualname__` in dotted form (fallback of the Rust UDF).

The name is split on "."; every segment that is exactly `<locals>` is dropped and the rest are joined with "."
again (`f.<locals>.g` -> `f.g`, `<locals>` -> ""). Every other segment is kept as it is, including `<lambda>`,
`<genexpr>`, empty segments (`a..b` stays `a..b`) and surrounding spaces. Null gives null.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LOCALS = "<locals>"


def implementation(qualname: pa.Array) -> pa.Array:
    qualname = qualname.cast(pa.string())
    segments = pc.split_pattern(qualname, ".")
    values = pc.list_flatten(segments)
    rows = pc.list_parent_indices(segments).to_numpy(zero_copy_only=False)
    keep = pc.not_equal(values, LOCALS)
    kept_rows = rows[keep.to_numpy(zero_copy_only=False)]
    offsets = np.zeros(len(qualname) + 1, dtype=np.int32)
    np.cumsum(np.bincount(kept_rows, minlength=len(qualname)), out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), values.filter(keep), mask=pc.is_null(qualname))
    return pc.binary_join(lists, ".")
