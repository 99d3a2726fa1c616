"""Outputs maintained from what changed, on real Delta tables and real source trees: a file-local output gets
exactly the changed files' rows replaced (and its change data feed shows only the rows that really changed),
an unchanged build writes nothing, and every result equals a build from scratch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable

from runtime.build import build
from runtime.program import load_program
from tests.conftest import AST_NODES_DATASET, ROOT

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tree_basic"

SPEC = AST_NODES_DATASET + """
## file-local, the file id renamed
output named = ast_nodes
  | filter name is not null
  | select file = file_id, node_id, kind, name, line

## file-local, no file column: identical rows come from many files
output kinds = ast_nodes | select kind, line

## not file-local: counts over every file
output kind_counts = ast_nodes | aggregate n = count() by kind

## file-local: the aggregate groups by file
output per_file = ast_nodes | aggregate n = count() by file_id, kind

## not file-local: the join does not equate the file
output same_name = ast_nodes as a
  | join ast_nodes as b on a.name == b.name and a.node_id == b.node_id
  | select x = a.file_id, y = b.file_id
"""


def rows(out: Path, name: str) -> list[str]:
    return sorted(map(repr, DeltaTable(str(out / name)).to_pyarrow_table().to_pylist()))


def feed(out: Path, name: str) -> list[dict]:
    table = DeltaTable(str(out / name))
    version = table.version()
    return pa.table(table.load_cdf(starting_version=version, ending_version=version).read_all()).to_pylist()


def test_the_compiler_finds_which_views_are_file_local(compile_package):
    module, _, _ = compile_package({"main.sem": SPEC})
    program, _ = load_program(module)
    facts = {v.name: (v.file_local, v.file_column) for v in program.outputs}
    assert facts == {
        "named": (True, "file"),
        "kinds": (True, None),
        "kind_counts": (False, None),
        "per_file": (True, "file_id"),
        "same_name": (False, None),
    }
    assert program.view("kinds").cluster_column is None  # no column is computed from the file id
    shipped, _ = load_program("generated")
    # Diagnostics and node properties come from one file each; the graph and the call graph hold resolution
    # across files.
    assert {o.name for o in shipped.outputs if o.file_local} == {"diagnostics", "cpg_props"}


def test_touching_and_deleting_files_replaces_only_their_rows(compile_package, tmp_path):
    module, _, _ = compile_package({"main.sem": SPEC})
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    build(src, out, module)

    # a function added to one file: only its new rows enter the feed of the file-local outputs
    funcs = src / "pkg" / "funcs.py"
    funcs.write_text(funcs.read_text() + "\ndef added_later(a):\n    return a\n")
    report = build(src, out, module)
    for name in ("named", "kinds", "per_file"):
        assert report.output_modes[name].startswith("incremental"), (name, report.output_modes[name])
    for name in ("kind_counts", "same_name"):
        assert report.output_modes[name] == "whole"
    changes = feed(out, "named")
    assert {c["file"] for c in changes} == {"pkg/funcs.py"}
    assert {c["name"] for c in changes if c["_change_type"] == "insert"} >= {"added_later", "a"}
    assert not [c for c in changes if c["_change_type"] == "delete"]  # nothing else in the file changed
    fresh = tmp_path / "fresh"
    build(src, fresh, module)
    for name in ("named", "kinds", "kind_counts", "per_file", "same_name"):
        assert rows(out, name) == rows(fresh, name), name

    # a deleted file: its rows go, and nothing else
    (src / "pkg" / "shapes.py").unlink()
    report = build(src, out, module)
    assert report.output_modes["named"].startswith("incremental")
    changes = feed(out, "named")
    assert changes and {(c["file"], c["_change_type"]) for c in changes} == {("pkg/shapes.py", "delete")}
    shutil.rmtree(fresh)
    build(src, fresh, module)
    for name in ("named", "kinds", "kind_counts", "per_file", "same_name"):
        assert rows(out, name) == rows(fresh, name), name


def test_a_build_with_nothing_changed_writes_nothing(compile_package, tmp_path):
    module, _, _ = compile_package({"main.sem": SPEC})
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    first = build(src, out, module)
    again = build(src, out, module)
    assert set(again.output_modes.values()) == {"unchanged"}
    assert again.output_versions == first.output_versions
    assert again.output_rows == first.output_rows
    assert "register" not in again.stage_seconds  # no view was computed


def test_an_edit_that_changes_no_output_row_commits_no_data(compile_package, tmp_path):
    module, _, _ = compile_package({"main.sem": SPEC})
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    build(src, out, module)
    funcs = src / "pkg" / "funcs.py"
    funcs.write_text(funcs.read_text() + "\n# a comment at the end changes no node\n")
    build(src, out, module)
    assert feed(out, "named") == []
    assert feed(out, "per_file") == []


def test_the_shipped_program_rebuilds_incrementally_to_what_a_fresh_build_gives(tmp_path):
    src, out, fresh = tmp_path / "src", tmp_path / "out", tmp_path / "fresh"
    shutil.copytree(ROOT / "samples" / "shapes", src / "shapes")
    for i in range(3):
        shutil.copytree(FIXTURE / "pkg", src / f"pkg{i}")
    build(src, out)
    polygons = src / "shapes" / "shapes" / "polygons.py"
    polygons.write_text(polygons.read_text() + "\n\nclass Added:\n    def method(self, x):\n        return x\n")
    (src / "shapes" / "shapes" / "legacy.py").unlink()
    report = build(src, out)
    program, _ = load_program("generated")
    for output in program.outputs:
        expected = "incremental" if output.file_local else "whole"
        assert report.output_modes[output.name].startswith(expected), report.output_modes
    build(src, fresh)
    for output in program.outputs:
        assert rows(out, program.bindings[output.name]) == rows(fresh, program.bindings[output.name]), output.name


def test_a_new_evidence_version_with_the_same_rows_leaves_outputs_unchanged(compile_package, tmp_path):
    """Maintenance (compaction) commits new evidence versions that move rows but change none."""
    module, _, _ = compile_package({"main.sem": SPEC})
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    first = build(src, out, module)
    program, _ = load_program(module)
    evidence = out / program.bindings["ast_nodes"]
    before = DeltaTable(str(evidence)).version()
    DeltaTable(str(evidence)).alter.set_table_properties({"delta.logRetentionDuration": "interval 30 days"})
    assert DeltaTable(str(evidence)).version() > before
    again = build(src, out, module)
    assert set(again.output_modes.values()) == {"unchanged"}
    assert again.output_versions == first.output_versions
