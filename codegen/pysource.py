"""Translate IR pipelines into Python source that builds them with DataFusion's DataFrame API.

Safety: spec text reaches the output only as `repr()` of a str/int/float/bool, or as a function name that
has been checked to be a public callable of `datafusion.functions`. Names of datasets, views and columns are
always string arguments, never identifiers, so no spec can inject code. Expressions are written by
codegen.pyexpr; the one construct the DataFrame API cannot express, recursion, by codegen.recursive_sql.
"""

from __future__ import annotations

from codegen.pyexpr import ExprWriter, TranslationError, literal_expr
from codegen.recursive_sql import recursive_query
from dsl.ir import (
    Aggregate,
    Best,
    Derive,
    Distinct,
    Filter,
    Join,
    LiteralKind,
    Recurse,
    RelationRef,
    Rename,
    Select,
    Step,
    UnionSource,
    View,
    flat_steps,
)

__all__ = ["PipelineWriter", "TranslationError", "RANK_COLUMN"]

# The window step's scratch column. `#` cannot appear in a .sem name, so it never meets a user's column.
RANK_COLUMN = "semc#rank"


class PipelineWriter(ExprWriter):
    """Writes the body of one view builder: a sequence of `df = ...` statements."""

    def __init__(self, string_columns: dict[str, frozenset[str]] | None = None) -> None:
        # Per view, the columns the checker typed as strings (recursive queries cast them to one type).
        self.string_columns = string_columns or {}

    def relation(self, ref: RelationRef) -> str:
        source = f"ctx.table({ref.name!r})"
        return f"{source}.alias({ref.alias!r})" if ref.alias else source

    def statements(self, view: View) -> list[str]:
        steps = flat_steps(view.steps)
        recurse = next((i for i, s in enumerate(steps) if isinstance(s, Recurse)), None)
        if recurse is not None:
            step = steps[recurse]
            assert isinstance(step, Recurse)
            strings = self.string_columns.get(view.name, frozenset())
            sql = recursive_query(view, steps[:recurse], step.source, step.steps, strings)
            lines = [f"df = ctx.sql({sql!r})"]
            steps = steps[recurse + 1 :]
        elif isinstance(view.source, UnionSource):
            first, *rest = view.source.members
            lines = [f"df = {self.relation(first)}"]
            lines.extend(f"df = df.union_by_name({self.relation(member)})" for member in rest)
        else:
            lines = [f"df = {self.relation(view.source)}"]
        for step in steps:
            lines.extend(self.step(step))
        return lines

    def step(self, step: Step) -> list[str]:
        if isinstance(step, Filter):
            return [f"df = df.filter({self.expr(step.predicate)})"]
        if isinstance(step, Derive):
            return [f"df = df.with_column({a.name!r}, {self.expr(a.expr)})" for a in step.assignments]
        if isinstance(step, Select):
            items = ", ".join(f"{self.expr(item.expr)}.alias({item.name!r})" for item in step.items)
            return [f"df = df.select({items})"]
        if isinstance(step, Rename):
            return [f"df = df.with_column_renamed({_column_name(item.expr)!r}, {item.name!r})" for item in step.items]
        if isinstance(step, Join):
            return [f"df = df.join_on({self.relation(step.right)}, {self.expr(step.on)}, how={step.kind.value!r})"]
        if isinstance(step, Aggregate):
            groups = ", ".join(f"{self.expr(g.expr)}.alias({g.name!r})" for g in step.group_by)
            values = ", ".join(f"{self.aggregate(a.expr)}.alias({a.name!r})" for a in step.aggregates)  # type: ignore[arg-type]
            return [f"df = df.aggregate([{groups}], [{values}])"]
        if isinstance(step, Distinct):
            return ["df = df.distinct()"]
        assert isinstance(step, Best), step
        per = ", ".join(self.expr(e) for e in step.per)
        order = ", ".join(self.sort_key(k) for k in step.order)
        return [
            f"df = df.with_column({RANK_COLUMN!r}, f.row_number(partition_by=[{per}], order_by=[{order}]))",
            f"df = df.filter(col({RANK_COLUMN!r}) <= {literal_expr(LiteralKind.INT, repr(step.count))})",
            f"df = df.drop({RANK_COLUMN!r})",
        ]


def _column_name(ref) -> str:
    return f"{ref.qualifier}.{ref.name}" if ref.qualifier else ref.name
