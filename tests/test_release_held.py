"""When the build registers views for the outputs it will write whole, what those outputs do not read is
unregistered as soon as its last reader is registered, freeing the rows held for it; the outputs come out
the same."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa

from generated.program import PROGRAM
from runtime.context import ExecutionContext
from runtime.evidence import empty_table, extract_tree
from runtime.program import CachePolicy
from runtime.registration import register_evidence, register_views, release_schedule
from tests.conftest import SAMPLE


def _context(outputs=None) -> ExecutionContext:
    context = ExecutionContext.create(PROGRAM, Path("."))
    tables: dict[str, pa.Table] = {d.name: empty_table(d) for d in PROGRAM.datasets}
    tables.update(extract_tree(PROGRAM, SAMPLE).tables)
    register_evidence(context, tables)
    register_views(context, for_outputs=outputs)
    return context


def _rows(context: ExecutionContext, name: str) -> Counter:
    return Counter(tuple(row.values()) for row in context.session.table(name).to_arrow_table().to_pylist())


def test_what_the_outputs_do_not_read_is_released_and_outputs_are_unchanged():
    schedule = release_schedule(PROGRAM, PROGRAM.outputs)
    held = {v.name for v in PROGRAM.views if v.cache is CachePolicy.MEMORY}
    assert set(schedule) & held
    # A held view an output reads directly stays, and so does every output.
    direct = {i for o in PROGRAM.outputs for i in o.inputs if i in held}
    assert not (direct | {o.name for o in PROGRAM.outputs}) & set(schedule)
    # Nothing goes before every view that reads it is registered.
    position = {v.name: i for i, v in enumerate(PROGRAM.views)}
    for name, after in schedule.items():
        readers = [v.name for v in PROGRAM.views if name in v.inputs]
        assert all(position[r] <= position[after] for r in readers), name
    kept, released = _context(), _context(PROGRAM.outputs)
    assert not set(released.session.catalog().schema().names()) & set(schedule)
    for output in PROGRAM.outputs:
        assert _rows(released, output.name) == _rows(kept, output.name), output.name


def test_only_the_outputs_written_keep_what_they_read():
    graph = next(o for o in PROGRAM.outputs if o.name == "call_graph")
    everything = release_schedule(PROGRAM, PROGRAM.outputs)
    just_the_graph = release_schedule(PROGRAM, [graph])
    assert set(everything) < set(just_the_graph)
    assert "cpg_nodes" in just_the_graph and "call_graph" not in just_the_graph
