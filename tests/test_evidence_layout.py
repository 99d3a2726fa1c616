"""Evidence stays laid out for replacement a file at a time: narrow file_id ranges per data file."""

from __future__ import annotations

import os

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from runtime.discovery import DiscoveredFile
from runtime.extract_pool import chunks
from runtime.maintenance import MaintenancePolicy, maintain


def _file(file_id: str, size: int) -> DiscoveredFile:
    return DiscoveredFile(file_id=file_id, path=None, size=size, mtime_ns=0)  # type: ignore[arg-type]


def test_chunks_are_runs_of_consecutive_file_ids_largest_first():
    files = [_file(f"pkg/m{i:03}.py", 300_000 if i % 7 == 0 else 10_000) for i in range(200)]
    groups = chunks(list(reversed(files)))
    ids = sorted(f.file_id for f in files)
    for group in groups:
        positions = [ids.index(f.file_id) for f in group]
        assert positions == list(range(positions[0], positions[0] + len(positions)))
    sizes = [sum(f.size for f in group) for group in groups]
    assert sizes == sorted(sizes, reverse=True)
    assert sorted(f.file_id for g in groups for f in g) == ids


def _ranges(table: DeltaTable) -> list[tuple[str, str]]:
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    return sorted((a["min.file_id"], a["max.file_id"]) for a in actions)


def test_evidence_compaction_clusters_rows_by_file(tmp_path):
    location = tmp_path / "evidence"
    for batch in range(6):  # every append holds rows of every file: wide ranges everywhere
        rows = [
            {"file_id": f"f{f:02}", "payload": os.urandom(32).hex()} for f in range(40) for _ in range(1000)
        ]
        write_deltalake(str(location), pa.Table.from_pylist(rows), mode="append")
    before = DeltaTable(str(location))
    assert all(low == "f00" and high == "f39" for low, high in _ranges(before))
    policy = MaintenancePolicy(compact_at=1, cluster_by=("file_id",), target_bytes=2 * 1024 * 1024)
    done = maintain(location, policy)
    after = DeltaTable(str(location))
    assert done["compacted"] == 6
    assert after.count() == 240_000
    ranges = _ranges(after)
    assert len(ranges) > 1
    for (low, high), (next_low, _) in zip(ranges, ranges[1:]):
        assert low <= high <= next_low  # no two files share a file id range


def test_outputs_written_whole_are_not_compacted_again(tmp_path):
    from generated.program import PROGRAM
    from runtime.build import BuildOptions, build
    from tests.conftest import SAMPLE

    # Compaction on any file count: only the evidence, written in parts by the workers, is rewritten.
    report = build(SAMPLE, tmp_path, options=BuildOptions(progress=False, maintenance=MaintenancePolicy(compact_at=0)))
    for output in PROGRAM.outputs:
        assert report.output_modes[output.name] == "whole"
        assert DeltaTable(str(tmp_path / output.name)).version() == 0, output.name
        assert output.name not in report.maintenance


def test_only_files_added_since_the_last_whole_write_count_for_compaction(tmp_path):
    location = tmp_path / "output"
    rows = pa.table({"file_id": [f"f{i % 9}" for i in range(9000)],
                     "payload": [os.urandom(32).hex() for _ in range(9000)]})
    write_deltalake(str(location), rows, mode="overwrite", target_file_size=64 * 1024)
    whole = len(DeltaTable(str(location)).file_uris())
    assert whole > 2  # a whole write in several files: its layout, not a pile-up
    assert maintain(location, MaintenancePolicy(compact_at=2))["compacted"] == 0
    for _ in range(3):
        write_deltalake(str(location), rows.slice(0, 10), mode="append")
    assert maintain(location, MaintenancePolicy(compact_at=2))["compacted"] == whole + 3
    assert DeltaTable(str(location)).count() == 9030
