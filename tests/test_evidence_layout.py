"""Evidence stays laid out for replacement a file at a time: narrow file_id ranges per data file."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

from runtime import extract_worker
from runtime.discovery import DiscoveredFile, discover_files
from runtime.evidence import to_table
from runtime.extract_pool import chunks
from runtime.maintenance import MaintenancePolicy, maintain
from runtime.program import load_program
from runtime.source import read_file


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


def test_rows_batched_across_files_match_per_file_tables(tmp_path, monkeypatch):
    from tests.conftest import SAMPLE

    # Tiny batches and parts: batches end mid-job, and parts hold several batches of several files.
    monkeypatch.setattr(extract_worker, "BATCH_ROWS", 3)
    monkeypatch.setattr(extract_worker, "FLUSH_BYTES", 600)
    program, _ = load_program("generated")
    binding = next(b for b in program.executors if b.name == "python_ast")
    files = tuple(sorted(discover_files(SAMPLE), key=lambda f: f.file_id))
    datasets = {name: program.dataset(name) for name in binding.datasets}
    job = extract_worker.ExtractJob(files, (binding,), datasets, {n: str(tmp_path / n) for n in datasets}, 1 << 20)
    parts = extract_worker.run_job(job).parts
    produced = [binding.extract(read_file(f), frozenset(binding.datasets)) for f in files]
    spans = set()
    for name, spec in datasets.items():
        expected = [to_table(spec, binding.name, p[name]) for p in produced if name in p]
        written = [pq.read_table(tmp_path / name / p.path) for p in parts if p.dataset == name]
        assert sum(t.num_rows for t in written) == sum(t.num_rows for t in expected), name
        if not written:
            continue
        assert pa.concat_tables(written).equals(pa.concat_tables(expected)), name
        for part, table in zip((p for p in parts if p.dataset == name), written):
            stats = json.loads(part.stats)
            ids = table["file_id"].to_pylist()
            assert stats["numRecords"] == part.rows == table.num_rows
            assert (stats["minValues"]["file_id"], stats["maxValues"]["file_id"]) == (min(ids), max(ids))
            spans.add(len(set(ids)))
    assert len(parts) > 2 * len({p.dataset for p in parts}) and max(spans) > 1


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
