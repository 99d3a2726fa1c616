"""A union output is written branch by branch, each branch its own plan, so that one branch's join tables are
freed before the next is computed. Its rows must be exactly the union's: same bag of rows, same columns."""

from __future__ import annotations

import importlib
from collections import Counter

import pyarrow as pa
import pytest
from datafusion import SessionContext, col, functions, lit, udf
from deltalake import DeltaTable

from runtime import plan_stream
from runtime.build import build, session_for
from runtime.delta_store import write_output
from runtime.plan_stream import stream_for_delta
from runtime.program import load_program
from runtime.union_branches import union_branches

SAMPLE = "samples/shapes"


def _bag(frames) -> Counter:
    rows: Counter = Counter()
    for frame in frames:
        for batch in frame.collect():  # a branch may type a column as a string view where the union has strings
            rows.update(tuple(row.values()) for row in batch.to_pylist())
    return rows


def _session() -> SessionContext:
    ctx = SessionContext()
    ctx.from_pydict({"k": [1, 2, 3], "v": ["a", "b", "c"]}, name="left_rows")
    ctx.from_pydict({"k": [2, 3, 4], "w": ["x", "y", "z"]}, name="right_rows")
    return ctx


@pytest.fixture(scope="module")
def sample_session():
    return session_for(SAMPLE)


@pytest.mark.parametrize("output", [o.name for o in load_program()[0].outputs])
def test_each_shipped_output_has_the_same_rows_branch_by_branch(sample_session, output):
    df = sample_session.table(output)
    branches = union_branches(sample_session, df)
    assert all(branch.schema().names == df.schema().names for branch in branches)
    assert _bag(branches) == _bag([df])


def test_the_edges_are_split_into_their_branches(sample_session):
    # cpg_edges unions syntax edges (themselves a union) with the resolved ones, aggregated: the aggregate
    # is one branch, each syntax edge view another.
    assert len(union_branches(sample_session, sample_session.table("cpg_edges"))) > 10


def test_aliases_and_projections_over_the_union_apply_to_every_branch():
    ctx = _session()
    left = ctx.table("left_rows").alias("a").select(col("a.k"), col("a.v"))
    right = ctx.table("right_rows").alias("b").select(col("b.k"), col("b.w").alias("v"))
    df = left.union(right).alias("u").select((col("u.k") * lit(10)).alias("k10"),
                                             functions.upper(col("u.v")).alias("v"))
    branches = union_branches(ctx, df)
    assert len(branches) == 2
    assert _bag(branches) == _bag([df]) == Counter({(10, "A"): 1, (20, "B"): 1, (30, "C"): 1, (20, "X"): 1,
                                                    (30, "Y"): 1, (40, "Z"): 1})


def test_each_branch_is_typed_as_the_whole_union():
    # The union makes both branches Float64; alone, the Float32 one would be formatted as "0.1".
    ctx = SessionContext()
    ctx.register_record_batches("narrow", [[pa.record_batch({"x": pa.array([0.1], pa.float32())})]])
    ctx.register_record_batches("wide", [[pa.record_batch({"x": pa.array([0.2], pa.float64())})]])
    df = ctx.table("narrow").union(ctx.table("wide")).select(col("x").cast(pa.string()).alias("s"))
    assert _bag(union_branches(ctx, df)) == _bag([df]) == Counter({("0.10000000149011612",): 1, ("0.2",): 1})


def test_a_union_under_an_aggregate_or_a_distinct_is_not_split():
    ctx = _session()
    keys = ctx.table("left_rows").select("k").union(ctx.table("right_rows").select("k"))
    counted = keys.aggregate([col("k")], [functions.count(lit(1)).alias("n")])
    assert len(union_branches(ctx, counted)) == 1
    assert len(union_branches(ctx, ctx.table("left_rows").select("k").union(
        ctx.table("right_rows").select("k"), distinct=True))) == 1
    assert len(union_branches(ctx, keys)) == 2


def test_a_failing_branch_fails_the_stream_with_its_own_error():
    ctx = _session()

    def refuse(values: pa.Array) -> pa.Array:
        raise ValueError("this branch gave up")

    ctx.register_udf(udf(refuse, [pa.int64()], pa.int64(), "immutable", "refuse"))
    fine = ctx.table("left_rows").select("k")
    failing = ctx.sql("select refuse(k) as k from right_rows")
    reader = stream_for_delta(fine.union(failing).union(fine), ctx)
    with pytest.raises(Exception, match="this branch gave up"):
        reader.read_all()


def test_a_union_output_written_branch_by_branch_holds_every_row(tmp_path):
    ctx = _session()
    df = ctx.table("left_rows").select("k").union(ctx.table("right_rows").select("k"))
    write_output(tmp_path / "out", df, cluster_by="k", session=ctx)
    written = DeltaTable(str(tmp_path / "out")).to_pyarrow_table()
    assert sorted(written.column("k").to_pylist()) == [1, 2, 2, 3, 3, 4]


def test_a_build_writing_unions_branch_by_branch_gives_the_same_outputs(tmp_path, monkeypatch, sample_out):
    # The sample is far below the size where builds split unions; lowering the bar splits every one.
    build_module = importlib.import_module("runtime.build")
    split = []

    def counted(session, df):
        found = union_branches(session, df)
        split.append(len(found))
        return found

    monkeypatch.setattr(build_module, "WRITE_BY_BRANCH_ABOVE_ROWS", 0)
    monkeypatch.setattr(plan_stream, "union_branches", counted)
    report = build(SAMPLE, tmp_path / "out")
    assert max(split) > 10  # cpg_edges, at least, went branch by branch
    for output in report.output_rows:
        assert _table_bag(tmp_path / "out" / output) == _table_bag(sample_out / output), output


def _table_bag(location) -> Counter:
    return Counter(tuple(row.values()) for row in DeltaTable(str(location)).to_pyarrow_table().to_pylist())
