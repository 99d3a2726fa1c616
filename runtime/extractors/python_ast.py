"""The Python `ast` extractor: every syntax node with its parent, scope and UTF-8 byte span, and the tables that
name what the nodes mean (definitions, parameters, calls, imports, attributes, assignments, decorators,
docstrings).

A file that cannot be read or parsed yields one `ast_errors` row instead of nodes; it never stops the build.
"""

from __future__ import annotations

from typing import Mapping

from runtime.extractors import _ast_details, _node_facts
from runtime.extractors._syntax import parse, positions, walk
from runtime.source import SourceFile

NODE_COLUMNS = ("file_id", "node_id", "parent_id", "field", "position", "kind", "name", "value", "qualname",
                "scope_id", "bstart", "bend", "line", "col", "end_line", "end_col")
ERROR_COLUMNS = ("file_id", "code", "message", "line", "col")


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    tree, error = parse(source)
    if error is not None:
        return {"ast_errors": error} if "ast_errors" in datasets else {}
    produced: dict[str, dict[str, list]] = {}
    wanted_details = datasets & _ast_details.DATASETS
    if "ast_nodes" not in datasets and not wanted_details:
        return produced
    tree_walk = walk(source)
    if "ast_nodes" in datasets:
        produced["ast_nodes"] = _node_columns(source, tree_walk)
    if wanted_details:
        produced.update(_ast_details.extract(source, tree_walk, positions(source), wanted_details))
    return produced


def _node_columns(source: SourceFile, w) -> dict[str, list]:
    count = len(w.nodes)
    return {
        "file_id": [source.file_id] * count,
        "node_id": list(range(count)),
        "parent_id": w.parent,
        "field": w.field,
        "position": _node_facts.positions(w.nodes, w.parent, w.field),
        "kind": [type(node).__name__ for node in w.nodes],
        "name": w.name,
        "value": _node_facts.values(w.nodes, w.by_type),
        "qualname": w.qualname,
        "scope_id": w.scope,
        "bstart": w.bstart,
        "bend": w.bend,
        "line": w.line,
        "col": w.col,
        "end_line": w.end_line,
        "end_col": w.end_col,
    }
