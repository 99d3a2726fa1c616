"""Register evidence and views in DataFusion, in schedule order, checking each plan against the compiler's."""

from __future__ import annotations

from typing import Iterable

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from runtime.context import ExecutionContext
from runtime.plan_stream import stream_for_delta
from runtime.errors import SemcError
from runtime.memory_cache import hold_in_memory
from runtime.plans import plan_fingerprint, program_placeholders, udf_identity
from runtime.udf_install import UdfInstallation, check_required_udfs, install_udfs
from runtime.program import CachePolicy, CompiledProgram, ViewSpec


class PlanDriftError(SemcError):
    """A view builds a different plan at run time than the compiler analysed."""


class OrphanRegistrationError(SemcError):
    """Something is registered in the session that the view graph does not know."""


def register_evidence(context: ExecutionContext, tables: dict[str, pa.Table]) -> None:
    """Evidence held in memory (sessions that write nothing, and datasets no output needs)."""
    for name, table in sorted(tables.items()):
        batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
        context.session.register_record_batches(name, [batches])


def register_stored_evidence(context: ExecutionContext, names: Iterable[str],
                             opened: dict[str, DeltaTable] | None = None) -> dict[str, int]:
    """Evidence kept in Delta at its bound location (or `opened` already); returns the rows of each table."""
    rows = {}
    for name in sorted(names):
        table = (opened or {}).get(name) or DeltaTable(str(context.resolver.location(name)))
        rows[name] = table.count()
        context.session.register_table(name, table)
        if context.program.dataset(name).in_memory:
            # A recursive term reads it, and re-executes per iteration: a Delta scan would yield rows only once.
            scan = context.session.table(name)
            context.session.deregister_table(name)
            hold_in_memory(context.session, name, scan)
    return rows


def verify_plans(program: CompiledProgram) -> None:
    """Prove every view still builds the plan the compiler analysed, before anything runs or is written.

    Plans are rebuilt over placeholder inputs, with the UDF implementations this process loaded: an
    implementation edited since generation changes the fingerprint of every view that calls it.
    """
    placeholders = program_placeholders(program)
    identities = {spec.name: udf_identity(spec) for spec in program.udfs}
    for view in program.views:
        used = {name: identities[name] for name in view.required_udfs if name in identities}
        runtime_fingerprint = plan_fingerprint(view.builder(placeholders), used)
        if runtime_fingerprint != view.fingerprint:
            raise PlanDriftError(
                f"view '{view.name}' plans differently at run time than when {program.package}/ was generated "
                f"(fingerprint {runtime_fingerprint[:12]} != {view.fingerprint[:12]}); run `semc gen`"
            )


# Above this many evidence rows, views that several others read are staged in Delta rather than held in memory.
STAGE_SHARED_VIEWS_ABOVE_ROWS = 20_000_000


def register_views(context: ExecutionContext, stage_shared: bool = False, verify: bool = True,
                   for_outputs: Iterable[ViewSpec] | None = None) -> UdfInstallation:
    """Register every view in schedule order, after proving its plan is the one generated code recorded.

    Views with the MEMORY cache policy are computed once; with `stage_shared` they are written to their Delta
    staging location instead of memory, which bounds memory on large trees. UDFs are installed first
    (a UDF with no implementation stops the run here, before any view is registered); returns which
    implementation each one got. `verify=False` only where the caller verified the plans already.
    `for_outputs`: only these outputs will be read. Only what they reach is registered, each held view as
    late as its readers allow, and what they no longer need is unregistered as soon as its last reader is
    registered (see registration_order and release_schedule): both keep fewer rows held at once.
    """
    program = context.program
    installed = install_udfs(context)
    check_required_udfs(context)
    if verify:
        verify_plans(program)
    outputs = None if for_outputs is None else list(for_outputs)
    order = list(program.views) if outputs is None else registration_order(program, outputs)
    release_after: dict[str | None, list[str]] = {}
    for name, after in (release_schedule(program, outputs) if outputs is not None else {}).items():
        release_after.setdefault(after, []).append(name)
    for name in release_after.pop(None, []):
        context.session.deregister_table(name)
    if stage_shared:
        # Staged views are scanned as pyarrow datasets, which can plan to no partitions at all (every file
        # pruned by a filter), and a join collecting such a build side fails DataFusion's plan check:
        # repartitioned joins accept it (see runtime.context.view_session).
        context.session.sql("SET datafusion.optimizer.repartition_joins = true").collect()
    for view in order:
        _register_view(context, view, stage_shared)
        for name in release_after.get(view.name, ()):
            context.session.deregister_table(name)
    check_no_orphans(context)
    return installed


