"""span_contains(outer_start, outer_end, inner_start, inner_end) -> bool (fallback of the Rust UDF).

Half-open byte spans: outer_start <= inner_start <= inner_end <= outer_end. An inverted span contains and is
contained by nothing; an empty inner span is contained when its position lies within the outer span, ends
included. Any null argument gives null.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def implementation(outer_start: pa.Array, outer_end: pa.Array, inner_start: pa.Array, inner_end: pa.Array) -> pa.Array:
    # and_ (not and_kleene): a null anywhere gives null, as in the Rust UDF.
    starts_inside = pc.less_equal(outer_start, inner_start)
    ordered = pc.less_equal(inner_start, inner_end)
    ends_inside = pc.less_equal(inner_end, outer_end)
    return pc.and_(pc.and_(starts_inside, ordered), ends_inside)
