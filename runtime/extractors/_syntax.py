"""One parse and one walk per file, shared by the extractors that need a syntax tree (ast, symtable, bytecode).

Results live in the SourceFile's memo, so they are dropped with the file: a worker holds one tree at a time.
"""

from __future__ import annotations

import ast
import bisect
import io
import tokenize
from dataclasses import dataclass
from types import MappingProxyType

from runtime.source import SourceFile, line_starts

_BOM = b"\xef\xbb\xbf"
SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Load/Store/Del are shared singletons that carry no source of their own.
_SKIPPED = (ast.expr_context,)
_NAME_FIELDS = ("name", "id", "attr", "arg")


def error_columns(file_id: str, code: str, message: str, line: int | None = None, col: int | None = None):
    return {"file_id": [file_id], "code": [code], "message": [message], "line": [line], "col": [col]}


def syntax_error_columns(file_id: str, exc: SyntaxError, code: str = "syntax") -> dict:
    line = exc.lineno if exc.lineno and exc.lineno >= 1 else None
    col = None
    if line is not None and exc.text is not None and exc.offset and exc.offset >= 1:
        # SyntaxError.offset is 1-based and counts characters; the tables hold 0-based UTF-8 bytes.
        col = len(exc.text[: exc.offset - 1].encode("utf-8", errors="replace"))
    return error_columns(file_id, code, f"{type(exc).__name__}: {exc.msg}", line, col)


def _parse(source: SourceFile):
    if source.data is None:
        return None, error_columns(source.file_id, source.read_code, source.read_error or "could not be read")
    if b"\0" in source.data:
        line = source.data[: source.data.index(b"\0")].count(b"\n") + 1
        return None, error_columns(source.file_id, "null-bytes", "the file contains NUL bytes", line)
    try:
        return ast.parse(source.data, filename=source.file_id), None
    except SyntaxError as exc:
        code = "encoding" if "decode" in str(exc.msg) or "encoding" in str(exc.msg) else "syntax"
        return None, syntax_error_columns(source.file_id, exc, code)
    except (UnicodeError, LookupError) as exc:
        return None, error_columns(source.file_id, "encoding", f"{type(exc).__name__}: {exc}")
    except (RecursionError, MemoryError) as exc:
        message = f"{type(exc).__name__}: the file is nested too deeply to parse"
        return None, error_columns(source.file_id, "recursion", message)


def parse(source: SourceFile):
    """(tree, None) or (None, the ast_errors columns that replace it); parsed once per file."""
    if "parse" not in source.memo:
        source.memo["parse"] = _parse(source)
    return source.memo["parse"]


class Positions:
    """Turns (line, UTF-8 column of the decoded line) into byte offsets into the file as stored, and back."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = line_starts(data)
        self.bom = len(_BOM) if data.startswith(_BOM) else 0
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8"
        self.encoding = None if encoding in ("utf-8", "utf-8-sig") else encoding
        self._decoded: dict[int, str] = {}

    def line_start(self, line: int) -> int:
        start = self.starts[min(max(line, 1), len(self.starts)) - 1]
        return start + (self.bom if line == 1 else 0)

    def line_text(self, line: int) -> str:
        text = self._decoded.get(line)
        if text is None:
            start = self.line_start(line)
            end = self.starts[line] if line < len(self.starts) else len(self.data)
            text = self.data[start:end].decode(self.encoding or "utf-8", errors="replace")
            self._decoded[line] = text
        return text

    def offset(self, line: int, col: int) -> int:
        """Byte offset of a column counted in UTF-8 bytes of the decoded line (what ast and dis report)."""
        start = self.line_start(line)
        if self.encoding is None:
            return start + col
        text = self.line_text(line)
        characters = len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return start + len(text[:characters].encode(self.encoding, errors="replace"))

    def char_offset(self, line: int, col: int) -> int:
        """Byte offset of a column counted in characters (what tokenize reports)."""
        start = self.line_start(line)
        text = self.line_text(line)
        if text.isascii():
            return start + col
        return start + len(text[:col].encode(self.encoding or "utf-8", errors="replace"))

    def line_and_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, max(0, offset - self.line_start(line))


def positions(source: SourceFile) -> Positions:
    if "positions" not in source.memo:
        source.memo["positions"] = Positions(source.data or b"")
    return source.memo["positions"]


def _node_classes() -> dict[type, tuple[str | None, bool, tuple[str, ...]]]:
    """Per ast class: the field holding its name, whether it has a position, and its child fields."""
    classes, stack = {}, [ast.AST]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        fields = tuple(getattr(cls, "_fields", ()))
        name_field = next((f for f in _NAME_FIELDS if f in fields), None)
        classes[cls] = (name_field, "end_lineno" in getattr(cls, "_attributes", ()), fields)
    return classes


_CLASSES = MappingProxyType(_node_classes())


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The node's children in field order, contexts (Load/Store/Del) left out; faster than ast.iter_child_nodes."""
    children = []
    for child_field in _CLASSES[type(node)][2]:
        value = getattr(node, child_field, None)
        if type(value) is list:
            children.extend(c for c in value if isinstance(c, ast.AST) and not isinstance(c, _SKIPPED))
        elif isinstance(value, ast.AST) and not isinstance(value, _SKIPPED):
            children.append(value)
    return children


