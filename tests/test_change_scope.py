"""An edit reaches only the outputs whose inputs it changes, in the columns they read: a comment leaves the
call graph as it was and changes a handful of node and edge rows in place, while an edit that changes code
recomputes what name resolution feeds. Either way the outputs equal a fresh build's."""

from __future__ import annotations

import shutil
from collections import Counter

from deltalake import DeltaTable

from runtime.build import build
from tests.conftest import SAMPLE


def _rows(out, name) -> Counter:
    return Counter(tuple(row.values()) for row in DeltaTable(str(out / name)).to_pyarrow_table().to_pylist())


def _rebuild_matches_fresh(src, out, fresh):
    report = build(src, out)
    build(src, fresh)
    for name in report.output_modes:
        assert _rows(out, name) == _rows(fresh, name), name
    return report.output_modes


def test_a_comment_changes_rows_in_place_and_leaves_the_call_graph(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    build(src, tmp_path / "out")
    graph_version = DeltaTable(str(tmp_path / "out" / "call_graph")).version()
    with open(src / "shapes" / "__init__.py", "a", encoding="utf-8") as handle:
        handle.write("\n# the file grows, so its FILE and MODULE spans do\n")
    modes = _rebuild_matches_fresh(src, tmp_path / "out", tmp_path / "fresh")
    assert modes["call_graph"].startswith("unchanged")
    assert modes["cpg_nodes"].startswith("incremental (1 files")
    assert modes["cpg_props"].startswith("incremental (1 files")  # the file's size and line count
    # No edge names a span that grew: the file, the module, its scope and its symbols leave the span out of their ids.
    assert modes["cpg_edges"].startswith("unchanged")
    # Unchanged means no rows written: the commit only records the new inputs.
    graph = DeltaTable(str(tmp_path / "out" / "call_graph"))
    assert graph.version() == graph_version + 1
    assert graph.history(1)[0]["operationMetrics"].get("num_added_rows", 0) == 0


def test_an_edit_that_changes_code_recomputes_what_resolution_feeds(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    build(src, tmp_path / "out")
    with open(src / "shapes" / "__init__.py", "a", encoding="utf-8") as handle:
        handle.write("\ndef extra():\n    return len([])\n")
    modes = _rebuild_matches_fresh(src, tmp_path / "out", tmp_path / "fresh")
    assert modes["call_graph"] == "whole"
    assert modes["cpg_edges"] == "whole"
