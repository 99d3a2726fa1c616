"""Signatures of the DataFusion built-ins .sem knows, for type checking calls.

Only names listed here may be called (besides declared UDFs); a test checks every one against
`datafusion.functions`, so this table cannot promise a function DataFusion lacks.
Parameter patterns: a type name, "integer", "numeric", "any", "T" (one type shared by all T slots, numbers
widen), "N" (like T, numeric), "list<T>", "struct". A trailing "..." repeats the last pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Signature:
    params: tuple[str, ...]
    returns: str
    # How nulls pass through: "propagate" (null if any argument is), "never", "always",
    # "coalesce" (null only if every argument is).
    nulls: str = "propagate"
    optional: int = 0  # how many trailing params may be left out


def _sig(text: str, nulls: str = "propagate", optional: int = 0) -> Signature:
    params, returns = text.split("->")
    return Signature(tuple(p.strip() for p in params.split(",") if p.strip()), returns.strip(), nulls, optional)


BUILTINS = MappingProxyType(
    {
        # strings
        "lower": _sig("string -> string"),
        "upper": _sig("string -> string"),
        "trim": _sig("string -> string"),
        "ltrim": _sig("string -> string"),
        "rtrim": _sig("string -> string"),
        "btrim": _sig("string -> string"),
        "initcap": _sig("string -> string"),
        "reverse": _sig("string -> string"),
        "length": _sig("string -> int32"),
        "character_length": _sig("string -> int32"),
        "char_length": _sig("string -> int32"),
        "octet_length": _sig("string -> int32"),
        "concat": _sig("any, any... -> string", nulls="never"),
        "concat_ws": _sig("string, any, any... -> string", nulls="never"),
        "substr": _sig("string, integer, integer -> string", optional=1),
        "substring": _sig("string, integer, integer -> string"),
        "replace": _sig("string, string, string -> string"),
        "split_part": _sig("string, string, integer -> string"),
        "starts_with": _sig("string, string -> bool"),
        "ends_with": _sig("string, string -> bool"),
        "contains": _sig("string, string -> bool"),
        "strpos": _sig("string, string -> int32"),
        "left": _sig("string, integer -> string"),
        "right": _sig("string, integer -> string"),
        "repeat": _sig("string, integer -> string"),
        "levenshtein": _sig("string, string -> int32"),
        "md5": _sig("string -> string"),
        "sha256": _sig("string -> binary"),
        "to_hex": _sig("integer -> string"),
        "regexp_like": _sig("string, string -> bool"),
        "regexp_replace": _sig("string, string, string -> string"),
        # nulls
        "coalesce": _sig("T, T... -> T", nulls="coalesce"),
        "nvl": _sig("T, T -> T", nulls="coalesce"),
        "nullif": _sig("T, T -> T", nulls="always"),
        # numbers
        "abs": _sig("N -> N"),
        "floor": _sig("numeric -> float64"),
        "ceil": _sig("numeric -> float64"),
        "sqrt": _sig("numeric -> float64"),
        "power": _sig("numeric, numeric -> float64"),
        "greatest": _sig("T, T... -> T"),
        "least": _sig("T, T... -> T"),
        # lists and structs
        "make_array": _sig("T, T... -> list<T>", nulls="never"),
        "array_length": _sig("list<T> -> int64"),
        "cardinality": _sig("list<T> -> int64"),
        "array_element": _sig("list<T>, integer -> T", nulls="always"),
        "array_has": _sig("list<T>, T -> bool"),
        "array_distinct": _sig("list<T> -> list<T>"),
        "array_concat": _sig("list<T>, list<T>... -> list<T>"),
        "array_to_string": _sig("list<T>, string -> string"),
        # get_field(struct, "name") is typed by the checker itself: its result is the named field's type.
        "get_field": _sig("struct, string -> any"),
    }
)

# Aggregate functions of the `aggregate` step and the DataFusion functions they compile to.
AGGREGATES = MappingProxyType(
    {"count": "count", "min": "min", "max": "max", "sum": "sum", "array_agg": "array_agg", "first": "first_value"}
)
