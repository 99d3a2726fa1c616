"""The shared walk and the scopes painted on it, checked against ast's own traversal and Python's rules.

The walk reads which fields hold child nodes from the grammar signatures in ast's docstrings; these tests pin
that to `ast.iter_child_nodes` on a source using every kind of construct, so a Python whose docstrings differ
fails here rather than dropping nodes silently.
"""

from __future__ import annotations

import ast
from pathlib import Path

from runtime.extractors._scoping import Scopes
from runtime.extractors._syntax import walk
from runtime.source import SourceFile

SAMPLE = b'''\
"""doc"""
import os.path as p, sys
from . import x as y
from ..pkg import *
G: int = 1

@dec(1, k=2)
@other
class C(Base, metaclass=Meta, **extra):
    attr = [i for i in range(3) if i]

    def method(self, a, /, b=1, *args, c, d=2, **kw) -> "C":
        global G
        fn = lambda q, r=G: q + r
        return {k: v for k, v in kw.items()}, {s for s in args}, (g for g in args)

async def agen(x: int = -1, *, y=None):
    async with x as (a, b), y:
        async for item in x:
            yield item
    await x
    try:
        pass
    except* ValueError as exc:
        del exc
    finally:
        pass

def outer():
    n = 0
    def inner():
        nonlocal n
        n += 1
        return n
    if (m := n) > 0 and not m or m is None:
        pass
    return [(z := w) for w in range(2)], z

match C:
    case [1, *rest]:
        pass
    case {"k": v, **others}:
        pass
    case C(a, b=2) | None:
        pass
    case str() as s if s:
        pass
f"{x!r:>{width}} {y}"
print(*a, **{None: 1} if 0 else {}, sep=b"")
z = a[1:2, ::3], b @ c, ~d
for i, (j, *k) in x:
    break
else:
    continue
while x:
    assert x, "m"
with open(x) as f:
    raise ValueError from None
'''


def source(data: bytes = SAMPLE) -> SourceFile:
    return SourceFile("m.py", Path("m.py"), "m", data, None)


def test_walk_children_are_ast_children_in_order():
    w = walk(source())
    children: dict[int, list[ast.AST]] = {node_id: [] for node_id in range(len(w.nodes))}
    for node_id, parent_id in enumerate(w.parent):
        if parent_id is not None:
            children[parent_id].append(w.nodes[node_id])
    for node_id, node in enumerate(w.nodes):
        expected = [c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.expr_context)]
        assert [id(c) for c in children[node_id]] == [id(c) for c in expected], type(node).__name__
    assert w.parent[0] is None and isinstance(w.nodes[0], ast.Module)


def test_ids_of_lists_each_class_in_preorder():
    w = walk(source())
    for cls, ids in w.by_type.items():
        assert ids == [i for i, node in enumerate(w.nodes) if type(node) is cls]
    names_and_calls = w.ids_of(ast.Name, ast.Call)
    assert names_and_calls == [i for i, node in enumerate(w.nodes) if type(node) in (ast.Name, ast.Call)]
    assert all(w.index()[id(w.nodes[i])] == i for i in names_and_calls)


def _scope_fqn_of(scopes: Scopes, w, predicate) -> list[str]:
    return [scopes.of(i).fqn for i, node in enumerate(w.nodes) if predicate(node)]


def test_scope_parts_run_where_python_runs_them():
    w = walk(source(b"@d\ndef f(a=default, *, b=kwdefault) -> ret:\n    body\n"
                    b"class K(base, metaclass=meta):\n    inside\n"
                    b"xs = [elt for t in first for u in second]\n"
                    b"g = lambda p=lam_default: lam_body\n"
                    b"def h():\n    [(walrus := 1) for _ in it]\n"))
    scopes = Scopes(w, "m")
    where = {node.id: scopes.of(i).fqn for i, node in enumerate(w.nodes) if type(node) is ast.Name}
    assert where["d"] == where["default"] == where["kwdefault"] == where["ret"] == "m"
    assert where["body"] == "m.f"
    assert where["base"] == where["meta"] == "m" and where["inside"] == "m.K"
    assert where["first"] == "m" and where["second"] == where["elt"] == "m.<listcomp>"
    assert where["lam_default"] == "m" and where["lam_body"] == "m.<lambda1>"
    assert where["walrus"] == "m.h" and where["it"] == "m.h"
    assert "walrus" in scopes.own[w.ids_of(ast.FunctionDef)[1]].locals
    # A function's `arguments` node is not code of either scope: it resolves to the module.
    assert {scopes.of(i).fqn for i in w.ids_of(ast.arguments)} == {"m"}
