"""Type inference and checking of expressions against the columns in scope."""

from __future__ import annotations

from dsl import codes
from dsl.builtins import AGGREGATES, BUILTINS, Signature
from dsl.check_context import CheckContext, Scope
from dsl.hints import did_you_mean
from dsl.ir import (
    MAX_EXPRESSION_DEPTH,
    SCALAR_TYPES,
    Binary,
    Call,
    Case,
    Cast,
    ColumnRef,
    ColumnType,
    EnumValue,
    Expr,
    InList,
    IsNull,
    Literal,
    LiteralKind,
    Unary,
)
from dsl.rewrite import expression_depth
from dsl.types import (
    BOOL,
    FLOAT64,
    INT64,
    NULL,
    STRING,
    UNKNOWN,
    describe,
    is_integer,
    is_numeric,
    is_open,
    is_string,
    unify,
)

_LITERAL_TYPES = {
    LiteralKind.STRING: STRING,
    LiteralKind.INT: INT64,
    LiteralKind.FLOAT: FLOAT64,
    LiteralKind.BOOL: BOOL,
    LiteralKind.NULL: NULL,
}
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_ARITHMETIC = ("+", "-", "*", "/", "%")


def check_type_name(ctx: CheckContext, t: ColumnType, span) -> bool:
    """Whether a written type exists; reports the first unknown name inside it."""
    stack = [t]
    while stack:
        current = stack.pop()
        if current.enum is not None or current.name in SCALAR_TYPES:
            continue
        if current.name == "list" and current.element is not None:
            stack.append(current.element)
            continue
        if current.name == "struct":
            names = [f.name for f in current.fields]
            duplicate = next((n for n in names if names.count(n) > 1), None)
            if duplicate is not None:
                ctx.error(codes.DUPLICATE_COLUMN, f"struct field '{duplicate}' is declared twice", span)
                return False
            stack.extend(f.type for f in current.fields)
            continue
        known = [*SCALAR_TYPES, *ctx.enums]
        ctx.error(codes.UNKNOWN_TYPE, f"unknown type '{current.name}'", span,
                  did_you_mean(current.name, known) or f"types are {', '.join(SCALAR_TYPES)}, list<...>, "
                  f"struct<...> and declared enums")
        return False
    return True


