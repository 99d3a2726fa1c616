"""Outputs maintained from what changed since they were written.

Every output commit records the inputs it reflects: the program fingerprint, the evidence store's file-state
table (id and version) and the version of each evidence table. On the next build an output is

- *unchanged* when those are still current: nothing is computed or written;
- maintained *incrementally* when its view is file-local (the compiler proved every row depends on one source
  file's evidence) and few files changed: its rows for the changed files are computed from just those files'
  evidence, before (time travel to the recorded evidence versions) and after, and only the rows that really
  differ are replaced, in one commit whose change data feed holds exactly those rows;
- recomputed *whole* otherwise.

Every decision falls back to recomputing whole when anything it relies on is missing, so the worst case is the
old behaviour. A build killed at any point leaves each output at a committed version whose recorded inputs say
what it reflects; the next build starts from there.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, QueryBuilder, write_deltalake

from runtime.context import ExecutionContext, view_session
from runtime.delta_log import open_all
from runtime.evidence import empty_table
from runtime.program import FILE_ID_COLUMN, FILE_STATE_BINDING, ViewSpec

INPUTS_KEY = "semc.inputs"
# Above this share of changed files, or this many differing rows, recomputing whole is as cheap and simpler.
INCREMENTAL_MAX_FILE_SHARE = 0.2
INCREMENTAL_MAX_ROWS = 2000
# Commits that do not change an output's rows; anything else without recorded inputs was written by others.
_MAINTENANCE_OPERATIONS = frozenset({"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES"})
_RECENT_COMMITS, _MAX_COMMITS = 4, 64


@dataclass(frozen=True)
class Inputs:
    """What an output's rows were computed from."""

    program: str
    state_id: str
    state_version: int
    evidence: dict[str, int]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Inputs | None":
        try:
            data = json.loads(text)
            return cls(str(data["program"]), str(data["state_id"]), int(data["state_version"]),
                       {str(k): int(v) for k, v in data["evidence"].items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def same_rows_as(self, other: "Inputs | None") -> bool:
        """Outputs computed from either give the same rows: same program, same files in the evidence store.
        (Evidence versions differ after compaction, which moves rows between files but changes none.)"""
        return other is not None and (self.program, self.state_id, self.state_version) == (
            other.program, other.state_id, other.state_version)

    def commit_properties(self) -> CommitProperties:
        return CommitProperties(custom_metadata={INPUTS_KEY: self.to_json()})


def extracted_datasets(context: ExecutionContext) -> list[str]:
    return sorted({name for binding in context.program.executors for name in binding.datasets})


def open_evidence(context: ExecutionContext, opened: dict[str, DeltaTable] | None = None) -> dict[str, DeltaTable]:
    """Every extracted evidence table at its latest version, opened once for the reads after extraction
    (opening one replays its log: on the stdlib, ~170 opens were a quarter of a one-file rebuild). `opened`:
    tables the caller has open at their latest version already (the evidence commit's)."""
    state = context.resolver.location(FILE_STATE_BINDING) if context.program.executors else None
    if state is None or not DeltaTable.is_deltatable(str(state)):
        return {}
    opened = dict(opened or {})
    missing = [name for name in extracted_datasets(context) if name not in opened]
    opened.update(open_all({name: context.resolver.location(name) for name in missing}))
    return {name: opened[name] for name in extracted_datasets(context)}


def current_inputs(context: ExecutionContext, evidence_tables: dict[str, DeltaTable]) -> Inputs:
    """What the outputs are computed from now: the program, the file state and the evidence versions."""
    state_id, state_version, evidence = "", -1, {}
    state = context.resolver.location(FILE_STATE_BINDING) if context.program.executors else None
    if state is not None and DeltaTable.is_deltatable(str(state)):
        table = DeltaTable(str(state))
        state_id, state_version = table.metadata().id, table.version()
        evidence = {name: table.version() for name, table in evidence_tables.items()}
    return Inputs(context.program.program_fingerprint, state_id, state_version, evidence)


def recorded_inputs(table: DeltaTable | None) -> Inputs | None:
    """The inputs recorded by the last commit that wrote the output's rows; None if unknown (or no table).
    Reading a commit's information costs ~0.1 ms: the last few are read first, 64 only past maintenance."""
    if table is None:
        return None
    for limit in (_RECENT_COMMITS, _MAX_COMMITS):
        commits = table.history(limit)
        for commit in commits:
            if INPUTS_KEY in commit:
                return Inputs.from_json(str(commit[INPUTS_KEY]))
            if commit.get("operation") not in _MAINTENANCE_OPERATIONS:
                return None
        if len(commits) < limit:
            return None
    return None


def changed_files(context: ExecutionContext, since: Inputs, now: Inputs) -> set[str] | None:
    """Files whose state differs between two versions of the file-state table (added, changed, removed)."""
    if since.state_id != now.state_id or since.state_version < 0:
        return None
    location = str(context.resolver.location(FILE_STATE_BINDING))
    try:
        before = DeltaTable(location, version=since.state_version).to_pyarrow_table().to_pylist()
        after = DeltaTable(location).to_pyarrow_table().to_pylist()
    except Exception:  # the recorded version is gone (vacuumed): nothing to compare against
        return None
    old = {row[FILE_ID_COLUMN]: row for row in before}
    new = {row[FILE_ID_COLUMN]: row for row in after}
    return {f for f in old.keys() | new.keys() if old.get(f) != new.get(f)}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(table: DeltaTable, column: str, values: list, columns: list[str], or_null: bool = False) -> pa.Table:
    """Rows whose `column` is one of `values`, reading only the files whose statistics admit them."""
    type_ = pa.schema(table.schema().to_arrow()).field(column).type
    listed = ", ".join(_literal(v, type_) for v in values) if values else None
    terms = ([f"{_quoted(column)} IN ({listed})"] if listed else []) + ([f"{_quoted(column)} IS NULL"] if or_null else [])
    if not terms:
        terms = ["FALSE"]
    query = f"SELECT {', '.join(map(_quoted, columns))} FROM t WHERE {' OR '.join(terms)}"
    return pa.table(QueryBuilder().register("t", table).execute(query).read_all())


def evidence_of_files(context: ExecutionContext, files: Iterable[str], versions: dict[str, int],
                      latest: dict[str, DeltaTable], pool: Executor
                      ) -> tuple[dict[str, pa.Table], dict[str, pa.Table]] | None:
    """Every dataset's rows of the given files at `versions` and in the `latest` tables (before and after a
    change); None if those versions are no longer readable (vacuumed). Evidence not keyed by file is empty:
    views that read it are not file-local and are never read for their rows from it.

    Each table is read at both versions through its one handle, moved to the old version and back (~0.5 ms
    each way, against ~6 ms to open a table at a version: runtime.delta_log), tables two at a time on `pool`;
    nothing else may use the handles meanwhile."""
    wanted = sorted(files)
    extracted = set(extracted_datasets(context))

    def rows(dataset, table: DeltaTable) -> pa.Table:
        found = _select(table, FILE_ID_COLUMN, wanted, dataset.schema.names)
        return found.select(dataset.schema.names).cast(dataset.schema)

    def before_and_after(dataset) -> tuple[pa.Table | None, pa.Table]:
        if dataset.name not in extracted or FILE_ID_COLUMN not in dataset.schema.names:
            return empty_table(dataset), empty_table(dataset)
        table = latest[dataset.name]
        now = table.version()
        after = rows(dataset, table)
        try:
            table.load_as_version(versions[dataset.name])
            before = rows(dataset, table)
        except Exception:  # noqa: BLE001 - a version no longer readable: the caller recomputes whole
            before = None
        finally:
            table.load_as_version(now)
        return before, after

    datasets = list(context.program.datasets)
    both = dict(zip((d.name for d in datasets), pool.map(before_and_after, datasets)))
    if any(before is None for before, _ in both.values()):
        return None
    return {name: before for name, (before, _) in both.items()}, {name: after for name, (_, after) in both.items()}


# Evidence rows below which a session over some files' rows runs every operator in one partition.
FEW_ROWS_FOR_ONE_PARTITION = 50_000


def files_session(context: ExecutionContext, tables: dict[str, pa.Table], register_views) -> ExecutionContext:
    """A session over some files' evidence (from evidence_of_files), every view registered. File-local views
    computed here give exactly their rows for those files."""
    # Over a few files' rows, one partition per operator: spreading a few hundred rows over the CPUs costs more
    # than it saves (Django, one file: 0.77 s -> 0.67 s per session, medians of 6).
    few = sum(table.num_rows for table in tables.values()) <= FEW_ROWS_FOR_ONE_PARTITION
    session = ExecutionContext(context.program, context.resolver, view_session(partitions=1 if few else None))
    from runtime.registration import register_evidence

    register_evidence(session, tables)
    register_views(session)
    return session


class NotIncremental(Exception):
    """This change cannot be applied row by row; recompute the output whole."""


def _row_key(row: dict) -> tuple:
    values = []
    for value in row.values():
        if isinstance(value, float) and math.isnan(value):
            raise NotIncremental("NaN never equals itself")
        if isinstance(value, (list, dict, bytes)):
            raise NotIncremental("nested or binary values")
        values.append(value)
    return tuple(values)


def _literal(value, data_type: pa.DataType) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and pa.types.is_integer(data_type):
        return str(value)
    if isinstance(value, float) and pa.types.is_floating(data_type) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str) and (pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
                                   or pa.types.is_string_view(data_type)):
        return "'" + value.replace("'", "''") + "'"
    raise NotIncremental(f"no SQL literal for {data_type}")


def _row_predicate(names: list[str], schema: pa.Schema, key: tuple) -> str:
    terms = []
    for name, value in zip(names, key):
        quoted = '"' + name.replace('"', '""') + '"'
        terms.append(f"{quoted} IS NULL" if value is None else f"{quoted} = {_literal(value, schema.field(name).type)}")
    return "(" + " AND ".join(terms) + ")"


def _counts(table: pa.Table) -> Counter:
    return Counter(_row_key(row) for row in table.to_pylist())


def record_inputs(location: Path, view: ViewSpec, inputs: Inputs) -> None:
    """An empty commit that records the output reflects the new inputs, its rows being what they were."""
    write_deltalake(str(location), pa.Table.from_pylist([], schema=view.schema), mode="append",
                    commit_properties=inputs.commit_properties())


def apply_changes(location: Path, view: ViewSpec, old: pa.Table, new: pa.Table, inputs: Inputs) -> int:
    """Replace the output's rows computed from the changed files' old evidence by those from their new
    evidence, touching only rows that differ (and, where the layout column is not the file id, the few rows
    that share its value with them); returns how many distinct rows changed."""
    schema = view.schema
    names = schema.names
    before, after = _counts(old), _counts(new)
    differing = [key for key in before.keys() | after.keys() if before[key] != after[key]]
    if len(differing) > INCREMENTAL_MAX_ROWS:
        raise NotIncremental("too many rows differ")
    if not differing:
        record_inputs(location, view, inputs)
        return 0
    column = view.cluster_column
    if column is not None and column != view.file_column:
        # Every row holding one of these layout values is rewritten, chosen by one IN list: file statistics
        # prune it and it is cheap to test, where a predicate naming each row cost seconds per hundred rows.
        values = {key[names.index(column)] for key in differing}
        final = _held(location, view, column, values)
        predicate = _in_predicate(column, values, schema.field(column).type)
    else:
        if view.file_column is None:
            # Without a file column another file may hold an identical row: count the copies there are now.
            held = _held(location, view, names[0], {key[0] for key in differing})
            final = Counter({key: held[key] for key in differing})
        else:
            final = Counter({key: before[key] for key in differing})
        predicate = " OR ".join(_row_predicate(names, schema, key) for key in sorted(differing, key=repr))
        if view.file_column is not None:
            # The changed files first: their statistics skip every other file's data before a row is tested.
            files = {key[names.index(view.file_column)] for key in differing}
            in_files = _in_predicate(view.file_column, files, schema.field(view.file_column).type)
            predicate = f"{in_files} AND ({predicate})"
    rows = []
    for key in differing:
        final[key] += after[key] - before[key]
        if final[key] < 0:
            raise NotIncremental("the output does not hold the rows its recorded inputs give")
    for key, count in final.items():
        rows.extend([dict(zip(names, key))] * count)
    write_deltalake(str(location), pa.Table.from_pylist(rows, schema=schema), mode="overwrite",
                    predicate=predicate, commit_properties=inputs.commit_properties())
    return len(differing)


def _in_predicate(column: str, values: set, data_type: pa.DataType) -> str:
    listed = sorted(v for v in values if v is not None)
    terms = [f"{_quoted(column)} IN ({', '.join(_literal(v, data_type) for v in listed)})"] if listed else []
    terms += [f"{_quoted(column)} IS NULL"] if None in values else []
    return "(" + " OR ".join(terms or ["FALSE"]) + ")"


def _held(location: Path, view: ViewSpec, column: str, values: set) -> Counter:
    """Every row the output holds now whose `column` is one of `values`, reading only files whose statistics
    admit them."""
    listed = sorted(v for v in values if v is not None)
    table = _select(DeltaTable(str(location)), column, listed, view.schema.names, None in values)
    return _counts(table.cast(view.schema))


def within_share(changed: set[str], files: int) -> bool:
    return len(changed) <= max(1, INCREMENTAL_MAX_FILE_SHARE * max(files, 1))
