"""One parse and one walk per file, shared by the extractors that need a syntax tree (ast, symtable, bytecode).

Results live in the SourceFile's memo, so they are dropped with the file: a worker holds one tree at a time.
"""

from __future__ import annotations

import ast
import io
import tokenize
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field
from itertools import accumulate, chain

from runtime.extractors._ast_classes import CLASSES, WALKED
from runtime.source import SourceFile, line_starts

_BOM = b"\xef\xbb\xbf"


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


def _line_starts(data: bytes) -> list[int]:
    """runtime.source.line_starts, with the common case (no \\r, so every line ends at a \\n) done in C."""
    if b"\r" in data:
        return line_starts(data)
    starts = list(accumulate(map((1).__add__, map(len, data.split(b"\n"))), initial=0))
    starts.pop()  # the start of a line after the end of the data
    return starts


class Positions:
    """Turns (line, UTF-8 column of the decoded line) into byte offsets into the file as stored, and back."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = _line_starts(data)
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
        line = bisect_right(self.starts, offset)
        return line, max(0, offset - self.line_start(line))


def positions(source: SourceFile) -> Positions:
    if "positions" not in source.memo:
        source.memo["positions"] = Positions(source.data or b"")
    return source.memo["positions"]


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
    by_type: dict[type, list[int]] = dc_field(default_factory=dict)  # ast class -> its node ids, in pre-order
    _index: dict[int, int] | None = dc_field(default=None, repr=False)

    def span_columns(self, pos: Positions, node_id: int) -> tuple[int, int, int, int, int, int]:
        return (self.bstart[node_id], self.bend[node_id], self.line[node_id], self.col[node_id],
                self.end_line[node_id], self.end_col[node_id])

    def ids_of(self, *classes: type) -> list[int]:
        """Node ids of these ast classes, in pre-order."""
        if len(classes) == 1:
            return list(self.by_type.get(classes[0], ()))
        return sorted(chain.from_iterable(self.by_type.get(cls, ()) for cls in classes))

    def index(self) -> dict[int, int]:
        """id(node) -> node_id, built once and shared by the extractors (a shared singleton such as an operator
        maps to its last occurrence)."""
        if self._index is None:
            self._index = dict(zip(map(id, self.nodes), range(len(self.nodes))))
        return self._index


def _walk(source: SourceFile, tree: ast.Module) -> Walk:
    data = source.data or b""
    pos = positions(source)
    offset = pos.offset
    # UTF-8 (nearly every file): a column is a byte offset within the line, no decoding needed.
    base = None
    if pos.encoding is None:
        base = list(pos.starts)  # == [pos.line_start(line) for each line]: the BOM only shifts line 1
        base[0] += pos.bom
    classes, walked, module_cls = CLASSES, WALKED, ast.Module
    by_type: defaultdict[type, list[int]] = defaultdict(list)
    # One tuple per node, transposed into columns at the end: cheaper than a dozen appends per node.
    rows: list[tuple] = []
    add_row = rows.append
    scope_qualnames: dict[int, str] = {}  # a definition's qualname extends its scope's
    # Explicit stack: a deeply nested tree that ast could parse must not overflow Python's own stack here.
    # Each entry: node, parent id, field, scope id, whether the parent lacks a position (spans its children).
    stack: list[tuple[ast.AST, int | None, str | None, int | None, bool]] = [(tree, None, None, None, False)]
    pop, push = stack.pop, stack.append
    derived: list[int] = []  # the nodes without a position
    spanning: list[int] = []  # the nodes whose parent lacks a position
    node_id = -1
    while stack:
        node, parent_id, field, scope_id, in_derived = pop()
        node_id += 1
        if in_derived:
            spanning.append(node_id)
        cls = type(node)
        name_field, name_unsure, positioned, child_fields, all_fields, is_scope, is_definition = classes[cls]
        name = None
        if name_field is not None:
            name = getattr(node, name_field, None)
            if name_unsure and not isinstance(name, str):
                name = None
        qualname = None
        if is_definition:
            qualname = f"{scope_qualnames[scope_id]}.{node.name}"
        elif cls is module_cls:
            qualname, name = source.module, source.module.rsplit(".", 1)[-1]
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
            add_row((node, parent_id, field, scope_id, name, qualname, start, end, line, col, end_lineno, end_col))
            is_derived = False
        elif cls is module_cls:
            add_row((node, parent_id, field, scope_id, name, qualname, 0, len(data), 0, 0, 0, 0))
            derived.append(node_id)
            is_derived = False  # spans the whole file, not its children
        else:
            # -1: filled from the children below
            add_row((node, parent_id, field, scope_id, name, qualname, -1, -1, 0, 0, 0, 0))
            derived.append(node_id)
            is_derived = True
        by_type[cls].append(node_id)
        if is_scope:
            scope_id = node_id
            scope_qualnames[node_id] = qualname
        # Children are pushed last first, so that they pop in field order.
        if child_fields is not None:
            for child_field, is_list in child_fields:
                value = getattr(node, child_field, None)
                if is_list:
                    for child in reversed(value):
                        if child is not None:
                            push((child, node_id, child_field, scope_id, is_derived))
                elif value is not None:
                    push((value, node_id, child_field, scope_id, is_derived))
        else:
            children = []
            for child_field in all_fields:
                value = getattr(node, child_field, None)
                if type(value) is list:
                    children.extend((c, node_id, child_field, scope_id, is_derived) for c in value
                                    if type(c) in walked)
                elif type(value) in walked:
                    children.append((value, node_id, child_field, scope_id, is_derived))
            children.reverse()
            stack.extend(children)

    nodes, parent, fields, scope, names, qualnames, bstart, bend, lines, cols, end_lines, end_cols = map(
        list, zip(*rows))
    # Nodes without a position (arguments, comprehension, ...) span their children. Children follow their
    # parent in pre-order, so one backward pass over those children settles every such node, and a forward pass
    # places the few with no positioned child at their parent's start, zero width.
    if len(derived) > 1:
        for node_id in reversed(spanning):
            parent_id = parent[node_id]
            if bstart[node_id] >= 0:
                if bstart[parent_id] < 0 or bstart[node_id] < bstart[parent_id]:
                    bstart[parent_id] = bstart[node_id]
                if bend[node_id] > bend[parent_id]:
                    bend[parent_id] = bend[node_id]
        for node_id in derived:
            if bstart[node_id] < 0:
                bstart[node_id] = bend[node_id] = bstart[parent[node_id]]
    # pos.line_and_col inlined: there is a derived node for every operator.
    starts, line_start = pos.starts, pos.line_start
    for node_id in derived:
        start, end = bstart[node_id], bend[node_id]
        line = bisect_right(starts, start)
        lines[node_id], cols[node_id] = line, max(0, start - line_start(line))
        end_line = bisect_right(starts, end - 1) if end > start else line
        end_lines[node_id], end_cols[node_id] = end_line, max(0, end - line_start(end_line))
    return Walk(nodes, parent, fields, scope, names, qualnames, bstart, bend, lines, cols, end_lines, end_cols,
                dict(by_type))


def walk(source: SourceFile) -> Walk | None:
    """The pre-order walk of the file's tree (None if it did not parse); walked once per file."""
    if "walk" not in source.memo:
        tree, _ = parse(source)
        source.memo["walk"] = None if tree is None else _walk(source, tree)
    return source.memo["walk"]
