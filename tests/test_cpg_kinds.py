"""Building the bundled sample emits every node and edge kind the CPG declares: a kind no view produces would
otherwise go unnoticed until someone queried for it. The sample is chosen to hold one of each (a lambda, a
decorator, a docstring, an import from outside the tree, inheritance, ...)."""

from __future__ import annotations

from deltalake import DeltaTable

import runtime
from dsl.program import load_program
from tests.conftest import ROOT

SPECS = load_program(ROOT / "specs")


def _declared(enum: str) -> set[str]:
    """The kinds specs/ declares: the enum the CPG's kind columns are typed by."""
    return {member.name for member in SPECS.enum(enum).members}


NODE_KINDS = _declared("node_kind")
EDGE_KINDS = _declared("edge_kind")


def test_the_declared_kinds_cover_what_the_design_asks_for():
    assert {"FILE", "MODULE", "CLASS", "FUNCTION", "LAMBDA", "PARAMETER", "CALL", "NAME", "ATTRIBUTE", "IMPORT",
            "SCOPE", "SYMBOL", "DECORATOR", "DOCSTRING", "BLOCK", "EXTERNAL", "DIAGNOSTIC"} <= NODE_KINDS
    assert {"CONTAINS", "HAS_PARAMETER", "DECORATES", "DOCUMENTS", "SCOPE_CHILD", "HAS_SCOPE", "DECLARES",
            "REFERS_TO", "IMPORTS", "INHERITS", "CALLS", "CALLS_FUNCTION", "FLOWS_TO"} <= EDGE_KINDS


def _kinds(out, table: str) -> set[str]:
    return set(DeltaTable(str(out / table)).to_pyarrow_table(columns=["kind"]).column("kind").to_pylist())


def test_every_node_kind_is_emitted(sample_out):
    assert NODE_KINDS - _kinds(sample_out, "cpg_nodes") == set()


def test_every_edge_kind_is_emitted(sample_out):
    assert EDGE_KINDS - _kinds(sample_out, "cpg_edges") == set()


def _rows(out, table: str) -> list[dict]:
    return DeltaTable(str(out / table)).to_pyarrow_table().to_pylist()


def test_symbols_tie_the_symbol_table_to_definitions_and_names(sample_out):
    """shapes/base.py: class Shape's symbol `area` is defined by the method; in Circle.__init__, `radius` is read
    through the parameter's symbol; `math`, a global, is read inside Circle.area; main.py binds `items`."""
    nodes = {n["node_id"]: n for n in _rows(sample_out, "cpg_nodes")}
    edges = _rows(sample_out, "cpg_edges")
    declared_in = {e["dst"]: nodes[e["src"]]["qualified_name"] for e in edges if e["kind"] == "DECLARES"}

    def symbol(node_id):
        return declared_in[node_id], nodes[node_id]["name"]

    defines = {(symbol(e["src"]), nodes[e["dst"]]["qualified_name"]) for e in edges if e["kind"] == "DEFINES"}
    assert (("shapes.base.Shape", "area"), "shapes.base.Shape.area") in defines
    assert (("shapes.base", "Circle"), "shapes.base.Circle") in defines
    reads = {(nodes[e["src"]]["file"], nodes[e["src"]]["line"], symbol(e["dst"])) for e in edges if e["kind"] == "READS"}
    assert ("shapes/base.py", 21, ("shapes.base.Circle.__init__", "radius")) in reads
    assert ("shapes/base.py", 24, ("shapes.base", "math")) in reads  # a global read from a method
    binds = {(nodes[e["src"]]["file"], nodes[e["src"]]["line"], symbol(e["dst"])) for e in edges if e["kind"] == "BINDS"}
    assert ("main.py", 9, ("main", "items")) in binds  # `items = [...]` at module level


def test_node_ids_are_unique(sample_out):
    ids = [n["node_id"] for n in _rows(sample_out, "cpg_nodes")]
    assert len(ids) == len(set(ids))


def test_symbols_of_scopes_that_start_together_stay_apart(tmp_path):
    """A file that begins with `def`: the module's scope and the function's both start at byte 0, and both have a
    symbol `second` (the module binds it, `first` reads it as a global). The module's scope and symbols keep their
    ids when the file grows, as the module does."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "mod.py").write_text("def first():\n    return second(1)\n\n\ndef second(x):\n    return x\n")
    runtime.build(src, tmp_path / "out")

    def declared_second() -> dict[str, tuple[str, str]]:
        nodes = {n["node_id"]: n for n in _rows(tmp_path / "out", "cpg_nodes")}
        assert len(nodes) == len(_rows(tmp_path / "out", "cpg_nodes"))
        return {nodes[e["src"]]["name"]: (e["src"], e["dst"]) for e in _rows(tmp_path / "out", "cpg_edges")
                if e["kind"] == "DECLARES" and nodes[e["dst"]]["name"] == "second"}

    before = declared_second()
    assert before == {"top": ("mod.py:SCOPE", "mod.py:SYMBOL:second"),
                      "first": ("mod.py:0:33:SCOPE", "mod.py:0:0:SYMBOL:second")}
    with open(src / "mod.py", "a") as handle:
        handle.write("\n# a comment at the end\n")
    runtime.build(src, tmp_path / "out")
    assert declared_second() == before


def test_an_edge_found_by_two_resolutions_is_one_edge_with_the_surer_one(tmp_path):
    """`b = a` in a class body: the name `b` refers to the method `a` by scope and by assignment."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "mod.py").write_text("class C:\n    def a(self):\n        return 1\n\n    b = a\n")
    runtime.build(src, tmp_path / "out")
    nodes = {n["node_id"]: n for n in _rows(tmp_path / "out", "cpg_nodes")}
    edges = _rows(tmp_path / "out", "cpg_edges")
    ids = [e["edge_id"] for e in edges]
    assert len(ids) == len(set(ids))
    [ref] = [e for e in edges if e["kind"] == "REFERS_TO" and nodes[e["src"]]["name"] == "b"]
    assert nodes[ref["dst"]]["qualified_name"] == "mod.C.a"
    assert (ref["resolution"], ref["confidence"]) == ("scope", 1.0)


def test_edge_ids_are_unique(sample_out):
    ids = [e["edge_id"] for e in _rows(sample_out, "cpg_edges")]
    assert len(ids) == len(set(ids))
