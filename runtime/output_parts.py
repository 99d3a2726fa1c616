"""Whole writes of an output as Parquet parts we cut ourselves, committed to Delta in one transaction.

delta-rs's own writer encodes on one thread (the stdlib's cpg_edges: 6.4 s) and spreads incoming batches over
the files it writes at once, so a range of rows ordered by a layout column straddles several files. Here rows
are cut into parts of about PART_BYTES in stream order, each part a contiguous run of the (chunk-sorted) rows,
encoded by pyarrow on two threads, and committed with the statistics that let a later write skip every part
but the few holding a changed file's rows. Parts are written before the commit: a build killed in between
leaves only unreferenced files (vacuum removes them), never a half-written table.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Schema
from deltalake.transaction import AddAction, create_table_with_add_actions

from runtime.chunk_sort import sorted_chunks
from runtime.parquet_part import write_part

# Arrow bytes per part: about the size delta-rs made them at target_file_size=1 MiB (2,538k cpg_nodes rows in
# 197 files on the stdlib), small enough that replacing a source file's rows rewrites little.
PART_BYTES = 2 * 1024 * 1024
# Parts encoded at once (pyarrow releases the GIL), and written ahead of the slowest: bounds memory.
_WRITERS = 2
_AHEAD = 4


def write_whole(location: Path, rows: pa.RecordBatchReader, configuration: dict[str, str],
                commit: CommitProperties | None = None, cluster_by: str | None = None) -> None:
    """Replace the table at location (creating it if needed) with rows, in one commit; with cluster_by, rows
    are ordered by that column within large chunks (runtime.chunk_sort), so each part covers a narrow range."""
    location.mkdir(parents=True, exist_ok=True)
    pieces = _parts(sorted_chunks(rows, cluster_by) if cluster_by else rows)
    adds: list[AddAction] = []
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
        pending: deque[Future] = deque()
        for piece in pieces:
            pending.append(pool.submit(_write_part, location, piece))
            while len(pending) > _AHEAD:
                adds.append(pending.popleft().result())
        adds.extend(future.result() for future in pending)
    schema = Schema.from_arrow(rows.schema)
    if DeltaTable.is_deltatable(str(location)):
        DeltaTable(str(location)).create_write_transaction(adds, mode="overwrite", schema=schema,
                                                           commit_properties=commit)
    else:
        create_table_with_add_actions(str(location), schema, adds, mode="overwrite", configuration=configuration,
                                      commit_properties=commit)


def _parts(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Consecutive batches gathered into tables of about PART_BYTES; a large batch (a sorted chunk) is cut, so a
    part never spans the end of one chunk and the start of the next."""
    gathered: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        if batch.nbytes > PART_BYTES:
            if gathered:
                yield pa.Table.from_batches(gathered)
                gathered, size = [], 0
            rows = max(1, batch.num_rows * PART_BYTES // batch.nbytes)
            for start in range(0, batch.num_rows, rows):
                yield pa.Table.from_batches([batch.slice(start, rows)])
            continue
        gathered.append(batch)
        size += batch.nbytes
        if size >= PART_BYTES:
            yield pa.Table.from_batches(gathered)
            gathered, size = [], 0
    if gathered:
        yield pa.Table.from_batches(gathered)


def _write_part(location: Path, table: pa.Table) -> AddAction:
    # No dictionaries: most output columns are unique ids, where trying one only costs time (measured: the
    # same size without).
    name, size, stats = write_part(location, table, dictionary=False)
    return AddAction(name, size, {}, int(time.time() * 1000), True, stats)
