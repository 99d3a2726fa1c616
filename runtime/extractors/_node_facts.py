"""Per-node facts only the ast_nodes table carries: a node's index in its parent's list field, and the value a
node stands for. Worked out after the shared walk, from the tree itself, so builds that never read ast_nodes
pay nothing for them."""

from __future__ import annotations

import ast

# Long constants (docstrings, data tables) are cut: the table is for finding nodes, not for holding source.
MAX_VALUE_CHARS = 120


def short_repr(value) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def positions(nodes: list[ast.AST], parent: list[int | None], field: list[str | None]) -> list[int | None]:
    """Each node's index in its parent's list field (`body[3]` is 3); None for a node held in a single field.

    Lists may hold None (`{**d}` has a None key), which the walk skips, and the same singleton twice
    (`a < b < c`); so a child's index is found by identity, searching on from its previous sibling's."""
    found: list[int | None] = [None] * len(nodes)
    last: dict[tuple[int, str], int] = {}
    for node_id, parent_id, name in zip(range(1, len(nodes)), parent[1:], field[1:]):
        held = getattr(nodes[parent_id], name)
        if type(held) is list:
            index, child = last.get((parent_id, name), -1) + 1, nodes[node_id]
            while held[index] is not child:
                index += 1
            found[node_id] = last[(parent_id, name)] = index
    return found


def values(nodes: list[ast.AST], by_type: dict[type, list[int]]) -> list[str | None]:
    """What each node stands for beyond its kind and name (None for most): a constant's value (repr, cut to
    MAX_VALUE_CHARS), the module of `from ..m import x` as written (`..m`), the names of `global`/`nonlocal`,
    an f-string field's conversion (`r`, `s`, `a`)."""
    found: list[str | None] = [None] * len(nodes)
    for kind, of in _VALUES.items():
        for node_id in by_type.get(kind, ()):
            found[node_id] = of(nodes[node_id])
    return found


def _conversion(node: ast.FormattedValue) -> str | None:
    return chr(node.conversion) if node.conversion >= 0 else None


_VALUES = {
    ast.Constant: lambda node: short_repr(node.value),
    ast.MatchSingleton: lambda node: short_repr(node.value),
    ast.ImportFrom: lambda node: "." * (node.level or 0) + (node.module or ""),
    ast.Global: lambda node: ",".join(node.names),
    ast.Nonlocal: lambda node: ",".join(node.names),
    ast.FormattedValue: _conversion,
}
