"""Building the bundled sample emits every node and edge kind the CPG declares: a kind no view produces would
otherwise go unnoticed until someone queried for it. The sample is chosen to hold one of each (a lambda, a
decorator, a docstring, an import from outside the tree, inheritance, ...)."""

from __future__ import annotations

from deltalake import DeltaTable

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
