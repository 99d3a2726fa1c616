"""Translate IR pipelines into Python source that builds them with DataFusion's DataFrame API.

Safety: spec text reaches the output only as `repr()` of a str/int/float/bool, or as a function name that
has been checked to be a public callable of `datafusion.functions`. Names of datasets, views and columns are
always string arguments, never identifiers, so no spec can inject code.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import datafusion.functions as df_functions

from dsl import codes
from dsl.diagnostics import Diagnostic
from dsl.ir import (
    Binary,
    Call,
    ColumnRef,
    Derive,
    Expr,
    Filter,
    InList,
    IsNull,
    Join,
    Literal,
    LiteralKind,
    RelationRef,
    Select,
    Unary,
    UnionSource,
    View,
)

_PYTHON_OPERATORS = {
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "and": "&",
    "or": "|",
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "%": "%",
}

# Built-ins that aggregate or rank; they belong to aggregate and window steps, not to row expressions.
_NOT_ROW_FUNCTIONS = frozenset(
    {"array_agg", "avg", "count", "first_value", "last_value", "max", "mean", "median", "min", "sum",
     "string_agg", "rank", "dense_rank", "row_number", "percent_rank", "cume_dist", "ntile", "lag", "lead",
     "nth_value", "col", "column", "lit", "literal", "alias", "in_list", "order_by", "case", "when"}
)


class TranslationError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _python_literal(literal: Literal) -> str:
    if literal.kind is LiteralKind.FLOAT and not math.isfinite(float(literal.value)):  # type: ignore[arg-type]
        raise TranslationError(Diagnostic(codes.PLAN_ERROR, "number out of range", literal.span))
    return repr(literal.value)


@dataclass(frozen=True)
class _FunctionShape:
    """How a `datafusion.functions` callable takes its arguments: plain Python values first, then exprs."""

    leading_values: int
    min_exprs: int
    variadic: bool
    max_exprs: int


def _function_shape(name: str, call: Call) -> _FunctionShape:
    target = getattr(df_functions, name, None) if not name.startswith("_") else None
    if name in _NOT_ROW_FUNCTIONS or not inspect.isfunction(target):
        raise TranslationError(
            Diagnostic(codes.UNKNOWN_FUNCTION, f"unknown function '{name}'", call.span,
                       hint="calls name DataFusion's scalar functions, e.g. concat_ws, coalesce, lower")
        )
    leading = 0
    required = 0
    total = 0
    variadic = False
    for parameter in inspect.signature(target).parameters.values():
        annotation = str(parameter.annotation)
        if parameter.kind is parameter.VAR_POSITIONAL:
            variadic = True
            continue
        if parameter.kind is parameter.KEYWORD_ONLY or parameter.kind is parameter.VAR_KEYWORD:
            continue
        if "Expr" in annotation:
            total += 1
            if parameter.default is parameter.empty:
                required += 1
        elif total == 0 and annotation in ("str", "'str'"):
            leading += 1
    return _FunctionShape(leading, required, variadic, total)


class PipelineWriter:
    """Writes the body of one view builder: a sequence of `df = ...` statements."""

    def expr(self, expr: Expr) -> str:
        if isinstance(expr, ColumnRef):
            name = f"{expr.qualifier}.{expr.name}" if expr.qualifier else expr.name
            return f"col({name!r})"
        if isinstance(expr, Literal):
            return f"lit({_python_literal(expr)})"
        if isinstance(expr, Binary):
            return f"({self.expr(expr.left)} {_PYTHON_OPERATORS[expr.op]} {self.expr(expr.right)})"
        if isinstance(expr, Unary):
            operand = self.expr(expr.operand)
            return f"(~{operand})" if expr.op == "not" else f"(lit(0) - {operand})"
        if isinstance(expr, InList):
            items = ", ".join(self.expr(item) for item in expr.items)
            return f"f.in_list({self.expr(expr.operand)}, [{items}], negated={expr.negated!r})"
        if isinstance(expr, IsNull):
            method = "is_not_null" if expr.negated else "is_null"
            return f"{self.expr(expr.operand)}.{method}()"
        assert isinstance(expr, Call)
        return self._call(expr)

    def _call(self, call: Call) -> str:
        shape = _function_shape(call.function, call)
        args = list(call.args)
        if len(args) < shape.leading_values + shape.min_exprs or (
            not shape.variadic and len(args) > shape.leading_values + shape.max_exprs
        ):
            raise TranslationError(
                Diagnostic(codes.PLAN_ERROR, f"'{call.function}' does not take {len(args)} argument(s)", call.span)
            )
        rendered = []
        for index, arg in enumerate(args):
            if index < shape.leading_values:
                if not (isinstance(arg, Literal) and arg.kind is LiteralKind.STRING):
                    raise TranslationError(
                        Diagnostic(codes.PLAN_ERROR, f"argument {index + 1} of '{call.function}' must be a string literal",
                                   getattr(arg, "span", call.span))
                    )
                rendered.append(repr(arg.value))
            else:
                rendered.append(self.expr(arg))
        return f"f.{call.function}({', '.join(rendered)})"

    def relation(self, ref: RelationRef) -> str:
        source = f"ctx.table({ref.name!r})"
        return f"{source}.alias({ref.alias!r})" if ref.alias else source

    def statements(self, view: View) -> list[str]:
        lines: list[str] = []
        if isinstance(view.source, UnionSource):
            first, *rest = view.source.members
            lines.append(f"df = {self.relation(first)}")
            lines.extend(f"df = df.union_by_name({self.relation(member)})" for member in rest)
        else:
            lines.append(f"df = {self.relation(view.source)}")
        for step in view.steps:
            if isinstance(step, Filter):
                lines.append(f"df = df.filter({self.expr(step.predicate)})")
            elif isinstance(step, Derive):
                lines.extend(f"df = df.with_column({a.name!r}, {self.expr(a.expr)})" for a in step.assignments)
            elif isinstance(step, Select):
                items = ", ".join(f"{self.expr(item.expr)}.alias({item.name!r})" for item in step.items)
                lines.append(f"df = df.select({items})")
            else:
                assert isinstance(step, Join)
                lines.append(
                    f"df = df.join_on({self.relation(step.right)}, {self.expr(step.on)}, how={step.kind.value!r})"
                )
        return lines
