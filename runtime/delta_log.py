"""How long a Delta table's log may grow before it is checkpointed, for every table semc writes.

Opening a table replays its log from the last checkpoint: each JSON commit after it costs ~0.5 ms, on top of
~2 ms to open at all. Delta's default checkpoint interval is 100 commits, and a one-file rebuild adds two
commits to every evidence table, so Django's one-file rebuilds grew from 3.4 s to 5.4 s over 30 of them
(medians of the first and last five; an evidence table took 35 ms to open at 60 commits, 9 ms just past a
checkpoint). Every ten commits the writer itself checkpoints (delta-rs honours the table property): a
checkpoint of a Django evidence table costs ~11 ms, against ~0.6 ms saved per commit on each of its ~4 opens a
build (every five commits would save about as much in opens as the extra checkpoints cost).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

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


def open_all(locations: dict[str, str | os.PathLike]) -> dict[str, DeltaTable]:
    """The tables at these locations, by name, opened at their latest versions. delta-rs replays a log outside
    the GIL, so two threads open them sooner (26 evidence tables: 0.17 s against 0.28 s one by one)."""
    names = list(locations)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(names, pool.map(lambda name: DeltaTable(str(locations[name])), names)))
