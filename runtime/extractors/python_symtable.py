"""The `symtable` extractor: the compiler's own scopes and the symbols in each, with every flag.

symtable reports only a scope's line; the scope's span and its `ast_nodes` id come from matching it to the
shared tree's definition (or lambda / comprehension) with that line and name.
"""

from __future__ import annotations

import _symtable
import ast
import symtable
import warnings
from collections import defaultdict, deque
from itertools import compress
from typing import Mapping

from runtime.extractors._symtable_flags import SymbolRows
from runtime.extractors._syntax import error_columns, parse, positions, syntax_error_columns, walk
from runtime.source import SourceFile

SCOPE_COLUMNS = ("file_id", "scope_id", "parent_scope_id", "kind", "name", "qualname", "node_id", "is_nested",
                 "is_optimized", "declared_line", "bstart", "bend", "line", "col", "end_line", "end_col")
SYMBOL_COLUMNS = ("file_id", "scope_id", "name", "is_local", "is_global", "is_declared_global", "is_nonlocal",
                  "is_free", "is_parameter", "is_imported", "is_assigned", "is_referenced", "is_annotated",
                  "is_namespace")
_SCOPE_NAMES = {ast.Lambda: "lambda", ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp",
                ast.GeneratorExp: "genexpr"}
_NAMED = frozenset({ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef})
_SCOPE_TYPES = _NAMED | frozenset(_SCOPE_NAMES)


def _scope_nodes(source: SourceFile) -> dict[tuple[int, str], deque[int]]:
    """(line, symtable name) -> node ids of the tree's scope-making nodes, in source order."""
    found: dict[tuple[int, str], deque[int]] = defaultdict(deque)
    nodes = walk(source).nodes
    # The parser makes these exact classes, so a type test picks them out, without a Python loop over the nodes.
    for node_id in compress(range(len(nodes)), map(_SCOPE_TYPES.__contains__, map(type, nodes))):
        node = nodes[node_id]
        name = node.name if type(node) in _NAMED else _SCOPE_NAMES[type(node)]
        found[(node.lineno, name)].append(node_id)
    return found


def _table(source: SourceFile):
    """The raw `_symtable` table (what `symtable.symtable` wraps): its entries' attributes are read directly,
    without the library's per-symbol objects and its weakly memoised per-scope ones."""
    text = source.data.decode(positions(source).encoding or "utf-8-sig", errors="replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings are the compiler's business, not the build's
        return _symtable.symtable(text, source.file_id, "exec")


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    if not datasets & {"symtable_errors", "symtable_scopes", "symtable_symbols"}:
        return {}
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
    want_scopes, want_symbols = "symtable_scopes" in datasets, "symtable_symbols" in datasets
    if not (want_scopes or want_symbols):
        return {}
    w, pos = walk(source), positions(source)
    candidates = _scope_nodes(source) if want_scopes and top.children else {}
    file_id = source.file_id
    scope_rows, symbols = [], SymbolRows()
    stack = [(top, None, source.module)]
    scope_id = -1
    while stack:
        raw, parent_id, parent_qualname = stack.pop()
        scope_id += 1
        name = raw.name
        if want_scopes:
            table = symtable.SymbolTable(raw, file_id)  # the library's answers for the scope's own columns
            kind = table.get_type()
            kind = getattr(kind, "value", kind)  # an enum from 3.13 on
            if parent_id is None:
                qualname, node_id = source.module, 0
            else:
                label = name if kind != "function" or name not in _SCOPE_NAMES.values() else f"<{name}>"
                qualname = f"{parent_qualname}.{label}"
                queue = candidates.get((raw.lineno, name))
                node_id = queue.popleft() if queue else None
            span = w.span_columns(pos, node_id) if node_id is not None else (None,) * 6
            scope_rows.append((file_id, scope_id, parent_id, kind, name, qualname, node_id, table.is_nested(),
                               table.is_optimized(), raw.lineno, *span))
        if want_symbols:
            symbols.add(scope_id, raw)
        # Children in source order: the stack pops the last pushed first.
        stack.extend((child, scope_id, qualname if want_scopes else None) for child in reversed(raw.children))
    produced = {}
    if want_scopes:
        produced["symtable_scopes"] = _columns(SCOPE_COLUMNS, scope_rows)
    if want_symbols:
        produced["symtable_symbols"] = {"file_id": [file_id] * len(symbols.names), **symbols.columns()}
    return produced


def _columns(names: tuple[str, ...], rows: list[tuple]) -> dict[str, list]:
    if not rows:
        return {name: [] for name in names}
    return {name: list(values) for name, values in zip(names, zip(*rows))}
