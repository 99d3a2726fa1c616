"""Layout columns, read from a view's unoptimized DataFusion plan: which output columns begin with the source
file id in every row?

Sorting a written table by such a column keeps each source file's rows together, in a few data files whose
statistics bound them; replacing one file's rows then reads and rewrites only those files. A column qualifies
when its value is the file id itself, or a string built with the file id first (`concat`, `concat_ws`, or a
`case` whose every branch does so), carried unchanged through projections, joins, unions and groupings. Rows
where it is null, or begins with a fixed string instead (`"external:" || name`), sort into one run of their
own, so such branches of a union do not spoil the layout. Unlike file locality, this is a property of values,
not of how rows are computed: a view that reads every file may still have one. Anything this module does not
recognise gives no layout column, which only costs speed.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable, Mapping, NamedTuple

from datafusion import DataFrame, Expr, LogicalPlan

from codegen.plan_walk import matching_columns, output_name


class Lead(Enum):
    """What every value of a column begins with."""

    FILE = "the file id"
    FIXED = "a fixed string, or null"  # one sort run for all rows
    OTHER = "anything"


# Functions whose result starts with one of their arguments: that argument's index.
_PREFIX_ARGUMENT = {"concat": 0, "concat_ws": 1, "arrow_cast": 0}
_PASS_THROUGH = frozenset({"Filter", "Sort", "Repartition", "Limit", "Distinct"})

class _Col(NamedTuple):
    """One output column of a plan node, and what its values begin with."""

    qualifier: str | None
    name: str
    lead: Lead


class _Unknown(Exception):
    pass


def _together(leads: Iterable[Lead]) -> Lead:
    """The rows of several branches in one column: file-led where any branch is and none is unbounded."""
    leads = set(leads)
    if Lead.OTHER in leads or not leads:
        return Lead.OTHER
    return Lead.FILE if Lead.FILE in leads else Lead.FIXED


def _column_lead(qualifier: str | None, name: str, cols: list[_Col]) -> Lead:
    return _together(c.lead for c in matching_columns(cols, qualifier, name))


def _literal(expr: Expr):
    value = expr.python_value()  # a pyarrow scalar
    return value.as_py() if hasattr(value, "as_py") else value


def _lead(expr: Expr, cols: list[_Col]) -> Lead:
    variant = expr.variant_name()
    if variant in ("Alias", "Cast", "TryCast"):
        return _lead(expr.to_variant().expr(), cols)
    if variant == "Column":
        column = expr.to_variant()
        return _column_lead(column.relation(), column.name(), cols)
    if variant == "Literal":
        return Lead.FIXED if _literal(expr) is None or isinstance(_literal(expr), str) else Lead.OTHER
    if variant == "Case":
        case = expr.to_variant()
        branches = [then for _, then in case.when_then_expr()]
        otherwise = case.else_expr()
        return _together(_lead(b, cols) for b in branches + ([otherwise] if otherwise is not None else []))
    if variant == "ScalarFunction" and expr.rex_call_operator() in _PREFIX_ARGUMENT:
        operands = expr.rex_call_operands()
        position = _PREFIX_ARGUMENT[expr.rex_call_operator()]
        if len(operands) <= position:
            return Lead.OTHER
        first = operands[position]
        # concat skips a null part, so a value would begin with whatever part follows it.
        if first.variant_name() == "Literal" and _literal(first) is None:
            return Lead.FIXED if expr.rex_call_operator() == "arrow_cast" else Lead.OTHER
        return _lead(first, cols)
    return Lead.OTHER


def _walk(plan: LogicalPlan, facts: Mapping[str, Mapping[str, Lead]], schemas: Mapping[str, list[str]]
          ) -> list[_Col]:
    variant = plan.to_variant()
    kind = type(variant).__name__
    inputs = [_walk(child, facts, schemas) for child in plan.inputs()]
    if kind == "TableScan":
        table = variant.table_name()
        if table not in schemas:
            raise _Unknown
        known = facts.get(table, {})
        return [_Col(table, c, known.get(c, Lead.OTHER)) for c in schemas[table]]
    if kind == "SubqueryAlias":
        return [_Col(variant.alias(), c.name, c.lead) for c in inputs[0]]
    if kind == "Projection":
        return [_Col(*output_name(e), _lead(e, inputs[0])) for e in variant.projections()]
    if kind in _PASS_THROUGH:
        return inputs[0]
    if kind == "Join":
        left, right = inputs
        join_type = str(variant.join_type())
        if join_type in ("LeftSemi", "LeftAnti", "LeftMark"):
            return left
        if join_type in ("RightSemi", "RightAnti"):
            return right
        return left + right  # an outer join's missing side is null: one run of its own
    if kind == "Aggregate":
        groups = list(variant.group_by_exprs())
        return [_Col(*output_name(g), _lead(g, inputs[0])) for g in groups] + [
            _Col(*output_name(a), Lead.OTHER) for a in variant.aggregate_exprs()
        ]
    if kind == "WindowExpr":
        return inputs[0] + [_Col(None, w.schema_name(), Lead.OTHER) for w in variant.get_window_expr()]
    if kind == "Union":
        if not inputs or any(len(branch) != len(inputs[0]) for branch in inputs):
            raise _Unknown
        return [
            _Col(first.qualifier, first.name, _together(branch[position].lead for branch in inputs))
            for position, first in enumerate(inputs[0])
        ]
    raise _Unknown


def column_leads(df: DataFrame, facts: Mapping[str, Mapping[str, Lead]], schemas: Mapping[str, list[str]]
                 ) -> dict[str, Lead]:
    """What each of the view's columns begins with, over placeholder inputs whose own columns are in `facts`."""
    names = df.schema().names
    try:
        cols = _walk(df.logical_plan(), facts, schemas)
    except _Unknown:
        cols = []
    if len(cols) != len(names):
        return {name: Lead.OTHER for name in names}
    return {name: c.lead for name, c in zip(names, cols)}


def dataset_leads(columns: list[str], file_column: str) -> dict[str, Lead]:
    return {c: Lead.FILE if c == file_column else Lead.OTHER for c in columns}


def layout_columns(leads: Mapping[str, Lead]) -> tuple[str, ...]:
    """The columns that keep one file's rows together when the table is sorted by them."""
    return tuple(name for name, lead in leads.items() if lead is Lead.FILE)
