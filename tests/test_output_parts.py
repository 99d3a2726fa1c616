"""Whole output writes as Parquet parts cut and committed by semc: one commit, parts that are contiguous runs of
the ordered rows, statistics that file skipping can trust, history and change feed as a Delta overwrite gives."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from runtime import output_parts
from runtime.output_parts import statistics, write_whole

CONFIGURATION = {"delta.enableChangeDataFeed": "true"}


def reader(table: pa.Table, rows_per_batch: int = 1000) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(rows_per_batch))


def test_statistics_give_counts_nulls_and_ranges_that_json_can_carry():
    table = pa.table({
        "s": pa.array(["b", None, "a", "é"], pa.string()),
        "i": pa.array([3, -1, None, 7], pa.int64()),
        "f": pa.array([0.5, math.inf, 1.0, None], pa.float64()),
        "b": pa.array([True, False, None, True], pa.bool_()),
        "empty": pa.array([None] * 4, pa.string()),
    })
    assert statistics(table) == {
        "numRecords": 4,
        "minValues": {"s": "a", "i": -1},
        "maxValues": {"s": "é", "i": 7},
        "nullCount": {"s": 1, "i": 1, "f": 1, "b": 1, "empty": 4},
    }


def test_clustered_rows_are_cut_into_disjoint_ranges_in_one_commit(tmp_path, monkeypatch):
    monkeypatch.setattr(output_parts, "PART_BYTES", 64 * 1024)
    keys = [f"pkg/m{i % 97:02d}.py:{i:06d}" for i in range(50_000)]
    table = pa.table({"id": keys, "n": list(range(50_000))})
    write_whole(tmp_path / "t", reader(table), CONFIGURATION, cluster_by="id")
    delta = DeltaTable(str(tmp_path / "t"))
    assert delta.version() == 0
    adds = sorted(pa.table(delta.get_add_actions(flatten=True)).to_pylist(), key=lambda a: a["min.id"])
    assert len(adds) > 5
    assert sum(a["num_records"] for a in adds) == 50_000
    assert all(a["max.id"] < b["min.id"] for a, b in zip(adds, adds[1:]))  # one sorted chunk: no overlap
    assert sorted(delta.to_pyarrow_table().column("id").to_pylist()) == sorted(keys)
    assert delta.metadata().configuration == CONFIGURATION


def test_an_overwrite_keeps_history_and_feeds_the_change(tmp_path):
    location = tmp_path / "t"
    write_whole(location, reader(pa.table({"k": ["a", "b"], "v": [1, 2]})), CONFIGURATION)
    write_whole(location, reader(pa.table({"k": ["a", "c"], "v": [1, 3]})), CONFIGURATION)
    delta = DeltaTable(str(location))
    assert delta.version() == 1
    assert sorted(delta.to_pyarrow_table().column("k").to_pylist()) == ["a", "c"]
    feed = pa.table(delta.load_cdf(starting_version=1, ending_version=1).read_all())
    changes = sorted(zip(feed.column("k").to_pylist(), feed.column("_change_type").to_pylist()))
    assert changes == [("a", "delete"), ("a", "insert"), ("b", "delete"), ("c", "insert")]
    assert sorted(DeltaTable(str(location), version=0).to_pyarrow_table().column("k").to_pylist()) == ["a", "b"]


def test_a_new_schema_and_no_rows_replace_the_table(tmp_path):
    location = tmp_path / "t"
    write_whole(location, reader(pa.table({"k": ["a"], "v": [1]})), CONFIGURATION)
    empty = pa.table({"k": pa.array([], pa.string()), "w": pa.array([], pa.float64())})
    write_whole(location, reader(empty), CONFIGURATION)
    delta = DeltaTable(str(location))
    assert delta.to_pyarrow_table().num_rows == 0
    assert [f.name for f in delta.schema().fields] == ["k", "w"]
    assert delta.version() == 1


def test_a_failing_stream_commits_nothing(tmp_path):
    location = tmp_path / "t"
    write_whole(location, reader(pa.table({"k": ["a"]})), CONFIGURATION)
    schema = pa.schema([("k", pa.string())])

    def failing():
        yield pa.record_batch({"k": ["x"] * 10_000}, schema=schema)
        raise RuntimeError("the plan failed")

    with pytest.raises(RuntimeError, match="the plan failed"):
        write_whole(location, pa.RecordBatchReader.from_batches(schema, failing()), CONFIGURATION)
    delta = DeltaTable(str(location))
    assert delta.version() == 0 and delta.to_pyarrow_table().column("k").to_pylist() == ["a"]
