"""The new evidence tables on small sources whose answers are worked out by hand."""

from __future__ import annotations

from pathlib import Path

from runtime.extractors import python_ast, python_bytecode, python_symtable, python_tokens
from runtime.extractors._ast_details import DATASETS
from runtime.source import SourceFile

SOURCE = b'''"""Module doc."""
import os.path as osp, sys
from ..pkg import name as alias, other
from m import *

@decorate
@factory(1)
def f(a, /, b=2, *args, c, d=4, **kw):
    """F doc."""
    x, (y, *z) = os.sep, (1, 2, 3)
    x += 1
    osp.join(a, *args, key=b, **kw).strip()
    return self.attr
'''


def table(produced: dict, dataset: str) -> list[dict]:
    columns = produced[dataset]
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def src(data: bytes) -> SourceFile:
    return SourceFile("m.py", Path("m.py"), "m", data, None)


def test_ast_detail_tables():
    produced = python_ast.extract(src(SOURCE), DATASETS)
    params = table(produced, "ast_parameters")
    assert [(p["name"], p["kind"], p["has_default"]) for p in params] == [
        ("a", "positional_only", False), ("b", "positional_or_keyword", True), ("args", "var_positional", False),
        ("c", "keyword_only", False), ("d", "keyword_only", True), ("kw", "var_keyword", False)]
    assert [p["position"] for p in params] == list(range(6))
    imports = table(produced, "ast_imports")
    assert [(i["is_from"], i["module"], i["name"], i["alias"], i["level"], i["is_star"]) for i in imports] == [
        (False, "os.path", None, "osp", 0, False), (False, "sys", None, None, 0, False),
        (True, "pkg", "name", "alias", 2, False), (True, "pkg", "other", None, 2, False),
        (True, "m", "*", None, 0, True)]
    assert SOURCE[imports[0]["bstart"] : imports[0]["bend"]] == b"os.path as osp"
    calls = {c["callee"]: c for c in table(produced, "ast_calls")}
    assert set(calls) == {"factory", "osp.join", None}  # `(...).strip` has no dotted callee
    join = calls["osp.join"]
    assert (join["positional_count"], join["keyword_count"], join["has_star"], join["has_double_star"]) == (
        2, 2, True, True)
    arguments = [a for a in table(produced, "ast_call_arguments") if a["call_id"] == join["node_id"]]
    assert [(a["kind"], a["keyword"]) for a in arguments] == [
        ("positional", None), ("starred", None), ("keyword", "key"), ("double_star", None)]
    decorators = table(produced, "ast_decorators")
    assert [(d["position"], d["expression"], d["is_call"]) for d in decorators] == [
        (0, "decorate", False), (1, "factory", True)]
    docs = table(produced, "ast_docstrings")
    assert [(d["owner_kind"], d["text"]) for d in docs] == [("Module", "Module doc."), ("FunctionDef", "F doc.")]
    assignments = table(produced, "ast_assignments")
    assert [(a["kind"], a["target_kind"], a["target"], a["operator"]) for a in assignments] == [
        ("Assign", "Name", "x", None), ("Assign", "Name", "y", None), ("Assign", "Starred", "z", None),
        ("AugAssign", "Name", "x", "Add")]
    attributes = {(a["base"], a["attr"], a["context"]) for a in table(produced, "ast_attributes")}
    assert {("os", "sep", "Load"), ("osp", "join", "Load"), ("self", "attr", "Load")} <= attributes
    (definition,) = table(produced, "ast_definitions")
    assert (definition["qualname"], definition["decorator_count"], definition["has_docstring"]) == ("m.f", 2, True)
    assert SOURCE[definition["bstart"] : definition["bstart"] + 5] == b"def f"


def test_symtable_flags():
    data = b"import os\ng = 1\ndef f(p):\n    global g\n    q: int = p\n    def inner():\n        return q\n"
    produced = python_symtable.extract(src(data), frozenset({"symtable_scopes", "symtable_symbols"}))
    scopes = {s["scope_id"]: s for s in table(produced, "symtable_scopes")}
    assert [(s["kind"], s["qualname"], s["parent_scope_id"]) for s in scopes.values()] == [
        ("module", "m", None), ("function", "m.f", 0), ("function", "m.f.inner", 1)]
    symbols = {(scopes[s["scope_id"]]["name"], s["name"]): s for s in table(produced, "symtable_symbols")}
    assert symbols[("top", "os")]["is_imported"]
    assert symbols[("f", "p")]["is_parameter"] and symbols[("f", "p")]["is_referenced"]
    assert symbols[("f", "g")]["is_declared_global"]
    assert symbols[("f", "q")]["is_annotated"] and symbols[("f", "q")]["is_assigned"]
    assert symbols[("inner", "q")]["is_free"]
    assert symbols[("f", "inner")]["is_namespace"]


def test_bytecode_blocks_edges_and_exception_table():
    data = b"def f(x):\n    try:\n        if x:\n            return 1\n    except E:\n        return 2\n    return 3\n"
    wanted = frozenset({"bytecode_code_objects", "bytecode_instructions", "bytecode_blocks", "bytecode_edges",
                        "bytecode_exceptions"})
    produced = python_bytecode.extract(src(data), wanted)
    codes = table(produced, "bytecode_code_objects")
    assert [(c["kind"], c["qualname"]) for c in codes] == [("module", "m"), ("function", "m.f")]
    f_blocks = [b for b in table(produced, "bytecode_blocks") if b["code_id"] == 1]
    edges = {(e["src_block"], e["dst_block"], e["kind"]) for e in table(produced, "bytecode_edges") if e["code_id"] == 1}
    kinds = {kind for _, _, kind in edges}
    assert kinds == {"fallthrough", "jump", "exception"}
    assert all(0 <= s < len(f_blocks) and 0 <= d < len(f_blocks) for s, d, _ in edges)
    instructions = [i for i in table(produced, "bytecode_instructions") if i["code_id"] == 1]
    # blocks tile the code: each instruction lies in the block it names
    for i in instructions:
        block = f_blocks[i["block_id"]]
        assert block["start_offset"] <= i["offset"] < block["end_offset"]
    returns = [i for i in instructions if i["opname"] == "RETURN_VALUE"]
    assert len(returns) == 3
    assert [i["argval"] for i in instructions if i["opname"] == "LOAD_CONST" and i["argval"] in ("1", "2", "3")] == [
        "1", "2", "3"]
    (handler,) = [e for e in table(produced, "bytecode_exceptions") if e["code_id"] == 1 and e["depth"] == 0]
    assert handler["target_offset"] in {b["start_offset"] for b in f_blocks}


def test_tokens_include_comments_and_layout():
    data = b"x = 1  # note\nif x:\n\ty = 'h\xc3\xa9'\n"
    tokens = table(python_tokens.extract(src(data), frozenset({"tokens"})), "tokens")
    kinds = [t["kind"] for t in tokens]
    assert "COMMENT" in kinds and "INDENT" in kinds and "DEDENT" in kinds and kinds[-1] == "ENDMARKER"
    (comment,) = [t for t in tokens if t["kind"] == "COMMENT"]
    assert (comment["bstart"], comment["bend"], comment["text"]) == (7, 13, "# note")
    (string,) = [t for t in tokens if t["kind"] == "STRING"]
    assert data[string["bstart"] : string["bend"]] == b"'h\xc3\xa9'"  # 5 characters, 6 bytes
