"""Walk DataFusion logical plans and their expressions through datafusion-python's variant API.

The bindings of datafusion 55 expose most expression variants structurally; ScalarFunction and WindowFunction
have no Python variant, and `rex_call_operands()` returns a leaf itself, so both are handled here once.
"""

from __future__ import annotations

from typing import Iterable, Iterator, TypeVar

from datafusion import Expr, LogicalPlan

T = TypeVar("T")

# Accessors of expression variants that return child expressions (or lists, or (when, then) pairs).
_CHILD_ACCESSORS = ("expr", "left", "right", "list", "args", "low", "high", "pattern", "else_expr", "when_then_expr")
LEAF_VARIANTS = frozenset({"Column", "Literal", "Placeholder", "ScalarVariable", "Wildcard"})


def flatten(value) -> list[Expr]:
    if value is None:
        return []
    if isinstance(value, Expr):
        return [value]
    if isinstance(value, (list, tuple)):
        return [e for item in value for e in flatten(item)]
    inner = getattr(value, "expr", None)  # a SortExpr wraps the expression it sorts by
    return flatten(inner()) if callable(inner) else []


def child_expressions(expr: Expr) -> list[Expr] | None:
    """Child expressions through the structured API, or None where the bindings offer none."""
    if expr.variant_name() in LEAF_VARIANTS:
        return []
    try:
        variant = expr.to_variant()
    except Exception:  # ScalarFunction and WindowFunction have no Python variant in datafusion 55
        variant = None
    if variant is not None:
        children = []
        for accessor in _CHILD_ACCESSORS:
            method = getattr(variant, accessor, None)
            if callable(method):
                children.extend(flatten(method()))
        if children:
            return children
    try:
        operands = expr.rex_call_operands()
    except Exception:
        return None
    return [o for o in operands if not (o.variant_name() == expr.variant_name() and o.schema_name() == expr.schema_name())]


def output_name(expr: Expr) -> tuple[str | None, str]:
    """(qualifier, name) of the column a projected or grouped expression becomes."""
    variant = expr.variant_name()
    if variant == "Alias":
        return None, expr.to_variant().alias()
    if variant == "Column":
        column = expr.to_variant()
        return column.relation(), column.name()
    return None, expr.schema_name()


def matching_columns(columns: Iterable[T], qualifier: str | None, name: str) -> list[T]:
    """The input columns (anything with .qualifier and .name) that a reference `qualifier.name` can mean."""
    return [c for c in columns if c.name == name and (qualifier is None or c.qualifier == qualifier)]


def walk_expression(expr: Expr) -> Iterator[Expr]:
    """Every sub-expression, the expression itself first; iterative, so depth is no concern."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child_expressions(node) or ())


def node_expressions(plan: LogicalPlan) -> list[Expr]:
    """The expressions one plan node evaluates (not those of its inputs)."""
    variant = plan.to_variant()
    kind = type(variant).__name__
    if kind == "Projection":
        return list(variant.projections())
    if kind == "Filter":
        return [variant.predicate()]
    if kind == "Join":
        return flatten(list(variant.on())) + flatten(variant.filter())
    if kind == "Aggregate":
        return list(variant.group_by_exprs()) + list(variant.aggregate_exprs())
    if kind == "Sort":
        return flatten(list(variant.sort_exprs()))
    if kind == "WindowExpr":
        return flatten(list(variant.get_window_expr()))
    return []


def walk_plan(plan: LogicalPlan) -> Iterator[LogicalPlan]:
    stack = [plan]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.inputs())


# Plan nodes that transform each row on its own: a plan made only of these costs about as much to run again as to
# read back, so holding its result in memory buys nothing.
ROW_WISE_NODES = frozenset({"Projection", "Filter", "SubqueryAlias", "TableScan"})


def is_row_wise(plan: LogicalPlan) -> bool:
    return all(type(node.to_variant()).__name__ in ROW_WISE_NODES for node in walk_plan(plan))


def row_wise_inputs(plan: LogicalPlan) -> tuple[str, ...]:
    """Tables whose rows each reach the result on their own: scanned only under filters, projections and
    unions. A change to such an input changes just the result rows made from the changed rows."""
    reached, combined = set(), set()
    stack = [(plan, True)]
    while stack:
        node, row_wise = stack.pop()
        variant = node.to_variant()
        kind = type(variant).__name__
        if kind == "TableScan":
            (reached if row_wise else combined).add(variant.table_name())
        stack.extend((child, row_wise and (kind in ROW_WISE_NODES or kind == "Union")) for child in node.inputs())
    return tuple(sorted(reached - combined))


def scalar_function_names(plan: LogicalPlan) -> set[str]:
    """Names of every scalar function a plan calls, built-in or user-defined."""
    names = set()
    for node in walk_plan(plan):
        for expr in node_expressions(node):
            for sub in walk_expression(expr):
                if sub.variant_name() == "ScalarFunction":
                    names.add(sub.rex_call_operator())
    return names