def _register_view(context: ExecutionContext, view: ViewSpec, stage_shared: bool) -> None:
    df = view.builder(context.session)
    if view.cache is CachePolicy.MEMORY and stage_shared:
        location = context.resolver.location(view.name)
        write_deltalake(str(location), stream_for_delta(df, context.session), mode="overwrite",
                        schema_mode="overwrite")
        # As a pyarrow dataset: a Delta provider scan cannot run inside a stream pulled from Python.
        context.session.register_dataset(view.name, DeltaTable(str(location)).to_pyarrow_dataset())
    elif view.cache is CachePolicy.MEMORY:
        hold_in_memory(context.session, view.name, df)
    else:
        context.session.register_view(view.name, df)


def registration_order(program: CompiledProgram, outputs: Iterable[ViewSpec]) -> list[ViewSpec]:
    """The views these outputs reach, each registered just before its first reader needs it.

    A held view's rows stay in memory from its registration until its last reader is registered, so the
    schedule's order (which computes shallow views, such as the syntax rows only outputs read, before the
    long name-resolution chain) holds them through that chain's peak. Here each reader registers its deepest
    inputs first, so shallow held views are computed after the deep ones' intermediates have been released.
    """
    views = {v.name: v for v in program.views}
    position = {v.name: i for i, v in enumerate(program.views)}
    depth: dict[str, int] = {}
    for view in program.views:  # schedule order: inputs first
        depth[view.name] = 1 + max((depth.get(i, 0) for i in view.inputs), default=0)

    def deepest_first(names: Iterable[str]) -> list[str]:
        return sorted((n for n in names if n in views), key=lambda n: (-depth[n], position[n]))

    order: list[ViewSpec] = []
    placed: set[str] = set()
    for root in deepest_first(o.name for o in outputs):
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            name, inputs_placed = stack.pop()
            if name in placed:
                continue
            if inputs_placed:
                placed.add(name)
                order.append(views[name])
                continue
            stack.append((name, True))
            # Pushed in reverse, so the deepest input is placed first.
            stack.extend((i, False) for i in reversed(deepest_first(views[name].inputs)) if i not in placed)
    return order


def release_schedule(program: CompiledProgram, outputs: Iterable[ViewSpec]) -> dict[str, str | None]:
    """What writing these outputs will not read, each with the view after whose registration (in
    registration_order) it can go; None: before any view, for in-memory evidence no view reads.

    An output's plan reads held views directly, and through views computed on demand; those stay. A held view
    that only other held views read is used up once they are computed (on the stdlib, most of name resolution's
    intermediate rounds). A view computed on demand that no output reads goes too, after its own last reader:
    its plan keeps the held rows it reads alive."""
    outputs = list(outputs)
    order = registration_order(program, outputs)
    views = {v.name: v for v in order}
    held = {v.name for v in order if v.cache is CachePolicy.MEMORY}
    held_evidence = {d.name for d in program.datasets if d.in_memory}
    kept, reached = set(), set()
    for output in outputs:
        kept |= _held_reads(program, output.name, reached)
    position = {v.name: i for i, v in enumerate(order)}
    last_reader: dict[str, str] = {}
    for view in reversed(order):  # every reader of a view is decided before the view itself
        # A view computed on demand reads its inputs whenever its own last reader is computed.
        until = last_reader.get(view.name, view.name) if view.name not in held else view.name
        for source in view.inputs:
            if source not in last_reader or position[until] > position[last_reader[source]]:
                last_reader[source] = until
    releasable = (held | held_evidence) - kept | (set(views) - held - reached)
    return {name: last_reader.get(name) for name in sorted(releasable)}


def _held_reads(program: CompiledProgram, name: str, reached: set[str] | None = None) -> set[str]:
    """The held views and in-memory evidence a view's plan scans, itself or through views computed on demand;
    `reached` collects the views on the way."""
    views = {v.name: v for v in program.views}
    held = {v.name for v in program.views if v.cache is CachePolicy.MEMORY}
    held |= {d.name for d in program.datasets if d.in_memory}
    reads, stack, seen = set(), [name], reached if reached is not None else set()
    while stack:
        current = stack.pop()
        if current in seen or current not in views:
            continue
        seen.add(current)
        for source in views[current].inputs:
            (reads.add if source in held else stack.append)(source)
    return reads


def released_after_writes(program: CompiledProgram, outputs: Iterable[ViewSpec]) -> dict[str, list[str]]:
    """For outputs written one after another: what each output is the last to read, to unregister once it is
    written (on the stdlib, the syntax rows only cpg_nodes reads go before cpg_edges is written). That includes
    the views computed on demand on the way, whose plans would keep the held rows alive."""
    outputs = list(outputs)
    later: set[str] = set()
    released: dict[str, list[str]] = {}
    for output in reversed(outputs):
        reached: set[str] = set()
        reads = _held_reads(program, output.name, reached) | reached
        released[output.name] = sorted(reads - later)
        later |= reads
    return released


def check_no_orphans(context: ExecutionContext) -> None:
    known = {d.name for d in context.program.datasets} | {v.name for v in context.program.views}
    registered = set(context.session.catalog().schema().names())
    orphans = sorted(registered - known)
    if orphans:
        raise OrphanRegistrationError(f"registered in DataFusion but not in the view graph: {', '.join(orphans)}")
