"""Register evidence and views in DataFusion, in schedule order, checking each plan against the compiler's."""

from __future__ import annotations

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from runtime.context import ExecutionContext
from runtime.errors import SemcError
from runtime.plans import placeholder_context, plan_fingerprint
from runtime.program import CachePolicy


class PlanDriftError(SemcError):
    """A view builds a different plan at run time than the compiler analysed."""


class OrphanRegistrationError(SemcError):
    """Something is registered in the session that the view graph does not know."""


def register_evidence(context: ExecutionContext, tables: dict[str, pa.Table]) -> None:
    for name, table in sorted(tables.items()):
        batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
        context.session.register_record_batches(name, [batches])


# Above this many evidence rows, views that several others read are staged in Delta rather than held in memory.
STAGE_SHARED_VIEWS_ABOVE_ROWS = 20_000_000


def register_views(context: ExecutionContext, stage_shared: bool = False) -> None:
    """Register every view in schedule order, after proving its plan is the one generated code recorded.

    Views with the MEMORY cache policy are computed once; with `stage_shared` they are written to their Delta
    staging location instead of memory, which bounds memory on large trees.
    """
    program = context.program
    placeholders = placeholder_context(
        [(d.name, d.schema) for d in program.datasets] + [(v.name, v.schema) for v in program.views]
    )
    for view in program.views:
        runtime_fingerprint = plan_fingerprint(view.builder(placeholders))
        if runtime_fingerprint != view.fingerprint:
            raise PlanDriftError(
                f"view '{view.name}' plans differently at run time than when {program.package}/ was generated "
                f"(fingerprint {runtime_fingerprint[:12]} != {view.fingerprint[:12]}); run `semc gen`"
            )
        df = view.builder(context.session)
        if view.cache is CachePolicy.MEMORY and stage_shared:
            location = context.resolver.location(view.name)
            write_deltalake(str(location), df, mode="overwrite", schema_mode="overwrite")
            context.session.register_table(view.name, DeltaTable(str(location)))
            continue
        if view.cache is CachePolicy.MEMORY:
            df = df.cache()
        context.session.register_view(view.name, df)
    check_no_orphans(context)


def check_no_orphans(context: ExecutionContext) -> None:
    known = {d.name for d in context.program.datasets} | {v.name for v in context.program.views}
    registered = set(context.session.catalog().schema().names())
    orphans = sorted(registered - known)
    if orphans:
        raise OrphanRegistrationError(f"registered in DataFusion but not in the view graph: {', '.join(orphans)}")
