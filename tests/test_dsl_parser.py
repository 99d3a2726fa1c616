"""Parsing .sem text into IR, and syntax errors as located, rendered diagnostics."""

from __future__ import annotations

import json

import pytest

from dsl import codes
from dsl.diagnostics import Span, SpecError
from dsl.ir import (
    Binary,
    Call,
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
    Program,
    RelationKind,
    RelationRef,
    Select,
    SpecFile,
    Unary,
    UnionSource,
    View,
)
from dsl.parser import build_parser, parse_file
from dsl.program import parse_program

# Building the LALR tables is the slow part of a parse; parse_program accepts a parser to reuse.
PARSER = build_parser()

# Two datasets every pipeline below can read. Lines 1-11.
BASE = """\
dataset t from extractor ex {
  a: int64
  b: string?
  c: float64
  key (a)
}
dataset u from extractor ex {
  a: int64
  d: bool
  key (a, d)
}
"""
BASE_LINES = BASE.count("\n")


def program(text: str, path: str = "main.sem") -> Program:
    return parse_program((SpecFile(path, text),), PARSER)


def spec_error(text: str, path: str = "main.sem") -> SpecError:
    with pytest.raises(SpecError) as info:
        program(text, path)
    return info.value


def only_diagnostic(text: str, path: str = "main.sem"):
    error = spec_error(text, path)
    assert len(error.diagnostics) == 1, error.render()
    return error, error.diagnostics[0]


def view_of(body: str, name: str = "v") -> View:
    view = program(BASE + body).view(name)
    assert view is not None
    return view


# One dataset on line 1 with every column the expression tests name; the view is on line 2.
EXPR_DATASET = "dataset t from extractor ex { a: int64 b: string c: int64 d: int64 x: int64 y: bool }\n"


def filter_expr(expression: str):
    """The predicate of `view v = t | filter <expression>`, on line 2, parsed but not type-checked."""
    _, view = parse_file(PARSER, "main.sem", EXPR_DATASET + f"view v = t | filter {expression}\n")
    (step,) = view.steps
    assert isinstance(step, Filter)
    return step.predicate


def shape(expr):
    """An expression without spans, as nested tuples, so trees compare readably."""
    if isinstance(expr, ColumnRef):
        return f"{expr.qualifier}.{expr.name}" if expr.qualifier else expr.name
    if isinstance(expr, Literal):
        return (expr.kind.value, expr.value)
    if isinstance(expr, Binary):
        return (expr.op, shape(expr.left), shape(expr.right))
    if isinstance(expr, Unary):
        return (expr.op, shape(expr.operand))
    if isinstance(expr, InList):
        return ("not in" if expr.negated else "in", shape(expr.operand), tuple(shape(i) for i in expr.items))
    if isinstance(expr, IsNull):
        return ("is not null" if expr.negated else "is null", shape(expr.operand))
    if isinstance(expr, Call):
        return ("call", expr.function, tuple(shape(a) for a in expr.args))
    raise AssertionError(f"not an expression: {expr!r}")


# --- datasets ----------------------------------------------------------------------------------


def test_dataset_columns_types_nullability_and_key():
    prog = program(BASE)
    assert [d.name for d in prog.datasets] == ["t", "u"]
    assert prog.views == ()
    t = prog.dataset("t")
    assert isinstance(t, Dataset)
    assert t.extractor == "ex"
    assert [(c.name, c.type) for c in t.columns] == [
        ("a", ColumnType("int64", False)),
        ("b", ColumnType("string", True)),
        ("c", ColumnType("float64", False)),
    ]
    assert str(t.column("b").type) == "string?"
    assert str(t.column("a").type) == "int64"
    assert t.key == ("a",)
    assert prog.dataset("u").key == ("a", "d")
    assert t.column("zz") is None
    # Spans point at names: the dataset's name and each column's name, 1-based, end exclusive.
    assert t.span == Span("main.sem", 1, 9, 1, 10)
    assert t.column("b").span == Span("main.sem", 3, 3, 3, 4)
    assert prog.dataset("u").span == Span("main.sem", 7, 9, 7, 10)


def test_dataset_without_key_and_without_columns():
    prog = program("dataset empty from extractor nothing {\n}\ndataset k from extractor e { x: int32 }\n")
    assert prog.dataset("empty").columns == ()
    assert prog.dataset("empty").key == ()
    assert prog.dataset("k").key == ()
    assert prog.dataset("k").column("x").type == ColumnType("int32", False)


