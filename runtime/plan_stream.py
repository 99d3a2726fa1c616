"""A plan's rows, computed on a thread of our own and handed to a consumer in Python (the Delta writer, or a
Parquet file)."""

from __future__ import annotations

import queue
import threading

import pyarrow as pa
from datafusion import DataFrame

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
