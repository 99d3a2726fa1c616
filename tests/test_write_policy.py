"""Outputs are written and maintained as their write policy says, on real Delta tables."""

from __future__ import annotations

import shutil

import pyarrow as pa
from deltalake import DeltaTable

from runtime.build import build
from tests.conftest import ROOT

SPEC = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  kind: string
  name: string?
  key (file_id, node_id)
}

output definitions = ast_nodes
  | filter kind in ("ClassDef", "FunctionDef")
  | select file_id, node_id, kind, name
  write { partition by kind merge on file_id, node_id compact vacuum retain 2 days }

output plain = ast_nodes | filter kind == "ClassDef" | select file_id, name
"""


def _changes(table: DeltaTable, version: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    feed = pa.table(table.load_cdf(starting_version=version, ending_version=version).read_all())
    for row in feed.to_pylist():
        counts[row["_change_type"]] = counts.get(row["_change_type"], 0) + 1
    return counts


def test_merge_keys_make_the_change_feed_show_only_real_changes(compile_package, tmp_path):
    module, _, _ = compile_package({"main.sem": SPEC})
    source = tmp_path / "src"
    shutil.copytree(ROOT / "samples" / "shapes", source)
    out = tmp_path / "out"
    build(source, out, module)
    table = DeltaTable(str(out / "definitions"))
    assert list(table.metadata().partition_columns) == ["kind"]
    first = table.count()

    polygons = source / "shapes" / "polygons.py"
    polygons.write_text(polygons.read_text() + "\n\ndef added_later():\n    return None\n")
    build(source, out, module)
    table = DeltaTable(str(out / "definitions"))
    assert table.count() == first + 1
    [merge] = [h for h in table.history() if h["operation"] == "MERGE"]
    changes = _changes(table, merge["version"])
    # The new function is an insert; nothing else in the tree changed, so nothing else is rewritten.
    assert changes.get("insert") == 1 and not changes.get("delete")
    assert changes.get("update_postimage", 0) == changes.get("update_preimage", 0)


def test_outputs_are_written_whole_then_an_unchanged_tree_commits_nothing(compile_package, tmp_path):
    module, _, _ = compile_package({"main.sem": SPEC})
    out = tmp_path / "out"
    build(ROOT / "samples" / "shapes", out, module)
    report = build(ROOT / "samples" / "shapes", out, module)
    assert set(report.output_modes.values()) == {"unchanged"}
    for name in ("plain", "definitions"):
        table = DeltaTable(str(out / name))
        assert [h["operation"] for h in table.history()] in (["WRITE"], ["CREATE OR REPLACE TABLE"])
        assert table.metadata().configuration.get("delta.enableChangeDataFeed") == "true"
