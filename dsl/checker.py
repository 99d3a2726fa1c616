"""Resolve every name in a parsed program, infer every column's type, and report each problem as a located
diagnostic.

The checker tracks, step by step, which columns (and types) each pipeline carries and under which qualifier,
so a misspelt column or a mistyped comparison is caught here with a caret rather than later as a DataFusion
planning error. Declarations are checked here; pipelines in check_pipeline, expressions in check_expr,
recursion in check_recursion and enum coverage in check_enums.
"""

from __future__ import annotations

import re

from dsl import codes
from dsl.builtins import AGGREGATES, BUILTINS
from dsl.check_context import CheckContext, ScopeColumn
from dsl.check_enums import check_enum_coverage
from dsl.check_expr import check_type_name
from dsl.check_pipeline import PipelineChecker
from dsl.check_recursion import check_recursive, split
from dsl.diagnostics import Diagnostic, Span
from dsl.hints import did_you_mean
from dsl.ir import ColumnType, Dataset, EnumDecl, Program, RelationKind, Template, Udf, View
from dsl.types import UNKNOWN, describe

_PYTHON_TARGET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*\Z")
_RUST_TARGET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Checker:
    def __init__(self, program: Program, broken_views: frozenset[str]) -> None:
        self.program = program
        self.ctx = CheckContext()
        self.pipelines = PipelineChecker(self.ctx)
        self.broken_views = broken_views

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.ctx.error(code, message, span, hint)

    def run(self) -> list[Diagnostic]:
        self._declarations()
        for enum in self.ctx.enums.values():
            self._enum(enum)
        for dataset in self.ctx.datasets.values():
            self._dataset(dataset)
        for udf in self.ctx.udfs.values():
            self._udf(udf)
        for name in self.broken_views:
            self.ctx.columns[name] = None
        for view in self._views_in_dependency_order():
            self._view(view)
        if not self.ctx.diagnostics and not self.broken_views:
            # Coverage is meaningful only over a program whose views all checked.
            check_enum_coverage(self.ctx)
        return self.ctx.diagnostics

    # declarations

    def _declarations(self) -> None:
        ctx = self.ctx
        relations: dict[str, Span] = {}
        functions: dict[str, Span] = {}
        templates: dict[str, Span] = {}
        for decl in (*self.program.datasets, *self.program.enums, *self.program.views, *self.program.udfs,
                     *self.program.templates):
            seen = functions if isinstance(decl, Udf) else templates if isinstance(decl, Template) else relations
            if decl.name in seen:
                self.error(codes.DUPLICATE_DECLARATION, f"'{decl.name}' is already declared at {seen[decl.name]}",
                           decl.span)
                continue
            seen[decl.name] = decl.span
            if isinstance(decl, Dataset):
                ctx.datasets[decl.name] = decl
            elif isinstance(decl, EnumDecl):
                ctx.enums[decl.name] = decl
            elif isinstance(decl, View):
                ctx.views[decl.name] = decl
            elif isinstance(decl, Udf):
                ctx.udfs[decl.name] = decl
            else:
                assert isinstance(decl, Template)
                names = list(decl.params)
                duplicate = next((n for n in names if names.count(n) > 1), None)
                if duplicate is not None:
                    self.error(codes.DUPLICATE_DECLARATION, f"template parameter '{duplicate}' is declared twice",
                               decl.span)

    def _enum(self, enum: EnumDecl) -> None:
        seen: set[str] = set()
        for member in enum.members:
            if member.name in seen:
                self.error(codes.DUPLICATE_DECLARATION, f"'{enum.name}.{member.name}' is declared twice", member.span)
            seen.add(member.name)

    def _dataset(self, dataset: Dataset) -> None:
        names: set[str] = set()
        types = {}
        for column in dataset.columns:
            if column.name in names:
                self.error(codes.DUPLICATE_COLUMN, f"column '{column.name}' is declared twice", column.span)
            names.add(column.name)
            # A column of an unknown type stays in scope (typed unknown), so its uses are still checked.
            known = check_type_name(self.ctx, column.type, column.span)
            types.setdefault(column.name, column.type if known else UNKNOWN)
        for key_name in dataset.key:
            column = dataset.column(key_name)
            if column is None:
                self.error(codes.BAD_KEY, f"key column '{key_name}' is not a column of '{dataset.name}'",
                           dataset.span, did_you_mean(key_name, list(names)))
            elif column.type.nullable:
                self.error(codes.NULLABLE, f"key column '{key_name}' is nullable ({column.type}); keys identify rows",
                           column.span, f"declare it as {column.type.with_nullable(False)}")
        self.ctx.columns[dataset.name] = [ScopeColumn(None, name, t) for name, t in types.items()]

    def _udf(self, udf: Udf) -> None:
        if udf.name in BUILTINS or udf.name in AGGREGATES:
            self.error(codes.BAD_UDF, f"'{udf.name}' is already a built-in function", udf.span, "choose another name")
        names: set[str] = set()
        for param in udf.params:
            if param.name in names:
                self.error(codes.BAD_UDF, f"parameter '{param.name}' is declared twice", param.span)
            names.add(param.name)
            check_type_name(self.ctx, param.type, param.span)
        check_type_name(self.ctx, udf.returns, udf.span)
        binding = udf.binding
        if binding is None:
            return
        if binding.language == "python":
            if not _PYTHON_TARGET.match(binding.target):
                self.error(codes.BAD_UDF, f"'{binding.target}' is not a Python target", binding.span,
                           'write it as "package.module:function"')
        elif binding.language == "rust":
            if not _RUST_TARGET.match(binding.target):
                self.error(codes.BAD_UDF, f"'{binding.target}' is not a Rust function name", binding.span,
                           "name the function the rust_udfs crate exports")
            elif binding.target != udf.name:
                self.error(codes.BAD_UDF, f"UDF '{udf.name}' is bound to the Rust UDF '{binding.target}', but a "
                           "Rust UDF is called by its own name", binding.span,
                           f"declare it as udf {binding.target}(...), or bind it from rust \"{udf.name}\"")
        else:
            self.error(codes.BAD_UDF, f"unknown implementation language '{binding.language}'", binding.span,
                       did_you_mean(binding.language, ["python", "rust"]) or "bindings are `from python \"m:f\"` "
                       "or `from rust \"name\"`")

    def _views_in_dependency_order(self) -> list[View]:
        """Depth-first order over view dependencies; a cycle is reported once, at the view that closes it.

        A view's own `recurse` step reads the view itself: that edge is a fixpoint, not a cycle.
        """
        order: list[View] = []
        state: dict[str, str] = {}
        views = self.ctx.views

        def visit(view: View, path: list[str]) -> None:
            if state.get(view.name) == "done":
                return
            if state.get(view.name) == "active":
                cycle = " -> ".join(path[path.index(view.name) :] + [view.name])
                self.error(codes.VIEW_CYCLE, f"views depend on each other in a cycle: {cycle}", view.span,
                           "a view may read itself only in its `recurse (...)` step; break the cycle")
                self.ctx.columns[view.name] = None
                return
            state[view.name] = "active"
            recursive = view.recurse is not None
            for ref in view.dependencies():
                if recursive and ref.name == view.name:
                    continue  # checked by check_recursion, which allows exactly the one linear reference
                upstream = views.get(ref.name)
                if upstream is not None:
                    visit(upstream, path + [view.name])
            state[view.name] = "done"
            order.append(view)

        for view in views.values():
            visit(view, [])
        return order

    # views

    def _view(self, view: View) -> None:
        if view.name in self.ctx.columns:  # already failed as part of a cycle, or its templates did not expand
            return
        mark = self.ctx.mark()
        if split(view) is not None:
            scope = check_recursive(self.pipelines, view)
        else:
            scope = self.pipelines.steps(view.steps, self.pipelines.source(view))
        if scope is not None and not self.ctx.failed_since(mark):
            self.pipelines.no_duplicates(scope, view.span)
        ok = scope is not None and not self.ctx.failed_since(mark)
        self.ctx.columns[view.name] = [ScopeColumn(None, c.name, c.type) for c in scope] if ok and scope else None
        if view.write_policy is not None:
            self._write_policy(view, scope if ok else None)

    def _write_policy(self, view: View, scope) -> None:
        policy = view.write_policy
        assert policy is not None
        if view.kind is not RelationKind.OUTPUT:
            self.error(codes.BAD_WRITE_POLICY, f"'{view.name}' is a view; only outputs are written", policy.span,
                       f"declare it as `output {view.name} = ...`")
            return
        if scope is None:
            return
        by_name = {c.name: c.type for c in scope}
        for clause, names in (("partition by", policy.partition_by), ("merge on", policy.merge_on)):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    self.error(codes.BAD_WRITE_POLICY, f"'{name}' is named twice in `{clause}`", policy.span)
                seen.add(name)
                column_type = by_name.get(name)
                if column_type is None:
                    self.error(codes.BAD_WRITE_POLICY, f"`{clause}` names '{name}', which '{view.name}' does not have",
                               policy.span, did_you_mean(name, list(by_name)))
                elif column_type.name in ("list", "struct"):
                    self.error(codes.BAD_WRITE_POLICY, f"cannot {clause} '{name}' of type {describe(column_type)}",
                               policy.span)
                elif clause == "merge on" and column_type.nullable:
                    self.error(codes.NULLABLE, f"merge key '{name}' may be null; a merge matches rows by equal keys",
                               policy.span, f"filter `{name} is not null` or coalesce it before the output")


def check(program: Program, broken_views: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """Every diagnostic the program has; an empty list means it is well formed.

    `broken_views` are views that resolution already reported (templates that did not expand): they count
    as failed, so their errors do not cascade.
    """
    return _Checker(program, broken_views).run()


def view_columns(program: Program) -> dict[str, list[tuple[str, ColumnType]]]:
    """The columns and types the checker infers for each view of a well-formed program.

    The compiler compares these with the schemas DataFusion plans, so that what the spec implies and what
    runs can never silently differ.
    """
    checker = _Checker(program, frozenset())
    checker.run()
    views = {v.name for v in program.views}
    return {
        name: [(column.name, column.type) for column in columns]
        for name, columns in checker.ctx.columns.items()
        if name in views and columns is not None
    }
