"""A recursive view reaches its whole fixpoint in a real build, where evidence is read from Delta tables.

DataFusion re-executes a recursive term once per iteration, and a Delta scan yields its rows only on its first
execution; the compiler therefore holds every relation a recursive term joins in memory (views and datasets).
Here the recursion joins the evidence dataset itself: each node's ancestors, all the way up to the module."""

from __future__ import annotations

import ast

from deltalake import DeltaTable

from runtime.build import build
from runtime.program import load_program

SPEC = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  parent_id: int64?
  kind: string
  key (file_id, node_id)
}

view ancestors = ast_nodes
  | filter parent_id is not null
  | select file_id, node = node_id, ancestor = coalesce(parent_id, -1)
  | recurse (ancestors as a
      | join ast_nodes as n on a.file_id == n.file_id and a.ancestor == n.node_id
      | filter n.parent_id is not null
      | select file_id = a.file_id, node = a.node, ancestor = coalesce(n.parent_id, -1))

output ancestor_pairs = ancestors
  | aggregate pairs = count() by file_id
"""

SOURCE = "def outer():\n    def inner(x):\n        return [y for y in (x, x + 1)]\n    return inner\n"


def _depth_sum(source: str) -> int:
    """The (node, ancestor) pairs, counted independently with Python's ast: each node's depth, summed."""
    total, stack = 0, [(ast.parse(source), 0)]
    while stack:
        node, depth = stack.pop()
        total += depth
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if not isinstance(child, ast.expr_context))
    return total


def test_a_recursion_that_joins_evidence_reaches_the_fixpoint(compile_package, tmp_path):
    module, _, _ = compile_package({"main.sem": SPEC})
    program, _ = load_program(module)
    assert program.dataset("ast_nodes").in_memory  # the compiler saw the recursive term read it
    src = tmp_path / "src"
    src.mkdir()
    (src / "deep.py").write_text(SOURCE)
    out = tmp_path / "out"
    build(src, out, module)
    rows = DeltaTable(str(out / program.bindings["ancestor_pairs"])).to_pyarrow_table().to_pylist()
    assert rows == [{"file_id": "deep.py", "pairs": _depth_sum(SOURCE)}]
