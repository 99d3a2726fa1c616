"""When the build registers views for the outputs it will write whole, only what they reach is registered,
each held view just before its readers, and what those outputs do not read is unregistered as soon as its
last reader is registered, freeing the rows held for it; the outputs come out the same."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa

from generated.program import PROGRAM
from runtime.context import ExecutionContext
from runtime.evidence import empty_table, extract_tree
from runtime.program import CachePolicy
from runtime.registration import (
    register_evidence,
    register_views,
    registration_order,
    release_schedule,
    released_after_writes,
)
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
    order = registration_order(PROGRAM, PROGRAM.outputs)
    position = {v.name: i for i, v in enumerate(order)}
    for name, after in schedule.items():
        readers = [v.name for v in order if name in v.inputs]
        assert all(position[r] <= position[after] for r in readers), name
    kept, released = _context(), _context(PROGRAM.outputs)
    assert not set(released.session.catalog().schema().names()) & set(schedule)
    for output in PROGRAM.outputs:
        assert _rows(released, output.name) == _rows(kept, output.name), output.name


def test_only_the_outputs_written_keep_what_they_read():
    graph = next(o for o in PROGRAM.outputs if o.name == "call_graph")
    for_graph = {v.name for v in registration_order(PROGRAM, [graph])}
    assert for_graph < {v.name for v in registration_order(PROGRAM, PROGRAM.outputs)}
    assert "cpg_nodes" not in for_graph and "syntax_details" not in for_graph
    # Of what the graph's views hold, only what the graph reads directly is still held when it is written.
    schedule = release_schedule(PROGRAM, [graph])
    held = {v.name for v in PROGRAM.views if v.cache is CachePolicy.MEMORY and v.name in for_graph}
    assert held - set(schedule) == {i for i in graph.inputs if i in held}


def test_each_view_is_registered_after_its_inputs_and_shallow_held_views_after_deep_chains():
    order = registration_order(PROGRAM, PROGRAM.outputs)
    position = {v.name: i for i, v in enumerate(order)}
    views = {v.name for v in PROGRAM.views}
    for view in order:
        assert all(position[i] < position[view.name] for i in view.inputs if i in views), view.name
    assert len(position) == len(order)
    # The syntax rows only outputs read are computed after the last resolution round, not held through it.
    assert position["syntax_details"] > position["call_targets_2"]


def test_what_only_an_output_already_written_reads_is_released_before_the_next_is_written():
    outputs = list(PROGRAM.outputs)
    released = released_after_writes(PROGRAM, outputs)
    assert "syntax_details" in released["cpg_nodes"] and "cpg_nodes" in released["cpg_nodes"]
    names = [name for output in outputs for name in released[output.name]]
    assert len(names) == len(set(names))
    order = registration_order(PROGRAM, outputs)
    views = {v.name: v for v in order}
    for position, output in enumerate(outputs):
        for later in outputs[position + 1:]:
            # Everything a later output's plan scans, through views computed on demand, is still registered.
            stack, seen = [later.name], set()
            while stack:
                name = stack.pop()
                assert name not in released[output.name], (name, output.name, later.name)
                if name in seen or name not in views:
                    continue
                seen.add(name)
                if views[name].cache is not CachePolicy.MEMORY:
                    stack.extend(views[name].inputs)
