"""Extraction of one chunk of files, in a pool worker or in the calling process.

Each file is read, handed to every extractor the program needs, and dropped before the next one, so a worker
holds one syntax tree at a time. Rows become Arrow tables per file and are written as Parquet part files
straight into each evidence table's folder; nothing is committed here: the caller commits the parts it gets
back, so a killed worker leaves only unreferenced files behind.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import struct
import sys
import uuid
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from runtime.discovery import DiscoveredFile
from runtime.errors import SemcError
from runtime.evidence import to_table
from runtime.program import DatasetSpec, ExtractorBinding
from runtime.source import read_file

# Flush a dataset's rows to a part file past this many bytes of Arrow data: bounds a worker's memory whatever
# the size of its chunk.
FLUSH_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ExtractJob:
    files: tuple[DiscoveredFile, ...]
    executors: tuple[ExtractorBinding, ...]
    datasets: dict[str, DatasetSpec]
    folders: dict[str, str]  # dataset -> folder of its Delta table
    max_file_bytes: int


@dataclass(frozen=True)
class Part:
    dataset: str
    path: str  # relative to the table folder
    size: int
    rows: int
    stats: str  # Delta statistics JSON: row count, file_id range


@dataclass(frozen=True)
class FileState:
    file_id: str
    sha256: str | None  # None: not read (vanished, changed, unreadable): extract again next build
    size: int
    mtime_ns: int


@dataclass
class ChunkResult:
    parts: list[Part] = field(default_factory=list)
    states: list[FileState] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _write_part(folder: str, dataset: str, tables: list[pa.Table]) -> Part:
    table = pa.concat_tables(tables)
    os.makedirs(folder, exist_ok=True)
    name = f"part-{uuid.uuid4().hex}.parquet"
    pq.write_table(table, os.path.join(folder, name))
    ids = table.column("file_id") if "file_id" in table.column_names else None
    stats: dict = {"numRecords": table.num_rows}
    if ids is not None and table.num_rows:
        import pyarrow.compute as pc

        bounds = pc.min_max(ids)
        stats.update(minValues={"file_id": bounds["min"].as_py()}, maxValues={"file_id": bounds["max"].as_py()},
                     nullCount={"file_id": 0})
    return Part(dataset, name, os.path.getsize(os.path.join(folder, name)), table.num_rows, json.dumps(stats))


def run_job(job: ExtractJob) -> ChunkResult:
    result = ChunkResult()
    pending: dict[str, list[pa.Table]] = {}
    pending_bytes: dict[str, int] = {}
    for entry in job.files:
        source = read_file(entry, job.max_file_bytes)
        for binding in job.executors:
            try:
                produced = binding.extract(source, frozenset(binding.datasets))
            except Exception as error:  # noqa: BLE001 - a bug in one extractor on one file must not stop the build
                result.failures.append(f"{binding.name} failed on {source.file_id}: {type(error).__name__}: {error}")
                continue
            for dataset, columns in produced.items():
                if dataset not in binding.datasets:
                    continue
                table = to_table(job.datasets[dataset], binding.name, columns)
                if table.num_rows:
                    pending.setdefault(dataset, []).append(table)
                    pending_bytes[dataset] = pending_bytes.get(dataset, 0) + table.nbytes
                    if pending_bytes[dataset] > FLUSH_BYTES:
                        result.parts.append(_write_part(job.folders[dataset], dataset, pending.pop(dataset)))
                        pending_bytes[dataset] = 0
        result.states.append(FileState(entry.file_id, source.sha256, entry.size, entry.mtime_ns))
        del source  # the tree goes with it
    for dataset, tables in pending.items():
        result.parts.append(_write_part(job.folders[dataset], dataset, tables))
    return result


class WorkerError(SemcError):
    """A worker process died or answered nonsense."""


def _send(stream, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream):
    header = stream.read(8)
    if len(header) < 8:
        return EOFError
    (size,) = struct.unpack("<Q", header)
    return pickle.loads(stream.read(size))


def call(process, job: ExtractJob) -> ChunkResult:
    """Run one job in a worker process started with `serve`; the worker's exception is raised here."""
    _send(process.stdin, job)
    answer = _receive(process.stdout)
    if answer is EOFError:
        raise WorkerError(f"an extraction worker exited with status {process.wait()}")
    ok, value = answer
    if not ok:
        raise value
    return value


def serve() -> None:
    """The worker loop: jobs in on stdin, results (or the job's exception) out on stdout, until stdin closes."""
    # Extraction makes millions of short-lived objects while one large tree is alive: collecting young
    # objects less often keeps the cyclic GC from dominating (trees are freed by reference counting anyway).
    gc.set_threshold(100_000, 50, 100)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the result stream
    while True:
        job = _receive(stdin)
        if job is EOFError:
            return
        try:
            answer = (True, run_job(job))
        except Exception as error:  # noqa: BLE001 - the caller re-raises it (an EvidenceSchemaError, say)
            answer = (False, error)
        _send(stdout, answer)
