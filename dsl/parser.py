"""Parse .sem text into IR. Syntax errors become located diagnostics, never exceptions of Lark's."""

from __future__ import annotations

import ast as python_ast
from dataclasses import dataclass
from importlib import resources

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from dsl import codes
from dsl.diagnostics import Diagnostic, Span, SpecError, source_lines
from dsl.ir import (
    MAX_EXPRESSION_DEPTH,
    Assignment,
    Binary,
    Call,
    Column,
    ColumnRef,
    ColumnType,
    Dataset,
    Derive,
    Filter,
    InList,
    IsNull,
    Join,
    JoinKind,
    Literal,
    LiteralKind,
    RelationKind,
    RelationRef,
    Select,
    UnionSource,
    Unary,
    View,
)

# Friendly names for terminals in "expected ..." messages.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "INT": "an integer",
    "FLOAT": "a number",
    "COMPARE": "a comparison",
    "JOIN_KIND": "a join kind",
    "VIEW_KW": "'view' or 'output'",
    "$END": "end of file",
}


INT64_MAX = 2**63 - 1


class _Located(Exception):
    """Raised inside the transformer for a value the grammar admits but the language does not."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@dataclass(frozen=True)
class Comment:
    line: int
    col: int
    text: str
    own_line: bool  # nothing but white space precedes it on its line


def build_parser() -> Lark:
    """One LALR parser per compile; Lark parsers are cheap to reuse and hold no per-file state."""
    grammar = resources.files("dsl").joinpath("sem.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=False)


def _span(file: str, meta_or_token: object) -> Span:
    return Span(
        file,
        getattr(meta_or_token, "line"),
        getattr(meta_or_token, "column"),
        getattr(meta_or_token, "end_line"),
        getattr(meta_or_token, "end_column"),
    )


class _Docs:
    """Attaches `##` comments to declarations: lines of `##` directly above, or one after, on the same line."""

    def __init__(self, comments: list[Comment]) -> None:
        self._by_line = {c.line: c for c in comments if c.text.startswith("##")}

    def for_line(self, line: int) -> str | None:
        above: list[str] = []
        cursor = line - 1
        while cursor in self._by_line and self._by_line[cursor].own_line:
            above.append(self._text(self._by_line[cursor]))
            cursor -= 1
        parts = list(reversed(above))
        trailing = self._by_line.get(line)
        if trailing is not None and not trailing.own_line:
            parts.append(self._text(trailing))
        text = "\n".join(p for p in parts if p)
        return text or None

    @staticmethod
    def _text(comment: Comment) -> str:
        return comment.text[2:].strip()


class _ToIR(Transformer):
    def __init__(self, file: str, docs: _Docs) -> None:
        super().__init__()
        self.file = file
        self.docs = docs

    # declarations

    @v_args(meta=True)
    def start(self, meta, items):
        return items

    @v_args(meta=True)
    def dataset(self, meta, children):
        name, extractor, *members = children
        columns = tuple(m for m in members if isinstance(m, Column))
        keys = [m for m in members if isinstance(m, tuple)]
        key = keys[-1][0] if keys else ()
        return Dataset(name.value, extractor.value, columns, key, self.docs.for_line(name.line), _span(self.file, name))

    @v_args(meta=True)
    def column(self, meta, children):
        name, type_name, *qmark = children
        column_type = ColumnType(type_name.value, bool(qmark))
        return Column(name.value, column_type, self.docs.for_line(name.line), _span(self.file, name))

    @v_args(meta=True)
    def key(self, meta, names):
        # A tuple marks a key clause among dataset members; spans of key names go along for the checker.
        return (tuple(n.value for n in names), tuple(_span(self.file, n) for n in names))

    @v_args(meta=True)
    def view(self, meta, children):
        keyword, name, source, *steps = children
        return View(
            name.value,
            RelationKind(keyword.value),
            source,
            tuple(steps),
            self.docs.for_line(keyword.line),
            _span(self.file, name),
        )

    # sources and steps

    @v_args(meta=True)
    def relation(self, meta, children):
        name, *alias = children
        return RelationRef(name.value, alias[0].value if alias else None, _span(self.file, meta))

    def single_source(self, children):
        return children[0]

    @v_args(meta=True)
    def union_source(self, meta, members):
        return UnionSource(tuple(members), _span(self.file, meta))

    @v_args(meta=True)
    def filter(self, meta, children):
        return Filter(children[0], _span(self.file, meta))

    @v_args(meta=True)
    def derive(self, meta, assignments):
        return Derive(tuple(assignments), _span(self.file, meta))

    @v_args(meta=True)
    def select(self, meta, items):
        return Select(tuple(items), _span(self.file, meta))

    @v_args(meta=True)
    def assignment(self, meta, children):
        name, expr = children
        return Assignment(name.value, expr, _span(self.file, meta))

    @v_args(meta=True)
    def bare_column(self, meta, children):
        ref = children[0]
        return Assignment(ref.name, ref, ref.span)

    @v_args(meta=True)
    def join(self, meta, children):
        kind = JoinKind.INNER
        if isinstance(children[0], Token) and children[0].type == "JOIN_KIND":
            kind = JoinKind(children[0].value)
            children = children[1:]
        right, on = children
        return Join(kind, right, on, _span(self.file, meta))

    # expressions

    @v_args(meta=True)
    def or_expr(self, meta, children):
        return self._fold(children)

    @v_args(meta=True)
    def and_expr(self, meta, children):
        return self._fold(children)

    @v_args(meta=True)
    def sum(self, meta, children):
        return self._fold(children)

    @v_args(meta=True)
    def product(self, meta, children):
        return self._fold(children)

    def _fold(self, children):
        """Left-associative chain `a op b op c` -> Binary(Binary(a, op, b), op, c)."""
        result = children[0]
        for op, right in zip(children[1::2], children[2::2]):
            span = Span(self.file, result.span.line, result.span.col, right.span.end_line, right.span.end_col)
            result = Binary(op.value, result, right, span)
        return result

    @v_args(meta=True)
    def binary(self, meta, children):
        left, op, right = children
        return Binary(op.value, left, right, _span(self.file, meta))

    @v_args(meta=True)
    def unary(self, meta, children):
        op, operand = children
        return Unary(op.value, operand, _span(self.file, meta))

    @v_args(meta=True)
    def in_list(self, meta, children):
        operand, *rest = children
        negated = bool(rest) and isinstance(rest[0], Token) and rest[0].type == "NOT"
        items = tuple(rest[1:] if negated else rest)
        return InList(operand, items, negated, _span(self.file, meta))

    @v_args(meta=True)
    def is_null(self, meta, children):
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children[1:])
        return IsNull(children[0], negated, _span(self.file, meta))

    @v_args(meta=True)
    def call(self, meta, children):
        name, *args = children
        return Call(name.value, tuple(a for a in args if a is not None), _span(self.file, meta))

    @v_args(meta=True)
    def colref(self, meta, children):
        if len(children) == 2:
            return ColumnRef(children[0].value, children[1].value, _span(self.file, meta))
        return ColumnRef(None, children[0].value, _span(self.file, meta))

    @v_args(meta=True)
    def literal(self, meta, children):
        token = children[0]
        span = _span(self.file, token)
        if token.type == "STRING":
            # The grammar admits only \" \\ \n \t escapes, all of which Python's literal syntax reads alike.
            return Literal(LiteralKind.STRING, python_ast.literal_eval(token.value), span)
        if token.type == "INT":
            # Compare digit strings: int() itself refuses literals of more than 4,300 digits.
            digits = token.value.lstrip("0") or "0"
            if len(digits) > len(str(INT64_MAX)) or int(digits) > INT64_MAX:
                raise _Located(Diagnostic(codes.BAD_TOKEN, "integer literal does not fit in int64", span))
            return Literal(LiteralKind.INT, int(digits), span)
        if token.type == "FLOAT":
            return Literal(LiteralKind.FLOAT, float(token.value), span)
        if token.type in ("TRUE", "FALSE"):
            return Literal(LiteralKind.BOOL, token.type == "TRUE", span)
        return Literal(LiteralKind.NULL, None, span)


def _describe_expected(parser: Lark, expected: set[str]) -> str:
    names = []
    for terminal in sorted(expected):
        if terminal in _TERMINAL_NAMES:
            names.append(_TERMINAL_NAMES[terminal])
            continue
        try:
            pattern = parser.get_terminal(terminal).pattern
        except KeyError:
            names.append(terminal)
            continue
        if pattern.type == "str":
            names.append(f"'{pattern.value}'")
        elif pattern.value.endswith(r"\b"):  # a keyword: /(view|output)\b/
            names.extend(f"'{word}'" for word in pattern.value[:-2].strip("()").split("|"))
        else:
            names.append(terminal.strip("_").lower())
    names = sorted(set(names))
    if len(names) > 8:
        names = names[:8] + ["..."]
    return ", ".join(names)


def _syntax_diagnostic(parser: Lark, file: str, error: UnexpectedInput, text: str) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        line, col = error.line, error.column
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        message = f"unexpected character {char!r}"
        if char == '"':
            message = "unterminated or malformed string literal"
        return Diagnostic(codes.BAD_TOKEN, message, Span(file, line, col, line, col + 1))
    if isinstance(error, UnexpectedEOF):
        lines = source_lines(text)
        line, col = len(lines), len(lines[-1]) + 1
        expected = _describe_expected(parser, set(error.expected))
        return Diagnostic(codes.SYNTAX, f"unexpected end of file; expected {expected}", Span(file, line, col, line, col))
    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected = _describe_expected(parser, set(error.expected))
    if token.type == "$END":
        lines = source_lines(text)
        span = Span(file, len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 1)
        return Diagnostic(codes.SYNTAX, f"unexpected end of file; expected {expected}", span)
    span = Span(file, token.line, token.column, token.end_line or token.line, token.end_column or token.column + 1)
    return Diagnostic(codes.SYNTAX, f"unexpected {token.value!r}; expected {expected}", span)


def parse_file(parser: Lark, file: str, text: str) -> list[Dataset | View]:
    """Parse one file's text. Raises SpecError with a located diagnostic on a syntax error."""
    try:
        tree = parser.parse(text)
    except UnexpectedInput as error:
        raise SpecError([_syntax_diagnostic(parser, file, error, text)], {file: text}) from None
    try:
        return _ToIR(file, _Docs(scan_comments(text))).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, _Located):
            raise SpecError([error.orig_exc.diagnostic], {file: text}) from None
        if isinstance(error.orig_exc, RecursionError):
            raise SpecError([_too_deep(file, tree)], {file: text}) from None
        raise
    except RecursionError:
        raise SpecError([_too_deep(file, tree)], {file: text}) from None


def _too_deep(file: str, tree: Tree) -> Diagnostic:
    """Point at the first subtree that lies deeper than the transformer could go (found without recursion)."""
    stack = [(tree, 0)]
    where = Span(file, 1, 1, 1, 1)
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH and not node.meta.empty:
            where = Span(file, node.meta.line, node.meta.column, node.meta.line, node.meta.column + 1)
            break
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return Diagnostic(
        codes.TOO_DEEP,
        f"this expression nests more than {MAX_EXPRESSION_DEPTH} levels deep",
        where,
        hint="split it across several derive steps",
    )


def scan_comments(text: str) -> list[Comment]:
    """Every `#` comment with its position. Strings never span lines, so a scan per line is exact."""
    comments = []
    for line_number, line in enumerate(source_lines(text), start=1):
        in_string = escaped = False
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                own_line = line[:index].strip() == ""
                comments.append(Comment(line_number, index + 1, line[index:].rstrip(), own_line))
                break
    return comments
