"""The Python `ast` extractor: every syntax node with its parent, scope and UTF-8 byte span.

A file that cannot be read or parsed yields one `ast_errors` row instead of nodes; it never stops the build.
"""

from __future__ import annotations

import ast
import bisect
import io
import tokenize
from typing import Mapping

from runtime.source import SourceFile, line_starts

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
        line = exc.lineno if exc.lineno and exc.lineno >= 1 else None
        col = None
        if line is not None and exc.text is not None and exc.offset and exc.offset >= 1:
            # SyntaxError.offset is 1-based and counts characters; the table holds 0-based UTF-8 bytes.
            col = len(exc.text[: exc.offset - 1].encode("utf-8", errors="replace"))
        return None, _error(source, code, f"{type(exc).__name__}: {exc.msg}", line, col)
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


class _Positions:
    """Turns ast's (line, UTF-8 column of the decoded line) into byte offsets into the file as stored."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = line_starts(data)
        self.bom = len(_BOM) if data.startswith(_BOM) else 0
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        self.encoding = None if encoding in ("utf-8", "utf-8-sig") else encoding
        self._decoded: dict[int, str] = {}

    def line_start(self, line: int) -> int:
        start = self.starts[min(line, len(self.starts)) - 1]
        return start + (self.bom if line == 1 else 0)

    def offset(self, line: int, col: int) -> int:
        start = self.line_start(line)
        if self.encoding is None:
            return start + col
        text = self._decoded.get(line)
        if text is None:
            end = self.starts[line] if line < len(self.starts) else len(self.data)
            text = self._decoded[line] = self.data[start:end].decode(self.encoding, errors="replace")
        characters = len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return start + len(text[:characters].encode(self.encoding, errors="replace"))

    def line_and_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, max(0, offset - self.line_start(line))


def _nodes(source: SourceFile, tree: ast.Module) -> dict[str, list]:
    data = source.data or b""
    positions = _Positions(data)
    offset = positions.offset

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
        line, col = positions.line_and_col(start)
        end_line, _ = positions.line_and_col(max(start, end - 1)) if end > start else (line, col)
        for column, value in zip(NODE_COLUMNS, row):
            columns[column].append(value)
        columns["bstart"].append(start)
        columns["bend"].append(end)
        columns["line"].append(line)
        columns["col"].append(col)
        columns["end_line"].append(end_line)
        columns["end_col"].append(max(0, end - positions.line_start(end_line)))
    return columns
