"""A plan's rows, computed on threads of our own and handed to a consumer in Python (the Delta writer, or a
Parquet file)."""

from __future__ import annotations

import queue
import threading
from collections import deque

import pyarrow as pa
from datafusion import DataFrame, SessionContext

from runtime.union_branches import union_branches

# Batches computed ahead of the Delta writer: enough to keep both busy, few enough to bound memory.
_QUEUED_BATCHES = 4
# A union's branches run this many at a time, each as its own plan (runtime.union_branches): two keep both
# CPUs busy where one branch alone would not (the stdlib's cpg_edges streamed in 4.5 s, 5.4 s one branch at a
# time, 4.1 s as one plan), and hold two branches' join tables, not all of them. Writing all outputs took the
# same time as with whole plans within noise (16.7 / 18.3 s against 17.5 / 16.3 s), peaking at 1,503 / 1,553
# MiB against 1,932 / 1,967; three at a time was no faster beyond noise and held more.
_BRANCHES_AT_ONCE = 2
_END = object()


def stream_for_delta(df: DataFrame, session: SessionContext | None = None) -> pa.RecordBatchReader:
    """The DataFrame's rows as a reader for the Delta writer, computed on threads of our own. With the session
    df belongs to, a union is run branch by branch, which bounds its memory (runtime.union_branches); the
    rows are the same, in another order.

    The writer must not run the plan itself. Given the DataFrame, it drains the stream while holding the GIL,
    which hangs a plan that calls a Python UDF on a worker thread, and the stdlib's cpg_edges write (whose plan
    scans Delta tables through their own provider) never finished. Pulled from a Python generator inside the
    writer, a Delta scan panics ("Cannot start a runtime from within a runtime"). Here producer threads run
    the plans, outside every runtime, and hand batches over a small queue. Each batch is cast to one schema
    with plain strings: a union can deliver one branch's strings as Utf8 and another's as Utf8View, which
    the writer would refuse."""
    schema = pa.schema([f.with_type(pa.string()) if pa.types.is_string_view(f.type) else f for f in df.schema()])
    frames = deque(union_branches(session, df) if session is not None else [df])
    handoff: queue.Queue = queue.Queue(maxsize=_QUEUED_BATCHES)
    stop = threading.Event()
    lock = threading.Lock()
    running = [min(_BRANCHES_AT_ONCE, len(frames))]  # producers still running frames

    def offer(item) -> bool:
        """Queue item unless the writer has stopped reading; False once it has."""
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run_frames() -> bool:
        """Run frames until none is left; False if the writer stopped reading."""
        while True:
            with lock:
                if not frames:
                    return True
                frame = frames.popleft()
            # The stream owns the branch's physical plan: it, and the plan's join tables, go when it ends.
            for batch in frame.execute_stream():
                for piece in pa.Table.from_batches([batch.to_pyarrow()]).cast(schema).to_batches():
                    if not offer(piece):
                        return False

    def produce() -> None:
        try:
            if not run_frames():
                return
        except BaseException as error:  # noqa: BLE001 - re-raised in the writer's thread
            offer(error)
            return
        with lock:
            running[0] -= 1
            last = running[0] == 0
        if last:
            offer(_END)

    def consume():
        producers = [threading.Thread(target=produce, name="semc-delta-producer", daemon=True)
                     for _ in range(running[0])]
        for producer in producers:
            producer.start()
        try:
            while (item := handoff.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            for producer in producers:
                producer.join()

    return pa.RecordBatchReader.from_batches(schema, consume())