def test_empty_text_and_comment_only_text_are_empty_programs():
    assert program("") == Program((SpecFile("main.sem", ""),), (), ())
    prog = program("# nothing here\n## nor here\n\n")
    assert prog.datasets == () and prog.views == ()


# --- doc comments ------------------------------------------------------------------------------

DOCS = """\
# A plain comment is not documentation.

## First line of the dataset's doc.
## Second line.
dataset d from extractor ex {  ## trailing dataset doc
  ## leading column doc
  x: int64   ## trailing column doc
  y: string  # plain trailing comment is not a doc
  ## leading only
  z: bool

  w: int64
  key (x)
}

## View doc.
view v = d  ## and a trailing part
  | filter y == "## not a comment"

## Orphaned: a blank line separates it from the view.

view w = d

output o = d ## output doc
"""


def test_doc_comments_leading_and_trailing_on_datasets_columns_views():
    prog = program(DOCS)
    d = prog.dataset("d")
    assert d.doc == "First line of the dataset's doc.\nSecond line.\ntrailing dataset doc"
    assert d.column("x").doc == "leading column doc\ntrailing column doc"
    assert d.column("y").doc is None
    assert d.column("z").doc == "leading only"
    assert d.column("w").doc is None
    assert prog.view("v").doc == "View doc.\nand a trailing part"
    assert prog.view("w").doc is None
    assert prog.view("o").doc == "output doc"
    # `##` inside a string literal stays in the string.
    (step,) = prog.view("v").steps
    assert shape(step.predicate) == ("==", "y", ("string", "## not a comment"))


def test_trailing_doc_of_one_column_is_not_the_leading_doc_of_the_next():
    prog = program("dataset d from extractor e {\n  a: int64 ## about a\n  b: int64\n}\n")
    assert prog.dataset("d").column("a").doc == "about a"
    assert prog.dataset("d").column("b").doc is None


def test_empty_doc_comment_gives_no_doc():
    prog = program("##\nview v = t\n" + BASE)
    assert prog.view("v").doc is None


# --- views and outputs -------------------------------------------------------------------------


def test_view_and_output_kinds_and_spans():
    prog = program(BASE + "view v = t\noutput o = v\n")
    v, o = prog.views
    assert (v.name, v.kind, v.steps) == ("v", RelationKind.VIEW, ())
    assert (o.name, o.kind) == ("o", RelationKind.OUTPUT)
    assert v.source == RelationRef("t", None, Span("main.sem", 12, 10, 12, 11))
    assert o.source.name == "v"
    assert v.span == Span("main.sem", 12, 6, 12, 7)
    assert o.span == Span("main.sem", 13, 8, 13, 9)
    assert o.dependencies() == (o.source,)


def test_filter_derive_select_steps():
    view = view_of(
        "view v = t\n"
        "  | filter a > 1\n"
        "  | derive e = a * 2, f = e + 1\n"
        "  | select a, g = f, t.b\n"
    )
    filt, derive, select = view.steps
    assert isinstance(filt, Filter) and shape(filt.predicate) == (">", "a", ("int", 1))
    assert isinstance(derive, Derive)
    assert [(a.name, shape(a.expr)) for a in derive.assignments] == [
        ("e", ("*", "a", ("int", 2))),
        ("f", ("+", "e", ("int", 1))),
    ]
    assert isinstance(select, Select)
    # A bare column keeps its own name, a qualified bare column its unqualified name.
    assert [(i.name, shape(i.expr)) for i in select.items] == [("a", "a"), ("g", "f"), ("b", "t.b")]
    line = BASE_LINES + 2
    assert filt.span.line == line and filt.span.col == 5
    assert select.items[2].span == Span("main.sem", line + 2, 22, line + 2, 25)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("join", JoinKind.INNER),
        ("inner join", JoinKind.INNER),
        ("left join", JoinKind.LEFT),
        ("semi join", JoinKind.SEMI),
        ("anti join", JoinKind.ANTI),
    ],
)
def test_join_kinds(text, kind):
    view = view_of(f"view v = t | {text} u on t.a == u.a | select t.a, t.b\n")
    join, _ = view.steps
    assert isinstance(join, Join)
    assert join.kind is kind
    assert join.right.name == "u" and join.right.alias is None
    assert shape(join.on) == ("==", "t.a", "u.a")


