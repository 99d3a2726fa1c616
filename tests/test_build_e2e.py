"""End to end: build the fixture tree with the real runtime into real Delta tables and read them back.

Every expectation below was worked out by hand from the fixture sources (byte offsets by counting UTF-8
bytes per line); nothing here is computed with the code under test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from deltalake import DeltaTable

import runtime
from runtime.cli import main

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tree_basic"

# The NUL-byte file is written by the test (no binary file in the repository): the NUL is on line 3.
NUL_SOURCE = b"def before():\n    return 1\nz = '\x00'\n"

FILES = {
    "run.py",
    "pkg/__init__.py",
    "pkg/broken.py",
    "pkg/empty.py",
    "pkg/funcs.py",
    "pkg/nul.py",
    "pkg/shapes.py",
    "pkg/text.py",
}

# (kind, qualified_name), as a multiset: pkg.funcs.conditional is defined twice (if and else branches).
EXPECTED_NODES = Counter(
    [("FILE", f) for f in FILES]
    + [
        ("MODULE", "run"),
        ("MODULE", "pkg"),
        ("MODULE", "pkg.empty"),
        ("MODULE", "pkg.funcs"),
        ("MODULE", "pkg.shapes"),
        ("MODULE", "pkg.text"),
        ("CLASS", "pkg.shapes.Shape"),
        ("CLASS", "pkg.shapes.Shape.Meta"),
        ("FUNCTION", "run.main"),
        ("FUNCTION", "pkg.version"),
        ("FUNCTION", "pkg.funcs.cached"),
        ("FUNCTION", "pkg.funcs.fetch"),
        ("FUNCTION", "pkg.funcs.outer"),
        ("FUNCTION", "pkg.funcs.outer.inner"),
        ("FUNCTION", "pkg.funcs.conditional"),
        ("FUNCTION", "pkg.funcs.conditional"),
        ("FUNCTION", "pkg.shapes.Shape.area"),
        ("FUNCTION", "pkg.shapes.Shape.Meta.describe"),
        ("FUNCTION", "pkg.shapes.Shape.name"),
        ("FUNCTION", "pkg.text.grüße"),
    ]
)

# (container qualified_name, contained qualified_name) for every CONTAINS edge.
EXPECTED_EDGES = Counter(
    [
        # FILE -> MODULE, only for files that parsed
        ("run.py", "run"),
        ("pkg/__init__.py", "pkg"),
        ("pkg/empty.py", "pkg.empty"),
        ("pkg/funcs.py", "pkg.funcs"),
        ("pkg/shapes.py", "pkg.shapes"),
        ("pkg/text.py", "pkg.text"),
        # nearest enclosing module / class / function
        ("run", "run.main"),
        ("pkg", "pkg.version"),
        ("pkg.funcs", "pkg.funcs.cached"),
        ("pkg.funcs", "pkg.funcs.fetch"),
        ("pkg.funcs", "pkg.funcs.outer"),
        ("pkg.funcs.outer", "pkg.funcs.outer.inner"),
        ("pkg.funcs", "pkg.funcs.conditional"),  # an `if` block is not a scope
        ("pkg.funcs", "pkg.funcs.conditional"),
        ("pkg.shapes", "pkg.shapes.Shape"),
        ("pkg.shapes.Shape", "pkg.shapes.Shape.area"),
        ("pkg.shapes.Shape", "pkg.shapes.Shape.Meta"),
        ("pkg.shapes.Shape.Meta", "pkg.shapes.Shape.Meta.describe"),
        ("pkg.shapes.Shape", "pkg.shapes.Shape.name"),
        ("pkg.text", "pkg.text.grüße"),
    ]
)


# The outputs whose rows this file checks by hand: of the graph, its definition structure (files, modules,
# classes, functions and the CONTAINS edges between them). The other kinds are checked by test_cpg_kinds.py,
# test_callgraph.py and test_queries_doc.py.
CORE = ("cpg_nodes", "cpg_edges", "diagnostics")
STRUCTURE = {"FILE", "MODULE", "CLASS", "FUNCTION", "LAMBDA"}


def make_tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(FIXTURE, src)
    (src / "pkg" / "nul.py").write_bytes(NUL_SOURCE)
    return src


def read(out: Path, name: str) -> list[dict]:
    rows = DeltaTable(str(out / name)).to_pyarrow_table().to_pylist()
    if name == "cpg_nodes":
        return [n for n in rows if n["kind"] in STRUCTURE]
    if name == "cpg_edges":
        return [e for e in rows if e["kind"] == "CONTAINS" and _structural(e["src"]) and _structural(e["dst"])]
    return rows


def _structural(node_id: str) -> bool:
    return node_id.rsplit(":", 1)[-1] in STRUCTURE


def core_counts(out: Path) -> dict[str, int]:
    return {name: len(read(out, name)) for name in CORE}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("e2e")
    src = make_tree(tmp_path)
    out = tmp_path / "out"
    report = runtime.build(src, out)
    return report, src, out


def test_report_counts(built):
    report, src, out = built
    assert report.files == 8
    assert report.failures == []
    assert report.extractors == ("file_scan", "python_ast", "python_bytecode", "python_names", "python_symtable")
    assert core_counts(out) == {"cpg_nodes": 28, "cpg_edges": 20, "diagnostics": 2}
    for name in CORE:  # the report counts every row written
        assert report.output_rows[name] == DeltaTable(str(out / name)).to_pyarrow_table().num_rows
    assert report.evidence_rows["source_files"] == 8
    assert report.evidence_rows["ast_errors"] == 2
    # outputs, the evidence store and the run report; node properties are tested in test_cpg_props.py
    assert sorted(p.name for p in out.iterdir()) == [
        "_evidence", "call_graph", "cpg_edges", "cpg_nodes", "cpg_props", "diagnostics", "semc_report.json"
    ]


def test_nodes_kind_and_qualified_name(built):
    _, _, out = built
    nodes = read(out, "cpg_nodes")
    assert Counter((n["kind"], n["qualified_name"]) for n in nodes) == EXPECTED_NODES
    # node ids are unique and of the form file:bstart:bend:KIND, but file:KIND for the file and its module
    assert len({n["node_id"] for n in nodes}) == len(nodes)
    for n in nodes:
        if n["kind"] in ("FILE", "MODULE"):
            assert n["node_id"] == f'{n["file"]}:{n["kind"]}'
        else:
            assert n["node_id"] == f'{n["file"]}:{n["bstart"]}:{n["bend"]}:{n["kind"]}'


def test_edges_by_qualified_name(built):
    _, _, out = built
    by_id = {n["node_id"]: n for n in read(out, "cpg_nodes")}
    edges = read(out, "cpg_edges")
    pairs = Counter((by_id[e["src"]]["qualified_name"], by_id[e["dst"]]["qualified_name"]) for e in edges)
    assert pairs == EXPECTED_EDGES
    for e in edges:
        assert e["kind"] == "CONTAINS"
        assert e["resolution"] == "syntax"
        assert e["confidence"] == 1.0
        assert e["edge_id"] == f'{e["src"]}|CONTAINS|{e["dst"]}'
        # containment never crosses files
        assert by_id[e["src"]]["file"] == by_id[e["dst"]]["file"]
    # the two same-named `conditional` functions are two nodes, each with its own edge
    conditional = [n for n in by_id.values() if n["qualified_name"] == "pkg.funcs.conditional"]
    assert [n["line"] for n in sorted(conditional, key=lambda n: n["bstart"])] == [21, 24]


# Hand-computed spans. Line start offsets counted by hand:
#   pkg/funcs.py: L1 "import functools\n" (17) -> L4 "@functools.lru_cache(maxsize=None)\n" starts at 19 (35 bytes),
#     L5 "def cached(n):\n" at 54, L6 "    return n * 2\n" at 69 (16 + \n), L9 "async def fetch(url):\n" at 88,
#     L10 "    return url\n" at 110 (14 + \n).
#   pkg/text.py: L1 '"""Ünïcödé: π ≈ 3.14"""\n' is 24 characters but 31 bytes (Ü ï ö é π: 2 bytes, ≈: 3),
#     L2 'LABEL = "café"\n' 16 bytes at 31, L3/L4 empty at 47/48, L5 "def grüße(name):\n" at 49 (18 bytes + \n),
#     L6 '    return "héllo " + name\n' at 68 (27 bytes + \n); file size 96.
SPANS = {
    # qualified_name: (bstart, bend, line, col, end_line, end_col)
    "pkg.funcs.cached": (54, 85, 5, 0, 6, 16),  # decorated: starts at `def`, not at the `@` line
    "pkg.funcs.fetch": (88, 124, 9, 0, 10, 14),  # async: starts at `async`
    "pkg.text.grüße": (49, 95, 5, 0, 6, 27),  # after non-ASCII text; chars would give 42..84
    "pkg.text": (0, 96, 1, 0, 6, 28),  # the module spans the whole file, trailing newline included
}


@pytest.mark.parametrize("qualname", sorted(SPANS))
def test_hand_computed_spans(built, qualname):
    _, src, out = built
    (node,) = [n for n in read(out, "cpg_nodes") if n["qualified_name"] == qualname]
    assert (node["bstart"], node["bend"], node["line"], node["col"], node["end_line"], node["end_col"]) == SPANS[
        qualname
    ]
    data = (src / node["file"]).read_bytes()
    text = data[node["bstart"] : node["bend"]].decode("utf-8")
    assert text.startswith(("def ", "async def ", '"""'))


