"""The typed IR of a .sem program: frozen dataclasses, built by the parser, resolved by the checker."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Union

from dsl.diagnostics import Span

# Deeper expressions are refused with a diagnostic: every later stage (code generation, black, DataFusion)
# walks expressions recursively.
MAX_EXPRESSION_DEPTH = 100

# Scalar column types of the language, by their .sem spelling.
SCALAR_TYPES = ("binary", "bool", "float64", "int32", "int64", "string")


@dataclass(frozen=True)
class StructField:
    name: str
    type: "ColumnType"


@dataclass(frozen=True)
class ColumnType:
    """A column's type. `name` is a scalar type, "list" (see `element`) or "struct" (see `fields`).

    Before resolution an enum-typed column has the enum's name here; resolution stores it as a string
    (`name="string"`) and records the catalogue in `enum`, so every later stage sees its physical type.
    """

    name: str
    nullable: bool
    element: "ColumnType | None" = None
    fields: tuple[StructField, ...] = ()
    enum: str | None = None

    def __str__(self) -> str:
        if self.enum is not None:
            base = self.enum
        elif self.name == "list" and self.element is not None:
            base = f"list<{self.element}>"
        elif self.name == "struct":
            base = "struct<" + ", ".join(f"{f.name}: {f.type}" for f in self.fields) + ">"
        else:
            base = self.name
        return base + ("?" if self.nullable else "")

    def with_nullable(self, nullable: bool) -> "ColumnType":
        return ColumnType(self.name, nullable, self.element, self.fields, self.enum)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    doc: str | None
    span: Span


@dataclass(frozen=True)
class Dataset:
    """Evidence produced by an extractor; the schema is the contract the extractor must meet."""

    name: str
    extractor: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str | None
    span: Span

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class EnumMember:
    name: str
    doc: str | None
    span: Span


@dataclass(frozen=True)
class EnumDecl:
    """A closed catalogue of string values (node kinds, edge kinds); its members are typed literals."""

    name: str
    members: tuple[EnumMember, ...]
    doc: str | None
    span: Span

    def member(self, name: str) -> EnumMember | None:
        return next((m for m in self.members if m.name == name), None)


class Volatility(str, Enum):
    IMMUTABLE = "immutable"
    STABLE = "stable"
    VOLATILE = "volatile"


@dataclass(frozen=True)
class Param:
    name: str
    type: ColumnType
    span: Span


@dataclass(frozen=True)
class UdfBinding:
    """Where the implementation lives: `python` "package.module:function" or `rust` "exported_symbol"."""

    language: str
    target: str
    span: Span


@dataclass(frozen=True)
class Udf:
    """A scalar function the runtime registers in the SessionContext under `name` before any view."""

    name: str
    params: tuple[Param, ...]
    returns: ColumnType
    volatility: Volatility
    binding: UdfBinding | None  # None: the runtime's own registry provides `name`
    doc: str | None
    span: Span


@dataclass(frozen=True)
class Import:
    """`import "path.sem"`: path as written, resolved against the importing file's folder."""

    path: str
    span: Span


# --- expressions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRef:
    qualifier: str | None
    name: str
    span: Span


class LiteralKind(str, Enum):
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    NULL = "null"


@dataclass(frozen=True)
class Literal:
    kind: LiteralKind
    value: str | int | float | bool | None
    span: Span


@dataclass(frozen=True)
class EnumValue:
    """`edge_kind.CALLS`: a typed literal. Written like a qualified column; resolution tells them apart."""

    enum: str
    member: str
    span: Span


@dataclass(frozen=True)
class SortKey:
    expr: "Expr"
    descending: bool
    span: Span


@dataclass(frozen=True)
class Call:
    """A call of a DataFusion built-in, a declared UDF, or (in aggregate steps) an aggregate function."""

    function: str
    args: tuple["Expr", ...]
    span: Span
    order_by: tuple[SortKey, ...] = ()  # only for the aggregates array_agg and first
    udf: bool = False  # set by resolution: the function is a declared UDF, looked up in the SessionContext


@dataclass(frozen=True)
class Binary:
    """Binary operator; `op` is one of the .sem spellings in BINARY_OPERATORS."""

    op: str
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class Unary:
    op: str  # "not" or "-"
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class InList:
    operand: "Expr"
    items: tuple["Expr", ...]
    negated: bool
    span: Span


@dataclass(frozen=True)
class IsNull:
    operand: "Expr"
    negated: bool
    span: Span


@dataclass(frozen=True)
class When:
    condition: "Expr"
    result: "Expr"
    span: Span


@dataclass(frozen=True)
class Case:
    whens: tuple[When, ...]
    otherwise: "Expr | None"
    span: Span


@dataclass(frozen=True)
class Cast:
    operand: "Expr"
    type: ColumnType
    span: Span


Expr = Union[ColumnRef, Literal, EnumValue, Call, Binary, Unary, InList, IsNull, Case, Cast]

BINARY_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "/", "%", "||")

# Aggregate functions of the aggregate step, by their .sem names.
AGGREGATE_FUNCTIONS = ("array_agg", "count", "first", "max", "min", "sum")


