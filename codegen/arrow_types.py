"""The Arrow type of each .sem column type: one mapping, used for datasets, UDF signatures and casts."""

from __future__ import annotations

from types import MappingProxyType

import pyarrow as pa

from dsl.ir import ColumnType

SCALARS = MappingProxyType(
    {
        "string": pa.string(),
        "bool": pa.bool_(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "binary": pa.binary(),
    }
)


def arrow_type(column_type: ColumnType) -> pa.DataType:
    if column_type.name == "list" and column_type.element is not None:
        return pa.list_(arrow_field("item", column_type.element))
    if column_type.name == "struct":
        return pa.struct([arrow_field(f.name, f.type) for f in column_type.fields])
    return SCALARS[column_type.name]


def arrow_field(name: str, column_type: ColumnType) -> pa.Field:
    return pa.field(name, arrow_type(column_type), nullable=column_type.nullable)