def test_file_nodes(built):
    _, _, out = built
    files = {n["qualified_name"]: n for n in read(out, "cpg_nodes") if n["kind"] == "FILE"}
    assert set(files) == FILES
    text = files["pkg/text.py"]
    assert (text["bstart"], text["bend"], text["line"], text["end_line"], text["name"]) == (0, 96, 1, 6, "pkg/text.py")
    empty = files["pkg/empty.py"]
    assert (empty["bstart"], empty["bend"], empty["end_line"]) == (0, 0, 0)
    # the empty module is a node too, zero width
    (module,) = [n for n in read(out, "cpg_nodes") if n["qualified_name"] == "pkg.empty"]
    assert (module["kind"], module["bstart"], module["bend"], module["line"]) == ("MODULE", 0, 0, 1)
    (pkg,) = [n for n in read(out, "cpg_nodes") if n["qualified_name"] == "pkg"]
    assert (pkg["file"], pkg["name"]) == ("pkg/__init__.py", "pkg")


def test_diagnostics_one_row_per_bad_file(built):
    _, _, out = built
    rows = sorted(read(out, "diagnostics"), key=lambda r: r["file"])
    assert [(r["file"], r["code"], r["line"]) for r in rows] == [
        ("pkg/broken.py", "syntax", 8),  # `def broken(:` is line 8
        ("pkg/nul.py", "null-bytes", 3),
    ]
    assert "SyntaxError" in rows[0]["message"]
    assert "NUL" in rows[1]["message"]
    # the bad files still have FILE nodes, but no module or definitions (`ok` and `before` are not built)
    nodes = read(out, "cpg_nodes")
    for bad in ("pkg/broken.py", "pkg/nul.py"):
        assert [n["kind"] for n in nodes if n["file"] == bad] == ["FILE"]


