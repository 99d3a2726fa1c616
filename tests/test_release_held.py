"""Before outputs are written whole, the rows held for views that only other held views read are freed; the
outputs come out the same."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa

from generated.program import PROGRAM
from runtime.context import ExecutionContext
from runtime.evidence import empty_table, extract_tree
from runtime.program import CachePolicy
from runtime.registration import register_evidence, register_views, release_held_rows
from tests.conftest import SAMPLE


def _context() -> ExecutionContext:
    context = ExecutionContext.create(PROGRAM, Path("."))
    tables: dict[str, pa.Table] = {d.name: empty_table(d) for d in PROGRAM.datasets}
    tables.update(extract_tree(PROGRAM, SAMPLE).tables)
    register_evidence(context, tables)
    register_views(context)
    return context


def _rows(context: ExecutionContext, name: str) -> Counter:
    return Counter(tuple(row.values()) for row in context.session.table(name).to_arrow_table().to_pylist())


def test_released_rows_are_those_no_output_reads_and_outputs_are_unchanged():
    kept, released = _context(), _context()
    names = release_held_rows(released, PROGRAM.outputs)
    held = {v.name for v in PROGRAM.views if v.cache is CachePolicy.MEMORY}
    assert names and set(names) <= held | {d.name for d in PROGRAM.datasets if d.in_memory}
    # A held view an output reads directly stays; so does every view not held.
    direct = {i for o in PROGRAM.outputs for i in o.inputs if i in held}
    assert not direct & set(names)
    registered = set(released.session.catalog().schema().names())
    assert not registered & set(names)
    for output in PROGRAM.outputs:
        assert _rows(released, output.name) == _rows(kept, output.name), output.name
