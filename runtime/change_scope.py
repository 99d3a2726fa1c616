"""Which views a change to some files' evidence reaches, and which of their changes the changed files alone give.

A view is *reached* when an input it reads changed in the columns its plan reads: a dataset whose rows for the
changed files differ there (an edit that moves no code leaves most evidence as it was), or a reached view whose
rows differ there (a module's span grows with every edit, but not the id other views join on). A view that is
not reached keeps its rows.

A reached view's change can be computed from the changed files' evidence alone (before and after) when it is
file-local, or when every reached input it reads reaches its rows one by one (under filters, projections and
unions only: `ViewSpec.row_wise_inputs`) and is such a view or a dataset. Views the change does not reach give
the same rows from the before and the after evidence, whatever rows that is, so they cancel out of the
difference. This is what lets `cpg_nodes`, a union whose name-resolution branch reads every file, be
maintained from one file when that file's edit touches only file-local branches.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Callable, Mapping

import pyarrow as pa

from runtime.program import CompiledProgram


def _value(value):
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)  # NaN never equals itself; as a row value it is one value
    if isinstance(value, list):
        return tuple(_value(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _value(v)) for k, v in value.items()))
    return value


def _rows(table: pa.Table, columns: tuple[str, ...]) -> Counter:
    if not columns:  # a plan that reads no column still sees how many rows there are
        return Counter({(): table.num_rows})
    return Counter(tuple(_value(v) for v in row.values()) for row in table.select(list(columns)).to_pylist())


def change_scope(program: CompiledProgram, before: Mapping[str, pa.Table], after: Mapping[str, pa.Table],
                 view_rows: Callable[[str], tuple[pa.Table, pa.Table]],
                 changed_unkeyed: frozenset[str] = frozenset()) -> tuple[dict[str, set[str]], set[str]]:
    """(the views the change reaches, each with the inputs through which it does; the views whose change the
    changed files' evidence gives, see the module's docstring).

    before/after: every dataset's rows of the changed files, at the recorded and the current version.
    view_rows(name): a view's rows over those, before and after; asked only of views whose change they give.
    changed_unkeyed: datasets not keyed by file whose version changed: they count as changed in full, and a
    view they reach has no rows of the changed files to be computed from."""
    datasets = {d.name for d in program.datasets}
    reached: dict[str, set[str]] = {}
    maintainable: set[str] = set()
    for view in program.views:  # schedule order: a view's inputs are decided before it
        through = set()
        for name in view.inputs:
            columns = view.required_columns.get(name, ())
            if name in changed_unkeyed:
                through.add(name)
            elif name in datasets:
                if _rows(before[name], columns) != _rows(after[name], columns):
                    through.add(name)
            elif name in reached:
                # Only a change to the columns this view reads reaches it; the difference over the changed
                # files is the change only for views in `maintainable`.
                if name not in maintainable:
                    through.add(name)
                else:
                    rows_before, rows_after = view_rows(name)
                    if _rows(rows_before, columns) != _rows(rows_after, columns):
                        through.add(name)
        if through:
            reached[view.name] = through
        if view.file_local or all(
            name in view.row_wise_inputs and name not in changed_unkeyed and (name in datasets or name in maintainable)
            for name in through
        ):
            maintainable.add(view.name)
    return reached, maintainable