def test_unreadable_file_becomes_diagnostic(tmp_path):
    # A dangling symlink named *.py is discovered (os.walk lists it as a file) but cannot be read: this
    # exercises the read-error path even as root, which chmod 000 would not.
    src = make_tree(tmp_path)
    os.symlink(tmp_path / "missing-target.py", src / "pkg" / "gone.py")
    out = tmp_path / "out"
    report = runtime.build(src, out)
    assert report.files == 9
    assert report.failures == []
    rows = {r["file"]: r for r in read(out, "diagnostics")}
    assert set(rows) == {"pkg/broken.py", "pkg/nul.py", "pkg/gone.py"}
    gone = rows["pkg/gone.py"]
    assert gone["code"] == "unreadable"
    assert gone["line"] is None and gone["col"] is None
    assert "FileNotFoundError" in gone["message"]
    nodes = read(out, "cpg_nodes")
    assert not [n for n in nodes if n["file"] == "pkg/gone.py"]
    assert Counter((n["kind"], n["qualified_name"]) for n in nodes) == EXPECTED_NODES


def test_cr_only_file_is_built_or_diagnosed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "mac.py").write_bytes(b"x = 1\rdef f():\r    return x\r")
    out = tmp_path / "out"
    report = runtime.build(src, out)
    assert report.failures == []
    kinds = {(n["kind"], n["qualified_name"]) for n in read(out, "cpg_nodes")}
    assert {("MODULE", "mac"), ("FUNCTION", "mac.f")} <= kinds or len(read(out, "diagnostics")) == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_chmod_000_file_becomes_unreadable_diagnostic(tmp_path):
    src = make_tree(tmp_path)
    locked = src / "pkg" / "locked.py"
    locked.write_text("def hidden():\n    pass\n")
    locked.chmod(0)
    try:
        runtime.build(src, tmp_path / "out")
    finally:
        locked.chmod(0o644)
    rows = {r["file"]: r for r in read(tmp_path / "out", "diagnostics")}
    assert rows["pkg/locked.py"]["code"] == "unreadable"
    assert "PermissionError" in rows["pkg/locked.py"]["message"]


