"""Helpers for tests of the Rust UDFs: the extension (or a skip), and one query run over a chosen implementation."""

from __future__ import annotations

import pyarrow as pa
import pytest
from datafusion import SessionContext, udf

from generated.program import PROGRAM
from runtime.plans import scalar_udf
from runtime.rust_udfs import load_extension

NOT_BUILT = "the Rust UDF extension semc_udfs is not built (./dev builds it when cargo is installed; CI always does)"


def rust_udfs() -> dict:
    extension = load_extension({})
    if not extension.loaded:
        pytest.skip(f"{NOT_BUILT}: {extension.status}")
    return dict(extension.udfs)


def declared(name: str):
    """The shipped program's declaration of a UDF (names and signatures come from the compiled specs)."""
    return next(spec for spec in PROGRAM.udfs if spec.name == name)


def evaluate(implementation, columns: dict[str, pa.Array], call: str) -> pa.Array:
    """`select <call> as r from t` in a fresh session where t holds `columns` and the UDF is `implementation`."""
    ctx = SessionContext()
    ctx.register_udf(implementation)
    table = pa.table(columns)
    ctx.register_record_batches("t", [table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]])
    result = ctx.sql(f"select {call} as r from t").to_arrow_table()
    return result.column("r").combine_chunks()


def both(name: str, columns: dict[str, pa.Array], call: str) -> tuple[pa.Array, pa.Array]:
    """(Rust result, Python fallback result) of the same query."""
    rust = evaluate(udf(rust_udfs()[name]), columns, call)
    fallback = evaluate(scalar_udf(declared(name)), columns, call)
    return rust, fallback
