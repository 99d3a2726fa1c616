"""Checking a view's pipeline: the columns (and their types) each step carries, under which qualifier."""

from __future__ import annotations

from dsl import codes
from dsl.check_context import CheckContext, Scope, ScopeColumn
from dsl.check_expr import ExprChecker
from dsl.hints import did_you_mean
from dsl.ir import (
    Aggregate,
    Best,
    Call,
    ColumnRef,
    Derive,
    Distinct,
    Filter,
    Join,
    JoinKind,
    Recurse,
    RelationRef,
    Rename,
    Select,
    Step,
    UnionSource,
    Use,
    View,
)
from dsl.builtins import AGGREGATES
from dsl.types import describe, unify


class PipelineChecker:
    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.exprs = ExprChecker(ctx)

    # sources

    def relation(self, ref: RelationRef) -> Scope | None:
        ctx = self.ctx
        if ref.name not in ctx.datasets and ref.name not in ctx.views:
            ctx.error(
                codes.UNKNOWN_RELATION,
                f"unknown dataset or view '{ref.name}'",
                ref.span,
                did_you_mean(ref.name, [*ctx.datasets, *ctx.views]),
            )
            return None
        if ref.alias is not None and ref.alias in ctx.enums:
            ctx.error(codes.DUPLICATE_ALIAS, f"the alias '{ref.alias}' is the name of an enum", ref.span,
                      f"`{ref.alias}.X` would mean the enum's value X; choose another alias")
            return None
        columns = ctx.columns.get(ref.name)
        if columns is None:
            return None
        return [ScopeColumn(ref.qualifier, c.name, c.type) for c in columns]

    def source(self, view: View) -> Scope | None:
        if isinstance(view.source, RelationRef):
            return self.relation(view.source)
        return self.union(view.source)

    def union(self, source: UnionSource) -> Scope | None:
        members = [(ref, self.relation(ref)) for ref in source.members]
        if any(columns is None for _, columns in members):
            return None
        first_ref, first = members[0]
        expected = sorted(c.name for c in first)  # type: ignore[union-attr]
        merged = {c.name: c.type for c in first}  # type: ignore[union-attr]
        ok = True
        for ref, columns in members[1:]:
            names = sorted(c.name for c in columns)  # type: ignore[union-attr]
            if names != expected:
                missing = sorted(set(expected) - set(names))
                extra = sorted(set(names) - set(expected))
                detail = "; ".join(
                    part
                    for part in (
                        f"lacks {', '.join(missing)}" if missing else "",
                        f"adds {', '.join(extra)}" if extra else "",
                    )
                    if part
                )
                self.ctx.error(
                    codes.UNION_MISMATCH,
                    f"'{ref.name}' does not have the columns of '{first_ref.name}': it {detail}",
                    ref.span,
                    "union matches columns by name; select the same columns in every member",
                )
                ok = False
                continue
            for column in columns:  # type: ignore[union-attr]
                joined = unify(merged[column.name], column.type)
                if joined is None:
                    self.ctx.error(
                        codes.UNION_MISMATCH,
                        f"column '{column.name}' of '{ref.name}' is {describe(column.type)}, but "
                        f"{describe(merged[column.name])} in '{first_ref.name}'",
                        ref.span,
                        "cast it, or produce the same enum in every member",
                    )
                    ok = False
                else:
                    merged[column.name] = joined
        if not ok:
            return None
        return [ScopeColumn(None, c.name, merged[c.name]) for c in first]  # type: ignore[union-attr]

    # steps

    def steps(self, steps: tuple[Step, ...], scope: Scope | None) -> Scope | None:
        for step in steps:
            scope = self.step(step, scope)
        return scope

    def step(self, step: Step, scope: Scope | None) -> Scope | None:
        if isinstance(step, Filter):
            t = self.exprs.check(step.predicate, scope)
            if t.name not in ("bool", "unknown", "null"):
                self.ctx.error(codes.NOT_BOOLEAN, f"a filter needs a boolean, not {describe(t)}", step.predicate.span)
            return scope
        if isinstance(step, Derive):
            for assignment in step.assignments:
                t = self.exprs.check(assignment.expr, scope)
                if scope is not None:
                    scope = self.derived(scope, assignment, t)
            return scope
        if isinstance(step, Select):
            result = [ScopeColumn(None, item.name, self.exprs.check(item.expr, scope)) for item in step.items]
            return result if self.no_duplicates(result, step.span) else None
        if isinstance(step, Rename):
            return self.rename(step, scope)
        if isinstance(step, Join):
            return self.join(step, scope)
        if isinstance(step, Aggregate):
            return self.aggregate(step, scope)
        if isinstance(step, Distinct):
            return scope
        if isinstance(step, Best):
            for expr in step.per:
                self.exprs.check(expr, scope)
            for key in step.order:
                self.exprs.check(key.expr, scope)
            return scope
        if isinstance(step, Use):
            return self.use(step, scope)
        assert isinstance(step, Recurse)
        self.ctx.error(codes.BAD_RECURSION, "a view may recurse only once, at the top of its own pipeline", step.span)
        return None

    def use(self, step: Use, scope: Scope | None) -> Scope | None:
        outer = self.ctx.context_note
        note = f"in template '{step.template}' used at {step.span}"
        self.ctx.context_note = f"{outer}; {note}" if outer else note
        try:
            return self.steps(step.steps, scope)
        finally:
            self.ctx.context_note = outer

    def rename(self, step: Rename, scope: Scope | None) -> Scope | None:
        for item in step.items:
            if not isinstance(item.expr, ColumnRef):
                self.ctx.error(codes.TYPE_MISMATCH, "rename takes a column, not an expression", item.expr.span,
                               f"use `derive {item.name} = ...` to compute a column")
                return None
            self.exprs.check(item.expr, scope)
        if scope is None:
            return None
        result = list(scope)
        for item in step.items:
            ref = item.expr
            assert isinstance(ref, ColumnRef)
            result = [
                ScopeColumn(None, item.name, c.type)
                if c.name == ref.name and (ref.qualifier is None or c.qualifier == ref.qualifier)
                else c
                for c in result
            ]
        return result if self.no_duplicates(result, step.span) else None

    def join(self, step: Join, scope: Scope | None) -> Scope | None:
        right = self.relation(step.right)
        if scope is not None and any(c.qualifier == step.right.qualifier for c in scope):
            self.ctx.error(
                codes.DUPLICATE_ALIAS,
                f"both sides of the join are qualified as '{step.right.qualifier}'",
                step.right.span,
                "give one side an alias: `join x as other on ...`",
            )
            return None
        if right is not None and step.kind is JoinKind.LEFT:
            right = [ScopeColumn(c.qualifier, c.name, c.type.with_nullable(True)) for c in right]
        combined = None if scope is None or right is None else scope + right
        t = self.exprs.check(step.on, combined)
        if t.name not in ("bool", "unknown", "null"):
            self.ctx.error(codes.NOT_BOOLEAN, f"a join condition needs a boolean, not {describe(t)}", step.on.span)
        if step.kind in (JoinKind.SEMI, JoinKind.ANTI):
            return scope
        return combined

    def aggregate(self, step: Aggregate, scope: Scope | None) -> Scope | None:
        groups = [ScopeColumn(None, item.name, self.exprs.check(item.expr, scope)) for item in step.group_by]
        values = []
        for item in step.aggregates:
            if not (isinstance(item.expr, Call) and item.expr.function in AGGREGATES):
                self.ctx.error(
                    codes.MISPLACED_AGGREGATE,
                    f"'{item.name}' must be an aggregate call: one of {', '.join(sorted(AGGREGATES))}",
                    item.expr.span,
                    "compute row values with derive before the aggregate step",
                )
                values.append(ScopeColumn(None, item.name, self.exprs.check(item.expr, scope)))
                continue
            values.append(ScopeColumn(None, item.name, self.exprs.check(item.expr, scope, aggregates=True)))
        result = groups + values
        return result if self.no_duplicates(result, step.span) else None

    def derived(self, scope: Scope, assignment, column_type) -> Scope | None:
        """Scope after `derive name = ...`: a new name is appended; an existing one is replaced where it
        stands, as DataFusion's with_column does. A name on both sides of a join cannot be replaced."""
        matches = [i for i, c in enumerate(scope) if c.name == assignment.name]
        new = ScopeColumn(None, assignment.name, column_type)
        if not matches:
            return scope + [new]
        if len(matches) > 1:
            sides = " and ".join(f"'{scope[i].qualifier}.{scope[i].name}'" for i in matches)
            self.ctx.error(codes.AMBIGUOUS_COLUMN, f"derive would replace both {sides}", assignment.span,
                           "select the columns you keep first, or derive a new name")
            return None
        return scope[: matches[0]] + [new] + scope[matches[0] + 1 :]

    def no_duplicates(self, scope: Scope, span) -> bool:
        seen: set[str] = set()
        for column in scope:
            if column.name in seen:
                self.ctx.error(
                    codes.DUPLICATE_COLUMN,
                    f"the result would have two columns named '{column.name}'",
                    span,
                    "rename one of them with `select new_name = side.column`",
                )
                return False
            seen.add(column.name)
        return True
