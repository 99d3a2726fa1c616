"""SQL text for a recursive view: DataFusion's DataFrame API has no builder for WITH RECURSIVE.

Every identifier is double-quoted (names are validated .sem identifiers, so they hold no quote) and every
string literal single-quoted with quotes doubled; the whole query then reaches Python source through repr().
The checker has already restricted both terms to `relation | join ... | filter ... | select ...`.
"""

from __future__ import annotations

from types import MappingProxyType

from codegen.pyexpr import python_literal
from dsl.ir import (
    Binary,
    Call,
    Case,
    Cast,
    ColumnRef,
    EnumValue,
    Expr,
    Filter,
    InList,
    IsNull,
    Join,
    Literal,
    LiteralKind,
    RelationRef,
    Select,
    Step,
    Unary,
    View,
    flat_steps,
)

_SQL_OPERATORS = MappingProxyType(
    {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "and": "AND", "or": "OR", "+": "+",
     "-": "-", "*": "*", "/": "/", "%": "%"}
)
_SQL_TYPES = MappingProxyType(
    {"string": "VARCHAR", "int64": "BIGINT", "int32": "INT", "float64": "DOUBLE", "bool": "BOOLEAN",
     "binary": "BYTEA"}
)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_expr(expr: Expr) -> str:
    if isinstance(expr, ColumnRef):
        return f"{quote(expr.qualifier)}.{quote(expr.name)}" if expr.qualifier else quote(expr.name)
    if isinstance(expr, Literal):
        if expr.kind is LiteralKind.STRING:
            return string(str(expr.value))
        if expr.kind is LiteralKind.NULL:
            return "NULL"
        if expr.kind is LiteralKind.BOOL:
            return "TRUE" if expr.value else "FALSE"
        return python_literal(expr)  # ints and finite floats read alike in SQL
    if isinstance(expr, EnumValue):
        return string(expr.member)
    if isinstance(expr, Binary):
        if expr.op == "||":  # concat, like the DataFrame translation: null parts count as empty
            return f"concat({sql_expr(expr.left)}, {sql_expr(expr.right)})"
        return f"({sql_expr(expr.left)} {_SQL_OPERATORS[expr.op]} {sql_expr(expr.right)})"
    if isinstance(expr, Unary):
        return f"(NOT {sql_expr(expr.operand)})" if expr.op == "not" else f"(- {sql_expr(expr.operand)})"
    if isinstance(expr, InList):
        items = ", ".join(sql_expr(i) for i in expr.items)
        return f"({sql_expr(expr.operand)} {'NOT IN' if expr.negated else 'IN'} ({items}))"
    if isinstance(expr, IsNull):
        return f"({sql_expr(expr.operand)} IS {'NOT NULL' if expr.negated else 'NULL'})"
    if isinstance(expr, Case):
        parts = " ".join(f"WHEN {sql_expr(w.condition)} THEN {sql_expr(w.result)}" for w in expr.whens)
        otherwise = f" ELSE {sql_expr(expr.otherwise)}" if expr.otherwise is not None else ""
        return f"(CASE {parts}{otherwise} END)"
    if isinstance(expr, Cast):
        return f"CAST({sql_expr(expr.operand)} AS {_SQL_TYPES[expr.type.name]})"
    assert isinstance(expr, Call)
    return f"{quote(expr.function)}({', '.join(sql_expr(a) for a in expr.args)})"


def _relation(ref: RelationRef) -> str:
    return quote(ref.name) + (f" AS {quote(ref.alias)}" if ref.alias else "")


def _term(source: RelationRef, steps: tuple[Step, ...], columns: list[str], strings: frozenset[str]) -> str:
    joins = [s for s in steps if isinstance(s, Join)]
    filters = [s for s in steps if isinstance(s, Filter)]
    select = steps[-1]
    assert isinstance(select, Select)
    items = {item.name: item.expr for item in select.items}
    # Both terms must produce identical types; a string may be Utf8 in one and Utf8View in the other
    # (literals, coalesce, in-memory versus Delta inputs), so strings are cast to one type in both.
    rendered = [f"CAST({sql_expr(items[name])} AS VARCHAR)" if name in strings else sql_expr(items[name])
                for name in columns]
    sql = "SELECT " + ", ".join(f"{expr} AS {quote(name)}" for expr, name in zip(rendered, columns))
    sql += " FROM " + _relation(source)
    for join in joins:
        sql += f" JOIN {_relation(join.right)} ON {sql_expr(join.on)}"
    if filters:
        sql += " WHERE " + " AND ".join(sql_expr(f.predicate) for f in filters)
    return sql


def recursive_query(view: View, base: tuple[Step, ...], recurse_source: RelationRef,
                    recurse_steps: tuple[Step, ...], strings: frozenset[str] = frozenset()) -> str:
    """WITH RECURSIVE over the base and recursive terms; columns in the base term's order."""
    select = base[-1]
    assert isinstance(select, Select) and isinstance(view.source, RelationRef)
    columns = [item.name for item in select.items]
    base_sql = _term(view.source, base, columns, strings)
    step_sql = _term(recurse_source, flat_steps(recurse_steps), columns, strings)
    selected = ", ".join(quote(c) for c in columns)
    return (f"WITH RECURSIVE {quote(view.name)} AS ({base_sql} UNION {step_sql}) "
            f"SELECT {selected} FROM {quote(view.name)}")
