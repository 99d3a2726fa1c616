"""`semc callgraph`: build a tree, then print its function-level call graph as JSON in PyCG's adjacency form.

{"pkg.mod.Class.method": ["<builtin>.len", "pkg.mod.func"], "pkg.mod": [...], ...}: every module, function and
lambda defined in the tree is a key, callees sorted and unique, keys sorted, so the same tree gives the same text.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from types import ModuleType

from runtime.build import BuildOptions, build
from runtime.delta_store import is_delta_table
from runtime.errors import SemcError
from runtime.program import CompiledProgram, load_program
from runtime.query import query

# The node kinds that are keys of the graph: code that runs as a unit and can call.
CALLER_KINDS = ("MODULE", "FUNCTION", "LAMBDA")
# The outputs are found by their columns, not named here: the program decides what it calls them.
CALL_GRAPH_COLUMNS = frozenset({"caller", "callee"})
NODE_COLUMNS = frozenset({"kind", "qualified_name"})


class CallGraphError(SemcError):
    """The tree could not be built, or the build has no call graph to export."""


def _output_with(program: CompiledProgram, columns: frozenset[str], what: str) -> str:
    found = [v.name for v in program.views if v.is_output and columns <= set(v.schema.names)]
    if len(found) != 1:
        raise CallGraphError(f"the program needs exactly one output of {what} (columns {', '.join(sorted(columns))}); "
                             f"it has {len(found)}")
    return found[0]


def read_call_graph(out_dir: Path, program: str | ModuleType = "generated") -> dict[str, list[str]]:
    """The adjacency lists of a finished build in out_dir."""
    compiled, _ = load_program(program)
    graph_table = _output_with(compiled, CALL_GRAPH_COLUMNS, "call-graph edges")
    node_table = _output_with(compiled, NODE_COLUMNS, "nodes")
    if not is_delta_table(out_dir / graph_table):
        raise CallGraphError(f"the build has no `{graph_table}` table")
    kinds = ", ".join(f"'{k}'" for k in CALLER_KINDS)
    definitions = query(
        out_dir,
        f"select distinct qualified_name from {node_table} where kind in ({kinds}) and qualified_name is not null",
    )
    edges = query(
        out_dir, f"select distinct caller, callee from {graph_table} where caller is not null and callee is not null"
    )
    graph: dict[str, set[str]] = {name: set() for name in definitions.column("qualified_name").to_pylist()}
    for row in edges.to_pylist():
        # A caller that is not a defined name (should the program attribute code elsewhere) is kept, not dropped.
        graph.setdefault(row["caller"], set()).add(row["callee"])
    return {caller: sorted(graph[caller]) for caller in sorted(graph)}


def call_graph(source: Path, out_dir: Path | None = None, program: str | ModuleType = "generated",
               progress: bool = False) -> dict[str, list[str]]:
    """Build source (into a temporary folder unless out_dir is given) and read its call graph back."""
    if not source.exists():
        raise CallGraphError(f"no such file or folder: {source}")
    if out_dir is not None:
        _build(source, out_dir, program, progress)
        return read_call_graph(out_dir, program)
    with tempfile.TemporaryDirectory(prefix="semc-callgraph-") as temporary:
        out = Path(temporary) / "out"
        _build(source, out, program, progress)
        return read_call_graph(out, program)


def _build(source: Path, out_dir: Path, program: str | ModuleType, progress: bool) -> None:
    try:
        build(source, out_dir, program, BuildOptions(progress=progress))
    except SemcError:
        raise
    except Exception as error:  # DataFusion and Delta raise plain exceptions; the user gets one line, not a trace
        first_line = (str(error).strip().splitlines() or [""])[0]
        raise CallGraphError(f"building {source} failed: {type(error).__name__}: {first_line}") from None


def to_json(graph: dict[str, list[str]]) -> str:
    return json.dumps(graph, indent=2, sort_keys=True)
