"""A union's rows as one DataFrame per branch, so that each branch's memory is freed when it is done.

A physical plan holds every hash join's build side until the plan itself is dropped. Run as one plan, a union
of many joined branches (cpg_edges unions 15) therefore holds all their build sides at once: on the stdlib the
stream alone grew the process by about 600 MiB. Run as one plan per branch, each branch's tables go with its
plan, and the union's rows (as a bag) are the same.
"""

from __future__ import annotations

from functools import reduce
from typing import Callable

import pyarrow as pa
from datafusion import DataFrame, SessionContext, col
from datafusion import expr as plan_nodes
from datafusion.plan import LogicalPlan

# A plan's head, planned on demand (see _split).
Head = Callable[[], DataFrame]


def union_branches(session: SessionContext, df: DataFrame) -> list[DataFrame]:
    """DataFrames whose rows together are df's rows: one per branch of the unions at the top of df's plan,
    reached through projections and aliases only (each branch gets them re-applied); [df] when there is no
    such union. Anything else (an aggregate, a join, a distinct over a union) is never split."""
    found, _ = _split(session, df.logical_plan())
    return found if len(found) > 1 else [df]


def _split(session: SessionContext, plan) -> tuple[list[DataFrame], Head]:
    """(the plan's branches, its head): the head is an empty relation with the plan's columns as DataFusion
    types them once the plan is analysed, which is what a union above coerces. It is planned only when a
    union asks for it: a plan without a union costs no planning here."""
    plan = plan if isinstance(plan, LogicalPlan) else LogicalPlan(plan)
    node = plan.to_variant()
    if isinstance(node, plan_nodes.Projection):
        exprs = [plan_nodes.Expr(e) for e in node.projections()]
        branches, head = _split(session, node.input()[0])
        return [branch.select(*exprs) for branch in branches], lambda: head().select(*exprs)
    if isinstance(node, plan_nodes.SubqueryAlias):
        branches, head = _split(session, node.input()[0])
        return [branch.alias(node.alias()) for branch in branches], lambda: head().alias(node.alias())
    if isinstance(node, plan_nodes.Union):
        parts = [(branches, head()) for branches, head in (_split(session, i) for i in plan.inputs())]
        if any(len(set(head.schema().names)) < len(head.schema().names) for _, head in parts):
            return _whole(session, plan)  # a column a branch could not be named by
        # Coerced across every input: a Float32 input of a union with a Float64 one is read as Float64.
        union_head = _empty(session, reduce(DataFrame.union, [head for _, head in parts]))
        columns = union_head.schema()
        # A branch already named and typed as the union (every input, in most unions) is left as it is.
        return [branch if own.schema() == columns else _as_columns(branch, columns)
                for branches, own in parts for branch in branches], lambda: union_head
    return _whole(session, plan)


def _whole(session: SessionContext, plan: LogicalPlan) -> tuple[list[DataFrame], Head]:
    frame = session.create_dataframe_from_logical_plan(plan)
    return [frame], lambda: _empty(session, frame)


def _empty(session: SessionContext, df: DataFrame) -> DataFrame:
    """df's columns, analysed, without its rows or its inputs: the optimiser reduces `limit 0` to an empty
    relation, cheap to plan again as part of a union's head."""
    return session.create_dataframe_from_logical_plan(df.limit(0).optimized_logical_plan())


def _as_columns(branch: DataFrame, columns: pa.Schema) -> DataFrame:
    """The branch's columns, by position, named and typed as the union's, so that the projections above it
    read the same values they would read from the union."""
    names = branch.schema().names
    return branch.select(*[col(own).cast(field.type).alias(field.name) for own, field in zip(names, columns)])
