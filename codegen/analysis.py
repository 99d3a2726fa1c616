"""Analyse each view as a DataFusion plan, built by the very builder code that will be generated."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import pyarrow as pa
import rustworkx as rx
from datafusion import DataFrame, SessionContext

from dsl import codes
from dsl.diagnostics import Diagnostic, SpecError
from codegen.arrow_types import arrow_field
from codegen.lineage import Source, view_lineage
from codegen.layout import Lead, column_leads, dataset_leads, layout_columns
from codegen.locality import NOT_LOCAL, Locality, dataset_locality, view_locality
from codegen.plan_walk import is_row_wise, row_wise_inputs, scalar_function_names
from codegen.schema_agreement import disagreements
from codegen.udfs import ResolvedUdf, resolve_udfs
from dsl.checker import view_columns
from dsl.ir import Dataset, Program, View
from runtime.plans import (
    placeholder_context,
    plan_fingerprint,
    register_placeholder,
    required_columns,
    scanned_tables,
)
from runtime.program import FILE_ID_COLUMN

def dataset_schema(dataset: Dataset) -> pa.Schema:
    return pa.schema([arrow_field(c.name, c.type) for c in dataset.columns])


@dataclass(frozen=True)
class ViewAnalysis:
    view: View
    schema: pa.Schema
    inputs: tuple[str, ...]
    required_columns: Mapping[str, tuple[str, ...]]
    fingerprint: str
    lineage: Mapping[str, tuple[Source, ...]]  # output column -> (input, column) pairs it is computed from
    required_udfs: tuple[str, ...]
    locality: Locality = NOT_LOCAL  # whether each row depends on one source file's evidence only
    row_wise: bool = False  # the plan only filters and projects the rows it scans (see plan_walk.ROW_WISE_NODES)
    row_wise_inputs: tuple[str, ...] = ()  # inputs whose rows reach the view's rows one by one
    layout: tuple[str, ...] = ()  # columns that begin with the file id in every row (see codegen.layout)


@dataclass(frozen=True)
class ProgramAnalysis:
    program: Program
    dataset_schemas: Mapping[str, pa.Schema]
    views: tuple[ViewAnalysis, ...]  # schedule order
    generations: tuple[tuple[str, ...], ...]
    edges: tuple[tuple[str, str], ...]
    consumers: Mapping[str, tuple[str, ...]]
    udfs: tuple[ResolvedUdf, ...]


def view_graph(program: Program) -> tuple[rx.PyDiGraph, dict[str, int]]:
    """Datasets and views as nodes, an edge from each relation to every view that reads it."""
    graph = rx.PyDiGraph()
    index = {}
    for name in sorted([d.name for d in program.datasets] + [v.name for v in program.views]):
        index[name] = graph.add_node(name)
    for view in program.views:
        for ref in {r.name for r in view.dependencies()}:
            if ref != view.name:  # a recursive view reads itself inside its own plan: not a graph edge
                graph.add_edge(index[ref], index[view.name], None)
    return graph, index


def analyse(program: Program, builders: Mapping[str, Callable[[SessionContext], DataFrame]]) -> ProgramAnalysis:
    """Build every view over placeholders of its inputs, in dependency order; collect its plan facts."""
    graph, _ = view_graph(program)
    view_names = {v.name for v in program.views}
    order = rx.lexicographical_topological_sort(graph, key=lambda name: name)  # node payloads, not indices
    generations = tuple(
        tuple(sorted(graph[i] for i in generation if graph[i] in view_names))
        for generation in rx.topological_generations(graph)
    )
    generations = tuple(g for g in generations if g)
    dataset_schemas = {d.name: dataset_schema(d) for d in program.datasets}
    udfs = resolve_udfs(program)
    implied = view_columns(program)
    identities = {u.spec.name: u.identity for u in udfs}
    ctx = placeholder_context((), [u.spec for u in udfs])
    columns_of: dict[str, list[str]] = {}
    localities: dict[str, Locality] = {}
    leads: dict[str, dict[str, Lead]] = {}
    for name, schema in sorted(dataset_schemas.items()):
        register_placeholder(ctx, name, schema)
        columns_of[name] = schema.names
        localities[name] = dataset_locality(schema.names, FILE_ID_COLUMN)
        leads[name] = dataset_leads(schema.names, FILE_ID_COLUMN)
    analysed: list[ViewAnalysis] = []
    diagnostics: list[Diagnostic] = []
    failed: set[str] = set()
    for name in order:
        if name not in view_names:
            continue
        view = program.view(name)
        if any(ref.name in failed for ref in view.dependencies()):
            failed.add(name)  # its own error is already reported upstream
            continue
        try:
            df = builders[name](ctx)
            schema = df.schema()
            required_udfs = tuple(sorted(scalar_function_names(df.logical_plan()) & identities.keys()))
            fingerprint = plan_fingerprint(df, {u: identities[u] for u in required_udfs})
            # A recursive view's plan scans its own work table; that is not an input.
            inputs = tuple(t for t in scanned_tables(df) if t != name)
            columns = {t: c for t, c in required_columns(df).items() if t != name}
            lineage = view_lineage(df, {**columns_of, name: schema.names})
            lineage = {c: tuple(s for s in sources if s[0] != name) for c, sources in lineage.items()}
            locality = view_locality(df, localities, columns_of)
            view_leads = column_leads(df, leads, columns_of)
            row_wise = is_row_wise(df.logical_plan()) and not required_udfs
            separable = tuple(t for t in row_wise_inputs(df.logical_plan()) if t != name)
        except Exception as error:  # DataFusion reports planning errors as plain exceptions
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            diagnostics.append(
                Diagnostic(codes.PLAN_ERROR, f"DataFusion cannot plan view '{name}': {message}", view.span)
            )
            failed.add(name)
            continue
        untyped = [f.name for f in schema if pa.types.is_null(f.type)]
        if untyped:
            # A column of Arrow's Null type has no type a consumer could rely on (DataFusion coerces it
            # differently over placeholders than over real data), and Delta Lake cannot store it.
            diagnostics.append(
                Diagnostic(
                    codes.PLAN_ERROR,
                    f"view '{name}' has columns with no type: {', '.join(untyped)} (a bare null)",
                    view.span,
                    hint="give the null a type: cast(null as int64)",
                )
            )
            failed.add(name)
            continue
        problems = disagreements(implied[name], schema) if name in implied else []
        if problems:
            diagnostics.append(
                Diagnostic(
                    codes.SCHEMA_DISAGREEMENT,
                    f"view '{name}' plans a different schema than its spec implies: {'; '.join(problems)}",
                    view.span,
                    hint="this is a semc bug in the type rules or the translation; please report it",
                )
            )
            failed.add(name)
            continue
        register_placeholder(ctx, name, schema)
        columns_of[name] = schema.names
        localities[name] = locality
        leads[name] = view_leads
        analysed.append(
            ViewAnalysis(
                view,
                schema,
                inputs,
                MappingProxyType(columns),
                fingerprint,
                MappingProxyType(lineage),
                required_udfs,
                locality,
                row_wise,
                separable,
                layout_columns(view_leads),
            )
        )
    if diagnostics:
        raise SpecError(diagnostics, {f.path: f.text for f in program.files})
    consumers: dict[str, set[str]] = {}
    for item in analysed:
        for source in item.inputs:
            consumers.setdefault(source, set()).add(item.view.name)
    edges = tuple(sorted((source, item.view.name) for item in analysed for source in item.inputs))
    return ProgramAnalysis(
        program,
        MappingProxyType(dataset_schemas),
        tuple(analysed),
        generations,
        edges,
        MappingProxyType({k: tuple(sorted(v)) for k, v in sorted(consumers.items())}),
        udfs,
    )
