"""Enum coverage: every declared value must be produced by a view whose rows reach an output.

A value is produced where it can become a column's value: an assignment's expression itself, a branch of a
case, an argument of coalesce-like functions. A value only compared with (`kind == edge_kind.CALLS`) is read,
not produced.
"""

from __future__ import annotations

from dsl import codes
from dsl.check_context import CheckContext
from dsl.ir import (
    Aggregate,
    Call,
    Case,
    Cast,
    Derive,
    EnumValue,
    Expr,
    Recurse,
    RelationKind,
    Rename,
    Select,
    View,
    flat_steps,
)

_PASS_THROUGH = frozenset({"coalesce", "nvl", "nullif", "greatest", "least", "make_array", "first", "min", "max",
                           "array_agg"})


def produced_values(expr: Expr) -> list[EnumValue]:
    found = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, EnumValue):
            found.append(node)
        elif isinstance(node, Case):
            stack.extend(w.result for w in node.whens)
            if node.otherwise is not None:
                stack.append(node.otherwise)
        elif isinstance(node, Cast):
            stack.append(node.operand)
        elif isinstance(node, Call) and node.function in _PASS_THROUGH:
            stack.extend(node.args)
    return found


def _view_produces(view: View) -> list[EnumValue]:
    steps = list(flat_steps(view.steps))
    for step in list(steps):
        if isinstance(step, Recurse):
            steps.extend(flat_steps(step.steps))
    found = []
    for step in steps:
        if isinstance(step, Derive):
            items = step.assignments
        elif isinstance(step, (Select, Rename)):
            items = step.items
        elif isinstance(step, Aggregate):
            items = step.group_by + step.aggregates
        else:
            continue
        for item in items:
            found.extend(produced_values(item.expr))
    return found


def _feeding_outputs(views: dict[str, View]) -> set[str]:
    """Views whose rows reach some output (outputs included)."""
    reached: set[str] = set()
    stack = [v.name for v in views.values() if v.kind is RelationKind.OUTPUT]
    while stack:
        name = stack.pop()
        if name in reached or name not in views:
            continue
        reached.add(name)
        stack.extend(ref.name for ref in views[name].dependencies())
    return reached


def check_enum_coverage(ctx: CheckContext) -> None:
    feeding = _feeding_outputs(ctx.views)
    producers: dict[tuple[str, str], list[str]] = {}
    for view in ctx.views.values():
        for value in _view_produces(view):
            producers.setdefault((value.enum, value.member), []).append(view.name)
    for enum in ctx.enums.values():
        for member in enum.members:
            views = sorted(set(producers.get((enum.name, member.name), [])))
            if any(v in feeding for v in views):
                continue
            if views:
                message = (f"enum value '{enum.name}.{member.name}' is produced only by views no output reads: "
                           f"{', '.join(views)}")
                hint = "union those rows into an output, or remove the value"
            else:
                message = f"enum value '{enum.name}.{member.name}' is declared but no view produces it"
                hint = f"derive or select {enum.name}.{member.name} in a view that feeds an output, or remove it"
            ctx.error(codes.ENUM_NOT_PRODUCED, message, member.span, hint)
