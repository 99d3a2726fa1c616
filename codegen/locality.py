"""File locality, read from a view's unoptimized DataFusion plan: does every row depend on the evidence of one
source file only?

A view is *file-local* when all its inputs are file-local (evidence keyed by the file column, or file-local
views), every join equates the file column of both sides, and every aggregate, distinct and window groups or
partitions by it. Such a view's rows for a set of files can be computed from just those files' evidence, which
is what lets the runtime maintain an output by replacing only the rows of the files that changed.

Alongside, the *file column* is found: the evidence file id itself, unchanged, which tells which file each row
belongs to. (Which columns keep one file's rows together when sorted is codegen.layout's concern.)

Anything this module does not recognise (limits, recursion, subqueries, values, unknown nodes) is not
file-local: the runtime then recomputes the view whole, which is always correct.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from datafusion import DataFrame, Expr, LogicalPlan

from codegen.lineage import PlanColumn, expression_columns
from codegen.plan_walk import flatten, matching_columns, output_name, walk_expression

_SUBQUERY_VARIANTS = frozenset({"ScalarSubquery", "Exists", "InSubquery", "OuterReferenceColumn"})


@dataclass(frozen=True)
class Locality:
    """Locality facts of one relation (dataset or view), by output column name."""

    file_local: bool
    file_column: str | None = None  # the first column that is the evidence file id, unchanged


NOT_LOCAL = Locality(False)


@dataclass(frozen=True)
class _Col:
    qualifier: str | None
    name: str
    is_file: bool


class _NotLocal(Exception):
    pass


def dataset_locality(columns: list[str], file_column: str) -> Locality:
    """Evidence is extracted file by file; it is keyed by file when it carries the file column."""
    if file_column not in columns:
        return NOT_LOCAL
    return Locality(True, file_column)


def _plan_columns(cols: list[_Col]) -> list[PlanColumn]:
    return [PlanColumn(c.qualifier, c.name, frozenset()) for c in cols]


def _references(expr: Expr, cols: list[_Col]) -> list[_Col]:
    for sub in walk_expression(expr):
        if sub.variant_name() in _SUBQUERY_VARIANTS:
            raise _NotLocal
    found = expression_columns(expr, _plan_columns(cols))
    matched = []
    for qualifier, name in found:
        matched.extend(matching_columns(cols, qualifier, name) or [c for c in cols if c.name == name])
    return matched


def _is_file_reference(expr: Expr, cols: list[_Col]) -> bool:
    """True when the expression is (an alias of) a plain reference to a file column."""
    node = expr
    while node.variant_name() == "Alias":
        node = node.to_variant().expr()
    if node.variant_name() != "Column":
        return False
    column = node.to_variant()
    qualifier, name = column.relation(), column.name()
    matches = matching_columns(cols, qualifier, name)
    return bool(matches) and all(c.is_file for c in matches)


def _project(exprs: list[Expr], cols: list[_Col]) -> list[_Col]:
    out = []
    for expr in exprs:
        _references(expr, cols)  # refuses subqueries
        out.append(_Col(*output_name(expr), _is_file_reference(expr, cols)))
    return out


def _equalities(condition: Expr | None) -> list[tuple[Expr, Expr]]:
    """(left, right) of every `a = b` conjunct of a join filter."""
    pairs, stack = [], [] if condition is None else [condition]
    while stack:
        expr = stack.pop()
        if expr.variant_name() != "BinaryExpr":
            continue
        binary = expr.to_variant()
        if binary.op() == "AND":
            stack.extend([binary.left(), binary.right()])
        elif binary.op() == "=":
            pairs.append((binary.left(), binary.right()))
    return pairs


def _walk(plan: LogicalPlan, facts: Mapping[str, Locality], schemas: Mapping[str, list[str]]) -> list[_Col]:
    variant = plan.to_variant()
    kind = type(variant).__name__
    inputs = [_walk(child, facts, schemas) for child in plan.inputs()]
    if kind == "TableScan":
        table = variant.table_name()
        fact = facts.get(table)
        if fact is None or not fact.file_local or table not in schemas or list(variant.filters()):
            raise _NotLocal
        return [_Col(table, c, c == fact.file_column) for c in schemas[table]]
    if kind == "SubqueryAlias":
        return [_Col(variant.alias(), c.name, c.is_file) for c in inputs[0]]
    if kind == "Projection":
        return _project(list(variant.projections()), inputs[0])
    if kind == "Filter":
        _references(variant.predicate(), inputs[0])
        return inputs[0]
    if kind in ("Repartition",):
        return inputs[0]
    if kind == "Sort":
        if variant.get_fetch_val() is not None:  # a top-k over every file's rows
            raise _NotLocal
        return inputs[0]
    if kind == "Join":
        left, right = inputs
        join_type = str(variant.join_type())
        if variant.filter() is not None:
            _references(variant.filter(), left + right)
        pairs = [tuple(pair) for pair in variant.on()] + _equalities(variant.filter())
        equated = any(
            (_is_file_reference(a, left) and _is_file_reference(b, right))
            or (_is_file_reference(b, left) and _is_file_reference(a, right))
            for a, b in pairs
        )
        if not equated:
            raise _NotLocal
        if join_type == "Inner":
            return left + right
        if join_type == "Left":
            return left + [_Col(c.qualifier, c.name, False) for c in right]
        if join_type == "Right":
            return [_Col(c.qualifier, c.name, False) for c in left] + right
        if join_type in ("LeftSemi", "LeftAnti"):
            return left
        if join_type in ("RightSemi", "RightAnti"):
            return right
        raise _NotLocal  # a full join's unmatched rows carry a file id on one side only
    if kind == "Aggregate":
        groups = list(variant.group_by_exprs())
        if not any(_is_file_reference(g, inputs[0]) for g in groups):
            raise _NotLocal
        return _project(groups + list(variant.aggregate_exprs()), inputs[0])
    if kind == "Distinct":
        if not any(c.is_file for c in inputs[0]):
            raise _NotLocal
        return inputs[0]
    if kind == "WindowExpr":
        cols = inputs[0]
        extra = []
        for window in variant.get_window_expr():
            try:
                partitions = flatten(variant.get_partition_exprs(window))
            except Exception:
                raise _NotLocal from None
            if not any(_is_file_reference(p, cols) for p in partitions):
                raise _NotLocal
            _references(window, cols)
            extra.append(_Col(None, window.schema_name(), False))
        return cols + extra
    if kind == "Union":
        if not inputs:
            raise _NotLocal
        merged = []
        for position, first in enumerate(inputs[0]):
            branch = [b[position] for b in inputs if position < len(b)]
            merged.append(
                _Col(first.qualifier, first.name, all(c.is_file for c in branch))
            )
        return merged
    raise _NotLocal


def view_locality(df: DataFrame, facts: Mapping[str, Locality], schemas: Mapping[str, list[str]]) -> Locality:
    """Locality of a view built over placeholder inputs whose own locality is in `facts`."""
    names = df.schema().names
    try:
        cols = _walk(df.logical_plan(), facts, schemas)
    except _NotLocal:
        return NOT_LOCAL
    if len(cols) != len(names):
        return NOT_LOCAL
    file_column = next((name for name, c in zip(names, cols) if c.is_file), None)
    return Locality(True, file_column)
