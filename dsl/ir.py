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
class ColumnType:
    name: str
    nullable: bool

    def __str__(self) -> str:
        return self.name + ("?" if self.nullable else "")


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
class Call:
    function: str
    args: tuple["Expr", ...]
    span: Span


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


Expr = Union[ColumnRef, Literal, Call, Binary, Unary, InList, IsNull]

BINARY_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "/", "%")


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


Step = Union[Filter, Derive, Select, Join]


class RelationKind(str, Enum):
    VIEW = "view"
    OUTPUT = "output"


@dataclass(frozen=True)
class View:
    """A named pipeline. Outputs are views that the runtime writes to Delta Lake."""

    name: str
    kind: RelationKind
    source: Source
    steps: tuple[Step, ...]
    doc: str | None
    span: Span

    def dependencies(self) -> tuple[RelationRef, ...]:
        refs = list(self.source.members) if isinstance(self.source, UnionSource) else [self.source]
        refs.extend(step.right for step in self.steps if isinstance(step, Join))
        return tuple(refs)


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

    def dataset(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def view(self, name: str) -> View | None:
        return next((v for v in self.views if v.name == name), None)
