"""Write outputs to Delta Lake. Each write is one Delta commit: readers see the old or the new table, whole."""

from __future__ import annotations

from pathlib import Path

from datafusion import DataFrame
from deltalake import DeltaTable, write_deltalake

# Consumers of the CPG follow what changed between builds through the change data feed.
OUTPUT_CONFIGURATION = {"delta.enableChangeDataFeed": "true"}


def write_output(location: Path, df: DataFrame) -> int:
    """Replace the table at location with df's rows (streamed, not collected); returns the row count."""
    location.parent.mkdir(parents=True, exist_ok=True)
    if DeltaTable.is_deltatable(str(location)):
        table = DeltaTable(str(location))
        if table.metadata().configuration.get("delta.enableChangeDataFeed") != "true":
            table.alter.set_table_properties(OUTPUT_CONFIGURATION)
    write_deltalake(str(location), df, mode="overwrite", schema_mode="overwrite", configuration=OUTPUT_CONFIGURATION)
    return DeltaTable(str(location)).count()


def is_delta_table(path: Path) -> bool:
    return (path / "_delta_log").is_dir()


def open_tables(root: Path) -> dict[str, DeltaTable]:
    """Every Delta table directly under root, by folder name."""
    if not root.is_dir():
        return {}
    return {p.name: DeltaTable(str(p)) for p in sorted(root.iterdir()) if p.is_dir() and is_delta_table(p)}