@dataclass
class Walk:
    """The tree in pre-order: index == node_id. Spans are byte offsets; nodes without a position span
    their children. line/col/end_line/end_col are 1-based lines and 0-based byte columns."""

    nodes: list[ast.AST]
    parent: list[int | None]
    field: list[str | None]
    scope: list[int | None]  # nearest enclosing Module, ClassDef, FunctionDef or AsyncFunctionDef
    name: list[str | None]
    qualname: list[str | None]
    bstart: list[int]
    bend: list[int]
    line: list[int]
    col: list[int]
    end_line: list[int]
    end_col: list[int]

    def span_columns(self, pos: Positions, node_id: int) -> tuple[int, int, int, int, int, int]:
        return (self.bstart[node_id], self.bend[node_id], self.line[node_id], self.col[node_id],
                self.end_line[node_id], self.end_col[node_id])


def _walk(source: SourceFile, tree: ast.Module) -> Walk:
    data = source.data or b""
    pos = positions(source)
    offset = pos.offset
    # UTF-8 (nearly every file): a column is a byte offset within the line, no decoding needed.
    base = [pos.line_start(i + 1) for i in range(len(pos.starts))] if pos.encoding is None else None
    classes = _CLASSES
    nodes: list[ast.AST] = []
    parent: list[int | None] = []
    fields: list[str | None] = []
    scope: list[int | None] = []
    names: list[str | None] = []
    qualnames: list[str | None] = []
    bstart: list[int] = []
    bend: list[int] = []
    lines: list[int] = []
    cols: list[int] = []
    end_lines: list[int] = []
    end_cols: list[int] = []
    skipped, scopes, definitions = _SKIPPED, SCOPES, DEFINITIONS
    # Explicit stack: a deeply nested tree that ast could parse must not overflow Python's own stack here.
    stack: list[tuple[ast.AST, int | None, str | None, int | None, str]] = [(tree, None, None, None, source.module)]
    pop = stack.pop
    while stack:
        node, parent_id, field, scope_id, scope_qualname = pop()
        node_id = len(nodes)
        cls = type(node)
        name_field, positioned, child_fields = classes[cls]
        name = None
        if name_field is not None:
            name = getattr(node, name_field, None)
            if not isinstance(name, str):
                name = None
        qualname = None
        if cls is ast.Module:
            qualname, name = source.module, source.module.rsplit(".", 1)[-1]
        elif isinstance(node, definitions):
            qualname = f"{scope_qualname}.{node.name}"
        end_lineno = node.end_lineno if positioned else None
        if end_lineno is not None:
            line, col, end_col = node.lineno, node.col_offset, node.end_col_offset
            if base is not None:
                start, end = base[line - 1] + col, base[end_lineno - 1] + end_col
            else:
                start, end = offset(line, col), offset(end_lineno, end_col)
                col, end_col = start - pos.line_start(line), end - pos.line_start(end_lineno)
            if end <= start:
                end_lineno, end_col = line, col
            bstart.append(start)
            bend.append(end)
            lines.append(line)
            cols.append(col)
            end_lines.append(end_lineno)
            end_cols.append(end_col)
        else:
            bstart.append(0 if cls is ast.Module else -1)  # -1: filled from the children below
            bend.append(len(data) if cls is ast.Module else -1)
            lines.append(0)
            cols.append(0)
            end_lines.append(0)
            end_cols.append(0)
        nodes.append(node)
        parent.append(parent_id)
        fields.append(field)
        scope.append(scope_id)
        names.append(name)
        qualnames.append(qualname)
        if isinstance(node, scopes):
            scope_id, scope_qualname = node_id, qualname or scope_qualname
        children = []
        for child_field in child_fields:
            value = getattr(node, child_field, None)
            if type(value) is list:
                for child in value:
                    if isinstance(child, ast.AST) and not isinstance(child, skipped):
                        children.append((child, node_id, child_field, scope_id, scope_qualname))
            elif isinstance(value, ast.AST) and not isinstance(value, skipped):
                children.append((value, node_id, child_field, scope_id, scope_qualname))
        if children:
            children.reverse()
            stack.extend(children)

    # Nodes without a position (Module, arguments, comprehension, ...) span their children. Children follow
    # their parent in pre-order, so one backward pass settles every such node, and a forward pass places the
    # few with no positioned child at their parent's start, zero width.
    derived = [node_id for node_id, start in enumerate(bstart) if start < 0 or lines[node_id] == 0]
    if len(derived) > 1:
        is_derived = [False] * len(nodes)
        for node_id in derived:
            is_derived[node_id] = bstart[node_id] < 0
        for node_id in range(len(nodes) - 1, 0, -1):
            parent_id = parent[node_id]
            if is_derived[parent_id] and bstart[node_id] >= 0:
                if bstart[parent_id] < 0 or bstart[node_id] < bstart[parent_id]:
                    bstart[parent_id] = bstart[node_id]
                if bend[node_id] > bend[parent_id]:
                    bend[parent_id] = bend[node_id]
        for node_id in derived:
            if bstart[node_id] < 0:
                bstart[node_id] = bend[node_id] = bstart[parent[node_id]]
    for node_id in derived:
        start, end = bstart[node_id], bend[node_id]
        line, col = pos.line_and_col(start)
        end_line = pos.line_and_col(end - 1)[0] if end > start else line
        lines[node_id], cols[node_id] = line, col
        end_lines[node_id], end_cols[node_id] = end_line, max(0, end - pos.line_start(end_line))
    return Walk(nodes, parent, fields, scope, names, qualnames, bstart, bend, lines, cols, end_lines, end_cols)


def walk(source: SourceFile) -> Walk | None:
    """The pre-order walk of the file's tree (None if it did not parse); walked once per file."""
    if "walk" not in source.memo:
        tree, _ = parse(source)
        source.memo["walk"] = None if tree is None else _walk(source, tree)
    return source.memo["walk"]
