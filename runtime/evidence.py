"""Run the extractors the program names over a source tree and shape their rows into declared tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from runtime.errors import SemcError
from runtime.program import CompiledProgram, DatasetSpec
from runtime.source import discover, read_source


class EvidenceSchemaError(SemcError):
    """An extractor produced data that does not meet its dataset's declared schema."""


@dataclass
class Evidence:
    tables: dict[str, pa.Table]
    files: int
    # Extractor failures on single files (a bug in an extractor, not in the source): the run goes on.
    failures: list[str] = field(default_factory=list)


def _table(dataset: DatasetSpec, extractor: str, columns: dict[str, list]) -> pa.Table:
    arrays = []
    for schema_field in dataset.schema:
        if schema_field.name not in columns:
            raise EvidenceSchemaError(
                f"extractor '{extractor}' produced no column '{schema_field.name}' for dataset '{dataset.name}'"
            )
        values = columns[schema_field.name]
        try:
            array = pa.array(values, type=schema_field.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as error:
            raise EvidenceSchemaError(
                f"column '{schema_field.name}' of dataset '{dataset.name}' (from extractor '{extractor}') "
                f"does not hold {schema_field.type}: {error}"
            ) from None
        if not schema_field.nullable and array.null_count:
            raise EvidenceSchemaError(
                f"column '{schema_field.name}' of dataset '{dataset.name}' is declared non-null, but extractor "
                f"'{extractor}' produced {array.null_count} null(s)"
            )
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=dataset.schema)


def extract_tree(program: CompiledProgram, root: Path) -> Evidence:
    """Only the extractors in the program's executor map run, and only for the datasets it lists."""
    collected: dict[str, dict[str, list]] = {
        name: {} for binding in program.executors for name in binding.datasets
    }
    failures = []
    paths = discover(root)
    for path in paths:
        source = read_source(root, path)
        for binding in program.executors:
            try:
                produced = binding.extract(source, frozenset(binding.datasets))
            except Exception as error:  # noqa: BLE001 - one file must not stop the build
                failures.append(f"{binding.name} failed on {source.file_id}: {type(error).__name__}: {error}")
                continue
            for dataset, columns in produced.items():
                target = collected[dataset]
                for column, values in columns.items():
                    target.setdefault(column, []).extend(values)
    tables = {}
    for binding in program.executors:
        for name in binding.datasets:
            dataset = program.dataset(name)
            columns = collected[name] or {f.name: [] for f in dataset.schema}
            tables[name] = _table(dataset, binding.name, columns)
    return Evidence(tables, len(paths), failures)
