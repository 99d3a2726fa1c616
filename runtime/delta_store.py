"""Write outputs to Delta Lake as their write policy says. Each write is one Delta commit: readers see the old
or the new table, whole."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from datafusion import DataFrame, SessionContext
from deltalake import CommitProperties, DeltaTable, write_deltalake

from runtime.chunk_sort import sorted_in_chunks
from runtime.delta_log import LOG_CONFIGURATION, ensure_configuration
from runtime.output_parts import write_whole
from runtime.plan_stream import stream_for_delta
from runtime.program import WritePolicy

# Consumers of the CPG follow what changed between builds through the change data feed, on for every output.
OUTPUT_CONFIGURATION = {"delta.enableChangeDataFeed": "true", **LOG_CONFIGURATION}
# Partitioned outputs are written by delta-rs in small files, so that replacing the rows of a few source files
# rewrites little (the others: runtime.output_parts.PART_BYTES); compaction keeps to the same size.
OUTPUT_FILE_BYTES = 1024 * 1024


def _mergeable(table: DeltaTable, df: DataFrame, policy: WritePolicy) -> bool:
    """Merge only into a table of the same columns and partitioning; anything else is replaced whole."""
    current = [f.name for f in table.schema().fields]
    return current == df.schema().names and list(table.metadata().partition_columns) == list(policy.partition_by)


def write_output(location: Path, df: DataFrame, policy: WritePolicy | None = None,
                 commit: CommitProperties | None = None, cluster_by: str | None = None,
                 session: SessionContext | None = None) -> int:
    """Bring the table at location to exactly df's rows (streamed, not collected); returns the row count.
    Given the session df belongs to, a union is computed branch by branch (runtime.plan_stream).

    With merge keys, rows are matched by key: unchanged rows stay in their files and the change data feed
    records only real inserts, updates and deletes. Without, the table is overwritten in one commit, its rows
    ordered by `cluster_by` if given (see runtime.chunk_sort): in parts we cut and commit ourselves
    (runtime.output_parts), or by delta-rs's writer for a partitioned table.
    """
    policy = policy or WritePolicy()
    location.parent.mkdir(parents=True, exist_ok=True)
    if DeltaTable.is_deltatable(str(location)):
        table = DeltaTable(str(location))
        ensure_configuration(table, OUTPUT_CONFIGURATION)
        if policy.merge_on and _mergeable(table, df, policy):
            keys = " AND ".join(f'target."{k}" = source."{k}"' for k in policy.merge_on)
            (
                table.merge(source=stream_for_delta(df, session), predicate=keys, source_alias="source",
                            target_alias="target", commit_properties=commit)
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete()
                .execute()
            )
            return DeltaTable(str(location)).count()
    rows = stream_for_delta(df, session)
    if not policy.partition_by:
        write_whole(location, rows, OUTPUT_CONFIGURATION, commit, cluster_by)
        return DeltaTable(str(location)).count()
    write_deltalake(
        str(location),
        rows if cluster_by is None else sorted_in_chunks(rows, cluster_by),
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
