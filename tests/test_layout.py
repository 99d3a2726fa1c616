"""Outputs are written ordered by a column whose values begin with the source file id, so that one file's rows
share a few data files and replacing them later reads and rewrites only those. The compiler finds that column
from each view's plan, non-local views included; the writer orders rows in bounded memory."""

from __future__ import annotations

import random
from collections import Counter

import pyarrow as pa
from datafusion import SessionContext
from deltalake import DeltaTable

from runtime.chunk_sort import sorted_in_chunks
from runtime.delta_store import write_output
from runtime.incremental import Inputs, apply_changes
from runtime.program import load_program
from tests.conftest import AST_NODES_DATASET

SPEC = AST_NODES_DATASET + """
view ids = ast_nodes | select key = file_id || ":" || cast(node_id as string), kind, name

## the file id itself, renamed
output named = ast_nodes | select file = file_id, node_id, kind

## an id that starts with the file id; the kind in front of it would not do
output keyed = ids | select key, tagged = kind || key

## other files' rows are grouped in: not file-local, still ordered by file
output counted = ids | aggregate n = count() by key

view local_keys = ids | select key, name
view external_keys = ast_nodes | select key = "external:" || kind, name
view name_keys = ast_nodes | filter name is not null | select key = name, name

## a branch whose ids start with a fixed string sorts into one run of its own
output with_external = union(local_keys, external_keys)

## a branch with arbitrary values spoils the order
output with_names = union(local_keys, name_keys)

## counts over every file: nothing left of the file id
output kind_counts = ast_nodes | aggregate n = count() by kind
"""


def test_the_compiler_finds_the_column_that_keeps_each_files_rows_together(compile_package):
    module, _, _ = compile_package({"main.sem": SPEC})
    program, _ = load_program(module)
    assert {o.name: o.cluster_column for o in program.outputs} == {
        "named": "file",
        "keyed": "key",
        "counted": "key",
        "with_external": "key",
        "with_names": None,
        "kind_counts": None,
    }
    assert not program.view("counted").file_local  # a property of values, not of locality
    shipped, _ = load_program("generated")
    layout = {o.name: o.cluster_column for o in shipped.outputs}
    assert layout["cpg_nodes"] == "node_id" and layout["cpg_edges"] == "edge_id"


def _rows(count: int, files: int) -> pa.Table:
    rng = random.Random(7)
    ids = [f"pkg/mod{rng.randrange(files):03d}.py:{i}" for i in range(count)]
    ids[::97] = [None] * len(ids[::97])
    return pa.table({"id": pa.array(ids, pa.string()), "n": pa.array(range(count), pa.int64())})


def test_rows_are_sorted_within_each_chunk_and_none_is_lost():
    table = _rows(20_000, 50)
    chunk_bytes = table.nbytes // 4
    batches = list(sorted_in_chunks(pa.RecordBatchReader.from_batches(table.schema, table.to_batches(1000)), "id",
                                    chunk_bytes))
    out = pa.Table.from_batches(batches, schema=table.schema)
    assert Counter(zip(*out.to_pydict().values())) == Counter(zip(*table.to_pydict().values()))
    runs, previous = 0, None
    for value in out.column("id").to_pylist():
        key = (value is not None, value or "")
        if previous is not None and key < previous:
            runs += 1  # a new chunk starts
        previous = key
    assert 2 <= runs + 1 <= 6  # about four chunks, each in order, nulls first


def _files_holding(location, source_files: list[str]) -> tuple[int, list[int]]:
    adds = pa.table(DeltaTable(str(location)).get_add_actions(flatten=True)).to_pylist()
    return len(adds), [len([a for a in adds if a["min.id"] <= f + ":\uffff" and a["max.id"] >= f + ":"])
                       for f in source_files]


def test_an_output_written_whole_keeps_each_files_rows_in_a_few_data_files(tmp_path):
    ctx = SessionContext()
    ctx.register_record_batches("rows", [_rows(400_000, 200).to_batches()])
    probes = [f"pkg/mod{i:03d}.py" for i in range(0, 200, 20)]
    write_output(tmp_path / "ordered", ctx.table("rows"), cluster_by="id")
    write_output(tmp_path / "unordered", ctx.table("rows"))
    files, ordered = _files_holding(tmp_path / "ordered", probes)
    _, unordered = _files_holding(tmp_path / "unordered", probes)
    assert files > 5 and min(unordered) > files // 2  # unordered, most files hold some of every file's rows
    # The rows fit one sorted chunk, cut into parts in order: a file's rows straddle at most one part boundary.
    assert max(ordered) <= 2, (ordered, files)


def test_a_change_replaces_the_rows_holding_its_layout_values_and_keeps_the_others(compile_package, tmp_path):
    module, _, _ = compile_package({"main.sem": SPEC})
    program, _ = load_program(module)
    counted = program.view("counted")  # layout column `key`, not a file column
    table = pa.table({"key": ["a.py:1", "a.py:1", "a.py:2", "b.py:1"], "n": [1, 2, 1, 5]}, schema=counted.schema)
    ctx = SessionContext()
    ctx.register_record_batches("rows", [table.to_batches()])
    out = tmp_path / "counted"
    write_output(out, ctx.table("rows"), cluster_by="key")
    old = pa.table({"key": ["a.py:1", "a.py:2"], "n": [1, 1]}, schema=counted.schema)
    new = pa.table({"key": ["a.py:1", "a.py:3"], "n": [3, 1]}, schema=counted.schema)
    inputs = Inputs(program.program_fingerprint, "state", 1, {})
    assert apply_changes(out, counted, old, new, inputs) == 4
    held = Counter(map(tuple, (r.values() for r in DeltaTable(str(out)).to_pyarrow_table().to_pylist())))
    assert held == Counter({("a.py:1", 2): 1, ("a.py:1", 3): 1, ("a.py:3", 1): 1, ("b.py:1", 5): 1})
    version = DeltaTable(str(out)).version()
    feed = DeltaTable(str(out)).load_cdf(starting_version=version, ending_version=version).read_all()
    assert "b.py:1" not in pa.table(feed).column("key").to_pylist()  # rows of other layout values untouched
