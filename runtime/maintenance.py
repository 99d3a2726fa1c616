"""Table maintenance after a write: compaction, vacuum with a retention floor, and a log checkpointed often
(runtime.delta_log).

An output follows its write policy (`compact`, `vacuum retain N hours`); evidence tables, and outputs whose
policy says nothing, get the defaults: compact once more than `compact_at` files pile up after the last whole
write or compaction, keep a week of history. No policy can vacuum more recent files than the floor, so readers
of a recent version never lose the files they are reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable

from runtime.delta_log import LOG_CONFIGURATION, ensure_configuration
from runtime.delta_store import OUTPUT_FILE_BYTES
from runtime.program import ViewSpec, WritePolicy


RETENTION_FLOOR_HOURS = 24
DEFAULT_DELTA_RETENTION_HOURS = 168  # Delta Lake's own default; below it the check must be waived


@dataclass(frozen=True)
class MaintenancePolicy:
    compact_at: int = 32  # files added since the table was last written whole or compacted
    retention_hours: int = DEFAULT_DELTA_RETENTION_HOURS
    # Compaction that sorts by these columns into files of at most target_bytes, instead of merging all.
    cluster_by: tuple[str, ...] = ()
    target_bytes: int | None = None


# Evidence is replaced a file at a time: it stays in moderate files, each holding a narrow range of file ids,
# so replacing one file's rows rewrites one small file and skips the rest by their statistics.
EVIDENCE_MAINTENANCE = MaintenancePolicy(compact_at=256, cluster_by=("file_id",), target_bytes=32 * 1024 * 1024)


def policy_for(write_policy: WritePolicy | None, default: MaintenancePolicy) -> MaintenancePolicy:
    """An output's maintenance from its write policy: `compact` compacts on every build."""
    if write_policy is None:
        return default
    hours = write_policy.vacuum_retain_hours or default.retention_hours
    return MaintenancePolicy(compact_at=0 if write_policy.compact else default.compact_at, retention_hours=hours)


# Commits searched for the last rewrite: a table rewritten longer ago than this counts all its files.
_HISTORY_LOOKBACK = 256


def _is_rewrite(commit: dict) -> bool:
    parameters = commit.get("operationParameters") or {}
    whole_write = commit.get("operation") == "WRITE" and parameters.get("mode") == "Overwrite" and not parameters.get(
        "predicate")
    return whole_write or commit.get("operation") in ("OPTIMIZE", "CREATE TABLE", "CREATE OR REPLACE TABLE")


def piecemeal_files(table: DeltaTable) -> int:
    """Files added since the table was last written whole or compacted: those are what compaction is for. A
    table just written whole is in its layout already (rewriting cpg_edges' 475 files would cost a quarter of
    the stdlib build); one never written whole counts all its files."""
    since = next((commit["timestamp"] for commit in table.history(_HISTORY_LOOKBACK) if _is_rewrite(commit)), None)
    if since is None:
        return len(table.file_uris())
    added = pa.table(table.get_add_actions(flatten=True)).column("modification_time").to_pylist()
    return sum(1 for created in added if created > since)


def maintain(location: Path, policy: MaintenancePolicy = MaintenancePolicy(),
             table: DeltaTable | None = None) -> dict[str, int]:
    """Returns what was done: files compacted away and files vacuumed. `table`: the table at location, if the
    caller has it open at its latest version already."""
    table = table if table is not None else DeltaTable(str(location))
    ensure_configuration(table, LOG_CONFIGURATION)  # tables written by an earlier semc
    done = {"compacted": 0, "vacuumed": 0}
    # Counting all files is cheap and bounds the piecemeal ones: the history is read only when it could matter.
    if len(table.file_uris()) > policy.compact_at and piecemeal_files(table) > policy.compact_at:
        if policy.cluster_by:
            metrics = table.optimize.z_order(list(policy.cluster_by), target_size=policy.target_bytes)
        else:
            metrics = table.optimize.compact(target_size=policy.target_bytes)
        done["compacted"] = int(metrics.get("numFilesRemoved", 0))
    hours = max(policy.retention_hours, RETENTION_FLOOR_HOURS)
    vacuumed = table.vacuum(
        retention_hours=hours, dry_run=False, enforce_retention_duration=hours >= DEFAULT_DELTA_RETENTION_HOURS
    )
    done["vacuumed"] = len(vacuumed)
    return done


def output_maintenance(output: ViewSpec, default: MaintenancePolicy) -> MaintenancePolicy:
    """An output's maintenance. Outputs kept in small files clustered by source file (to be maintained file by
    file) are compacted as evidence is: re-clustered into small files, once many have piled up."""
    policy = policy_for(output.write_policy, default)
    if output.cluster_column is None or (output.write_policy and output.write_policy.compact):
        return policy
    return MaintenancePolicy(compact_at=max(policy.compact_at, 256), retention_hours=policy.retention_hours,
                             cluster_by=(output.cluster_column,), target_bytes=OUTPUT_FILE_BYTES)
