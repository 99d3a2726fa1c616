"""Whole output writes as Parquet parts cut and committed by semc: one commit, parts that are contiguous runs of
the ordered rows, statistics that file skipping can trust, history and change feed as a Delta overwrite gives."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from runtime import output_parts
from runtime.output_parts import write_whole
from runtime.parquet_part import statistics

CONFIGURATION = {"delta.enableChangeDataFeed": "true"}


def reader(table: pa.Table, rows_per_batch: int = 1000) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(rows_per_batch))


def test_statistics_give_counts_nulls_and_ranges_that_json_can_carry(tmp_path):
    table = pa.table({
        "s": pa.array(["b", None, "a", "é" * 3], pa.string()),
        "i": pa.array([3, -1, None, 7], pa.int64()),
        "f": pa.array([0.5, math.inf, 1.0, None], pa.float64()),
        "b": pa.array([True, False, None, True], pa.bool_()),
        "empty": pa.array([None] * 4, pa.string()),
    })
    write_whole(tmp_path / "t", reader(table), CONFIGURATION)
    (add,) = pa.table(DeltaTable(str(tmp_path / "t")).get_add_actions(flatten=True)).to_pylist()
    stats = {k: v for k, v in add.items()
             if k.split(".")[0] in ("num_records", "min", "max", "null_count") and v is not None}
    assert stats == {
        "num_records": 4,
        "min.s": "a", "max.s": "ééé", "min.i": -1, "max.i": 7,
        "null_count.s": 1, "null_count.i": 1, "null_count.f": 1, "null_count.b": 1, "null_count.empty": 4,
    }


def test_a_range_the_parquet_writer_left_out_of_one_row_group_is_left_out(tmp_path):
    # Arrow's Parquet writer drops a column chunk's range past 4 KiB of value: the other row group's range
    # does not cover that value, so file skipping must get no range at all.
    table = pa.table({"s": pa.array(["a", "z" * 10_000], pa.string()), "n": pa.array([1, 2], pa.int64())})
    written: list = []
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=1, metadata_collector=written)
    assert written[0].num_row_groups == 2
    assert statistics(table.schema, written[0]) == {
        "numRecords": 2, "minValues": {"n": 1}, "maxValues": {"n": 2}, "nullCount": {"s": 0, "n": 0},
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
