"""Unit tests of the extractors, called directly on hand-built SourceFiles.

Expected ids, spans and digests are worked out by hand (digests with the coreutils `sha256sum`), not with
the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.extractors import file_scan, python_ast
from runtime.source import SourceFile

AST_DATASETS = frozenset({"ast_nodes", "ast_errors"})


def source(data: bytes | None, module: str = "m", read_error: str | None = None) -> SourceFile:
    file_id = module.replace(".", "/") + ".py"
    return SourceFile(file_id, Path(file_id), module, data, read_error)


def nodes(data: bytes, module: str = "m") -> list[dict]:
    produced = python_ast.extract(source(data, module), AST_DATASETS)
    assert set(produced) == {"ast_nodes"}, produced
    columns = produced["ast_nodes"]
    assert set(columns) == set(python_ast.NODE_COLUMNS)
    lengths = {len(values) for values in columns.values()}
    assert len(lengths) == 1
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def error(data: bytes | None, read_error: str | None = None) -> dict:
    produced = python_ast.extract(source(data, read_error=read_error), AST_DATASETS)
    assert set(produced) == {"ast_errors"}, produced
    rows = [dict(zip(produced["ast_errors"], row)) for row in zip(*produced["ast_errors"].values())]
    assert len(rows) == 1
    return rows[0]


def by_qualname(rows: list[dict], qualname: str) -> dict:
    (row,) = [r for r in rows if r["qualname"] == qualname]
    return row


def span(row: dict) -> tuple[int, int, int, int, int, int]:
    return row["bstart"], row["bend"], row["line"], row["col"], row["end_line"], row["end_col"]


# --- ids, parents, fields, scopes, qualnames -------------------------------------------------------------


def test_pre_order_ids_parents_fields_and_scopes():
    # FunctionDef fields are name, args, body, decorator_list, returns: so the decorator comes after the body.
    data = b"@d\ndef f(a):\n    return a\n"
    rows = nodes(data, "pkg.mod")
    got = [(r["node_id"], r["parent_id"], r["field"], r["kind"], r["name"], r["qualname"], r["scope_id"]) for r in rows]
    assert got == [
        (0, None, None, "Module", "mod", "pkg.mod", None),
        (1, 0, "body", "FunctionDef", "f", "pkg.mod.f", 0),
        (2, 1, "args", "arguments", None, None, 1),
        (3, 2, "args", "arg", "a", None, 1),
        (4, 1, "body", "Return", None, None, 1),
        (5, 4, "value", "Name", "a", None, 1),
        (6, 1, "decorator_list", "Name", "d", None, 1),
    ]
    assert all(r["file_id"] == "pkg/mod.py" for r in rows)
    # L1 "@d\n" (3 bytes), L2 "def f(a):\n" at 3 (9 + \n), L3 "    return a\n" at 13 (12 + \n), size 26
    assert [span(r) for r in rows] == [
        (0, 26, 1, 0, 3, 13),  # Module: whole file, its last byte the final newline
        (3, 25, 2, 0, 3, 12),  # FunctionDef starts at `def`, not at the decorator
        (9, 10, 2, 6, 2, 7),  # arguments has no position of its own: it spans its only arg
        (9, 10, 2, 6, 2, 7),
        (17, 25, 3, 4, 3, 12),
        (24, 25, 3, 11, 3, 12),
        (1, 2, 1, 1, 1, 2),
    ]


def test_position_in_list_fields_counts_skipped_none_and_repeated_singletons():
    # {**d, 'k': v}: keys is [None, Constant], the None skipped by the walk but still index 0.
    # a < b < c: ops is [Lt, Lt], one shared singleton object twice.
    data = b"x = 1\n{**d, 'k': v}\na < b < c\ndef f(p, q): pass\n"
    rows = nodes(data)
    got = [(r["field"], r["kind"], r["position"]) for r in rows if r["parent_id"] is not None]
    body = [(kind, position) for field, kind, position in got if field == "body"]
    assert body == [("Assign", 0), ("Expr", 1), ("Expr", 2), ("FunctionDef", 3), ("Pass", 0)]
    assert [(k, p) for f, k, p in got if f == "keys"] == [("Constant", 1)]
    assert [(k, p) for f, k, p in got if f == "values"] == [("Name", 0), ("Name", 1)]
    assert [(k, p) for f, k, p in got if f == "ops"] == [("Lt", 0), ("Lt", 1)]
    assert [(k, p) for f, k, p in got if f == "comparators"] == [("Name", 0), ("Name", 1)]
    assert [(k, p) for f, k, p in got if f == "args" and k == "arg"] == [("arg", 0), ("arg", 1)]
    # A node held in a single field has no position.
    assert [p for f, k, p in got if f in ("left", "func", "args") and k != "arg"] == [None, None]
    assert rows[0]["position"] is None


def test_value_of_constants_imports_globals_and_conversions():
    long_text = "x" * 200
    data = (
        f"a = (None, 1.5, b'\\x00', ...)\ns = '{long_text}'\nfrom ..pkg.m import y\nfrom . import z\n"
        "def f():\n    global g, h\nf'{a!r}{a}'\nmatch a:\n    case None: pass\n"
    ).encode()
    rows = nodes(data)
    values = [(r["kind"], r["value"]) for r in rows if r["value"] is not None]
    long_repr = "'" + "x" * 116 + "..."
    assert values == [
        ("Constant", "None"), ("Constant", "1.5"), ("Constant", "b'\\x00'"), ("Constant", "Ellipsis"),
        ("Constant", long_repr),
        ("ImportFrom", "..pkg.m"), ("ImportFrom", "."),
        ("Global", "g,h"),
        ("FormattedValue", "r"),
        ("MatchSingleton", "None"),
    ]
    assert len(long_repr) == 120
    # Names stay in `name`; nodes without a value keep null.
    assert {r["value"] for r in rows if r["kind"] in ("Name", "FunctionDef", "Assign")} == {None}


def test_nested_scopes_and_qualnames():
    data = (
        b"class A:\n"
        b"    class B:\n"
        b"        def m(self):\n"
        b"            def g():\n"
        b"                return [x for x in ()]\n"
        b"            return g\n"
        b"async def h():\n"
        b"    lambda: 0\n"
        b"if True:\n"
        b"    def k(): pass\n"
    )
    rows = nodes(data, "pkg")
    ids = {r["qualname"]: r["node_id"] for r in rows if r["qualname"]}
    assert set(ids) == {"pkg", "pkg.A", "pkg.A.B", "pkg.A.B.m", "pkg.A.B.m.g", "pkg.h", "pkg.k"}
    kinds = {r["qualname"]: r["kind"] for r in rows if r["qualname"]}
    assert kinds["pkg.h"] == "AsyncFunctionDef"
    scope_of = {r["qualname"]: r["scope_id"] for r in rows if r["qualname"]}
    assert scope_of == {
        "pkg": None,
        "pkg.A": ids["pkg"],
        "pkg.A.B": ids["pkg.A"],
        "pkg.A.B.m": ids["pkg.A.B"],
        "pkg.A.B.m.g": ids["pkg.A.B.m"],
        "pkg.h": ids["pkg"],
        "pkg.k": ids["pkg"],  # an `if` block is not a scope
    }
    # comprehension and lambda are not scopes here: their insides belong to the enclosing function
    comprehension = next(r for r in rows if r["kind"] == "comprehension")
    assert comprehension["scope_id"] == ids["pkg.A.B.m.g"]
    lam = next(r for r in rows if r["kind"] == "Lambda")
    assert lam["scope_id"] == ids["pkg.h"]
    assert [r["node_id"] for r in rows] == list(range(len(rows)))
    # every parent comes before its children (pre-order)
    assert all(r["parent_id"] < r["node_id"] for r in rows[1:])


# --- spans ---------------------------------------------------------------------------------------------------


def test_crlf_spans():
    data = b"class C:\r\n    def m(self):\r\n        return 1\r\n"
    # L1 "class C:\r\n" 10 bytes at 0; L2 "    def m(self):\r\n" 18 bytes at 10; L3 "        return 1\r\n" at 28
    rows = nodes(data)
    assert span(by_qualname(rows, "m")) == (0, 46, 1, 0, 3, 18)
    assert span(by_qualname(rows, "m.C")) == (0, 44, 1, 0, 3, 16)
    assert span(by_qualname(rows, "m.C.m")) == (14, 44, 2, 4, 3, 16)
    const = next(r for r in rows if r["kind"] == "Constant")
    assert span(const) == (43, 44, 3, 15, 3, 16)
    assert data[43:44] == b"1"


def test_tab_indentation_and_non_ascii_spans():
    data = "if x:\n\tdef f():\n\t\treturn 'é'\n".encode()
    # L1 "if x:\n" 6 bytes; L2 "\tdef f():\n" at 6; L3 "\t\treturn 'é'\n" at 16: 13 bytes (é is 2) + \n
    rows = nodes(data)
    assert span(by_qualname(rows, "m.f")) == (7, 29, 2, 1, 3, 13)
    assert by_qualname(rows, "m.f")["scope_id"] == 0
    const = next(r for r in rows if r["kind"] == "Constant")
    assert span(const) == (25, 29, 3, 9, 3, 13)  # characters would say col 9..12


def test_column_is_utf8_bytes_after_non_ascii_on_same_line():
    data = "s = 'é'; t = 1\n".encode()
    # s(0) ' '(1) =(2) ' '(3) '(4) é(5,6) '(7) ;(8) ' '(9) t(10): t is char 9 but byte 10
    rows = nodes(data)
    t = next(r for r in rows if r["kind"] == "Name" and r["name"] == "t")
    assert span(t) == (10, 11, 1, 10, 1, 11)


def test_bom_spans_are_file_byte_offsets():
    data = b"\xef\xbb\xbfdef f():\n    pass\n"
    # the BOM takes bytes 0..2; L1 is BOM + "def f():\n" (12 bytes), L2 "    pass\n" at 12
    rows = nodes(data)
    f = by_qualname(rows, "m.f")
    assert (f["bstart"], f["bend"], f["line"], f["end_line"], f["end_col"]) == (3, 20, 1, 2, 8)
    assert data[f["bstart"] : f["bend"]] == b"def f():\n    pass"
    assert span(by_qualname(rows, "m")) == (0, 21, 1, 0, 2, 9)
    pass_ = next(r for r in rows if r["kind"] == "Pass")
    assert span(pass_) == (16, 20, 2, 4, 2, 8)


def test_bom_column_matches_ast():
    rows = nodes(b"\xef\xbb\xbfdef f():\n    pass\n")
    assert by_qualname(rows, "m.f")["col"] == 0


def test_cr_only_line_endings():
    data = b"x = 1\ry = 2\r"
    rows = nodes(data)
    y = next(r for r in rows if r["kind"] == "Name" and r["name"] == "y")
    assert data[y["bstart"] : y["bend"]] == b"y"
    assert (y["bstart"], y["bend"]) == (6, 7)


def test_latin1_coding_cookie_spans_point_at_the_node():
    data = b"# -*- coding: latin-1 -*-\ns = '\xe9'; t = 1\n"
    rows = nodes(data)
    t = next(r for r in rows if r["kind"] == "Name" and r["name"] == "t")
    assert data[t["bstart"] : t["bend"]] == b"t"


def test_empty_file_is_a_zero_width_module():
    rows = nodes(b"", "pkg.empty")
    assert [(r["kind"], r["qualname"], r["name"]) for r in rows] == [("Module", "pkg.empty", "empty")]
    assert span(rows[0]) == (0, 0, 1, 0, 1, 0)


def test_init_module_name():
    rows = nodes(b"def f(): pass\n", "pkg")
    assert [r["qualname"] for r in rows if r["qualname"]] == ["pkg", "pkg.f"]
    assert rows[0]["name"] == "pkg"


def test_decorated_definitions_on_one_line_keep_distinct_spans():
    data = b"class C:\n    @property\n    def a(self): return 1\n    @a.setter\n    def a(self, v): pass\n"
    rows = nodes(data)
    defs = [r for r in rows if r["kind"] == "FunctionDef"]
    assert [(r["qualname"], r["line"], r["col"]) for r in defs] == [("m.C.a", 3, 4), ("m.C.a", 5, 4)]
    assert defs[0]["bstart"] != defs[1]["bstart"]


# --- errors become rows ----------------------------------------------------------------------------------------


def test_syntax_error_row():
    row = error(b"x = 1\ndef f(:\n    pass\n")
    assert (row["file_id"], row["code"], row["line"]) == ("m.py", "syntax", 2)
    assert row["message"].startswith("SyntaxError")


@pytest.mark.parametrize("text, col", [("x = )\n", 4), ("éé = )\n", 7)])
def test_syntax_error_column_is_zero_based_bytes(text, col):
    row = error(text.encode())
    assert row["code"] == "syntax"
    assert row["col"] == col


def test_null_bytes_row():
    row = error(b"a = 1\nb = 2\nc = '\x00'\n")
    assert (row["code"], row["line"]) == ("null-bytes", 3)
    assert row["col"] is None


def test_unreadable_row():
    row = error(None, read_error="PermissionError: Permission denied")
    assert row["code"] == "unreadable"
    assert row["message"] == "PermissionError: Permission denied"
    assert (row["line"], row["col"]) == (None, None)


def test_undecodable_bytes_row():
    row = error(b"x = '\xff'\n")
    assert row["code"] == "encoding"
    assert row["line"] == 1
    assert "decode" in row["message"]


def test_unknown_coding_cookie_is_an_encoding_row():
    row = error(b"# coding: bogus\nx = 1\n")
    assert row["code"] == "encoding"
    assert "bogus" in row["message"]


def test_unknown_coding_cookie_line_is_valid():
    row = error(b"# coding: bogus\nx = 1\n")
    assert row["line"] is None or row["line"] >= 1
    assert row["col"] is None or row["col"] >= 0


@pytest.mark.parametrize(
    "data",
    [pytest.param(b"(" * 100_000, id="parens"), pytest.param(b"+".join([b"1"] * 200_000) + b"\n", id="binop")],
)
def test_too_deep_nesting_is_a_row_not_an_exception(data):
    row = error(data)
    assert row["code"] in {"recursion", "syntax"}
    assert row["file_id"] == "m.py"


def test_deep_binop_is_reported_as_recursion():
    row = error(b"+".join([b"1"] * 200_000) + b"\n")
    assert row["code"] == "recursion"
    assert "RecursionError" in row["message"]


def test_moderately_deep_tree_is_walked_without_recursion():
    # deeper than Python's default recursion limit (1000), still shallow enough for ast.parse
    depth = 2500
    data = b"x = " + b"-" * depth + b"1\n"
    rows = nodes(data)
    unary = [r for r in rows if r["kind"] == "UnaryOp"]
    assert len(unary) == depth
    assert [r["col"] for r in unary[:3]] == [4, 5, 6]
    assert all(r["bend"] == len(data) - 1 for r in unary)


def test_requested_datasets_only():
    good, bad = source(b"x = 1\n"), source(b"def (:\n")
    assert python_ast.extract(good, frozenset({"ast_errors"})) == {}
    assert python_ast.extract(bad, frozenset({"ast_nodes"})) == {}
    assert set(python_ast.extract(good, frozenset({"ast_nodes"}))) == {"ast_nodes"}
    assert set(python_ast.extract(bad, frozenset({"ast_errors"}))) == {"ast_errors"}


# --- file_scan ------------------------------------------------------------------------------------------------


def scan(data: bytes | None, module: str = "pkg.mod") -> dict:
    produced = file_scan.extract(source(data, module), frozenset({"source_files"}))
    assert set(produced) == {"source_files"}
    return {column: values[0] for column, values in produced["source_files"].items()}


def test_file_scan_row():
    data = "a = 1\nb = 'é'\n".encode()  # 6 + 9 bytes
    assert scan(data) == {
        "file_id": "pkg/mod.py",
        "module": "pkg.mod",
        "size_bytes": 15,
        "sha256": "ad96e6b5b10d12416f8f26141338cd8b45af701360f5668a5fc50c635ac5dd68",
        "line_count": 2,
    }


def test_file_scan_empty_file():
    row = scan(b"")
    assert (row["size_bytes"], row["line_count"]) == (0, 0)
    assert row["sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    "data, lines",
    [(b"\n", 1), (b"a", 1), (b"a\nb", 2), (b"a\nb\n", 2), (b"a\r\nb\r\n", 2), (b"a\n\n\n", 3)],
)
def test_file_scan_line_count(data, lines):
    assert scan(data)["line_count"] == lines


def test_file_scan_skips_unreadable_and_unrequested():
    assert file_scan.extract(source(None, read_error="OSError: x"), frozenset({"source_files"})) == {}
    assert file_scan.extract(source(b"x = 1\n"), frozenset({"ast_nodes"})) == {}