def children(expr: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions, so walks need no per-node-type code of their own."""
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, (Unary, IsNull, Cast)):
        return (expr.operand,)
    if isinstance(expr, InList):
        return (expr.operand, *expr.items)
    if isinstance(expr, Call):
        return (*expr.args, *(key.expr for key in expr.order_by))
    if isinstance(expr, Case):
        parts = [part for when in expr.whens for part in (when.condition, when.result)]
        return (*parts, expr.otherwise) if expr.otherwise is not None else tuple(parts)
    return ()


def walk(expr: Expr):
    """Every node of an expression, without recursion (any depth is safe)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


# --- pipelines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelationRef:
    """A pipeline source naming a dataset or view, optionally under an alias."""

    name: str
    alias: str | None
    span: Span

    @property
    def qualifier(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class UnionSource:
    """Rows of several relations matched by column name."""

    members: tuple[RelationRef, ...]
    span: Span


Source = Union[RelationRef, UnionSource]


@dataclass(frozen=True)
class Assignment:
    name: str
    expr: Expr
    span: Span


@dataclass(frozen=True)
class Filter:
    predicate: Expr
    span: Span


@dataclass(frozen=True)
class Derive:
    """Adds (or replaces) columns, each assignment seeing the ones before it."""

    assignments: tuple[Assignment, ...]
    span: Span


@dataclass(frozen=True)
class Select:
    """Keeps exactly the listed columns, in order; `name = expr` renames or computes."""

    items: tuple[Assignment, ...]
    span: Span


@dataclass(frozen=True)
class Rename:
    """Renames columns in place and keeps all the others: `rename new = old`."""

    items: tuple[Assignment, ...]  # each expr is a ColumnRef
    span: Span


class JoinKind(str, Enum):
    INNER = "inner"
    LEFT = "left"
    SEMI = "semi"
    ANTI = "anti"


@dataclass(frozen=True)
class Join:
    kind: JoinKind
    right: RelationRef
    on: Expr
    span: Span


@dataclass(frozen=True)
class Aggregate:
    """One row per group: the `by` columns first, then each aggregate."""

    aggregates: tuple[Assignment, ...]
    group_by: tuple[Assignment, ...]
    span: Span


@dataclass(frozen=True)
class Distinct:
    span: Span


@dataclass(frozen=True)
class Best:
    """Window ranking: keep the first `count` rows of each `per` group in `order` (the best match per key)."""

    count: int
    per: tuple[Expr, ...]
    order: tuple[SortKey, ...]
    span: Span


@dataclass(frozen=True)
class Recurse:
    """Fixpoint: the rows so far, unioned (distinct) with `steps` applied to the view itself, until no new row.

    The pipeline before it is the base term; `source` names the view itself.
    """

    source: RelationRef
    steps: tuple["Step", ...]
    span: Span


@dataclass(frozen=True)
class Use:
    """`use template(args)`: the template's steps with its parameters replaced by the arguments.

    The parser leaves `steps` empty; resolution fills it with the expanded steps.
    """

    template: str
    args: tuple[Expr, ...]
    steps: tuple["Step", ...]
    span: Span


Step = Union[Filter, Derive, Select, Rename, Join, Aggregate, Distinct, Best, Recurse, Use]


def flat_steps(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """Steps with every `use` replaced by its expanded steps."""
    out: list[Step] = []
    for step in steps:
        out.extend(flat_steps(step.steps) if isinstance(step, Use) else (step,))
    return tuple(out)


class RelationKind(str, Enum):
    VIEW = "view"
    OUTPUT = "output"


@dataclass(frozen=True)
class WritePolicy:
    """How an output is written and maintained in Delta Lake."""

    partition_by: tuple[str, ...]
    merge_on: tuple[str, ...]  # empty: overwrite
    change_data_feed: bool
    compact: bool
    vacuum_retain_hours: int | None
    span: Span


@dataclass(frozen=True)
class Template:
    """A parameterised fragment of pipeline steps; parameters stand for expressions."""

    name: str
    params: tuple[str, ...]
    steps: tuple[Step, ...]
    doc: str | None
    span: Span


@dataclass(frozen=True)
class View:
    """A named pipeline. Outputs are views that the runtime writes to Delta Lake."""

    name: str
    kind: RelationKind
    source: Source
    steps: tuple[Step, ...]
    doc: str | None
    span: Span
    write_policy: WritePolicy | None = None

    def dependencies(self) -> tuple[RelationRef, ...]:
        refs = list(self.source.members) if isinstance(self.source, UnionSource) else [self.source]
        for step in flat_steps(self.steps):
            if isinstance(step, Join):
                refs.append(step.right)
            elif isinstance(step, Recurse):
                refs.append(step.source)
                refs.extend(s.right for s in flat_steps(step.steps) if isinstance(s, Join))
        return tuple(refs)

    @property
    def recurse(self) -> Recurse | None:
        return next((s for s in flat_steps(self.steps) if isinstance(s, Recurse)), None)


Declaration = Union[Import, Dataset, EnumDecl, Udf, Template, View]


@dataclass(frozen=True)
class SpecFile:
    """One .sem file of a program: its path relative to the specs folder and its text."""

    path: str
    text: str


@dataclass(frozen=True)
class Program:
    files: tuple[SpecFile, ...]
    datasets: tuple[Dataset, ...]
    views: tuple[View, ...]
    enums: tuple[EnumDecl, ...] = ()
    udfs: tuple[Udf, ...] = ()
    templates: tuple[Template, ...] = ()
    imports: tuple[Import, ...] = ()

    def dataset(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def view(self, name: str) -> View | None:
        return next((v for v in self.views if v.name == name), None)

    def enum(self, name: str) -> EnumDecl | None:
        return next((e for e in self.enums if e.name == name), None)

    def udf(self, name: str) -> Udf | None:
        return next((u for u in self.udfs if u.name == name), None)

    def template(self, name: str) -> Template | None:
        return next((t for t in self.templates if t.name == name), None)