class ExprChecker:
    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx

    def check(self, expr: Expr, scope: Scope | None, aggregates: bool = False) -> ColumnType:
        """The type of `expr`, reporting every problem in it; UNKNOWN where an error makes it unknowable."""
        depth = expression_depth(expr)
        if depth > MAX_EXPRESSION_DEPTH:
            self.ctx.error(
                codes.TOO_DEEP,
                f"this expression nests {depth} levels deep; at most {MAX_EXPRESSION_DEPTH} are allowed",
                expr.span,
                "split it across several derive steps",
            )
            return UNKNOWN
        return self._type(expr, scope, aggregates)

    def _type(self, expr: Expr, scope: Scope | None, aggregates: bool = False) -> ColumnType:
        if isinstance(expr, ColumnRef):
            return self._column(expr, scope)
        if isinstance(expr, Literal):
            return _LITERAL_TYPES[expr.kind]
        if isinstance(expr, EnumValue):
            return self._enum_value(expr)
        if isinstance(expr, Binary):
            return self._binary(expr, scope)
        if isinstance(expr, Unary):
            operand = self._type(expr.operand, scope)
            if expr.op == "not":
                self._expect_bool(operand, expr.operand, "'not'")
                return BOOL.with_nullable(operand.nullable)
            if not (is_numeric(operand) or is_open(operand)):
                self._mismatch(f"'-' needs a number, not {describe(operand)}", expr)
                return UNKNOWN
            return operand
        if isinstance(expr, InList):
            operand = self._type(expr.operand, scope)
            for item in expr.items:
                self._comparable(operand, self._type(item, scope), expr.operand, item, "in")
            return BOOL.with_nullable(operand.nullable)
        if isinstance(expr, IsNull):
            self._type(expr.operand, scope)
            return BOOL
        if isinstance(expr, Case):
            return self._case(expr, scope)
        if isinstance(expr, Cast):
            return self._cast(expr, scope)
        assert isinstance(expr, Call)
        return self._call(expr, scope, aggregates)

    # names

    def _column(self, ref: ColumnRef, scope: Scope | None) -> ColumnType:
        if scope is None:
            return UNKNOWN
        if ref.qualifier is not None:
            qualified = [c for c in scope if c.qualifier == ref.qualifier]
            if not qualified:
                qualifiers = sorted({c.qualifier for c in scope if c.qualifier})
                self.ctx.error(
                    codes.UNKNOWN_QUALIFIER,
                    f"no relation named '{ref.qualifier}' is in scope here",
                    ref.span,
                    did_you_mean(ref.qualifier, qualifiers)
                    or (f"in scope: {', '.join(qualifiers)}" if qualifiers else None),
                )
                return UNKNOWN
            match = next((c for c in qualified if c.name == ref.name), None)
            if match is None:
                self.ctx.error(
                    codes.UNKNOWN_COLUMN,
                    f"'{ref.qualifier}' has no column '{ref.name}'",
                    ref.span,
                    did_you_mean(ref.name, [c.name for c in qualified]),
                )
                return UNKNOWN
            return match.type
        matches = [c for c in scope if c.name == ref.name]
        if not matches:
            self.ctx.error(
                codes.UNKNOWN_COLUMN,
                f"unknown column '{ref.name}'",
                ref.span,
                did_you_mean(ref.name, [c.name for c in scope]),
            )
            return UNKNOWN
        if len(matches) > 1:
            sides = " and ".join(f"'{c.qualifier}.{c.name}'" if c.qualifier else f"'{c.name}'" for c in matches)
            self.ctx.error(
                codes.AMBIGUOUS_COLUMN,
                f"column '{ref.name}' is ambiguous: it could be {sides}",
                ref.span,
                "qualify it with the relation's name or alias",
            )
            return UNKNOWN
        return matches[0].type

    def _enum_value(self, value: EnumValue) -> ColumnType:
        enum = self.ctx.enums.get(value.enum)
        if enum is None:
            return UNKNOWN
        if enum.member(value.member) is None:
            self.ctx.error(
                codes.UNKNOWN_ENUM_VALUE,
                f"enum '{enum.name}' has no value '{value.member}'",
                value.span,
                did_you_mean(value.member, [m.name for m in enum.members])
                or f"declare it in enum {enum.name} at {enum.span}",
            )
        return ColumnType("string", False, enum=enum.name)

    # operators

    def _mismatch(self, message: str, expr: Expr, hint: str | None = None) -> None:
        self.ctx.error(codes.TYPE_MISMATCH, message, expr.span, hint)

    def _expect_bool(self, t: ColumnType, expr: Expr, what: str) -> None:
        if t.name != "bool" and not is_open(t):
            self.ctx.error(codes.NOT_BOOLEAN, f"{what} needs a boolean, not {describe(t)}", expr.span)

    def _binary(self, expr: Binary, scope: Scope | None) -> ColumnType:
        left = self._type(expr.left, scope)
        right = self._type(expr.right, scope)
        nullable = left.nullable or right.nullable
        if expr.op in ("and", "or"):
            self._expect_bool(left, expr.left, f"'{expr.op}'")
            self._expect_bool(right, expr.right, f"'{expr.op}'")
            return BOOL.with_nullable(nullable)
        if expr.op in _COMPARISONS:
            if NULL in (left, right) or "null" in (left.name, right.name):
                self._mismatch(f"'{expr.op}' with null is never true", expr, "use `is null` or `is not null`")
                return UNKNOWN
            self._comparable(left, right, expr.left, expr.right, expr.op)
            return BOOL.with_nullable(nullable)
        if expr.op == "||":
            for side, t in ((expr.left, left), (expr.right, right)):
                if not (is_string(t) or is_open(t)):
                    self._mismatch(f"'||' joins strings, not {describe(t)}", side, "cast(... as string) first")
            return STRING  # concatenation treats null as the empty string
        assert expr.op in _ARITHMETIC
        if is_open(left) and is_open(right):
            return UNKNOWN
        for side, t in ((expr.left, left), (expr.right, right)):
            if not (is_numeric(t) or is_open(t)):
                hint = "use || to join strings" if expr.op == "+" and is_string(t) else None
                self._mismatch(f"'{expr.op}' needs numbers, not {describe(t)}", side, hint)
                return UNKNOWN
        joined = unify(left, right)
        return joined.with_nullable(nullable) if joined is not None else UNKNOWN

    def _comparable(self, left: ColumnType, right: ColumnType, left_expr: Expr, right_expr: Expr, op: str) -> None:
        for enum_type, other, other_expr in ((left, right, right_expr), (right, left, left_expr)):
            if enum_type.enum is None:
                continue
            if isinstance(other_expr, Literal) and other_expr.kind is LiteralKind.STRING:
                enum = self.ctx.enums.get(enum_type.enum)
                if enum is not None and enum.member(str(other_expr.value)) is None:
                    self.ctx.error(
                        codes.UNKNOWN_ENUM_VALUE,
                        f"'{other_expr.value}' is not a value of enum '{enum.name}'",
                        other_expr.span,
                        did_you_mean(str(other_expr.value), [m.name for m in enum.members]),
                    )
                return
        if unify(left, right) is None:
            hint = None
            if (left.enum is None) != (right.enum is None):
                enum_name = left.enum or right.enum
                hint = f"write the value as {enum_name}.NAME"
            self._mismatch(f"cannot compare {describe(left)} with {describe(right)} using '{op}'",
                           right_expr if not is_open(right) else left_expr, hint)

    def _case(self, expr: Case, scope: Scope | None) -> ColumnType:
        result: ColumnType | None = None
        for when in expr.whens:
            self._expect_bool(self._type(when.condition, scope), when.condition, "a `when` condition")
            result = self._join_branch(result, self._type(when.result, scope), when.result)
        if expr.otherwise is not None:
            result = self._join_branch(result, self._type(expr.otherwise, scope), expr.otherwise)
        if result is None:
            return UNKNOWN
        return result.with_nullable(True) if expr.otherwise is None else result

    def _join_branch(self, so_far: ColumnType | None, branch: ColumnType, expr: Expr) -> ColumnType:
        if so_far is None:
            return branch
        joined = unify(so_far, branch)
        if joined is None:
            self._mismatch(f"this branch gives {describe(branch)} where the others give {describe(so_far)}", expr)
            return UNKNOWN
        return joined

    def _cast(self, expr: Cast, scope: Scope | None) -> ColumnType:
        operand = self._type(expr.operand, scope)
        if not check_type_name(self.ctx, expr.type, expr.span):
            return UNKNOWN
        if expr.type.enum is not None or expr.type.name not in SCALAR_TYPES:
            self._mismatch(f"cannot cast to {expr.type}: casts produce scalar types", expr,
                           "for an enum, use a case expression that produces its values")
            return UNKNOWN
        if operand.name in ("list", "struct"):
            self._mismatch(f"cannot cast {describe(operand)} to {expr.type}", expr.operand)
            return UNKNOWN
        return ColumnType(expr.type.name, operand.nullable or expr.type.nullable)

    # calls

    def _call(self, call: Call, scope: Scope | None, aggregates: bool) -> ColumnType:
        name = call.function
        if name in AGGREGATES:
            if not aggregates:
                self.ctx.error(
                    codes.MISPLACED_AGGREGATE,
                    f"'{name}' aggregates rows; it may appear only at the top of an aggregate step's item",
                    call.span,
                    f"`| aggregate n = {name}(...) by key`",
                )
                return UNKNOWN
            return self._aggregate(call, scope)
        if call.order_by:
            self.ctx.error(codes.BAD_CALL, f"only array_agg and first take `order by`, not '{name}'", call.span)
        args = [self._type(arg, scope) for arg in call.args]
        udf = self.ctx.udfs.get(name)
        if udf is not None:
            return self._udf_call(call, args)
        signature = BUILTINS.get(name)
        if signature is None:
            self.ctx.error(
                codes.UNKNOWN_FUNCTION,
                f"unknown function '{name}'",
                call.span,
                did_you_mean(name, [*BUILTINS, *self.ctx.udfs])
                or "declare it with `udf` or call one of DataFusion's built-ins (see docs/language.md)",
            )
            return UNKNOWN
        if name == "get_field":
            return self._get_field(call, args)
        return self._builtin(call, signature, args)

    def _arity(self, call: Call, low: int, high: int | None) -> bool:
        count = len(call.args)
        if count < low or (high is not None and count > high):
            expected = f"{low}" if high == low else f"{low} or more" if high is None else f"{low} to {high}"
            self.ctx.error(codes.BAD_CALL, f"'{call.function}' takes {expected} argument(s), not {count}", call.span)
            return False
        return True

    def _aggregate(self, call: Call, scope: Scope | None) -> ColumnType:
        name = call.function
        if call.order_by and name not in ("array_agg", "first"):
            self.ctx.error(codes.BAD_CALL, f"only array_agg and first take `order by`, not '{name}'", call.span)
        for key in call.order_by:
            self._type(key.expr, scope)
        if name == "count":
            if self._arity(call, 0, 1) and call.args:
                self._type(call.args[0], scope)
            return INT64
        if not self._arity(call, 1, 1):
            return UNKNOWN
        arg = self._type(call.args[0], scope)
        if is_open(arg):
            return UNKNOWN
        if name == "sum":
            if not is_numeric(arg):
                self.ctx.error(codes.BAD_CALL, f"'sum' adds numbers, not {describe(arg)}", call.args[0].span)
                return UNKNOWN
            return ColumnType("float64" if arg.name == "float64" else "int64", arg.nullable)
        if name == "array_agg":
            return ColumnType("list", False, element=arg)
        if name in ("min", "max") and arg.name in ("list", "struct"):
            self.ctx.error(codes.BAD_CALL, f"'{name}' needs a scalar, not {describe(arg)}", call.args[0].span)
            return UNKNOWN
        return arg

    def _udf_call(self, call: Call, args: list[ColumnType]) -> ColumnType:
        udf = self.ctx.udfs[call.function]
        if not self._arity(call, len(udf.params), len(udf.params)):
            return udf.returns
        for param, arg, expr in zip(udf.params, args, call.args):
            if is_open(arg) and arg.name == "unknown":
                continue
            joined = unify(param.type, arg)
            if joined is None or (is_numeric(param.type) and joined.name != param.type.name):
                self.ctx.error(
                    codes.BAD_CALL,
                    f"argument '{param.name}' of '{udf.name}' is {param.type}, not {describe(arg)}",
                    expr.span,
                    f"'{udf.name}' is declared at {udf.span}",
                )
            elif arg.nullable and not param.type.nullable:
                self.ctx.error(
                    codes.NULLABLE,
                    f"argument '{param.name}' of '{udf.name}' may be null, but the parameter is {param.type}",
                    expr.span,
                    f"coalesce it, or declare the parameter as {param.type}?",
                )
        return udf.returns

    def _get_field(self, call: Call, args: list[ColumnType]) -> ColumnType:
        if not self._arity(call, 2, 2):
            return UNKNOWN
        target, field = call.args
        if is_open(args[0]):
            return UNKNOWN
        if args[0].name != "struct":
            self.ctx.error(codes.BAD_CALL, f"get_field reads a struct, not {describe(args[0])}", target.span)
            return UNKNOWN
        if not (isinstance(field, Literal) and field.kind is LiteralKind.STRING):
            self.ctx.error(codes.BAD_CALL, "get_field needs the field's name as a string literal", field.span)
            return UNKNOWN
        match = next((f for f in args[0].fields if f.name == field.value), None)
        if match is None:
            self.ctx.error(codes.BAD_CALL, f"the struct has no field '{field.value}'", field.span,
                           did_you_mean(str(field.value), [f.name for f in args[0].fields]))
            return UNKNOWN
        return match.type.with_nullable(match.type.nullable or args[0].nullable)

    def _builtin(self, call: Call, signature: Signature, args: list[ColumnType]) -> ColumnType:
        params = list(signature.params)
        variadic = params[-1].endswith("...")
        if variadic:
            params[-1] = params[-1][:-3]
        required = len(params) - (1 if variadic else signature.optional)
        if not self._arity(call, required, None if variadic else len(params)):
            return UNKNOWN
        bound: ColumnType | None = None  # the T of this call
        for index, (arg, expr) in enumerate(zip(args, call.args)):
            pattern = params[min(index, len(params) - 1)]
            ok, bound = _match(pattern, arg, bound)
            if not ok:
                self.ctx.error(
                    codes.BAD_CALL,
                    f"argument {index + 1} of '{call.function}' should be {_pattern_text(pattern, bound)}, "
                    f"not {describe(arg)}",
                    expr.span,
                )
                return UNKNOWN
        if any(a.name == "unknown" for a in args):
            return UNKNOWN
        result = _instantiate(signature.returns, bound)
        if signature.nulls == "never":
            nullable = False
        elif signature.nulls == "always":
            nullable = True
        elif signature.nulls == "coalesce":
            nullable = all(a.nullable for a in args)
        else:
            nullable = any(a.nullable for a in args)
        return result.with_nullable(nullable)