def test_join_with_aliases_and_multi_key_and_condition():
    view = view_of("view v = t as l\n  | left join u as r on l.a == r.a and r.d and l.c > 0.5\n  | select l.a, r.d\n")
    assert view.source == RelationRef("t", "l", Span("main.sem", BASE_LINES + 1, 10, BASE_LINES + 1, 16))
    assert view.source.qualifier == "l"
    join, _ = view.steps
    assert join.kind is JoinKind.LEFT
    assert join.right.name == "u" and join.right.alias == "r" and join.right.qualifier == "r"
    # `and` chains fold to the left.
    assert shape(join.on) == (
        "and",
        ("and", ("==", "l.a", "r.a"), "r.d"),
        (">", "l.c", ("float", 0.5)),
    )
    assert join.right.span == Span("main.sem", BASE_LINES + 2, 15, BASE_LINES + 2, 21)
    assert join.span.line == BASE_LINES + 2 and join.span.col == 5
    assert [r.name for r in view.dependencies()] == ["t", "u"]


def test_union_source():
    text = BASE + "view w = u | select d, a\nview v = union(u, w as ww, u)\n  | select a\n"
    view = program(text).view("v")
    assert isinstance(view.source, UnionSource)
    assert [(m.name, m.alias) for m in view.source.members] == [("u", None), ("w", "ww"), ("u", None)]
    assert view.source.span == Span("main.sem", BASE_LINES + 2, 10, BASE_LINES + 2, 30)
    assert view.source.members[1].span == Span("main.sem", BASE_LINES + 2, 19, BASE_LINES + 2, 26)
    assert [r.name for r in view.dependencies()] == ["u", "w", "u"]


def test_declarations_keep_source_order_across_files():
    files = (
        SpecFile("one.sem", "view v1 = t\n"),
        SpecFile("two.sem", BASE + "view v2 = v1\n"),
    )
    prog = parse_program(files, PARSER)
    assert prog.files == files
    assert [v.name for v in prog.views] == ["v1", "v2"]
    assert prog.view("v1").span.file == "one.sem"
    assert prog.view("v2").span.file == "two.sem"


# --- expressions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a or b and c", ("or", "a", ("and", "b", "c"))),
        ("a and b or c", ("or", ("and", "a", "b"), "c")),
        ("a or b or c", ("or", ("or", "a", "b"), "c")),
        ("1 + 2 * 3", ("+", ("int", 1), ("*", ("int", 2), ("int", 3)))),
        ("(1 + 2) * 3", ("*", ("+", ("int", 1), ("int", 2)), ("int", 3))),
        ("1 - 2 - 3", ("-", ("-", ("int", 1), ("int", 2)), ("int", 3))),
        ("a / b % c * d", ("*", ("%", ("/", "a", "b"), "c"), "d")),
        ("not x == 1", ("not", ("==", "x", ("int", 1)))),
        ("not a and b", ("and", ("not", "a"), "b")),
        ("not not a", ("not", ("not", "a"))),
        ("-a * b", ("*", ("-", "a"), "b")),
        ("- -1", ("-", ("-", ("int", 1)))),
        ("a + 1 >= b * 2", (">=", ("+", "a", ("int", 1)), ("*", "b", ("int", 2)))),
        ("a != 1 and b <= 2 or c < 3", ("or", ("and", ("!=", "a", ("int", 1)), ("<=", "b", ("int", 2))), ("<", "c", ("int", 3)))),
        ("x in (1, 2)", ("in", "x", (("int", 1), ("int", 2)))),
        ("x not in (\"a\", 1 + 1)", ("not in", "x", (("string", "a"), ("+", ("int", 1), ("int", 1))))),
        ("a + 1 in (2)", ("in", ("+", "a", ("int", 1)), (("int", 2),))),
        ("x is null", ("is null", "x")),
        ("x is not null", ("is not null", "x")),
        ("not x is null", ("not", ("is null", "x"))),
        ("x is not null and y is null", ("and", ("is not null", "x"), ("is null", "y"))),
        ("f()", ("call", "f", ())),
        ("concat_ws(\":\", a, t.b)", ("call", "concat_ws", (("string", ":"), "a", "t.b"))),
        ("coalesce(f(a), 0) > 1", (">", ("call", "coalesce", (("call", "f", ("a",)), ("int", 0))), ("int", 1))),
        ("true", ("bool", True)),
        ("false == null", ("==", ("bool", False), ("null", None))),
        ("3.25", ("float", 3.25)),
        ("007", ("int", 7)),
    ],
)
def test_expression_precedence_and_shape(expression, expected):
    assert shape(filter_expr(expression)) == expected


