"""Generic, structure-preserving rewriting of IR nodes (frozen dataclasses and tuples of them)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Callable

from dsl.diagnostics import Span
from dsl.ir import MAX_EXPRESSION_DEPTH, Expr, children

Rewriter = Callable[[object], object]


def rebuild(node: object, fn: Rewriter) -> object:
    """Top-down: `fn(node)` returns a replacement (used as is) or the node itself (then its fields are rebuilt).

    Callers must bound the depth first (see `too_deep`): the walk recurses once per level.
    """
    new = fn(node)
    if new is not node:
        return new
    if isinstance(node, tuple):
        items = tuple(rebuild(item, fn) for item in node)
        return node if all(a is b for a, b in zip(items, node)) else items
    if not is_dataclass(node) or isinstance(node, Span):
        return node
    changes = {}
    for field in fields(node):
        value = getattr(node, field.name)
        if isinstance(value, tuple) or is_dataclass(value):
            rebuilt = rebuild(value, fn)
            if rebuilt is not value:
                changes[field.name] = rebuilt
    return replace(node, **changes) if changes else node


def expression_depth(expr: Expr) -> int:
    """Depth of an expression tree, computed without recursion so any input is safe to measure."""
    deepest = 0
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    return deepest


def _expressions(node: object):
    """Top-level expressions held anywhere inside a step or declaration, without entering them."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
        elif is_dataclass(item) and not isinstance(item, Span):
            if type(item).__name__ in _EXPR_TYPES:
                yield item
            else:
                stack.extend(getattr(item, f.name) for f in fields(item))


_EXPR_TYPES = frozenset({"ColumnRef", "Literal", "EnumValue", "Call", "Binary", "Unary", "InList", "IsNull", "Case",
                         "Cast"})


def too_deep(node: object) -> bool:
    """Whether any expression inside `node` is deeper than the compiler accepts (the checker reports it)."""
    return any(expression_depth(expr) > MAX_EXPRESSION_DEPTH for expr in _expressions(node))
