"""Parse .sem text into IR. Syntax errors become located diagnostics, never exceptions of Lark's."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from dsl import codes
from dsl.diagnostics import Diagnostic, Span, SpecError, source_lines
from dsl.ir import MAX_EXPRESSION_DEPTH, Declaration
from dsl.lower import Docs, Located, ToIR

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


@dataclass(frozen=True)
class Comment:
    line: int
    col: int
    text: str
    own_line: bool  # nothing but white space precedes it on its line


def _grammar() -> str:
    return resources.files("dsl").joinpath("sem.lark").read_text(encoding="utf-8")


def build_parser() -> Lark:
    """One LALR parser per compile; Lark parsers are cheap to reuse and hold no per-file state."""
    return Lark(_grammar(), parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=False)


def build_token_parser() -> Lark:
    """The same grammar keeping every token (punctuation and keywords too): what the formatter lays out."""
    return Lark(_grammar(), parser="lalr", lexer="contextual", keep_all_tokens=True, maybe_placeholders=False)


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
    if len(names) > 12:
        names = names[:12] + ["..."]
    return ", ".join(names)


def syntax_diagnostic(parser: Lark, file: str, error: UnexpectedInput, text: str) -> Diagnostic:
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


def parse_file(parser: Lark, file: str, text: str) -> list[Declaration]:
    """Parse one file's text. Raises SpecError with a located diagnostic on a syntax error."""
    try:
        tree = parser.parse(text)
    except UnexpectedInput as error:
        raise SpecError([syntax_diagnostic(parser, file, error, text)], {file: text}) from None
    try:
        return ToIR(file, Docs(scan_comments(text))).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, Located):
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
