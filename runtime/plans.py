"""Plan facts shared by the compiler and the runtime, so both compute them one way.

A view's plan is always taken over *placeholder* tables: every upstream dataset or view is registered as an
empty table of its schema, so it appears in the plan as a table scan (not as an inlined view body) and the
plan depends only on the builder and its input schemas.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Callable, Iterable, Mapping

import pyarrow as pa
from datafusion import DataFrame, LogicalPlan, SessionContext, udf

from runtime.errors import SemcError
from runtime.program import CompiledProgram, UdfSpec


def register_placeholder(ctx: SessionContext, name: str, schema: pa.Schema) -> None:
    ctx.register_record_batches(name, [[pa.RecordBatch.from_pylist([], schema=schema)]])


def placeholder_context(schemas: Iterable[tuple[str, pa.Schema]], udfs: Iterable[UdfSpec] = ()) -> SessionContext:
    ctx = SessionContext()
    for name, schema in schemas:
        register_placeholder(ctx, name, schema)
    for spec in udfs:
        ctx.register_udf(scalar_udf(spec))
    return ctx


def program_placeholders(program: CompiledProgram) -> SessionContext:
    """Every dataset and view of a compiled program as an empty table of its schema, with its UDFs."""
    schemas = [(d.name, d.schema) for d in program.datasets] + [(v.name, v.schema) for v in program.views]
    return placeholder_context(schemas, program.udfs)


def scalar_udf(spec: UdfSpec):
    """A DataFusion scalar UDF from its declaration and its vectorised Python implementation.

    A Rust-only UDF has no Python implementation; for planning it is stood in for by a function of the declared
    signature that refuses to run (plans name a UDF and its types, never its body).
    """
    implementation = spec.implementation or _rust_only(spec.name)
    return udf(implementation, list(spec.input_types), spec.return_type, spec.volatility, spec.name)


def _rust_only(name: str) -> Callable[..., pa.Array]:
    def not_installed(*_arrays):
        raise SemcError(f"UDF '{name}' is implemented in Rust only and the extension's version is not installed")

    return not_installed


def udf_identity(spec: UdfSpec) -> str:
    """Which code a UDF's declaration stands for, so an edit to it changes the fingerprint of every plan that
    calls it: the module, name and a digest of the module source of its Python implementation (for a runtime
    UDF, the fallback, whichever of it and the Rust version a run installs), or the Rust UDF's name.
    """
    if spec.implementation is None:
        return f"rust {spec.name}"
    implementation = spec.implementation
    try:  # the whole module: helpers the function calls are part of what it computes
        source = inspect.getsource(inspect.getmodule(implementation) or implementation)
    except (OSError, TypeError):  # compiled code: the qualified name is all there is to go by
        source = ""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return f"{implementation.__module__}:{implementation.__qualname__}@{digest}"


def plan_text(df: DataFrame) -> str:
    """The unoptimized plan with schemas: stable across processes, unlike Substrait bytes."""
    return df.logical_plan().display_indent_schema()


def plan_fingerprint(df: DataFrame, udf_identities: Mapping[str, str] | None = None) -> str:
    """Digest of what a view computes: its unoptimized plan, its optimized plan with schemas, and the
    identity of each UDF it calls (plan text names a UDF but says nothing of its body).

    The optimized plan's scans list only the input columns the view uses, with their types, so a column
    added upstream that this view ignores leaves the fingerprint alone, while a retyped one changes it.
    """
    text = df.logical_plan().display_indent() + "\n--\n" + df.optimized_logical_plan().display_indent_schema()
    for name, identity in sorted((udf_identities or {}).items()):
        text += f"\nudf {name} = {identity}"
    return hashlib.sha256(text.encode()).hexdigest()


def _scans(plan: LogicalPlan):
    stack = [plan]
    while stack:
        node = stack.pop()
        variant = node.to_variant()
        if type(variant).__name__ == "TableScan":
            yield variant
        stack.extend(node.inputs())


def scanned_tables(df: DataFrame) -> tuple[str, ...]:
    """Tables the unoptimized plan reads: the optimizer may drop a scan it proves empty."""
    return tuple(sorted({scan.table_name() for scan in _scans(df.logical_plan())}))


def required_columns(df: DataFrame) -> dict[str, tuple[str, ...]]:
    """Columns each input must supply, from the optimized plan's pushed-down projections."""
    required: dict[str, set[str]] = {name: set() for name in scanned_tables(df)}
    for scan in _scans(df.optimized_logical_plan()):
        name = scan.table_name()
        projected = [column for _, column in scan.projection()]
        # An empty projection reads no column but still needs the rows; record the table with no columns.
        required.setdefault(name, set()).update(projected)
    return {name: tuple(sorted(columns)) for name, columns in sorted(required.items())}
