"""Outputs reach Delta through a reader fed by a thread of our own: every row arrives, and a plan that fails
fails the write with its own error instead of hanging or writing part of the table."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from datafusion import SessionContext, col, udf
from deltalake import DeltaTable, write_deltalake

from runtime.delta_store import write_output
from runtime.plan_stream import stream_for_delta


def _session(tmp_path, rows: int) -> SessionContext:
    source = tmp_path / "source"
    for part in range(3):  # several files: several partitions feed the writer at once
        ids = list(range(part * rows, (part + 1) * rows))
        write_deltalake(str(source), pa.table({"file_id": [f"f{i % 7}" for i in ids], "v": ids}), mode="append")
    ctx = SessionContext()
    ctx.register_table("source", DeltaTable(str(source)))
    return ctx


def test_every_row_of_a_plan_with_a_python_udf_and_delta_scans_is_written(tmp_path):
    ctx = _session(tmp_path, 50_000)
    ctx.register_udf(udf(lambda a: pc.multiply(a, 2), [pa.int64()], pa.int64(), "immutable", "twice"))
    doubled = ctx.sql("select file_id, twice(v) as v from source")
    df = doubled.union(ctx.table("source").filter(col("v") < 10)).sort(col("file_id"))
    write_output(tmp_path / "out", df)
    written = DeltaTable(str(tmp_path / "out")).to_pyarrow_table()
    assert written.num_rows == 150_010
    assert sorted(written.column("v").to_pylist()) == sorted([2 * v for v in range(150_000)] + list(range(10)))


def test_a_failing_plan_fails_the_write_and_leaves_the_table_as_it_was(tmp_path):
    ctx = _session(tmp_path, 1_000)
    write_output(tmp_path / "out", ctx.table("source"))

    def explode(values: pa.Array) -> pa.Array:
        raise ValueError("the UDF gave up")

    ctx.register_udf(udf(explode, [pa.int64()], pa.int64(), "immutable", "explode"))
    with pytest.raises(Exception, match="the UDF gave up"):
        write_output(tmp_path / "out", ctx.sql("select file_id, explode(v) as v from source"))
    table = DeltaTable(str(tmp_path / "out"))
    assert table.version() == 0 and table.count() == 3_000


def test_the_reader_has_plain_string_columns(tmp_path):
    ctx = _session(tmp_path, 10)
    reader = stream_for_delta(ctx.sql("select arrow_cast(file_id, 'Utf8View') as file_id, v from source"))
    assert reader.schema.field("file_id").type == pa.string()
    assert reader.read_all().num_rows == 30
