"""The Python `ast` extractor: every syntax node with its parent, scope and UTF-8 byte span.

A file that cannot be read or parsed yields one `ast_errors` row instead of nodes; it never stops the build.
"""

from __future__ import annotations

import ast
import bisect
from typing import Mapping

from runtime.source import SourceFile

_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Load/Store/Del are shared singletons that carry no source of their own.
_SKIPPED = (ast.expr_context,)
_NAME_FIELDS = ("name", "id", "attr", "arg")
_BOM = b"\xef\xbb\xbf"

NODE_COLUMNS = ("file_id", "node_id", "parent_id", "field", "kind", "name", "qualname", "scope_id",
                "bstart", "bend", "line", "col", "end_line", "end_col")
ERROR_COLUMNS = ("file_id", "code", "message", "line", "col")


def _error(source: SourceFile, code: str, message: str, line: int | None = None, col: int | None = None):
    return {"ast_errors": {"file_id": [source.file_id], "code": [code], "message": [message],
                           "line": [line], "col": [col]}}


def _parse(source: SourceFile):
    """The tree, or the error row that replaces it."""
    if source.data is None:
        return None, _error(source, "unreadable", source.read_error or "could not be read")
    if b"\0" in source.data:
        line = source.data[: source.data.index(b"\0")].count(b"\n") + 1
        return None, _error(source, "null-bytes", "the file contains NUL bytes", line)
    try:
        return ast.parse(source.data, filename=source.file_id), None
    except SyntaxError as exc:
        code = "encoding" if "decode" in str(exc.msg) or "encoding" in str(exc.msg) else "syntax"
        return None, _error(source, code, f"{type(exc).__name__}: {exc.msg}", exc.lineno, exc.offset)
    except (UnicodeError, LookupError) as exc:
        return None, _error(source, "encoding", f"{type(exc).__name__}: {exc}")
    except (RecursionError, MemoryError) as exc:
        return None, _error(source, "recursion", f"{type(exc).__name__}: the file is nested too deeply to parse")


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    tree, error = _parse(source)
    if error is not None:
        return {k: v for k, v in error.items() if k in datasets}
    if "ast_nodes" not in datasets:
        return {}
    return {"ast_nodes": _nodes(source, tree)}


def _nodes(source: SourceFile, tree: ast.Module) -> dict[str, list]:
    data = source.data or b""
    line_starts = [0]
    line_starts.extend(i + 1 for i, byte in enumerate(data) if byte == 0x0A)
    bom = len(_BOM) if data.startswith(_BOM) else 0

    def offset(line: int, col: int) -> int:
        return line_starts[line - 1] + col + (bom if line == 1 else 0)

    rows: list[list] = []  # pre-order; index == node_id
    spans: list[list[int]] = []
    # Explicit stack: a deeply nested tree that ast could parse must not overflow Python's own stack here.
    stack: list[tuple[ast.AST, int | None, str | None, int | None, str]] = [(tree, None, None, None, source.module)]
    while stack:
        node, parent_id, field, scope_id, scope_qualname = stack.pop()
        node_id = len(rows)
        name = next((getattr(node, f) for f in _NAME_FIELDS if isinstance(getattr(node, f, None), str)), None)
        qualname = None
        if isinstance(node, ast.Module):
            qualname, name = source.module, source.module.rsplit(".", 1)[-1]
        elif isinstance(node, _DEFINITIONS):
            qualname = f"{scope_qualname}.{node.name}"
        if hasattr(node, "lineno") and getattr(node, "end_lineno", None) is not None:
            span = [offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)]
        elif isinstance(node, ast.Module):
            span = [0, len(data)]
        else:
            span = [-1, -1]  # filled from the children below
        rows.append([source.file_id, node_id, parent_id, field, type(node).__name__, name, qualname, scope_id])
        spans.append(span)
        child_scope, child_qualname = scope_id, scope_qualname
        if isinstance(node, _SCOPES):
            child_scope, child_qualname = node_id, qualname or scope_qualname
        children = []
        for child_field, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and not isinstance(child, _SKIPPED):
                    children.append((child, node_id, child_field, child_scope, child_qualname))
        stack.extend(reversed(children))

    # Nodes without a position (arguments, comprehension, ...) span their children. Children follow their
    # parent in pre-order, so one backward pass settles every such node, and a forward pass places the few
    # with no positioned child at their parent's start, zero width.
    derived = [span[0] < 0 for span in spans]
    for node_id in range(len(rows) - 1, 0, -1):
        parent_id = rows[node_id][2]
        start, end = spans[node_id]
        if derived[parent_id] and start >= 0:
            parent = spans[parent_id]
            parent[0] = start if parent[0] < 0 else min(parent[0], start)
            parent[1] = max(parent[1], end)
    for node_id, span in enumerate(spans):
        if span[0] < 0:
            span[0] = span[1] = spans[rows[node_id][2]][0]
    columns: dict[str, list] = {name: [] for name in NODE_COLUMNS}
    for row, (start, end) in zip(rows, spans):
        line = bisect.bisect_right(line_starts, start)
        end_line = bisect.bisect_right(line_starts, max(start, end - 1)) if end > start else line
        for column, value in zip(NODE_COLUMNS, row):
            columns[column].append(value)
        columns["bstart"].append(start)
        columns["bend"].append(end)
        columns["line"].append(line)
        columns["col"].append(start - line_starts[line - 1])
        columns["end_line"].append(end_line)
        columns["end_col"].append(end - line_starts[end_line - 1])
    return columns
