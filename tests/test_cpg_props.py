"""cpg_props: typed facts about nodes, checked against tests/fixtures/props/registry.py, whose values below were
worked out by reading the file (and, for symbols, Python's symtable rules)."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from deltalake import DeltaTable

import runtime
from dsl.program import load_program
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "props"
VALUE_COLUMNS = {"STRING": "string_value", "INT": "int_value", "BOOL": "bool_value"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    src = tmp_path_factory.mktemp("props") / "src"
    shutil.copytree(FIXTURE, src)
    out = src.parent / "out"
    runtime.build(src, out)
    nodes = DeltaTable(str(out / "cpg_nodes")).to_pyarrow_table().to_pylist()
    props = DeltaTable(str(out / "cpg_props")).to_pyarrow_table().to_pylist()
    edges = DeltaTable(str(out / "cpg_edges")).to_pyarrow_table().to_pylist()
    return src, nodes, props, edges


def _value(row: dict):
    return row[VALUE_COLUMNS[row["value_type"]]]


def _props(built, kind: str, name: str, line: int) -> dict:
    _, nodes, props, _ = built
    [node] = [n for n in nodes if (n["kind"], n["name"], n["line"]) == (kind, name, line)]
    return {p["key"]: _value(p) for p in props if p["node_id"] == node["node_id"]}


def test_each_row_fills_the_value_column_of_its_type_and_belongs_to_a_node_of_its_file(built):
    _, nodes, props, _ = built
    files = {n["node_id"]: n["file"] for n in nodes}
    assert props
    for row in props:
        filled = {column for column in VALUE_COLUMNS.values() if row[column] is not None}
        assert filled == {VALUE_COLUMNS[row["value_type"]]}, row
        assert files.get(row["node_id"]) == row["file"], row
    keys = [(p["node_id"], p["key"]) for p in props]
    assert len(keys) == len(set(keys))  # one value per node and key


def test_every_declared_key_is_emitted(built):
    declared = {member.name for member in load_program(ROOT / "specs").enum("prop_key").members}
    assert declared - {p["key"] for p in built[2]} == set()


def test_a_file_has_its_hash_size_and_lines(built):
    data = (built[0] / "registry.py").read_bytes()
    assert _props(built, "FILE", "registry.py", 1) == {
        "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data), "line_count": data.count(b"\n")}


def test_parameters_have_kind_position_default_and_annotation(built):
    assert _props(built, "PARAMETER", "radius", 29) == {
        "parameter_kind": "positional_only", "position": 0, "has_default": True}
    assert _props(built, "PARAMETER", "scale", 29) == {"parameter_kind": "keyword_only", "position": 1}
    assert _props(built, "PARAMETER", "options", 29) == {"parameter_kind": "var_keyword", "position": 2}
    assert _props(built, "PARAMETER", "step", 13) == {
        "parameter_kind": "positional_or_keyword", "position": 0, "has_default": True, "has_annotation": True}
    assert _props(built, "PARAMETER", "args", 21) == {"parameter_kind": "var_positional", "position": 0}


def test_calls_count_their_arguments_and_say_when_they_unpack(built):
    # make(*args, **kwargs): the starred argument is positional, the double-starred one a keyword.
    assert _props(built, "CALL", "make", 24) == {
        "positional_count": 1, "keyword_count": 1, "has_star": True, "has_double_star": True}
    assert _props(built, "CALL", "range", 28) == {"positional_count": 1, "keyword_count": 0}


def test_imports_decorators_and_docstrings(built):
    assert _props(built, "IMPORT", "*", 3) == {"is_from": True, "is_star": True, "level": 0}
    assert _props(built, "IMPORT", "Ordered", 4) == {"is_from": True, "level": 0, "alias": "Ordered"}
    assert _props(built, "DECORATOR", "staticmethod", 27) == {"position": 0}
    assert _props(built, "DECORATOR", "Ordered.fromkeys", 28) == {"position": 1, "is_call": True}
    assert _props(built, "DOCSTRING", "Module", 1) == {"text": "Shape factories."}


def test_methods_attributes_and_names(built):
    assert _props(built, "FUNCTION", "add", 34) == {"method_kind": "instance"}
    assert _props(built, "FUNCTION", "empty", 38) == {"method_kind": "class"}
    assert _props(built, "FUNCTION", "label", 42) == {"method_kind": "static"}
    assert _props(built, "FUNCTION", "counter", 10) == {}  # not a method
    assert _props(built, "ATTRIBUTE", "items", 35) == {"context": "Store"}
    assert _props(built, "NAME", "created", 23) == {"context": "Store"}  # created += 1
    assert _props(built, "NAME", "pi", 30) == {"context": "Load"}


def _symbol_flags(built, scope: str) -> dict[str, set[str]]:
    _, nodes, props, edges = built
    by_id = {n["node_id"]: n for n in nodes}
    scope_ids = {n["node_id"] for n in nodes if n["kind"] == "SCOPE" and n["name"] == scope}
    symbols = {e["dst"] for e in edges if e["kind"] == "DECLARES" and e["src"] in scope_ids}
    flags: dict[str, set[str]] = {by_id[s]["name"]: set() for s in symbols}
    for row in props:
        if row["node_id"] in symbols:
            assert row["value_type"] == "BOOL" and row["bool_value"] is True
            flags[by_id[row["node_id"]]["name"]].add(row["key"])
    return flags


def test_symbol_flags_follow_the_symbol_table(built):
    bump = _symbol_flags(built, "bump")
    assert bump["total"] == {"is_nonlocal", "is_free", "is_assigned", "is_referenced"}
    assert bump["step"] == {"is_parameter", "is_local", "is_referenced"}
    # counter binds total, which only bump reads: a read from an enclosed scope is not counter's own.
    assert _symbol_flags(built, "counter")["total"] == {"is_local", "is_assigned"}
    register = _symbol_flags(built, "register")
    assert register["created"] == {"is_declared_global", "is_global", "is_assigned"}
    assert register["make"] == {"is_global", "is_referenced"}
    top = _symbol_flags(built, "top")
    assert top["limit"] == {"is_annotated", "is_assigned", "is_global", "is_local"}
    assert top["Ordered"] == {"is_imported", "is_global", "is_local", "is_referenced"}
    assert {"is_namespace", "is_assigned"} <= top["Catalogue"]


def test_scopes_and_blocks(built):
    assert _props(built, "SCOPE", "bump", 13) == {"scope_kind": "function", "is_nested": True, "is_optimized": True}
    assert _props(built, "SCOPE", "Catalogue", 33) == {"scope_kind": "class"}
    _, nodes, props, _ = built
    blocks = {n["node_id"] for n in nodes if n["kind"] == "BLOCK"}
    sizes = [p["int_value"] for p in props if p["node_id"] in blocks and p["key"] == "instruction_count"]
    assert len(sizes) == len(blocks) and all(size > 0 for size in sizes)
