"""Type algebra of the checker: which types meet, widen, compare and are numeric."""

from __future__ import annotations

from dsl.ir import ColumnType, StructField

# The type of `null`, and of anything whose type is unknown after an error: both fit everywhere.
NULL = ColumnType("null", True)
UNKNOWN = ColumnType("unknown", True)

BOOL = ColumnType("bool", False)
STRING = ColumnType("string", False)
INT32 = ColumnType("int32", False)
INT64 = ColumnType("int64", False)
FLOAT64 = ColumnType("float64", False)
BINARY = ColumnType("binary", False)

_NUMERIC_RANK = {"int32": 0, "int64": 1, "float64": 2}


def is_numeric(t: ColumnType) -> bool:
    return t.name in _NUMERIC_RANK


def is_integer(t: ColumnType) -> bool:
    return t.name in ("int32", "int64")


def is_open(t: ColumnType) -> bool:
    """null and unknown: fit any slot."""
    return t.name in ("null", "unknown")


def is_string(t: ColumnType) -> bool:
    return t.name == "string"


def nullable_if(t: ColumnType, nullable: bool) -> ColumnType:
    return t if t.nullable == nullable else t.with_nullable(nullable)


def unify(a: ColumnType, b: ColumnType) -> ColumnType | None:
    """The type holding values of both a and b (numbers widen), or None where they do not meet."""
    if a.name == "unknown" or b.name == "unknown":
        return UNKNOWN
    if a.name == "null":
        return b.with_nullable(True)
    if b.name == "null":
        return a.with_nullable(True)
    nullable = a.nullable or b.nullable
    if is_numeric(a) and is_numeric(b):
        wider = a if _NUMERIC_RANK[a.name] >= _NUMERIC_RANK[b.name] else b
        return ColumnType(wider.name, nullable)
    if a.name != b.name or a.enum != b.enum:
        return None
    if a.name == "list":
        element = unify(a.element, b.element)  # type: ignore[arg-type]
        return None if element is None else ColumnType("list", nullable, element=element)
    if a.name == "struct":
        if [f.name for f in a.fields] != [f.name for f in b.fields]:
            return None
        fields = []
        for fa, fb in zip(a.fields, b.fields):
            joined = unify(fa.type, fb.type)
            if joined is None:
                return None
            fields.append(StructField(fa.name, joined))
        return ColumnType("struct", nullable, fields=tuple(fields))
    return ColumnType(a.name, nullable, enum=a.enum)


def describe(t: ColumnType) -> str:
    return "null" if t.name == "null" else str(t)
