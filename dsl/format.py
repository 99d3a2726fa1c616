"""The canonical formatter: one layout for every .sem text, every comment kept, no options.

Layout: one blank line between declarations; dataset members, enum values and write-policy clauses one per
line; every pipeline step on its own line as `  | step`; lines longer than WIDTH wrap between list items,
aligned under the first item. Within a declaration a blank line survives (as one) where the source had one.

Comments are anchored to tokens: an own-line comment to the token after it (and printed on its own line
just before that token's line), a trailing comment to the first token of its line (printed at the end of
that token's line). Lines break around anchors so that a `##` doc comment documents what it documented.
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from dsl import codes
from dsl.diagnostics import Diagnostic, Span, SpecError, source_lines
from dsl.parser import Comment, build_parser, build_token_parser, parse_file, scan_comments, syntax_diagnostic

WIDTH = 100
INDENT = 2

_STEP_RULES = frozenset({"filter", "derive", "select", "rename", "join", "aggregate", "distinct", "best",
                         "recurse", "use"})
_TYPE_RULES = frozenset({"named_type", "list_type", "struct_type", "field_type"})
_CALL_LIKE = frozenset({"call", "use", "cast", "union_source", "udf_decl", "template"})
_CLAUSE_RULES = frozenset({"partition_clause", "merge_clause", "cdf_clause", "compact_clause", "vacuum_clause"})


@dataclass
class _Chunk:
    text: str
    first: Token
    last: Token


@dataclass
class _Line:
    """A logical line: chunks joined by single spaces, wrapped at `cont` when too long."""

    indent: int
    chunks: list[_Chunk]
    cont: int


@dataclass
class _Physical:
    indent: int
    chunks: list[_Chunk] = field(default_factory=list)
    leading: list[Comment] = field(default_factory=list)
    trailing: list[Comment] = field(default_factory=list)


def _tokens(node) -> list[Token]:
    out, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Token):
            out.append(item)
        else:
            stack.extend(reversed(item.children))
    return out


def _space(left: Token, right: Token, rule: str) -> bool:
    if right.value in (")", ",", "?", ":", ".") or left.value in ("(", "."):
        return False
    if rule in _TYPE_RULES and (left.value == "<" or right.value in ("<", ">")):
        return False
    if right.value == "(" and rule in _CALL_LIKE:
        return False
    return not (rule == "unary" and left.type == "MINUS")


def _render(node) -> tuple[str, Token, Token]:
    """One-line text of a subtree with canonical spacing, and its first and last tokens."""
    if isinstance(node, Token):
        return node.value, node, node
    parts = [_render(child) for child in node.children]
    text, first, last = parts[0]
    pieces = [text]
    for part_text, part_first, part_last in parts[1:]:
        if _space(last, part_first, node.data):
            pieces.append(" ")
        pieces.append(part_text)
        last = part_last
    return "".join(pieces), first, last


def _chunk(node) -> _Chunk:
    text, first, last = _render(node)
    return _Chunk(text, first, last)


def _with_commas(children) -> list[_Chunk]:
    """List items, each carrying the comma that follows it."""
    chunks: list[_Chunk] = []
    for child in children:
        if isinstance(child, Token) and child.value == ",":
            chunks[-1] = _Chunk(chunks[-1].text + ",", chunks[-1].first, child)
        else:
            chunks.append(_chunk(child))
    return chunks


def _keyword_list(keyword: Token, items) -> list[_Chunk]:
    """`by a, b`: the keyword stays with the first item, so a wrapped line never ends in it."""
    chunks = _with_commas(items)
    chunks[0] = _Chunk(f"{keyword.value} {chunks[0].text}", keyword, chunks[0].last)
    return chunks


def _condition(node) -> list[_Chunk]:
    """A condition, split before each top-level `or` (or `and`) so long ones wrap at the operators."""
    if isinstance(node, Tree) and node.data in ("or_expr", "and_expr"):
        chunks = [_chunk(node.children[0])]
        for op, operand in zip(node.children[1::2], node.children[2::2]):
            text, _, last = _render(operand)
            chunks.append(_Chunk(f"{op.value} {text}", op, last))
        return chunks
    return [_chunk(node)]


class _Layout:
    """Logical lines of one declaration."""

    def __init__(self) -> None:
        self.lines: list[_Line] = []

    def add(self, indent: int, chunks: list[_Chunk], cont: int | None = None) -> None:
        self.lines.append(_Line(indent, chunks, indent + 2 * INDENT if cont is None else cont))

    def declaration(self, node: Tree) -> None:
        getattr(self, "_" + node.data)(node)

    def _import_decl(self, node: Tree) -> None:
        self.add(0, [_chunk(c) for c in node.children])

    def _dataset(self, node: Tree) -> None:
        children = node.children
        brace = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.value == "{")
        self.add(0, [_chunk(c) for c in children[: brace + 1]])
        for member in children[brace + 1 : -1]:
            if member.data == "column":
                name, colon, column_type = member.children
                self.add(INDENT, [_Chunk(name.value + ":", name, colon), _chunk(column_type)])
            else:
                keyword, *rest = member.children
                self.add(INDENT, [_chunk(keyword), *self._parenthesised(rest)], cont=INDENT + 5)
        self.add(0, [_chunk(children[-1])])

    @staticmethod
    def _parenthesised(children) -> list[_Chunk]:
        """`( a, b, c )` as chunks `(a,` `b,` `c)`."""
        chunks = _with_commas(children[1:-1])
        chunks[0] = _Chunk("(" + chunks[0].text, children[0], chunks[0].last)
        chunks[-1] = _Chunk(chunks[-1].text + ")", chunks[-1].first, children[-1])
        return chunks

    def _enum_decl(self, node: Tree) -> None:
        children = node.children
        brace = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.value == "{")
        self.add(0, [_chunk(c) for c in children[: brace + 1]])
        for chunk in _with_commas(children[brace + 1 : -1]):
            text = chunk.text if chunk.text.endswith(",") else chunk.text + ","
            self.add(INDENT, [_Chunk(text, chunk.first, chunk.last)])
        self.add(0, [_chunk(children[-1])])

    def _udf_decl(self, node: Tree) -> None:
        children = node.children
        close = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.value == ")")
        signature = Tree("udf_decl", children[1 : close + 1])
        chunks = [_chunk(children[0]), _chunk(signature)]
        chunks.extend(_chunk(c) for c in children[close + 1 :])
        self.add(0, chunks)

    def _template(self, node: Tree) -> None:
        children = node.children
        equals = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.value == "=")
        head = Tree("template", children[1:equals])
        self.add(0, [_chunk(children[0]), _chunk(head), _chunk(children[equals])])
        self._steps(children[equals + 1 :], INDENT)

    def _view(self, node: Tree) -> None:
        keyword, name, equals, source, *rest = node.children
        self.add(0, [_chunk(keyword), _chunk(name), _chunk(equals), _chunk(source)])
        policy = rest.pop() if rest and isinstance(rest[-1], Tree) and rest[-1].data == "write_policy" else None
        self._steps(rest, INDENT)
        if policy is not None:
            keyword, brace, *clauses, close = policy.children
            self.add(INDENT, [_chunk(keyword), _chunk(brace)])
            for clause in clauses:
                self.add(2 * INDENT, [_chunk(clause)])
            self.add(INDENT, [_chunk(close)])

    def _steps(self, children, indent: int) -> None:
        """`| step` pairs, one logical line each (a recurse step spans several)."""
        for bar, step in zip(children[0::2], children[1::2]):
            self._step(_chunk(bar), step, indent)

    def _step(self, bar: _Chunk, step: Tree, indent: int) -> None:
        children = step.children
        kind = step.data
        if kind == "recurse":
            keyword, paren, relation, *inner, close = children
            self.add(indent, [bar, _chunk(keyword), _Chunk("(" + _render(relation)[0], paren, _render(relation)[2])])
            self._steps(inner, indent + 2 * INDENT)
            last = self.lines[-1]
            last.chunks[-1] = _Chunk(last.chunks[-1].text + ")", last.chunks[-1].first, close)
            return
        if kind in ("filter",):
            lead, body = [children[0]], _condition(children[1])
        elif kind == "join":
            on = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.type == "_ON")
            lead = children[:on - 1]
            body = [_chunk(children[on - 1]), _chunk(children[on]), *_condition(children[on + 1])]
        elif kind in ("derive", "select", "rename"):
            lead, body = [children[0]], _with_commas(children[1:])
        elif kind == "aggregate":
            groups = children[-1] if isinstance(children[-1], Tree) and children[-1].data == "group_by" else None
            items = children[1:-1] if groups is not None else children[1:]
            lead, body = [children[0]], _with_commas(items)
            if groups is not None:
                body += _keyword_list(groups.children[0], groups.children[1:])
        elif kind == "best":
            lead, body = [], []
            rest = list(children)
            while rest and isinstance(rest[0], Token) and rest[0].type in ("_BEST", "INT", "_PER"):
                lead.append(rest.pop(0))
            by = next(i for i, c in enumerate(rest) if isinstance(c, Token) and c.type == "_BY")
            body = _with_commas(rest[:by]) + _keyword_list(rest[by], rest[by + 1 :])
        else:  # distinct, use
            lead, body = [step], []
        lead_chunks = [bar, *(_chunk(c) for c in lead)]
        cont = indent + sum(len(c.text) + 1 for c in lead_chunks)
        self.add(indent, lead_chunks + body, cont=cont)


class _Printer:
    def __init__(self, text: str, tokens: list[Token], doc_lines: dict[int, int]) -> None:
        self.source = source_lines(text)
        self.tokens = tokens
        self.keys = [(t.line, t.column) for t in tokens]
        # Comment anchors: start position of the token each comment belongs to.
        self.leading: dict[int, list[Comment]] = {}
        self.trailing: dict[int, list[Comment]] = {}
        self.break_before: set[int] = set()
        self.end_comments: list[Comment] = []
        self.doc_anchor: dict[Comment, int] = {}
        for comment in scan_comments(text):
            self._anchor(comment, doc_lines)

    def _anchor(self, comment: Comment, doc_lines: dict[int, int]) -> None:
        if comment.own_line:
            index = bisect.bisect_left(self.keys, (comment.line + 1, 0))
            if index == len(self.tokens):
                self.end_comments.append(comment)
                return
            self.leading.setdefault(self.tokens[index].start_pos, []).append(comment)
            return
        # The token just before the comment carries it; a `##` on a documented line follows the documented
        # name instead (moved in `declaration`), and any other `##` starts a line of its own.
        last = self.tokens[bisect.bisect_left(self.keys, (comment.line, comment.col)) - 1]
        self.trailing.setdefault(last.start_pos, []).append(comment)
        if comment.text.startswith("##"):
            if comment.line in doc_lines:
                self.doc_anchor[comment] = doc_lines[comment.line]
            else:
                self.break_before.add(self.tokens[bisect.bisect_left(self.keys, (comment.line, 0))].start_pos)

    def _anchors_in(self, chunk: _Chunk, table) -> list:
        return [c for pos, comments in table.items() if chunk.first.start_pos <= pos <= chunk.last.start_pos
                for c in comments]

    def physical(self, line: _Line) -> list[_Physical]:
        out = [_Physical(line.indent)]
        width = line.indent
        for chunk in line.chunks:
            leading = self._anchors_in(chunk, self.leading)
            forced = bool(leading) or any(chunk.first.start_pos <= p <= chunk.last.start_pos
                                          for p in self.break_before)
            current = out[-1]
            # A long chunk wraps only where the continuation column gives it more room.
            too_long = width + 1 + len(chunk.text) > WIDTH and line.cont < width
            if current.chunks and (forced or current.trailing or too_long):
                current = _Physical(line.cont)
                out.append(current)
                width = line.cont
            width += len(chunk.text) + (1 if len(current.chunks) else 0)
            current.chunks.append(chunk)
            current.leading.extend(leading)
            current.trailing.extend(self._anchors_in(chunk, self.trailing))
        return out

    def _first_line(self, p: _Physical) -> int:
        return min([p.chunks[0].first.line, *(c.line for c in p.leading)])

    def _last_line(self, p: _Physical) -> int:
        return max([p.chunks[-1].last.line, *(c.line for c in p.trailing)])

    def _blank_after(self, comment: Comment) -> bool:
        return comment.line < len(self.source) and self.source[comment.line].strip() == ""

    def _comment_lines(self, comments: list[Comment], indent: int) -> list[str]:
        out = []
        for comment in sorted(comments, key=lambda c: c.line):
            out.append(" " * indent + comment.text)
            if self._blank_after(comment):
                out.append("")
        return out

    def declaration(self, physicals: list[_Physical]) -> list[str]:
        for p in physicals:
            for comment in [c for c in p.trailing if c in self.doc_anchor]:
                home = next(q for q in physicals if any(
                    c.first.start_pos <= self.doc_anchor[comment] <= c.last.start_pos for c in q.chunks))
                if home is not p:
                    p.trailing.remove(comment)
                    home.trailing.append(comment)
        out: list[str] = []
        previous = None
        for p in physicals:
            if previous is not None and self._first_line(p) - self._last_line(previous) > 1:
                out.append("")
            out.extend(self._comment_lines(p.leading, p.indent))
            text = " " * p.indent + " ".join(c.text for c in p.chunks)
            trailing = sorted(p.trailing, key=lambda c: c.line)
            if trailing:
                # Several trailing comments can meet on one line only inside one expression: the rest go above.
                if len(trailing) > 1:
                    out.extend(" " * p.indent + c.text for c in trailing[:-1])
                text += "  " + trailing[-1].text
            out.append(text)
            previous = p
        return out

    def end(self, last_token_line: int | None) -> list[str]:
        if not self.end_comments:
            return []
        out = []
        if last_token_line is not None and self.end_comments[0].line - last_token_line > 1:
            out.append("")
        return out + self._comment_lines(self.end_comments, 0)


def _doc_lines(tree: Tree) -> dict[int, int]:
    """Lines whose `##` comments are docs (the name lines of declarations, columns and enum values), each
    with the start position of the documented name."""
    lines = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, Tree):
            continue
        if node.data in ("dataset", "column", "enum_decl", "enum_value", "udf_decl", "template", "view"):
            names = [c for c in node.children if isinstance(c, Token) and c.type in ("NAME", "VIEW_KW")]
            if names:
                lines.setdefault(names[0].line, names[0].start_pos)
        stack.extend(node.children)
    return lines


@dataclass(frozen=True)
class Formatter:
    """Holds the two parsers (building LALR tables is the slow part); formats any number of files."""

    parser: Lark = field(default_factory=build_parser)
    token_parser: Lark = field(default_factory=build_token_parser)

    def format(self, path: str, text: str) -> str:
        """The canonical text. Raises SpecError (with located diagnostics) if `text` does not parse."""
        parse_file(self.parser, path, text)  # syntax errors and over-deep expressions, as diagnostics
        try:
            return self._format(path, text)
        except RecursionError:
            raise SpecError([Diagnostic(codes.TOO_DEEP, "this file nests too deeply to format",
                                        Span(path, 1, 1, 1, 1))], {path: text}) from None

    def _format(self, path: str, text: str) -> str:
        try:
            tree = self.token_parser.parse(text)
        except UnexpectedInput as error:  # not reached: parse_file accepted the text
            raise SpecError([syntax_diagnostic(self.token_parser, path, error, text)], {path: text}) from None
        tokens = sorted(_tokens(tree), key=lambda t: t.start_pos)
        printer = _Printer(text, tokens, _doc_lines(tree))
        out: list[str] = []
        for index, node in enumerate(tree.children):
            layout = _Layout()
            layout.declaration(node)
            physicals = [p for line in layout.lines for p in printer.physical(line)]
            if index:
                out.append("")
            out.extend(printer.declaration(physicals))
        out.extend(printer.end(tokens[-1].line if tokens else None))
        while out and out[-1] == "":
            out.pop()
        lines = []
        for line in out:  # at most one blank line in a row
            if line == "" and (not lines or lines[-1] == ""):
                continue
            lines.append(line.rstrip())
        return "\n".join(lines) + "\n" if lines else ""


def format_text(text: str, path: str = "<text>") -> str:
    return Formatter().format(path, text)


def _sem_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.sem")) if path.is_dir() else [path])
    return found


def format_paths(paths: list[Path], check: bool = False, output_format: str = "text") -> int:
    """`semc fmt`: rewrite each file canonically (or, with check, list those that differ). Exit status."""
    formatter = Formatter()
    changed: list[Path] = []
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    files = _sem_files(paths)
    for path in files:
        label = path.as_posix()
        try:
            data = path.read_bytes()
        except OSError as error:
            print(f"semc fmt: cannot read {label}: {error.strerror}", file=sys.stderr)
            return 2
        try:
            text = data.decode("utf-8")
            formatted = formatter.format(label, text)
        except UnicodeDecodeError:
            diagnostics.append(Diagnostic(codes.BAD_TOKEN, "the file is not valid UTF-8", Span(label, 1, 1, 1, 1)))
            continue
        except SpecError as error:
            diagnostics.extend(error.diagnostics)
            sources.update(error.sources)
            continue
        if formatted != text:
            changed.append(path)
            if not check:
                path.write_bytes(formatted.encode("utf-8"))
    if diagnostics:
        error = SpecError(diagnostics, sources)
        print(error.to_json() if output_format == "json" else error.render(), file=sys.stderr)
        return 1
    if check:
        for path in changed:
            print(f"would reformat {path.as_posix()}")
        print(f"{len(changed)} of {len(files)} file(s) would be reformatted")
        return 1 if changed else 0
    print(f"reformatted {len(changed)} of {len(files)} file(s)")
    return 0
