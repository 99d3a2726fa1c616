"""Table maintenance after a write: compaction once small files pile up, vacuum with a retention floor.

The language does not carry a write policy yet, so one policy applies to every table: compact when a table
has more than COMPACT_AT files; vacuum files no version newer than the retention floor still references.
The floor keeps time travel (and readers of older versions) working for a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deltalake import DeltaTable


@dataclass(frozen=True)
class MaintenancePolicy:
    compact_at: int = 32
    retention_hours: int = 168


def maintain(location: Path, policy: MaintenancePolicy = MaintenancePolicy()) -> dict[str, int]:
    """Returns what was done: files compacted away and files vacuumed."""
    table = DeltaTable(str(location))
    done = {"compacted": 0, "vacuumed": 0}
    if len(table.file_uris()) > policy.compact_at:
        metrics = table.optimize.compact()
        done["compacted"] = int(metrics.get("numFilesRemoved", 0))
    done["vacuumed"] = len(table.vacuum(retention_hours=policy.retention_hours, dry_run=False,
                                        enforce_retention_duration=True))
    return done
