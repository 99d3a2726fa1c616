"""One Parquet part file written into a Delta table's folder and described for the commit that will add it:
evidence parts (written by extraction workers) and output parts (runtime.output_parts) alike. It imports no
Delta code, so workers start without it."""

from __future__ import annotations

import json
import math
import os
import uuid
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

_RANGED = (pa.types.is_string, pa.types.is_integer, pa.types.is_floating)


def write_part(folder: str | os.PathLike, table: pa.Table, described: Iterable[str] | None = None,
               dictionary: bool = True) -> tuple[str, int, str]:
    """(file name, size in bytes, Delta statistics JSON) of a new part holding table; `described`: the columns
    the statistics cover (None: all)."""
    os.makedirs(folder, exist_ok=True)
    name = f"part-{uuid.uuid4().hex}.parquet"
    path = os.path.join(folder, name)
    written: list[pq.FileMetaData] = []
    pq.write_table(table, path, use_dictionary=dictionary, metadata_collector=written)
    return name, os.path.getsize(path), json.dumps(statistics(table.schema, written[0], described))


def statistics(schema: pa.Schema, metadata: pq.FileMetaData, described: Iterable[str] | None = None) -> dict:
    """Delta file statistics from the ones the Parquet writer computed while encoding: row and null counts, and
    the range of string and number columns (what file skipping reads). A range is left out where the writer gave
    none, or where JSON cannot carry it (an infinite float)."""
    wanted = None if described is None else set(described)
    nulls, low, high = {}, {}, {}
    for index, field in enumerate(schema):
        if wanted is not None and field.name not in wanted:
            continue
        chunks = [metadata.row_group(g).column(index) for g in range(metadata.num_row_groups)]
        groups = [chunk.statistics for chunk in chunks]
        nulls[field.name] = sum(g.null_count for g in groups)
        # A chunk with values but no range (the writer drops ranges past its size limit) leaves the range unknown.
        unknown = any(not g.has_min_max and g.null_count < c.num_values for g, c in zip(groups, chunks))
        ranged = [g for g in groups if g.has_min_max]
        if not any(test(field.type) for test in _RANGED) or not ranged or unknown:
            continue
        least, most = min(g.min for g in ranged), max(g.max for g in ranged)
        if isinstance(least, float) and not (math.isfinite(least) and math.isfinite(most)):
            continue
        low[field.name], high[field.name] = least, most
    found = {"numRecords": metadata.num_rows, "minValues": low, "maxValues": high, "nullCount": nulls}
    return {key: value for key, value in found.items() if value or key == "numRecords"}
