"""Column-level lineage, read from a view's unoptimized DataFusion plan.

Each plan node is mapped to its output columns, each column to the set of (input relation, column) pairs it is
computed from. Filters and join conditions decide which rows survive, not what a column holds, so they add no
lineage. Where DataFusion's Python bindings expose no structured access to an expression, the columns named in
its display are matched against the node's inputs, which errs towards naming a source too many, never too few.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from datafusion import DataFrame, Expr, LogicalPlan

from codegen.plan_walk import LEAF_VARIANTS, child_expressions, flatten, matching_columns, output_name

Source = tuple[str, str]

_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")


@dataclass(frozen=True)
class PlanColumn:
    qualifier: str | None
    name: str
    sources: frozenset[Source]


def _named_in_display(expr: Expr, inputs: list[PlanColumn]) -> set[tuple[str | None, str]]:
    text = _QUOTED.sub("", expr.schema_name())
    known = {(c.qualifier, c.name) for c in inputs}
    found = set()
    for token in _IDENTIFIER.findall(text):
        qualifier, _, name = token.rpartition(".")
        key = (qualifier or None, name)
        if key in known or (qualifier == "" and any(c.name == name for c in inputs)):
            found.add(key)
    return found


def expression_columns(expr: Expr, inputs: list[PlanColumn]) -> set[tuple[str | None, str]]:
    """(qualifier, name) of every column an expression reads."""
    found: set[tuple[str | None, str]] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        variant = node.variant_name()
        if variant == "Column":
            column = node.to_variant()
            found.add((column.relation(), column.name()))
            continue
        if variant in LEAF_VARIANTS:
            continue
        children = child_expressions(node)
        if children is None:
            found |= _named_in_display(node, inputs)
        else:
            stack.extend(children)
    return found


def _resolve(references: Iterable[tuple[str | None, str]], inputs: list[PlanColumn]) -> frozenset[Source]:
    sources: set[Source] = set()
    for qualifier, name in references:
        matches = matching_columns(inputs, qualifier, name)
        if not matches:  # qualifiers can differ across unions and aliases; fall back to the name
            matches = [c for c in inputs if c.name == name]
        for match in matches:
            sources |= match.sources
    return frozenset(sources)


def _output_column(expr: Expr, inputs: list[PlanColumn]) -> PlanColumn:
    return PlanColumn(*output_name(expr), _resolve(expression_columns(expr, inputs), inputs))


def _window_columns(variant, inputs: list[PlanColumn]) -> list[PlanColumn]:
    columns = list(inputs)
    for window in variant.get_window_expr():
        references = set()
        for accessor in ("get_args", "get_partition_exprs", "get_sort_exprs"):
            try:
                parts = flatten(getattr(variant, accessor)(window))
            except Exception:
                parts = [window]
            for part in parts:
                references |= expression_columns(part, inputs)
        columns.append(PlanColumn(None, window.schema_name(), _resolve(references, inputs)))
    return columns


def plan_columns(plan: LogicalPlan, schemas: Mapping[str, list[str]]) -> list[PlanColumn]:
    """Output columns of a plan node with their lineage; table scans read `schemas` for their columns."""
    variant = plan.to_variant()
    kind = type(variant).__name__
    inputs = [plan_columns(child, schemas) for child in plan.inputs()]
    if kind == "TableScan":
        table = variant.table_name()
        return [PlanColumn(table, name, frozenset({(table, name)})) for name in schemas[table]]
    if kind == "SubqueryAlias":
        return [PlanColumn(variant.alias(), c.name, c.sources) for c in inputs[0]]
    if kind == "Projection":
        return [_output_column(e, inputs[0]) for e in variant.projections()]
    if kind == "Aggregate":
        exprs = list(variant.group_by_exprs()) + list(variant.aggregate_exprs())
        return [_output_column(e, inputs[0]) for e in exprs]
    if kind == "Join":
        if str(variant.join_type()) in ("LeftSemi", "LeftAnti"):
            return inputs[0]
        if str(variant.join_type()) in ("RightSemi", "RightAnti"):
            return inputs[1]
        return inputs[0] + inputs[1]
    if kind == "Union":
        merged = []
        for position, first in enumerate(inputs[0]):
            sources = frozenset().union(*(branch[position].sources for branch in inputs if position < len(branch)))
            merged.append(PlanColumn(first.qualifier, first.name, sources))
        return merged
    if kind == "WindowExpr":
        return _window_columns(variant, inputs[0])
    if len(inputs) == 1:  # Filter, Sort, Limit, Distinct, Repartition: rows change, columns do not
        return inputs[0]
    raise _UnknownNode(kind)


class _UnknownNode(Exception):
    """A plan node whose column mapping this module does not know."""


def view_lineage(df: DataFrame, schemas: Mapping[str, list[str]]) -> dict[str, tuple[Source, ...]]:
    """{output column: sorted (input, column) pairs} for one view built over placeholder tables."""
    names = df.schema().names
    try:
        columns = plan_columns(df.logical_plan(), schemas)
    except _UnknownNode:
        # Conservative: every output column may come from every column the plan scans.
        everything = set()
        stack = [df.logical_plan()]
        while stack:
            node = stack.pop()
            variant = node.to_variant()
            if type(variant).__name__ == "TableScan":
                everything |= {(variant.table_name(), c) for c in schemas[variant.table_name()]}
            stack.extend(node.inputs())
        return {name: tuple(sorted(everything)) for name in names}
    return {name: tuple(sorted(column.sources)) for name, column in zip(names, columns)}
