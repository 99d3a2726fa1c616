"""Resolve every name in a parsed program and report each problem as a located diagnostic.

The checker tracks, step by step, which columns each pipeline carries and under which qualifier, so a
misspelt column is caught here with a caret rather than later as a DataFusion planning error.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from dsl import codes
from dsl.diagnostics import Diagnostic, Span
from dsl.ir import (
    MAX_EXPRESSION_DEPTH,
    SCALAR_TYPES,
    Binary,
    Call,
    ColumnRef,
    Dataset,
    Derive,
    Expr,
    Filter,
    InList,
    IsNull,
    Join,
    JoinKind,
    Literal,
    Program,
    RelationRef,
    Select,
    Unary,
    UnionSource,
    View,
)


def expression_depth(expr: Expr) -> int:
    """Depth of an expression tree, computed without recursion so any input is safe to measure."""
    deepest = 0
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, Binary):
            stack.extend(((node.left, depth + 1), (node.right, depth + 1)))
        elif isinstance(node, (Unary, IsNull)):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, InList):
            stack.extend((item, depth + 1) for item in (node.operand, *node.items))
        elif isinstance(node, Call):
            stack.extend((arg, depth + 1) for arg in node.args)
    return deepest


@dataclass(frozen=True)
class ScopeColumn:
    qualifier: str | None
    name: str


def _hint(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class _Checker:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.diagnostics: list[Diagnostic] = []
        self.datasets: dict[str, Dataset] = {}
        self.views: dict[str, View] = {}
        # Output columns of each relation checked so far; None where the relation itself had errors,
        # so that one mistake does not cascade into a diagnostic at every use.
        self.columns: dict[str, list[str] | None] = {}

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    def run(self) -> list[Diagnostic]:
        self._declarations()
        for dataset in self.datasets.values():
            self._dataset(dataset)
        for view in self._views_in_dependency_order():
            self._view(view)
        return self.diagnostics

    # declarations

    def _declarations(self) -> None:
        seen: dict[str, Span] = {}
        for decl in (*self.program.datasets, *self.program.views):
            if decl.name in seen:
                self.error(
                    codes.DUPLICATE_DECLARATION,
                    f"'{decl.name}' is already declared at {seen[decl.name]}",
                    decl.span,
                )
                continue
            seen[decl.name] = decl.span
            if isinstance(decl, Dataset):
                self.datasets[decl.name] = decl
            else:
                self.views[decl.name] = decl

    def _dataset(self, dataset: Dataset) -> None:
        names: set[str] = set()
        for column in dataset.columns:
            if column.name in names:
                self.error(codes.DUPLICATE_COLUMN, f"column '{column.name}' is declared twice", column.span)
            names.add(column.name)
            if column.type.name not in SCALAR_TYPES:
                self.error(
                    codes.UNKNOWN_TYPE,
                    f"unknown type '{column.type.name}'",
                    column.span,
                    _hint(column.type.name, list(SCALAR_TYPES)) or f"types are {', '.join(SCALAR_TYPES)}",
                )
        for key_name in dataset.key:
            if key_name not in names:
                self.error(
                    codes.BAD_KEY,
                    f"key column '{key_name}' is not a column of '{dataset.name}'",
                    dataset.span,
                    _hint(key_name, list(names)),
                )
        self.columns[dataset.name] = list(dict.fromkeys(c.name for c in dataset.columns))

    def _views_in_dependency_order(self) -> list[View]:
        """Depth-first order over view dependencies; a cycle is reported once, at the view that closes it."""
        order: list[View] = []
        state: dict[str, str] = {}

        def visit(view: View, path: list[str]) -> None:
            if state.get(view.name) == "done":
                return
            if state.get(view.name) == "active":
                cycle = " -> ".join(path[path.index(view.name) :] + [view.name])
                self.error(codes.VIEW_CYCLE, f"views depend on each other in a cycle: {cycle}", view.span,
                           "recursive views are not supported yet; break the cycle")
                self.columns[view.name] = None
                return
            state[view.name] = "active"
            for ref in view.dependencies():
                upstream = self.views.get(ref.name)
                if upstream is not None:
                    visit(upstream, path + [view.name])
            state[view.name] = "done"
            order.append(view)

        for view in self.views.values():
            visit(view, [])
        return order

    # pipelines

    def _relation(self, ref: RelationRef) -> list[ScopeColumn] | None:
        if ref.name not in self.datasets and ref.name not in self.views:
            self.error(
                codes.UNKNOWN_RELATION,
                f"unknown dataset or view '{ref.name}'",
                ref.span,
                _hint(ref.name, [*self.datasets, *self.views]),
            )
            return None
        columns = self.columns.get(ref.name)
        if columns is None:
            return None
        return [ScopeColumn(ref.qualifier, name) for name in columns]

    def _view(self, view: View) -> None:
        if view.name in self.columns:  # already failed as part of a cycle
            return
        errors_before = len(self.diagnostics)
        scope = self._source(view)
        for step in view.steps:
            scope = self._step(step, scope)
        if scope is not None and len(self.diagnostics) == errors_before:
            self._no_duplicates(scope, view.span)
        ok = len(self.diagnostics) == errors_before and scope is not None
        self.columns[view.name] = [c.name for c in scope] if ok and scope is not None else None

    def _source(self, view: View) -> list[ScopeColumn] | None:
        if isinstance(view.source, RelationRef):
            return self._relation(view.source)
        members = [(ref, self._relation(ref)) for ref in view.source.members]
        if any(columns is None for _, columns in members):
            return None
        first_ref, first = members[0]
        expected = sorted(c.name for c in first)
        for ref, columns in members[1:]:
            names = sorted(c.name for c in columns)
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
                self.error(
                    codes.UNION_MISMATCH,
                    f"'{ref.name}' does not have the columns of '{first_ref.name}': it {detail}",
                    ref.span,
                    "union matches columns by name; select the same columns in every member",
                )
        return [ScopeColumn(None, c.name) for c in first]

    def _step(self, step, scope: list[ScopeColumn] | None) -> list[ScopeColumn] | None:
        if isinstance(step, Filter):
            self._expr(step.predicate, scope)
            return scope
        if isinstance(step, Derive):
            for assignment in step.assignments:
                self._expr(assignment.expr, scope)
                if scope is not None:
                    scope = [c for c in scope if c.name != assignment.name] + [ScopeColumn(None, assignment.name)]
            return scope
        if isinstance(step, Select):
            for item in step.items:
                self._expr(item.expr, scope)
            result = [ScopeColumn(None, item.name) for item in step.items]
            self._no_duplicates(result, step.span)
            return result
        assert isinstance(step, Join)
        return self._join(step, scope)

    def _join(self, step: Join, scope: list[ScopeColumn] | None) -> list[ScopeColumn] | None:
        right = self._relation(step.right)
        if scope is not None and any(c.qualifier == step.right.qualifier for c in scope):
            self.error(
                codes.DUPLICATE_ALIAS,
                f"both sides of the join are qualified as '{step.right.qualifier}'",
                step.right.span,
                "give one side an alias: `join x as other on ...`",
            )
            return None
        combined = None if scope is None or right is None else scope + right
        self._expr(step.on, combined)
        if step.kind in (JoinKind.SEMI, JoinKind.ANTI):
            return scope
        return combined

    def _no_duplicates(self, scope: list[ScopeColumn], span: Span) -> None:
        seen: set[str] = set()
        for column in scope:
            if column.name in seen:
                self.error(
                    codes.DUPLICATE_COLUMN,
                    f"the result would have two columns named '{column.name}'",
                    span,
                    "rename one of them with `select new_name = side.column`",
                )
                return
            seen.add(column.name)

    # expressions

    def _expr(self, expr: Expr, scope: list[ScopeColumn] | None) -> None:
        depth = expression_depth(expr)
        if depth > MAX_EXPRESSION_DEPTH:
            self.error(
                codes.TOO_DEEP,
                f"this expression nests {depth} levels deep; at most {MAX_EXPRESSION_DEPTH} are allowed",
                expr.span,
                "split it across several derive steps",
            )
            return
        self._resolve(expr, scope)

    def _resolve(self, expr: Expr, scope: list[ScopeColumn] | None) -> None:
        if isinstance(expr, ColumnRef):
            if scope is not None:
                self._column(expr, scope)
        elif isinstance(expr, Binary):
            self._resolve(expr.left, scope)
            self._resolve(expr.right, scope)
        elif isinstance(expr, Unary):
            self._resolve(expr.operand, scope)
        elif isinstance(expr, InList):
            self._resolve(expr.operand, scope)
            for item in expr.items:
                self._resolve(item, scope)
        elif isinstance(expr, IsNull):
            self._resolve(expr.operand, scope)
        elif isinstance(expr, Call):
            for arg in expr.args:
                self._resolve(arg, scope)
        else:
            assert isinstance(expr, Literal)

    def _column(self, ref: ColumnRef, scope: list[ScopeColumn]) -> None:
        if ref.qualifier is not None:
            qualified = [c for c in scope if c.qualifier == ref.qualifier]
            if not qualified:
                qualifiers = sorted({c.qualifier for c in scope if c.qualifier})
                self.error(
                    codes.UNKNOWN_QUALIFIER,
                    f"no relation named '{ref.qualifier}' is in scope here",
                    ref.span,
                    _hint(ref.qualifier, qualifiers) or (f"in scope: {', '.join(qualifiers)}" if qualifiers else None),
                )
                return
            if not any(c.name == ref.name for c in qualified):
                self.error(
                    codes.UNKNOWN_COLUMN,
                    f"'{ref.qualifier}' has no column '{ref.name}'",
                    ref.span,
                    _hint(ref.name, [c.name for c in qualified]),
                )
            return
        matches = [c for c in scope if c.name == ref.name]
        if not matches:
            self.error(
                codes.UNKNOWN_COLUMN,
                f"unknown column '{ref.name}'",
                ref.span,
                _hint(ref.name, [c.name for c in scope]),
            )
        elif len(matches) > 1:
            sides = " and ".join(f"'{c.qualifier}.{c.name}'" if c.qualifier else f"'{c.name}'" for c in matches)
            self.error(
                codes.AMBIGUOUS_COLUMN,
                f"column '{ref.name}' is ambiguous: it could be {sides}",
                ref.span,
                "qualify it with the relation's name or alias",
            )


def check(program: Program) -> list[Diagnostic]:
    """Every diagnostic the program has; an empty list means it is well formed."""
    return _Checker(program).run()