def test_literal_kinds_and_python_values():
    expr = filter_expr('f(1, 2.5, "s", true, false, null)')
    assert [(a.kind, a.value) for a in expr.args] == [
        (LiteralKind.INT, 1),
        (LiteralKind.FLOAT, 2.5),
        (LiteralKind.STRING, "s"),
        (LiteralKind.BOOL, True),
        (LiteralKind.BOOL, False),
        (LiteralKind.NULL, None),
    ]
    assert type(expr.args[0].value) is int and type(expr.args[1].value) is float


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (r'"plain"', "plain"),
        (r'""', ""),
        (r'"quote \" inside"', 'quote " inside'),
        (r'"back\\slash"', "back\\slash"),
        (r'"new\nline"', "new\nline"),
        (r'"tab\there"', "tab\there"),
        (r'"\\n is not a newline"', "\\n is not a newline"),
        (r'"\\"', "\\"),
        ('"a # b"', "a # b"),
        ('"ünïcødé ✓"', "ünïcødé ✓"),
        ("\"it's\"", "it's"),
    ],
)
def test_string_escapes(source, value):
    expr = filter_expr(f"b == {source}")
    assert expr.right.kind is LiteralKind.STRING
    assert expr.right.value == value


def test_expression_spans():
    line = 2
    # view v = t | filter a + 1 > c and not c
    # col:     1234567890123456789012345678901234567890
    expr = filter_expr("a + 1 > c and not c")
    assert expr.op == "and"
    assert expr.span == Span("main.sem", line, 21, line, 40)
    comparison = expr.left
    assert comparison.span == Span("main.sem", line, 21, line, 30)
    assert comparison.left.span == Span("main.sem", line, 21, line, 26)  # folded `a + 1`
    assert comparison.left.right.span == Span("main.sem", line, 25, line, 26)
    assert expr.right.span == Span("main.sem", line, 35, line, 40)
    qualified = filter_expr("t.a == 1").left
    assert qualified == ColumnRef("t", "a", Span("main.sem", line, 21, line, 24))


def test_keywords_are_case_sensitive():
    # `View` is not the keyword `view`, so it is a syntax error at the top level.
    error, diag = only_diagnostic(BASE + "View v = t\n")
    assert diag.code == codes.SYNTAX
    assert (diag.span.line, diag.span.col) == (BASE_LINES + 1, 1)


# --- syntax errors -----------------------------------------------------------------------------


def caret_lines(rendered: str, line: int) -> tuple[str, str]:
    """The source line and caret line that follow `file:line:col:` in a rendering."""
    lines = rendered.splitlines()
    index = next(i for i, text in enumerate(lines) if text.startswith(f"{line:>4} | "))
    return lines[index], lines[index + 1]


@pytest.mark.parametrize(
    ("body", "offset", "token", "col", "message"),
    [
        ("view v = t | frobnicate a\n", 0, "frobnicate", 14, "unexpected 'frobnicate'; expected 'aggregate', 'best', 'derive', 'distinct', 'filter', 'join', "
         "'recurse', 'rename', 'select', 'use', a join kind"),
        ("view v = t | filter a == b == 1\n", 0, "==", 28, "unexpected '=='"),
        # Keywords are not reserved: after `select a,` the lexer reads `view` as a column name, so the
        # error is at the `w` that follows it.
        ("view v = t | select a,\nview w = t\n", 1, "w", 6, "unexpected 'w'; expected ')', ',', '.', '='"),
        ("view v = t | join u a == 1\n", 0, "a", 21, "unexpected 'a'; expected"),
        ("view v = union() \n", 0, ")", 16, "unexpected ')'; expected a name"),
        ("view v = t | filter a in ()\n", 0, ")", 27, "unexpected ')'"),
        ("view v t\n", 0, "t", 8, "unexpected 't'; expected '='"),
    ],
)
def test_syntax_error_points_at_offending_token(body, offset, token, col, message):
    error, diag = only_diagnostic(BASE + body)
    assert diag.code == codes.SYNTAX == "SEM001"
    assert message in diag.message
    line = BASE_LINES + 1 + offset
    assert diag.span == Span("main.sem", line, col, line, col + len(token))
    rendered = error.render()
    assert rendered.startswith(f"main.sem:{line}:{col}: error[SEM001]: {diag.message}\n")
    source, carets = caret_lines(rendered, line)
    assert source == f"{line:>4} | " + (BASE + body).splitlines()[line - 1]
    assert carets == "     | " + " " * (col - 1) + "^" * len(token)
    assert rendered.endswith("\n\n1 error(s)")


