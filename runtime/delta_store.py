"""Write outputs to Delta Lake as their write policy says. Each write is one Delta commit: readers see the old
or the new table, whole."""

from __future__ import annotations

from pathlib import Path

import queue
import threading

import pyarrow as pa
from datafusion import DataFrame
from deltalake import CommitProperties, DeltaTable, write_deltalake

from runtime.program import WritePolicy

# Consumers of the CPG follow what changed between builds through the change data feed, on for every output.
OUTPUT_CONFIGURATION = {"delta.enableChangeDataFeed": "true"}
# Outputs are written in small files, so that replacing the rows of a few source files rewrites little.
OUTPUT_FILE_BYTES = 1024 * 1024
# Batches computed ahead of the Delta writer: enough to keep both busy, few enough to bound memory.
_QUEUED_BATCHES = 4
_END = object()


def stream_for_delta(df: DataFrame) -> pa.RecordBatchReader:
    """The DataFrame's rows as a reader for the Delta writer, computed on a thread of our own.

    The writer must not run the plan itself. Given the DataFrame, it drains the stream while holding the GIL,
    which hangs a plan that calls a Python UDF on a worker thread, and the stdlib's cpg_edges write (whose plan
    scans Delta tables through their own provider) never finished. Pulled from a Python generator inside the
    writer, a Delta scan panics ("Cannot start a runtime from within a runtime"). Here a producer thread runs
    the plan, outside every runtime, and hands batches over a small queue. Each batch is cast to one schema
    with plain strings: a union can deliver one branch's strings as Utf8 and another's as Utf8View, which
    the writer would refuse."""
    schema = pa.schema([f.with_type(pa.string()) if pa.types.is_string_view(f.type) else f for f in df.schema()])
    handoff: queue.Queue = queue.Queue(maxsize=_QUEUED_BATCHES)
    stop = threading.Event()

    def offer(item) -> bool:
        """Queue item unless the writer has stopped reading; False once it has."""
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in df.execute_stream():
                for piece in pa.Table.from_batches([batch.to_pyarrow()]).cast(schema).to_batches():
                    if not offer(piece):
                        return
            offer(_END)
        except BaseException as error:  # noqa: BLE001 - re-raised in the writer's thread
            offer(error)

    def consume():
        producer = threading.Thread(target=produce, name="semc-delta-producer", daemon=True)
        producer.start()
        try:
            while (item := handoff.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            producer.join()

    return pa.RecordBatchReader.from_batches(schema, consume())


def _mergeable(table: DeltaTable, df: DataFrame, policy: WritePolicy) -> bool:
    """Merge only into a table of the same columns and partitioning; anything else is replaced whole."""
    current = [f.name for f in table.schema().fields]
    return current == df.schema().names and list(table.metadata().partition_columns) == list(policy.partition_by)


def write_output(location: Path, df: DataFrame, policy: WritePolicy | None = None,
                 commit: CommitProperties | None = None) -> int:
    """Bring the table at location to exactly df's rows (streamed, not collected); returns the row count.

    With merge keys, rows are matched by key: unchanged rows stay in their files and the change data feed
    records only real inserts, updates and deletes. Without, the table is overwritten in one commit.
    """
    policy = policy or WritePolicy()
    location.parent.mkdir(parents=True, exist_ok=True)
    if DeltaTable.is_deltatable(str(location)):
        table = DeltaTable(str(location))
        if table.metadata().configuration.get("delta.enableChangeDataFeed") != "true":
            table.alter.set_table_properties(OUTPUT_CONFIGURATION)
        if policy.merge_on and _mergeable(table, df, policy):
            keys = " AND ".join(f'target."{k}" = source."{k}"' for k in policy.merge_on)
            (
                table.merge(source=stream_for_delta(df), predicate=keys, source_alias="source", target_alias="target",
                            commit_properties=commit)
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete()
                .execute()
            )
            return DeltaTable(str(location)).count()
    write_deltalake(
        str(location),
        stream_for_delta(df),
        mode="overwrite",
        schema_mode="overwrite",
        partition_by=list(policy.partition_by) or None,
        configuration=OUTPUT_CONFIGURATION,
        target_file_size=OUTPUT_FILE_BYTES,
        commit_properties=commit,
    )
    return DeltaTable(str(location)).count()


def is_delta_table(path: Path) -> bool:
    return (path / "_delta_log").is_dir()


def open_tables(root: Path) -> dict[str, DeltaTable]:
    """Every Delta table directly under root, by folder name."""
    if not root.is_dir():
        return {}
    return {p.name: DeltaTable(str(p)) for p in sorted(root.iterdir()) if p.is_dir() and is_delta_table(p)}
