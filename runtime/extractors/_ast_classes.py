"""What the shared walk needs to know about each ast class, worked out once from the classes themselves."""

from __future__ import annotations

import ast
from types import MappingProxyType

SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Load/Store/Del are shared singletons that carry no source of their own.
_SKIPPED = (ast.expr_context,)
_NAME_FIELDS = ("name", "id", "attr", "arg")
# Grammar types whose values are never nodes (or are the shared Load/Store/Del contexts).
_LEAF_TYPES = frozenset({"identifier", "string", "int", "constant", "expr_context"})


def _grammar(cls: type) -> dict[str, str] | None:
    """Field -> grammar type (`expr`, `stmt*`, `identifier?`, ...), read from the signature ast puts in the
    class's docstring, e.g. `Call(expr func, expr* args, keyword* keywords)`; None if it has none."""
    signature = (cls.__doc__ or "").split("\n", 1)[0].strip()
    if not signature.startswith(cls.__name__):
        return None
    inner = signature[len(cls.__name__):]
    parts = [p.split() for p in inner[1:-1].split(", ")] if inner.startswith("(") and inner.endswith(")") else []
    if inner and not parts or any(len(p) != 2 for p in parts) or tuple(p[1] for p in parts) != cls._fields:
        return None
    return {name: kind for kind, name in parts}


def _node_classes() -> dict[type, tuple]:
    """Per ast class: the field holding its name and whether the grammar leaves it unsure to be a string, whether
    it has a position, its child fields in reverse order as the walk pushes them (each with whether it holds a
    list; None: check every field's values), its fields, whether it opens a scope and whether it is a definition."""
    classes, stack = {}, [ast.AST]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        fields = tuple(getattr(cls, "_fields", ()))
        grammar = _grammar(cls)
        name_field = next((f for f in _NAME_FIELDS if f in fields), None)
        name_unsure = name_field is not None and (grammar is None or grammar[name_field].rstrip("?") != "identifier")
        children = None if grammar is None else tuple(
            (name, kind.endswith("*")) for name, kind in reversed(grammar.items())
            if kind.rstrip("*?") not in _LEAF_TYPES)
        classes[cls] = (name_field, name_unsure, "end_lineno" in getattr(cls, "_attributes", ()), children, fields,
                        issubclass(cls, SCOPES), issubclass(cls, DEFINITIONS))
    return classes


CLASSES = MappingProxyType(_node_classes())
# Every class the walk visits: membership of type(x) replaces two isinstance checks per value.
WALKED = frozenset(cls for cls in CLASSES if not issubclass(cls, _SKIPPED))
