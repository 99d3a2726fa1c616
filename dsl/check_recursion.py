"""Recursive views: only the linear form that DataFusion's WITH RECURSIVE runs is accepted.

    view reach = edges | select src, dst
      | recurse (reach as r | join edges as e on r.dst == e.src | select src = r.src, dst = e.dst)

The pipeline before `recurse` is the base term, the parenthesised one the recursive term; each is a
relation, inner joins, filters and a final select, and only the recursive term's source reads the view.
"""

from __future__ import annotations

from dsl import codes
from dsl.check_context import Scope, ScopeColumn
from dsl.check_pipeline import PipelineChecker
from dsl.ir import Filter, Join, JoinKind, Recurse, RelationRef, Select, Step, View, flat_steps
from dsl.types import describe, unify

SHAPE_HINT = "each term is: relation | join ... | filter ... | select ...  (inner joins, then filters, then one select)"


def split(view: View) -> tuple[tuple[Step, ...], Recurse, tuple[Step, ...]] | None:
    """(base steps, the recurse step, steps after it), or None if the view does not recurse."""
    steps = flat_steps(view.steps)
    for index, step in enumerate(steps):
        if isinstance(step, Recurse):
            return steps[:index], step, steps[index + 1 :]
    return None


def _term_shape_ok(checker: PipelineChecker, source, steps: tuple[Step, ...], where: str, view: View) -> bool:
    ctx = checker.ctx
    if not isinstance(source, RelationRef):
        ctx.error(codes.BAD_RECURSION, f"the {where} of a recursive view must read one relation, not a union",
                  source.span, SHAPE_HINT)
        return False
    order = {Join: 0, Filter: 1, Select: 2}
    last = -1
    for step in steps:
        rank = order.get(type(step))
        if rank is None or rank < last or (rank == 2 and last == 2):
            ctx.error(codes.BAD_RECURSION, f"this step cannot appear in the {where} of a recursive view",
                      step.span, SHAPE_HINT)
            return False
        if isinstance(step, Join) and step.kind is not JoinKind.INNER:
            ctx.error(codes.BAD_RECURSION, f"only inner joins may appear in the {where} of a recursive view",
                      step.span, SHAPE_HINT)
            return False
        if isinstance(step, Join) and step.right.name == view.name:
            ctx.error(codes.BAD_RECURSION, f"'{view.name}' is read twice; WITH RECURSIVE allows one reference",
                      step.right.span, "DataFusion supports linear recursion only (see docs/language.md)")
            return False
        last = rank
    if last != 2:
        ctx.error(codes.BAD_RECURSION, f"the {where} of a recursive view must end with a select of its columns",
                  source.span, SHAPE_HINT)
        return False
    return True


def check_recursive(checker: PipelineChecker, view: View) -> Scope | None:
    ctx = checker.ctx
    parts = split(view)
    assert parts is not None
    base_steps, recurse, after = parts
    if any(isinstance(s, Recurse) for s in after):
        ctx.error(codes.BAD_RECURSION, "a view may recurse only once", next(s for s in after if isinstance(s, Recurse)).span)
        return None
    if isinstance(view.source, RelationRef) and view.source.name == view.name:
        ctx.error(codes.BAD_RECURSION, "the base term must not read the view itself", view.source.span, SHAPE_HINT)
        return None
    if recurse.source.name != view.name:
        ctx.error(codes.BAD_RECURSION, f"the recursive term must start from '{view.name}' itself",
                  recurse.source.span, f"`recurse ({view.name} as prev | join ... | select ...)`")
        return None
    inner = flat_steps(recurse.steps)
    if not (_term_shape_ok(checker, view.source, base_steps, "base term", view)
            and _term_shape_ok(checker, recurse.source, inner, "recursive term", view)):
        return None
    base = checker.steps(base_steps, checker.source(view))
    if base is None:
        return None
    start = [ScopeColumn(recurse.source.qualifier, c.name, c.type) for c in base]
    step_scope = checker.steps(inner, start)
    if step_scope is None:
        return None
    by_name = {c.name: c.type for c in step_scope}
    if sorted(by_name) != sorted(c.name for c in base):
        ctx.error(codes.BAD_RECURSION, "the recursive term must select the same columns as the base term: "
                  f"{', '.join(c.name for c in base)}", inner[-1].span)
        return None
    result = []
    for column in base:
        joined = unify(column.type, by_name[column.name])
        if joined is None:
            ctx.error(codes.BAD_RECURSION, f"column '{column.name}' is {describe(column.type)} in the base term but "
                      f"{describe(by_name[column.name])} in the recursive term", inner[-1].span)
            return None
        result.append(ScopeColumn(None, column.name, joined))
    return checker.steps(after, result)
