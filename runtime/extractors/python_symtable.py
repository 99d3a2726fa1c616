"""The `symtable` extractor: the compiler's own scopes and the symbols in each, with every flag.

symtable reports only a scope's line; the scope's span and its `ast_nodes` id come from matching it to the
shared tree's definition (or lambda / comprehension) with that line and name.
"""

from __future__ import annotations

import ast
import symtable
import warnings
from collections import defaultdict, deque
from typing import Mapping

from runtime.extractors._syntax import error_columns, parse, positions, syntax_error_columns, walk
from runtime.source import SourceFile

SCOPE_COLUMNS = ("file_id", "scope_id", "parent_scope_id", "kind", "name", "qualname", "node_id", "is_nested",
                 "is_optimized", "declared_line", "bstart", "bend", "line", "col", "end_line", "end_col")
SYMBOL_COLUMNS = ("file_id", "scope_id", "name", "is_local", "is_global", "is_declared_global", "is_nonlocal",
                  "is_free", "is_parameter", "is_imported", "is_assigned", "is_referenced", "is_annotated",
                  "is_namespace")
_FLAGS = ("is_local", "is_global", "is_declared_global", "is_nonlocal", "is_free", "is_parameter", "is_imported",
          "is_assigned", "is_referenced", "is_annotated", "is_namespace")
_SCOPE_NAMES = {ast.Lambda: "lambda", ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp",
                ast.GeneratorExp: "genexpr"}
_NAMED = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _scope_nodes(source: SourceFile) -> dict[tuple[int, str], deque[int]]:
    """(line, symtable name) -> node ids of the tree's scope-making nodes, in source order."""
    found: dict[tuple[int, str], deque[int]] = defaultdict(deque)
    w = walk(source)
    for node_id, node in enumerate(w.nodes):
        if isinstance(node, _NAMED):
            found[(node.lineno, node.name)].append(node_id)
        else:
            name = _SCOPE_NAMES.get(type(node))
            if name is not None:
                found[(node.lineno, name)].append(node_id)
    return found


def _table(source: SourceFile):
    text = source.data.decode(positions(source).encoding or "utf-8-sig", errors="replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings are the compiler's business, not the build's
        return symtable.symtable(text, source.file_id, "exec")


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    tree, error = parse(source)
    if error is not None:  # the ast extractor reports why
        return {}
    try:
        top = _table(source)
    except SyntaxError as exc:
        return {"symtable_errors": syntax_error_columns(source.file_id, exc, "symtable")} if (
            "symtable_errors" in datasets) else {}
    except (RecursionError, MemoryError, ValueError) as exc:
        columns = error_columns(source.file_id, "symtable", f"{type(exc).__name__}: {exc}")
        return {"symtable_errors": columns} if "symtable_errors" in datasets else {}
    scopes = {c: [] for c in SCOPE_COLUMNS} if "symtable_scopes" in datasets else None
    symbols = {c: [] for c in SYMBOL_COLUMNS} if "symtable_symbols" in datasets else None
    if scopes is None and symbols is None:
        return {}
    w, pos, candidates = walk(source), positions(source), _scope_nodes(source)
    file_id = source.file_id
    stack = [(top, None, source.module)]
    scope_id = -1
    while stack:
        table, parent_id, parent_qualname = stack.pop()
        scope_id += 1
        kind = table.get_type()
        kind = getattr(kind, "value", kind)  # an enum from 3.13 on
        name = table.get_name()
        if parent_id is None:
            qualname, node_id = source.module, 0
        else:
            label = name if kind != "function" or name not in _SCOPE_NAMES.values() else f"<{name}>"
            qualname = f"{parent_qualname}.{label}"
            queue = candidates.get((table.get_lineno(), name))
            node_id = queue.popleft() if queue else None
        if scopes is not None:
            span = w.span_columns(pos, node_id) if node_id is not None else (None,) * 6
            for column, value in zip(SCOPE_COLUMNS, (file_id, scope_id, parent_id, kind, name, qualname, node_id,
                                                     table.is_nested(), table.is_optimized(), table.get_lineno(), *span)):
                scopes[column].append(value)
        if symbols is not None:
            for symbol in table.get_symbols():
                values = (file_id, scope_id, symbol.get_name(), *(getattr(symbol, flag)() for flag in _FLAGS))
                for column, value in zip(SYMBOL_COLUMNS, values):
                    symbols[column].append(value)
        # Children in source order: the stack pops the last pushed first.
        stack.extend((child, scope_id, qualname) for child in reversed(table.get_children()))
    produced = {}
    if scopes is not None:
        produced["symtable_scopes"] = scopes
    if symbols is not None:
        produced["symtable_symbols"] = symbols
    return produced
