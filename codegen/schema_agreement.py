"""Prove that the schema DataFusion plans for each view is the one the spec implies.

The checker infers every view's columns and types from the spec; DataFusion plans the generated builder.
Both must name the same columns in the same order, with the same types. String encodings (Utf8, Utf8View,
LargeUtf8) count as one type, as do list encodings. Nullability is not compared: DataFusion marks many
function results nullable where the checker can prove they are not.
"""

from __future__ import annotations

import pyarrow as pa

from codegen.arrow_types import arrow_type
from dsl.ir import ColumnType


def _normal(data_type: pa.DataType) -> str:
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type) or pa.types.is_string_view(data_type):
        return "string"
    if pa.types.is_binary(data_type) or pa.types.is_large_binary(data_type) or pa.types.is_binary_view(data_type):
        return "binary"
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type) or pa.types.is_list_view(data_type):
        return f"list<{_normal(data_type.value_type)}>"
    if pa.types.is_struct(data_type):
        fields = ", ".join(f"{data_type.field(i).name}: {_normal(data_type.field(i).type)}"
                           for i in range(data_type.num_fields))
        return f"struct<{fields}>"
    return str(data_type)


def disagreements(implied: list[tuple[str, ColumnType]], planned: pa.Schema) -> list[str]:
    """Human-readable differences; empty when the spec and the plan agree."""
    implied_names = [name for name, _ in implied]
    if implied_names != planned.names:
        return [f"the spec implies columns ({', '.join(implied_names)}) but the plan has ({', '.join(planned.names)})"]
    problems = []
    for (name, column_type), field in zip(implied, planned):
        if column_type.name == "unknown":
            continue  # the checker could not type it (e.g. an untyped null); DataFusion decides
        expected = _normal(arrow_type(column_type))
        actual = _normal(field.type)
        if expected != actual:
            problems.append(f"column '{name}': the spec implies {column_type} ({expected}), the plan gives {actual}")
    return problems
