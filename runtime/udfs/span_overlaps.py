"""span_overlaps(a_start, a_end, b_start, b_end) -> bool (fallback of the Rust UDF).

Half-open byte spans `[start, end)` overlap when they share at least one byte: max(a_start, b_start) <
min(a_end, b_end). An empty or inverted span overlaps nothing. Any null argument gives null.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def implementation(a_start: pa.Array, a_end: pa.Array, b_start: pa.Array, b_end: pa.Array) -> pa.Array:
    start = pc.max_element_wise(a_start, b_start, skip_nulls=False)
    end = pc.min_element_wise(a_end, b_end, skip_nulls=False)
    return pc.less(start, end)