def test_syntax_error_in_dataset_body():
    text = "dataset d from extractor e {\n  a int64\n}\n"
    error, diag = only_diagnostic(text)
    assert diag.code == codes.SYNTAX
    assert diag.message == "unexpected 'int64'; expected ':'"
    assert diag.span == Span("main.sem", 2, 5, 2, 10)
    assert caret_lines(error.render(), 2) == ("   2 |   a int64", "     |     ^^^^^")


def test_unexpected_end_of_file_points_after_last_character():
    text = BASE + "view v = t | filter a =="
    error, diag = only_diagnostic(text)
    line = BASE_LINES + 1
    assert diag.code == codes.SYNTAX
    assert diag.message.startswith("unexpected end of file; expected ")
    assert "a name" in diag.message and "a string" in diag.message
    assert diag.span == Span("main.sem", line, 25, line, 25)
    assert caret_lines(error.render(), line) == (f"{line:>4} | view v = t | filter a ==", "     | " + " " * 24 + "^")


def test_unexpected_end_of_file_after_keyword():
    error, diag = only_diagnostic("view")
    assert diag.message == "unexpected end of file; expected a name"
    assert diag.span == Span("main.sem", 1, 5, 1, 5)


@pytest.mark.parametrize(
    ("body", "col", "message"),
    [
        ("view v = t | filter a == $\n", 26, "unexpected character '$'"),
        ("view v = t | filter a == 1 @ 2\n", 28, "unexpected character '@'"),
        ("view v = t | filter a == 'single'\n", 26, "unexpected character \"'\""),
        ('view v = t | filter b == "abc\n', 26, "unterminated or malformed string literal"),
        ('view v = t | filter b == "bad \\q escape"\n', 26, "unterminated or malformed string literal"),
    ],
)
def test_bad_character_and_unterminated_string_are_sem002(body, col, message):
    error, diag = only_diagnostic(BASE + body)
    line = BASE_LINES + 1
    assert diag.code == codes.BAD_TOKEN == "SEM002"
    assert diag.message == message
    assert diag.span == Span("main.sem", line, col, line, col + 1)
    rendered = error.render()
    assert rendered.startswith(f"main.sem:{line}:{col}: error[SEM002]: {message}\n")
    assert caret_lines(rendered, line) == (f"{line:>4} | " + body.rstrip("\n"), "     | " + " " * (col - 1) + "^")


def test_bad_character_in_dataset_body():
    error, diag = only_diagnostic("dataset d from extractor e {\n  a: int64 !\n}\n")
    assert diag.code == codes.BAD_TOKEN
    assert diag.span == Span("main.sem", 2, 12, 2, 13)


def test_tabs_render_as_single_spaces_so_the_caret_lines_up():
    error, diag = only_diagnostic(BASE + "view v = t |\tfilter\ta == $\n")
    line = BASE_LINES + 1
    assert diag.span.col == 26
    assert caret_lines(error.render(), line) == (f"{line:>4} | view v = t | filter a == $", "     | " + " " * 25 + "^")


def test_crlf_line_endings_parse_and_locate_errors():
    text = (BASE + "view v = t\n  | filter a == $\n").replace("\n", "\r\n")
    error, diag = only_diagnostic(text)
    assert diag.code == codes.BAD_TOKEN
    assert diag.span == Span("main.sem", BASE_LINES + 2, 17, BASE_LINES + 2, 18)
    source, carets = caret_lines(error.render(), BASE_LINES + 2)
    assert source == f"{BASE_LINES + 2:>4} |   | filter a == $"
    assert carets == "     | " + " " * 16 + "^"
    good = program((BASE + "## doc\nview v = t\n").replace("\n", "\r\n"))
    assert good.view("v").doc == "doc"


