"""Translate IR expressions into Python source that builds them with DataFusion's expression API.

Safety: spec text reaches the output only as `repr()` of a str/int/float/bool, or as a function name that
has been checked to be a public callable of `datafusion.functions`. Column names are always string
arguments, never identifiers; a UDF is looked up by `ctx.udf(repr(name))`.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from types import MappingProxyType

import datafusion.functions as df_functions

from dsl import codes
from dsl.builtins import AGGREGATES
from dsl.diagnostics import Diagnostic
from dsl.ir import (
    Binary,
    Call,
    Case,
    Cast,
    ColumnRef,
    EnumValue,
    Expr,
    InList,
    IsNull,
    Literal,
    LiteralKind,
    SortKey,
    Unary,
)

_PYTHON_OPERATORS = MappingProxyType(
    {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "and": "&", "or": "|", "+": "+",
     "-": "-", "*": "*", "/": "/", "%": "%"}
)

# Arrow type names for arrow_cast, by .sem scalar type.
ARROW_CAST_NAMES = MappingProxyType(
    {"string": "Utf8", "int64": "Int64", "int32": "Int32", "float64": "Float64", "bool": "Boolean",
     "binary": "Binary"}
)

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


def python_literal(literal: Literal) -> str:
    if literal.kind is LiteralKind.FLOAT and not math.isfinite(float(literal.value)):  # type: ignore[arg-type]
        raise TranslationError(Diagnostic(codes.PLAN_ERROR, "number out of range", literal.span))
    return repr(literal.value)


# Arrow types of non-string literals. A literal built from a bare Python value has its type inferred, and
# pyarrow's inference retries its failed optional imports (pandas, dateutil) on every call: ~0.17 ms against
# ~0.02 ms typed, over the ~600 literals each session's views build. Strings datafusion types itself.
_LITERAL_ARROW_TYPES = MappingProxyType(
    {LiteralKind.INT: "pa.int64()", LiteralKind.FLOAT: "pa.float64()", LiteralKind.BOOL: "pa.bool_()",
     LiteralKind.NULL: "pa.null()"}
)


def literal_expr(kind: LiteralKind, value: str) -> str:
    """Python source of a DataFusion literal from the Python source of its value (`python_literal`): the same
    expression `lit(value)` gives, its type spelled out."""
    if kind is LiteralKind.STRING:
        return f"lit({value})"
    return f"lit(pa.scalar({value}, {_LITERAL_ARROW_TYPES[kind]}))"


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
    leading = required = total = 0
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


class ExprWriter:
    """Python source for one expression; `ctx` is the builder's SessionContext parameter."""

    def expr(self, expr: Expr) -> str:
        if isinstance(expr, ColumnRef):
            name = f"{expr.qualifier}.{expr.name}" if expr.qualifier else expr.name
            return f"col({name!r})"
        if isinstance(expr, Literal):
            return literal_expr(expr.kind, python_literal(expr))
        if isinstance(expr, EnumValue):
            return f"lit({expr.member!r})"  # enums are stored as their values' names
        if isinstance(expr, Binary):
            if expr.op == "||":
                return f"f.concat({self.expr(expr.left)}, {self.expr(expr.right)})"
            return f"({self.expr(expr.left)} {_PYTHON_OPERATORS[expr.op]} {self.expr(expr.right)})"
        if isinstance(expr, Unary):
            operand = self.expr(expr.operand)
            return f"(~{operand})" if expr.op == "not" else f"({literal_expr(LiteralKind.INT, '0')} - {operand})"
        if isinstance(expr, InList):
            items = ", ".join(self.expr(item) for item in expr.items)
            return f"f.in_list({self.expr(expr.operand)}, [{items}], negated={expr.negated!r})"
        if isinstance(expr, IsNull):
            method = "is_not_null" if expr.negated else "is_null"
            return f"{self.expr(expr.operand)}.{method}()"
        if isinstance(expr, Case):
            source = "f"
            for when in expr.whens:
                source += f".when({self.expr(when.condition)}, {self.expr(when.result)})"
            return source + (f".otherwise({self.expr(expr.otherwise)})" if expr.otherwise is not None else ".end()")
        if isinstance(expr, Cast):
            return f"f.arrow_cast({self.expr(expr.operand)}, {ARROW_CAST_NAMES[expr.type.name]!r})"
        assert isinstance(expr, Call)
        if expr.udf:
            return f"ctx.udf({expr.function!r})({', '.join(self.expr(a) for a in expr.args)})"
        if expr.function in AGGREGATES:
            return self.aggregate(expr)
        return self._call(expr)

    def sort_key(self, key: SortKey) -> str:
        # Nulls last in both directions, so "best" never prefers a missing value.
        return f"{self.expr(key.expr)}.sort(ascending={not key.descending!r}, nulls_first=False)"

    def aggregate(self, call: Call) -> str:
        function = AGGREGATES[call.function]
        args = [self.expr(a) for a in call.args]
        if call.order_by:
            args.append(f"order_by=[{', '.join(self.sort_key(k) for k in call.order_by)}]")
        return f"f.{function}({', '.join(args)})"

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
                        Diagnostic(codes.PLAN_ERROR,
                                   f"argument {index + 1} of '{call.function}' must be a string literal",
                                   getattr(arg, "span", call.span))
                    )
                rendered.append(repr(arg.value))
            else:
                rendered.append(self.expr(arg))
        return f"f.{call.function}({', '.join(rendered)})"