def _match(pattern: str, arg: ColumnType, bound: ColumnType | None) -> tuple[bool, ColumnType | None]:
    if is_open(arg) or pattern == "any":
        return True, bound
    if pattern == "integer":
        return is_integer(arg), bound
    if pattern == "numeric":
        return is_numeric(arg), bound
    if pattern == "struct":
        return arg.name == "struct", bound
    if pattern in ("T", "N"):
        if pattern == "N" and not is_numeric(arg):
            return False, bound
        joined = arg if bound is None else unify(bound, arg)
        return joined is not None, joined if joined is not None else bound
    if pattern == "list<T>":
        if arg.name != "list" or arg.element is None:
            return False, bound
        return _match("T", arg.element, bound)
    return arg.name == pattern, bound


def _pattern_text(pattern: str, bound: ColumnType | None) -> str:
    if pattern in ("T", "N") and bound is not None:
        return describe(bound.with_nullable(False))
    if pattern == "list<T>":
        return f"list<{describe(bound.with_nullable(False))}>" if bound is not None else "a list"
    return {"integer": "an integer", "numeric": "a number", "struct": "a struct", "N": "a number",
            "T": "a value"}.get(pattern, pattern)


def _instantiate(returns: str, bound: ColumnType | None) -> ColumnType:
    if returns in ("T", "N"):
        return bound if bound is not None else UNKNOWN
    if returns == "list<T>":
        return ColumnType("list", False, element=bound) if bound is not None else UNKNOWN
    if returns == "any":
        return UNKNOWN
    return ColumnType(returns, False)
