"""How long a Delta table's log may grow before it is checkpointed, for every table semc writes.

Opening a table replays its log from the last checkpoint: each JSON commit after it costs ~0.5 ms, on top of
~5 ms to open at all. Delta's default checkpoint interval is 100 commits, and a one-file rebuild adds two
commits to every evidence table, so Django's one-file rebuilds grew from 3.8 s to 5.7 s over 25 of them (an
evidence table took 32 ms to open at 59 commits, 5 ms after a checkpoint). Every ten commits the writer itself
checkpoints (delta-rs honours the table property): a checkpoint of an evidence table costs ~50 ms.
"""

from __future__ import annotations

from deltalake import DeltaTable

CHECKPOINT_INTERVAL = 10
LOG_CONFIGURATION = {"delta.checkpointInterval": str(CHECKPOINT_INTERVAL)}


def ensure_configuration(table: DeltaTable, wanted: dict[str, str]) -> None:
    """Set the properties table lacks or holds other values of (tables written by an earlier semc); one commit
    if any, none otherwise."""
    current = table.metadata().configuration
    missing = {key: value for key, value in wanted.items() if current.get(key) != value}
    if missing:
        table.alter.set_table_properties(missing)
