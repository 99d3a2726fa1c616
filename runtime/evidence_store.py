"""Evidence in Delta tables keyed by file, kept up to date incrementally.

A small state table (one row per file: content hash, stat, extraction fingerprint, status) decides what to
extract. Its protocol makes every crash recoverable: before any evidence table is touched, every file about to
be re-extracted or removed is marked `pending`; evidence rows of a pending file are deleted before new ones
are added; only when every evidence table is committed does the state say `done`. A build killed at any point
leaves each table at a committed version, and the next build redoes exactly the pending files.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, Schema, write_deltalake
from deltalake.transaction import AddAction, create_table_with_add_actions

from runtime.delta_log import LOG_CONFIGURATION, ensure_configuration
from runtime.discovery import DiscoveredFile
from runtime.extract_worker import FileState, Part

STATE_SCHEMA = pa.schema([
    pa.field("file_id", pa.string(), nullable=False),
    pa.field("sha256", pa.string()),
    pa.field("size", pa.int64(), nullable=False),
    pa.field("mtime_ns", pa.int64(), nullable=False),
    pa.field("fingerprint", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),  # done or pending
])
_DONE, _PENDING = "done", "pending"


@dataclass(frozen=True)
class Plan:
    full: bool  # every evidence table is rewritten from scratch
    extract: list[DiscoveredFile]
    unchanged: list[str]
    removed: list[str]  # file ids whose rows go: deleted files and files being re-extracted


def _sql_strings(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


class EvidenceStore:
    def __init__(self, state_location: Path, tables: dict[str, Path], schemas: dict[str, pa.Schema],
                 fingerprint: str) -> None:
        self.state_location, self.tables, self.schemas = state_location, tables, schemas
        self.fingerprint = fingerprint
        self._previous: dict[str, dict] = {}

    # ---- state ----
    def _load_state(self) -> dict[str, dict]:
        if not DeltaTable.is_deltatable(str(self.state_location)):
            return {}
        state = DeltaTable(str(self.state_location))
        ensure_configuration(state, LOG_CONFIGURATION)  # the state is rewritten twice by every changing build
        return {row["file_id"]: row for row in state.to_pyarrow_table().to_pylist()}

    def _write_state(self, rows: list[dict]) -> None:
        self.state_location.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(sorted(rows, key=lambda r: r["file_id"]), schema=STATE_SCHEMA)
        # The configuration takes effect when the table is created; _load_state sets it on older ones.
        write_deltalake(str(self.state_location), table, mode="overwrite", schema_mode="overwrite",
                        configuration=LOG_CONFIGURATION)

    def plan(self, files: list[DiscoveredFile], incremental: bool) -> Plan:
        previous = self._previous = self._load_state()
        tables_ok = all(DeltaTable.is_deltatable(str(p)) for p in self.tables.values())
        reusable = incremental and tables_ok and any(
            r["status"] == _DONE and r["fingerprint"] == self.fingerprint for r in previous.values())
        if not reusable:
            return Plan(True, list(files), [], [])
        extract, unchanged = [], []
        for entry in files:
            row = previous.get(entry.file_id)
            if (row is not None and row["status"] == _DONE and row["fingerprint"] == self.fingerprint
                    and row["sha256"] is not None and (row["size"], row["mtime_ns"]) == (entry.size, entry.mtime_ns)):
                unchanged.append(entry.file_id)
            else:
                extract.append(entry)
        present = {entry.file_id for entry in files}
        stale = [f for f, r in previous.items() if f not in present or r["status"] != _DONE]
        removed = sorted(set(stale) | {e.file_id for e in extract})
        return Plan(False, extract, unchanged, removed)

    def begin(self, plan: Plan) -> None:
        """Mark every file this build rewrites as pending, before any evidence table changes."""
        if not plan.full and not plan.removed:
            return
        keep = set(plan.unchanged)
        rows = [r for f, r in self._previous.items() if f in keep]
        marked = set(plan.removed) if not plan.full else {e.file_id for e in plan.extract}
        rows += [{"file_id": f, "sha256": None, "size": -1, "mtime_ns": -1, "fingerprint": self.fingerprint,
                  "status": _PENDING} for f in sorted(marked)]
        self._write_state(rows)

    # ---- evidence ----
    def commit(self, plan: Plan, parts: list[Part]) -> dict[str, DeltaTable]:
        """Each evidence table on its own: delete the rows of removed files, then add the new part files. The
        tables are independent (the state says `pending` until all are done), so two are committed at a time:
        delta-rs works outside the GIL, and a one-file rebuild spends much of its time here. Returns the tables
        an incremental commit opened, at their new versions (opening one again costs ~6 ms, see
        runtime.delta_log)."""
        by_dataset: dict[str, list[Part]] = {name: [] for name in self.tables}
        for part in parts:
            by_dataset[part.dataset].append(part)
        with ThreadPoolExecutor(max_workers=2) as pool:
            # list(): the first failure is raised here, after every started commit has finished.
            opened = list(pool.map(lambda name: self._commit_table(name, plan, by_dataset[name]),
                                   sorted(self.tables)))
        return {name: table for name, table in zip(sorted(self.tables), opened) if table is not None}

    def _commit_table(self, name: str, plan: Plan, parts: list[Part]) -> DeltaTable | None:
        location = self.tables[name]
        adds = [AddAction(p.path, p.size, {}, _now_ms(), True, p.stats) for p in parts]
        schema = Schema.from_arrow(self.schemas[name])
        if plan.full:
            location.mkdir(parents=True, exist_ok=True)
            create_table_with_add_actions(str(location), schema, adds, mode="overwrite",
                                          configuration=LOG_CONFIGURATION)
            return None
        table = DeltaTable(str(location))
        if plan.removed:
            for batch in _batches(plan.removed, 2000):
                table.delete(f"file_id in ({_sql_strings(batch)})")
        if adds:
            table.create_write_transaction(adds, mode="append", schema=schema)
            table.update_incremental()  # the transaction does not move the handle to the version it wrote
        return table

    def finish(self, plan: Plan, states: list[FileState]) -> None:
        if not plan.full and not plan.removed:
            return
        keep = set(plan.unchanged)
        rows = [r for f, r in self._previous.items() if f in keep]
        rows += [{"file_id": s.file_id, "sha256": s.sha256, "size": s.size, "mtime_ns": s.mtime_ns,
                  "fingerprint": self.fingerprint, "status": _DONE} for s in states]
        self._write_state(rows)

    def state_location_for_maintenance(self) -> Path:
        return self.state_location


def _batches(values: list[str], size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def fingerprint_of(parts: list[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