def test_errors_in_two_files_are_both_reported():
    files = (
        SpecFile("a.sem", BASE + "view v = t | filter a ==\n"),
        SpecFile("dir/b.sem", "view w = t\n  | select a b\n"),
        SpecFile("c.sem", "view fine = t\n"),
    )
    with pytest.raises(SpecError) as info:
        parse_program(files)
    error = info.value
    by_file = {d.span.file: d for d in error.diagnostics}
    assert set(by_file) == {"a.sem", "dir/b.sem"}
    assert len(error.diagnostics) == 2
    assert by_file["a.sem"].code == codes.SYNTAX
    assert (by_file["a.sem"].span.line, by_file["a.sem"].span.col) == (BASE_LINES + 1, 25)
    assert by_file["dir/b.sem"].code == codes.SYNTAX
    assert by_file["dir/b.sem"].message.startswith("unexpected 'b'")
    assert by_file["dir/b.sem"].span == Span("dir/b.sem", 2, 14, 2, 15)
    rendered = error.render()
    assert f"a.sem:{BASE_LINES + 1}:25: error[SEM001]" in rendered
    assert "dir/b.sem:2:14: error[SEM001]: unexpected 'b'" in rendered
    assert "   2 |   | select a b\n     |              ^" in rendered
    assert rendered.endswith("\n\n2 error(s)")
    # Rendering is ordered by file, then position.
    assert rendered.index("a.sem:") < rendered.index("dir/b.sem:")


def test_syntax_errors_stop_checking():
    # The unknown relation in the well-formed file is not reported while another file has a syntax error.
    files = (SpecFile("a.sem", "view v = nowhere\n"), SpecFile("b.sem", "view w = \n"))
    with pytest.raises(SpecError) as info:
        parse_program(files, PARSER)
    assert [d.code for d in info.value.diagnostics] == [codes.SYNTAX]


def test_diagnostic_json_carries_the_span():
    error, diag = only_diagnostic(BASE + "view v = t | filter a == $\n")
    (entry,) = json.loads(error.to_json())
    assert entry == {
        "code": "SEM002",
        "severity": "error",
        "message": "unexpected character '$'",
        "file": "main.sem",
        "line": BASE_LINES + 1,
        "col": 26,
        "end_line": BASE_LINES + 1,
        "end_col": 27,
        "hint": None,
    }


# --- known bugs ---------------------------------------------------------------------------------


def test_keyword_glued_to_a_name_is_a_syntax_error():
    # The contextual lexer only offers VIEW_KW/'dataset' at the top level, so it matches the
    # prefix `view` of `viewfoo` and then lexes `foo` as the view name; likewise `| filterx == 1`
    # becomes `| filter x == 1` and `outputs = t` an output named `s`.
    error = spec_error(BASE + "viewfoo = t\n")
    assert error.diagnostics[0].code in (codes.SYNTAX, codes.BAD_TOKEN)


def test_raw_carriage_return_in_string_literal():
    text = BASE + 'view v = t | filter b == "x\ry"\n'
    try:
        expr = program(text).view("v").steps[0].predicate
    except SpecError as error:
        (diag,) = error.diagnostics
        # If it is an error, it must at least point at the literal, not at the top of the file.
        assert (diag.span.line, diag.span.col) == (BASE_LINES + 1, 26), error.render()
    else:
        assert expr.right.value == "x\ry"


def test_huge_integer_literal_is_located():
    error, diag = only_diagnostic(BASE + "view v = t | filter a == " + "9" * 5000 + "\n")
    assert (diag.span.line, diag.span.col) == (BASE_LINES + 1, 26)


def test_render_shows_the_right_line_after_a_form_feed():
    text = BASE + "\f\nview v = t | filter a == $\n"
    error, diag = only_diagnostic(text)
    line = BASE_LINES + 2
    assert diag.span == Span("main.sem", line, 26, line, 27)
    source, _ = caret_lines(error.render(), line)
    assert source == f"{line:>4} | view v = t | filter a == $"