def test_cli_build_and_query(tmp_path, capsys):
    src = make_tree(tmp_path)
    out = tmp_path / "out"
    assert main(["build", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"semc build {src} -> {out}\n")
    assert "  files: 8\n" in printed
    assert "extractors run: file_scan, python_ast, python_bytecode, python_names, python_symtable" in printed
    assert re.search(r"^ +cpg_nodes +\d+ rows$", printed, re.M)
    assert re.search(r"^ +cpg_edges +\d+ rows$", printed, re.M)
    assert re.search(r"^ +diagnostics +2 rows$", printed, re.M)
    assert "extractor failure" not in printed

    sql = "select qualified_name, line from cpg_nodes where kind = 'CLASS' order by qualified_name"
    assert main(["query", str(out), sql]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table == [
        "+-----------------------+------+",
        "| qualified_name        | line |",
        "+-----------------------+------+",
        "| pkg.shapes.Shape      | 1    |",
        "| pkg.shapes.Shape.Meta | 7    |",
        "+-----------------------+------+",
        "(2 rows)",
    ]

    assert main(["query", str(out), "select file, code from diagnostics order by file", "--limit", "1"]) == 0
    limited = capsys.readouterr().out
    assert "pkg/broken.py" in limited and "pkg/nul.py" not in limited
    assert limited.rstrip().endswith("(1 of 2 rows)")


def test_cli_errors_are_reported_not_raised(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "semc: error: no such file or folder" in capsys.readouterr().err
    assert main(["query", str(out), "select 1"]) == 2  # nothing built yet
    assert "no Delta tables" in capsys.readouterr().err


@pytest.mark.parametrize(
    "sql", ["select no_such_column from cpg_nodes", "selec 1", "select * from no_such_table"]
)
def test_cli_query_bad_sql_is_a_user_error(tmp_path, capsys, sql):
    out = tmp_path / "out"
    runtime.build(FIXTURE, out)
    assert main(["query", str(out), sql]) == 2
    assert capsys.readouterr().err.startswith("semc: error:")


def test_cli_query_join(tmp_path, capsys):
    out = tmp_path / "out"
    runtime.build(FIXTURE, out)
    sql = (
        "select p.qualified_name as parent, c.qualified_name as child from cpg_edges e "
        "join cpg_nodes p on e.src = p.node_id join cpg_nodes c on e.dst = c.node_id "
        "where p.kind = 'CLASS' and e.kind = 'CONTAINS' and c.kind in ('CLASS', 'FUNCTION') order by child"
    )
    assert main(["query", str(out), sql]) == 0
    rows = [line.split("|")[1:3] for line in capsys.readouterr().out.splitlines() if line.startswith("| pkg")]
    assert [(a.strip(), b.strip()) for a, b in rows] == [
        ("pkg.shapes.Shape", "pkg.shapes.Shape.Meta"),
        ("pkg.shapes.Shape.Meta", "pkg.shapes.Shape.Meta.describe"),
        ("pkg.shapes.Shape", "pkg.shapes.Shape.area"),
        ("pkg.shapes.Shape", "pkg.shapes.Shape.name"),
    ]


def test_building_twice_replaces_rows(tmp_path):
    src = make_tree(tmp_path)
    out = tmp_path / "out"
    first = runtime.build(src, out)
    second = runtime.build(src, out)
    assert core_counts(out) == {"cpg_nodes": 28, "cpg_edges": 20, "diagnostics": 2}
    assert first.output_rows == second.output_rows
    nodes = read(out, "cpg_nodes")
    assert Counter((n["kind"], n["qualified_name"]) for n in nodes) == EXPECTED_NODES
    assert len(read(out, "cpg_edges")) == 20
    assert len(read(out, "diagnostics")) == 2
    assert DeltaTable(str(out / "cpg_nodes")).version() == 0  # an unchanged tree commits nothing

    # a changed tree replaces the old rows entirely: nothing of the removed files survives
    shutil.rmtree(src / "pkg")
    runtime.build(src, out)
    assert core_counts(out) == {"cpg_nodes": 3, "cpg_edges": 2, "diagnostics": 0}
    assert Counter((n["kind"], n["qualified_name"]) for n in read(out, "cpg_nodes")) == Counter(
        [("FILE", "run.py"), ("MODULE", "run"), ("FUNCTION", "run.main")]
    )
    assert read(out, "diagnostics") == []


def test_build_single_file(tmp_path):
    out = tmp_path / "out"
    report = runtime.build(FIXTURE / "pkg" / "shapes.py", out)
    assert report.files == 1
    # a file given directly is named by its file name alone
    assert Counter((n["kind"], n["qualified_name"]) for n in read(out, "cpg_nodes")) == Counter(
        [
            ("FILE", "shapes.py"),
            ("MODULE", "shapes"),
            ("CLASS", "shapes.Shape"),
            ("CLASS", "shapes.Shape.Meta"),
            ("FUNCTION", "shapes.Shape.area"),
            ("FUNCTION", "shapes.Shape.Meta.describe"),
            ("FUNCTION", "shapes.Shape.name"),
        ]
    )


def test_session_for_exposes_views(tmp_path):
    src = make_tree(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    ctx = runtime.session_for(src)

    functions = ctx.sql(
        "select qualname from definition_nodes where node_kind = 'FUNCTION' and file_id = 'pkg/funcs.py' "
        "order by bstart"
    ).to_pylist()
    assert [r["qualname"] for r in functions] == [
        "pkg.funcs.cached",
        "pkg.funcs.fetch",
        "pkg.funcs.outer",
        "pkg.funcs.outer.inner",
        "pkg.funcs.conditional",
        "pkg.funcs.conditional",
    ]

    nodes = ctx.sql(
        "select node_kind, qualname, cpg_id from file_nodes union all select node_kind, qualname, cpg_id from definition_nodes"
    ).to_pylist()
    assert Counter((n["node_kind"], n["qualname"]) for n in nodes) == EXPECTED_NODES
    (grusse,) = [n for n in nodes if n["qualname"] == "pkg.text.grüße"]
    assert grusse["cpg_id"] == "pkg/text.py:49:95:FUNCTION"

    # outputs are views of the session too, and evidence tables are queryable
    structural = "'.*:(FILE|MODULE|CLASS|FUNCTION|LAMBDA)$'"
    assert ctx.sql(
        f"select count(*) as n from cpg_edges where kind = 'CONTAINS' and regexp_like(src, {structural}) "
        f"and regexp_like(dst, {structural})"
    ).to_pylist() == [{"n": 20}]
    assert ctx.sql("select count(*) as n from source_files").to_pylist() == [{"n": 8}]
    # session_for writes nothing
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
