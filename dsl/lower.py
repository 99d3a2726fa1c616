"""Lower a Lark parse tree of one file into IR declarations (unresolved: templates unexpanded, enums unknown)."""

from __future__ import annotations

import ast as python_ast
from dataclasses import replace

from lark import Token, Transformer, v_args

from dsl import codes
from dsl.diagnostics import Diagnostic, Span
from dsl.ir import (
    Aggregate,
    Assignment,
    Best,
    Binary,
    Call,
    Case,
    Cast,
    Column,
    ColumnRef,
    ColumnType,
    Dataset,
    Derive,
    Distinct,
    EnumDecl,
    EnumMember,
    Filter,
    Import,
    InList,
    IsNull,
    Join,
    JoinKind,
    Literal,
    LiteralKind,
    Param,
    Recurse,
    RelationKind,
    RelationRef,
    Rename,
    Select,
    SortKey,
    StructField,
    Template,
    Udf,
    UdfBinding,
    Unary,
    UnionSource,
    Use,
    View,
    Volatility,
    When,
    WritePolicy,
)

INT64_MAX = 2**63 - 1


class Located(Exception):
    """Raised inside the transformer for a value the grammar admits but the language does not."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def span_of(file: str, meta_or_token: object) -> Span:
    return Span(
        file,
        getattr(meta_or_token, "line"),
        getattr(meta_or_token, "column"),
        getattr(meta_or_token, "end_line"),
        getattr(meta_or_token, "end_column"),
    )


def join_spans(first: Span, last: Span) -> Span:
    return Span(first.file, first.line, first.col, last.end_line, last.end_col)


class Docs:
    """Attaches `##` comments to declarations: lines of `##` directly above, or one after, on the same line."""

    def __init__(self, comments) -> None:
        self._by_line = {c.line: c for c in comments if c.text.startswith("##")}

    def for_line(self, line: int) -> str | None:
        above: list[str] = []
        cursor = line - 1
        while cursor in self._by_line and self._by_line[cursor].own_line:
            above.append(self._text(self._by_line[cursor]))
            cursor -= 1
        parts = list(reversed(above))
        trailing = self._by_line.get(line)
        if trailing is not None and not trailing.own_line:
            parts.append(self._text(trailing))
        text = "\n".join(p for p in parts if p)
        return text or None

    @staticmethod
    def _text(comment) -> str:
        return comment.text[2:].strip()


def _bad(message: str, span: Span) -> Located:
    return Located(Diagnostic(codes.BAD_TOKEN, message, span))


def _own_doc(member, declaration_line: int):
    """A member written on its declaration's line shares no doc with it: that doc is the declaration's."""
    return replace(member, doc=None) if member.span.line == declaration_line else member


def string_value(token: Token) -> str:
    # The grammar admits only \" \\ \n \t escapes, all of which Python's literal syntax reads alike.
    return python_ast.literal_eval(token.value)


class ToIR(Transformer):
    def __init__(self, file: str, docs: Docs) -> None:
        super().__init__()
        self.file = file
        self.docs = docs

    def _span(self, meta_or_token) -> Span:
        return span_of(self.file, meta_or_token)

    # declarations

    def start(self, items):
        return items

    def import_decl(self, children):
        (path,) = children
        return Import(string_value(path), self._span(path))

    def dataset(self, children):
        name, extractor, *members = children
        columns = tuple(_own_doc(m, name.line) for m in members if isinstance(m, Column))
        keys = [m for m in members if isinstance(m, tuple)]
        key = keys[-1] if keys else ()
        return Dataset(name.value, extractor.value, columns, key, self.docs.for_line(name.line), self._span(name))

    def column(self, children):
        name, column_type = children
        return Column(name.value, column_type, self.docs.for_line(name.line), self._span(name))

    def key(self, names):
        return tuple(n.value for n in names)

    def named_type(self, children):
        name, *qmark = children
        return ColumnType(name.value, bool(qmark))

    def list_type(self, children):
        element, *qmark = children
        return ColumnType("list", bool(qmark), element=element)

    def struct_type(self, children):
        qmark = bool(children) and isinstance(children[-1], Token) and children[-1].type == "QMARK"
        fields = tuple(c for c in children if isinstance(c, StructField))
        return ColumnType("struct", qmark, fields=fields)

    def field_type(self, children):
        name, field_type = children
        return StructField(name.value, field_type)

    def enum_decl(self, children):
        name, *members = children
        members = [_own_doc(m, name.line) for m in members]
        return EnumDecl(name.value, tuple(members), self.docs.for_line(name.line), self._span(name))

    def enum_value(self, children):
        (name,) = children
        return EnumMember(name.value, self.docs.for_line(name.line), self._span(name))

    def udf_decl(self, children):
        name, *rest = children
        params = tuple(p for p in rest if isinstance(p, Param))
        returns = next(c for c in rest if isinstance(c, ColumnType))
        volatility = next((Volatility(c.value) for c in rest if isinstance(c, Token) and c.type == "VOLATILITY"),
                          Volatility.IMMUTABLE)
        binding = next((c for c in rest if isinstance(c, UdfBinding)), None)
        return Udf(name.value, params, returns, volatility, binding, self.docs.for_line(name.line), self._span(name))

    def param(self, children):
        name, param_type = children
        return Param(name.value, param_type, self._span(name))

    def udf_binding(self, children):
        language, target = children
        return UdfBinding(language.value, string_value(target), span_of(self.file, language))

    def template(self, children):
        name, *rest = children
        params = tuple(c.value for c in rest if isinstance(c, Token))
        steps = tuple(c for c in rest if not isinstance(c, Token) and c is not None)
        return Template(name.value, params, steps, self.docs.for_line(name.line), self._span(name))

    def view(self, children):
        keyword, name, source, *rest = children
        policy = rest.pop() if rest and isinstance(rest[-1], WritePolicy) else None
        return View(
            name.value,
            RelationKind(keyword.value),
            source,
            tuple(rest),
            self.docs.for_line(keyword.line),
            self._span(name),
            policy,
        )

    # sources and steps

    @v_args(meta=True)
    def relation(self, meta, children):
        name, *alias = children
        return RelationRef(name.value, alias[0].value if alias else None, self._span(meta))

    def single_source(self, children):
        return children[0]

    @v_args(meta=True)
    def union_source(self, meta, members):
        return UnionSource(tuple(members), self._span(meta))

    @v_args(meta=True)
    def filter(self, meta, children):
        return Filter(children[0], self._span(meta))

    @v_args(meta=True)
    def derive(self, meta, assignments):
        return Derive(tuple(assignments), self._span(meta))

    @v_args(meta=True)
    def select(self, meta, items):
        return Select(tuple(items), self._span(meta))

    @v_args(meta=True)
    def assignment(self, meta, children):
        name, expr = children
        return Assignment(name.value, expr, self._span(meta))

    def bare_column(self, children):
        ref = children[0]
        return Assignment(ref.name, ref, ref.span)

    @v_args(meta=True)
    def rename(self, meta, items):
        return Rename(tuple(items), self._span(meta))

    @v_args(meta=True)
    def rename_item(self, meta, children):
        name, ref = children
        return Assignment(name.value, ref, self._span(meta))

    @v_args(meta=True)
    def join(self, meta, children):
        kind = JoinKind.INNER
        if isinstance(children[0], Token) and children[0].type == "JOIN_KIND":
            kind = JoinKind(children[0].value)
            children = children[1:]
        right, on = children
        return Join(kind, right, on, self._span(meta))

    @v_args(meta=True)
    def aggregate(self, meta, children):
        group_by = children.pop() if children and isinstance(children[-1], tuple) else ()
        return Aggregate(tuple(children), group_by, self._span(meta))

    def group_by(self, items):
        return tuple(items)

    @v_args(meta=True)
    def distinct(self, meta, children):
        return Distinct(self._span(meta))

    @v_args(meta=True)
    def best(self, meta, children):
        count = 1
        if isinstance(children[0], Token) and children[0].type == "INT":
            count = self._int(children[0])
            children = children[1:]
            if count == 0:
                raise _bad("`best` keeps at least one row per group", self._span(meta))
        per = tuple(c for c in children if not isinstance(c, SortKey))
        order = tuple(c for c in children if isinstance(c, SortKey))
        return Best(count, per, order, self._span(meta))

    @v_args(meta=True)
    def sort_key(self, meta, children):
        expr, *direction = children
        return SortKey(expr, bool(direction) and direction[0].value == "desc", self._span(meta))

    @v_args(meta=True)
    def recurse(self, meta, children):
        source, *steps = children
        return Recurse(source, tuple(steps), self._span(meta))

    @v_args(meta=True)
    def use(self, meta, children):
        name, *args = children
        return Use(name.value, tuple(a for a in args if a is not None), (), self._span(meta))

    # write policy

    @v_args(meta=True)
    def write_policy(self, meta, clauses):
        found: dict[str, object] = {}
        for kind, value, span in clauses:
            if kind in found:
                raise Located(Diagnostic(codes.BAD_WRITE_POLICY, f"the write policy states '{kind}' twice", span))
            found[kind] = value
        return WritePolicy(
            tuple(found.get("partition by", ())),
            tuple(found.get("merge on", ())),
            bool(found.get("change_data_feed", False)),
            bool(found.get("compact", False)),
            found.get("vacuum"),  # type: ignore[arg-type]
            self._span(meta),
        )

    @v_args(meta=True)
    def partition_clause(self, meta, names):
        return ("partition by", tuple(n.value for n in names), self._span(meta))

    @v_args(meta=True)
    def merge_clause(self, meta, names):
        return ("merge on", tuple(n.value for n in names), self._span(meta))

    @v_args(meta=True)
    def cdf_clause(self, meta, children):
        return ("change_data_feed", True, self._span(meta))

    @v_args(meta=True)
    def compact_clause(self, meta, children):
        return ("compact", True, self._span(meta))

    @v_args(meta=True)
    def vacuum_clause(self, meta, children):
        amount, unit = children
        hours = self._int(amount) * (24 if unit.value == "days" else 1)
        if hours > INT64_MAX:
            raise _bad("retention does not fit in int64 hours", self._span(amount))
        return ("vacuum", hours, self._span(meta))

    # expressions

    def or_expr(self, children):
        return self._fold(children)

    def and_expr(self, children):
        return self._fold(children)

    def sum(self, children):
        return self._fold(children)

    def product(self, children):
        return self._fold(children)

    def _fold(self, children):
        """Left-associative chain `a op b op c` -> Binary(Binary(a, op, b), op, c)."""
        result = children[0]
        for op, right in zip(children[1::2], children[2::2]):
            result = Binary(op.value, result, right, join_spans(result.span, right.span))
        return result

    @v_args(meta=True)
    def binary(self, meta, children):
        left, op, right = children
        return Binary(op.value, left, right, self._span(meta))

    @v_args(meta=True)
    def unary(self, meta, children):
        op, operand = children
        return Unary(op.value, operand, self._span(meta))

    @v_args(meta=True)
    def in_list(self, meta, children):
        operand, *rest = children
        negated = bool(rest) and isinstance(rest[0], Token) and rest[0].type == "NOT"
        items = tuple(rest[1:] if negated else rest)
        return InList(operand, items, negated, self._span(meta))

    @v_args(meta=True)
    def is_null(self, meta, children):
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children[1:])
        return IsNull(children[0], negated, self._span(meta))

    @v_args(meta=True)
    def call(self, meta, children):
        name, *args = children
        order = args.pop() if args and isinstance(args[-1], tuple) else ()
        return Call(name.value, tuple(a for a in args if a is not None), self._span(meta), order)

    def call_order(self, keys):
        return tuple(keys)

    @v_args(meta=True)
    def case(self, meta, children):
        whens = tuple(c for c in children if isinstance(c, When))
        otherwise = children[-1] if not isinstance(children[-1], When) else None
        return Case(whens, otherwise, self._span(meta))

    @v_args(meta=True)
    def when(self, meta, children):
        condition, result = children
        return When(condition, result, self._span(meta))

    @v_args(meta=True)
    def cast(self, meta, children):
        operand, target = children
        return Cast(operand, target, self._span(meta))

    @v_args(meta=True)
    def colref(self, meta, children):
        if len(children) == 2:
            return ColumnRef(children[0].value, children[1].value, self._span(meta))
        return ColumnRef(None, children[0].value, self._span(meta))

    def _int(self, token: Token) -> int:
        # Compare digit strings: int() itself refuses literals of more than 4,300 digits.
        digits = token.value.lstrip("0") or "0"
        if len(digits) > len(str(INT64_MAX)) or int(digits) > INT64_MAX:
            raise _bad("integer literal does not fit in int64", self._span(token))
        return int(digits)

    def literal(self, children):
        token = children[0]
        span = self._span(token)
        if token.type == "STRING":
            return Literal(LiteralKind.STRING, string_value(token), span)
        if token.type == "INT":
            return Literal(LiteralKind.INT, self._int(token), span)
        if token.type == "FLOAT":
            return Literal(LiteralKind.FLOAT, float(token.value), span)
        if token.type in ("TRUE", "FALSE"):
            return Literal(LiteralKind.BOOL, token.type == "TRUE", span)
        return Literal(LiteralKind.NULL, None, span)
