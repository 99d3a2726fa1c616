"""Rows per second of each runtime UDF, Rust (semc_udfs, through datafusion-ffi) against its Python fallback, on
5,000,000 rows through a real DataFusion query. Run: `.venv/bin/python bench/udf_bench.py [--rows N] [--repeats R]`.

Every number is measured in this run. Each query is `select count(<call>) from t`, so every row is computed; the
same query with no UDF (`count(*)`-like scan of the same columns) is reported as the floor. The table is split
into one partition per core: the Rust UDFs run on every core, the Python fallbacks hold the GIL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pyarrow as pa
from datafusion import SessionContext, udf

from generated.program import PROGRAM
from runtime.plans import scalar_udf
from runtime.rust_udfs import load_extension

CALLS = {
    "stable_id": "stable_id(file_id, kind, qualname, '')",
    "span_overlaps": "span_overlaps(bstart, bend, other_start, other_end)",
    "span_contains": "span_contains(bstart, bend, other_start, other_end)",
    "column_to_byte": "column_to_byte(line_text, col, encoding)",
    "normalize_qualname": "normalize_qualname(qualname)",
}
FLOOR = "count(file_id) + count(kind) + count(qualname) + count(bstart) + count(line_text) + count(col)"


def make_table(rows: int, seed: int = 0) -> pa.Table:
    """Source-like data: mostly ASCII lines (one in ten has non-ASCII text), nested qualnames, nearby spans."""
    rng = np.random.default_rng(seed)
    files = pa.array([f"pkg/module_{i}.py" for i in range(500)])
    kinds = pa.array(["FunctionDef", "ClassDef", "Call", "Name"])
    qualnames = pa.array(
        ["f", "C.method", "f.<locals>.g", "outer.<locals>.Inner.<locals>.<lambda>", "C.m.<locals>.h"]
    )
    lines = pa.array(["    return value + 1", "x = compute(a, b)  # comment", "s = 'héllo wörld'", "emoji = '😀😀'",
                      "def f(self, *args, **kwargs):", "    pass", "import os.path", "class Shape(Base):",
                      "total = sum(x for x in items)", "if name == '__main__':"])
    encodings = pa.array(["utf-8", "utf-16", "utf-32"])
    bstart = rng.integers(0, 10_000, rows)
    other_start = bstart + rng.integers(-200, 200, rows)
    return pa.table({
        "file_id": files.take(pa.array(rng.integers(0, len(files), rows))),
        "kind": kinds.take(pa.array(rng.integers(0, len(kinds), rows))),
        "qualname": qualnames.take(pa.array(rng.integers(0, len(qualnames), rows))),
        "bstart": bstart,
        "bend": bstart + rng.integers(0, 300, rows),
        "other_start": other_start,
        "other_end": other_start + rng.integers(0, 300, rows),
        "line_text": lines.take(pa.array(rng.integers(0, len(lines), rows))),
        "col": rng.integers(0, 24, rows),
        "encoding": encodings.take(pa.array(rng.integers(0, len(encodings), rows))),
    })


def session(table: pa.Table, implementation=None) -> SessionContext:
    ctx = SessionContext()
    partitions = os.cpu_count() or 1
    size = -(-table.num_rows // partitions)
    ctx.register_record_batches(
        "t", [table.slice(i * size, size).to_batches(max_chunksize=8192) for i in range(partitions)]
    )
    if implementation is not None:
        ctx.register_udf(implementation)
    return ctx


def seconds(ctx: SessionContext, expression: str, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        ctx.sql(f"select {expression} as n from t").collect()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    extension = load_extension()
    if not extension.loaded:
        raise SystemExit(f"the Rust UDF extension is needed: {extension.status}")
    table = make_table(args.rows)
    floor = seconds(session(table), FLOOR, args.repeats)
    print(f"{args.rows:,} rows, median of {args.repeats}, {os.cpu_count()} partitions; "
          f"scan floor {args.rows / floor / 1e6:,.1f}M rows/s")
    print(f"{'UDF':<20} {'Rust rows/s':>14} {'Python rows/s':>14} {'Rust/Python':>12}")
    for spec in PROGRAM.udfs:
        call = f"count({CALLS[spec.name]})"
        rust = seconds(session(table, udf(extension.udfs[spec.name])), call, args.repeats)
        python = seconds(session(table, scalar_udf(spec)), call, args.repeats)
        print(f"{spec.name:<20} {args.rows / rust:>14,.0f} {args.rows / python:>14,.0f} {python / rust:>11.1f}x")


if __name__ == "__main__":
    main()
