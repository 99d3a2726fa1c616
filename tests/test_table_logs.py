"""The Delta logs of the tables a build writes stay short, and what a rebuild reads of them is right: every table
is checkpointed every ten commits (older tables get the setting), and a one-file rebuild whose recorded
evidence versions can no longer be read recomputes its outputs whole, to what a fresh build gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from deltalake import DeltaTable

import runtime
from runtime.delta_log import CHECKPOINT_INTERVAL
from runtime.program import load_program

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tree_basic"


def _tables(out: Path) -> dict[str, Path]:
    """Every Delta table under out, by its path relative to out."""
    return {str(log.parent.relative_to(out)): log.parent for log in sorted(out.rglob("_delta_log"))}


def _last_checkpoint(table: Path) -> int | None:
    marker = table / "_delta_log" / "_last_checkpoint"
    return json.loads(marker.read_text())["version"] if marker.exists() else None


def _rows(out: Path, name: str) -> list[str]:
    return sorted(map(repr, DeltaTable(str(out / name)).to_pyarrow_table().to_pylist()))


def _append_comment(src: Path, n: int) -> None:
    funcs = src / "pkg" / "funcs.py"
    funcs.write_text(funcs.read_text() + f"\n# edit {n}\n")


def test_every_table_is_checkpointed_every_ten_commits(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    runtime.build(src, out)
    for n in range(6):  # each one-file rebuild commits twice to every evidence table
        _append_comment(src, n)
        runtime.build(src, out)
    tables = _tables(out)
    assert len(tables) > 20
    for name, location in tables.items():
        table = DeltaTable(str(location))
        assert table.metadata().configuration.get("delta.checkpointInterval") == str(CHECKPOINT_INTERVAL), name
        if table.version() >= CHECKPOINT_INTERVAL:
            # Opening replays at most the commits since the last checkpoint.
            assert table.version() - (_last_checkpoint(location) or -1) <= CHECKPOINT_INTERVAL, name
    evidence = DeltaTable(str(out / "_evidence" / "py_scopes"))
    assert evidence.version() >= CHECKPOINT_INTERVAL  # the rebuilds did reach a checkpoint


def test_tables_an_earlier_build_wrote_without_the_setting_get_it(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    runtime.build(src, out)
    for location in _tables(out).values():
        DeltaTable(str(location)).alter.set_table_properties({"delta.checkpointInterval": "100"})
    _append_comment(src, 0)
    runtime.build(src, out)
    for name, location in _tables(out).items():
        configuration = DeltaTable(str(location)).metadata().configuration
        assert configuration.get("delta.checkpointInterval") == str(CHECKPOINT_INTERVAL), name


def test_a_rebuild_whose_recorded_evidence_versions_are_gone_recomputes_whole(tmp_path):
    """With no log retention, cleaning up the log after a checkpoint removes the versions the outputs were
    computed from: their rows for the changed file cannot be read as they were, so nothing is patched."""
    src, out, fresh = tmp_path / "src", tmp_path / "out", tmp_path / "fresh"
    shutil.copytree(FIXTURE, src)
    runtime.build(src, out)
    _append_comment(src, 0)
    runtime.build(src, out)
    program, _ = load_program("generated")
    for dataset in {n for binding in program.executors for n in binding.datasets}:
        table = DeltaTable(str(out / program.bindings[dataset]))
        table.alter.set_table_properties({"delta.logRetentionDuration": "interval 0 seconds"})
        table.create_checkpoint()
        table.cleanup_metadata()
    (src / "pkg" / "funcs.py").write_text((src / "pkg" / "funcs.py").read_text() + "\ndef later():\n    pass\n")
    report = runtime.build(src, out)
    file_local = [o.name for o in program.outputs if o.file_local]
    assert file_local
    for name in file_local:
        assert report.output_modes[name] == "whole", report.output_modes
    runtime.build(src, fresh)
    for output in program.outputs:
        binding = program.bindings[output.name]
        assert _rows(out, binding) == _rows(fresh, binding), output.name


def test_a_one_file_rebuild_leaves_every_evidence_table_readable_at_its_latest_version(tmp_path):
    """Rows before a change are read by moving each table's one handle to the old version and back."""
    src, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(FIXTURE, src)
    runtime.build(src, out)
    funcs = src / "pkg" / "funcs.py"
    funcs.write_text(funcs.read_text() + "\ndef later(a):\n    return a\n")  # new rows: counts differ by version
    report = runtime.build(src, out)
    assert any(mode.startswith("incremental") for mode in report.output_modes.values()), report.output_modes
    for name, rows in report.evidence_rows.items():
        assert DeltaTable(str(out / "_evidence" / name)).count() == rows, name
