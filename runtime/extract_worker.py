"""Extraction of one chunk of files, in a pool worker or in the calling process.

Each file is read, handed to every extractor the program needs, and dropped before the next one, so a worker
holds one syntax tree at a time. Rows are gathered across files, become Arrow tables in batches and are
written as Parquet part files straight into each evidence table's folder; nothing is committed here: the
caller commits the parts it gets back, so a killed worker leaves only unreferenced files behind.
"""

from __future__ import annotations

import gc
import pickle
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from runtime.discovery import DiscoveredFile
from runtime.errors import SemcError
from runtime.evidence import EvidenceSchemaError, checked_rows, to_table
from runtime.parquet_part import write_part
from runtime.program import DatasetSpec, ExtractorBinding
from runtime.source import read_file

# Convert a dataset's rows to Arrow once this many have gathered across files. Converting each file's few rows
# spends half the conversion CPU on per-call overhead; a few thousand rows amortise it (measured: no gain past
# ~1,000), and a small batch keeps the Python lists, several times their Arrow size, small.
BATCH_ROWS = 4096
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
    # The file id's range is what replacing a file's rows skips by.
    name, size, stats = write_part(folder, table, [c for c in ("file_id",) if c in table.column_names])
    return Part(dataset, name, size, table.num_rows, stats)


class _DatasetRows:
    """One dataset's rows in a job, in file order: Python columns gathered across files, converted to Arrow in
    batches of BATCH_ROWS, written as a part file past FLUSH_BYTES."""

    def __init__(self, spec: DatasetSpec, folder: str) -> None:
        self.spec, self.folder = spec, folder
        self.columns: dict[str, list] = {name: [] for name in spec.schema.names}
        self.files: list[tuple[str, str, int]] = []  # (file id, extractor, end row) of each file in `columns`
        self.tables: list[pa.Table] = []
        self.table_bytes = 0

    def add(self, file_id: str, extractor: str, columns: Mapping[str, list]) -> Part | None:
        """Take one file's rows; a part file when they fill one."""
        rows = checked_rows(self.spec, extractor, columns)
        if not rows:
            return None
        for name, values in self.columns.items():
            values.extend(columns[name])
        end = rows + (self.files[-1][2] if self.files else 0)
        self.files.append((file_id, extractor, end))
        if end < BATCH_ROWS:
            return None
        self._convert()
        return self._write() if self.table_bytes > FLUSH_BYTES else None

    def finish(self) -> Part | None:
        if self.files:
            self._convert()
        return self._write() if self.tables else None

    def _convert(self) -> None:
        try:
            table = to_table(self.spec, self.files[0][1], self.columns)
        except EvidenceSchemaError:
            self._raise_for_culprit()
            raise
        self.tables.append(table)
        self.table_bytes += table.nbytes
        self.columns = {name: [] for name in self.columns}
        self.files = []

    def _raise_for_culprit(self) -> None:
        """Convert file by file to name the file whose rows the batch could not take (only ever on failure)."""
        start = 0
        for file_id, extractor, end in self.files:
            try:
                to_table(self.spec, extractor, {name: values[start:end] for name, values in self.columns.items()})
            except EvidenceSchemaError as error:
                raise EvidenceSchemaError(f"{error} (file '{file_id}')") from None
            start = end

    def _write(self) -> Part:
        part = _write_part(self.folder, self.spec.name, self.tables)
        self.tables, self.table_bytes = [], 0
        return part


def run_job(job: ExtractJob) -> ChunkResult:
    result = ChunkResult()
    gathered = {name: _DatasetRows(spec, job.folders[name]) for name, spec in job.datasets.items()}
    for entry in job.files:
        source = read_file(entry, job.max_file_bytes)
        for binding in job.executors:
            try:
                produced = binding.extract(source, frozenset(binding.datasets))
            except Exception as error:  # noqa: BLE001 - a bug in one extractor on one file must not stop the build
                result.failures.append(f"{binding.name} failed on {source.file_id}: {type(error).__name__}: {error}")
                continue
            for dataset, columns in produced.items():
                if dataset in binding.datasets:
                    if part := gathered[dataset].add(source.file_id, binding.name, columns):
                        result.parts.append(part)
        result.states.append(FileState(entry.file_id, source.sha256, entry.size, entry.mtime_ns))
        del source  # the tree goes with it
    result.parts.extend(part for rows in gathered.values() if (part := rows.finish()))
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
