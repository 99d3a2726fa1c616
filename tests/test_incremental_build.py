"""Incremental builds over real Delta tables: only added and changed files are extracted again, deleted files'
rows go, and the outputs equal those of a fresh build of the same tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable

import runtime
from runtime.build import REPORT_NAME

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tree_basic"
OUTPUTS = ("cpg_nodes", "cpg_edges", "diagnostics", "call_graph")


def rows(out: Path, name: str) -> list[str]:
    return sorted(map(repr, DeltaTable(str(out / name)).to_pyarrow_table().to_pylist()))


def test_rebuild_extracts_only_what_changed_and_matches_a_fresh_build(tmp_path):
    src, out, fresh = tmp_path / "src", tmp_path / "out", tmp_path / "fresh"
    shutil.copytree(FIXTURE, src)
    first = runtime.build(src, out)
    assert (first.full_extraction, first.extracted_files) == (True, 7)

    same = runtime.build(src, out)
    assert (same.full_extraction, same.extracted_files, same.unchanged_files) == (False, 0, 7)
    assert same.output_rows == first.output_rows

    (src / "pkg" / "funcs.py").write_text((src / "pkg" / "funcs.py").read_text() + "\ndef added_later(a, b):\n    pass\n")
    (src / "pkg" / "new.py").write_text("import os\n\ndef fresh():\n    return os.sep\n")
    (src / "pkg" / "shapes.py").unlink()
    second = runtime.build(src, out)
    assert (second.full_extraction, second.extracted_files, second.unchanged_files) == (False, 2, 5)
    assert second.removed_files == 3  # the deleted file and the two being re-extracted

    runtime.build(src, fresh)
    for name in OUTPUTS:
        assert rows(out, name) == rows(fresh, name), name
    evidence = DeltaTable(str(out / "_evidence" / "py_scopes")).to_pyarrow_table()
    assert "pkg/shapes.py" not in set(evidence.column("file_id").to_pylist())
    qualnames = {r["qualified_name"] for r in DeltaTable(str(out / "cpg_nodes")).to_pyarrow_table().to_pylist()}
    assert {"pkg.funcs.added_later", "pkg.new.fresh"} <= qualnames
    assert not any(q.startswith("pkg.shapes") for q in qualnames if q)


def test_outputs_have_change_data_feed_and_the_report_is_written_beside_them(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    runtime.build(src, out)
    (src / "pkg" / "empty.py").write_text("def now_full():\n    pass\n")
    report = runtime.build(src, out)
    table = DeltaTable(str(out / "cpg_nodes"))
    assert table.metadata().configuration["delta.enableChangeDataFeed"] == "true"
    changes = pa.table(table.load_cdf(starting_version=1).read_all()).to_pylist()
    inserted = {c["qualified_name"] for c in changes if c["_change_type"] == "insert"}
    assert "pkg.empty.now_full" in inserted
    written = json.loads((out / REPORT_NAME).read_text())
    assert written["output_rows"] == report.output_rows
    assert written["extracted_files"] == 1
    assert set(written["stage_seconds"]) >= {"discover", "extract", "commit evidence", "register", "write"}


def test_a_changed_program_reextracts_everything(tmp_path, compile_package):
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    runtime.build(src, out)
    spec = (
        "dataset ast_nodes from extractor python_ast {\n  file_id: string\n  kind: string\n}\n"
        "output kinds = ast_nodes | select file_id, kind\n"
    )
    module, _, _ = compile_package({"main.sem": spec})
    report = runtime.build(src, out, module)
    assert report.full_extraction and report.extracted_files == 7
