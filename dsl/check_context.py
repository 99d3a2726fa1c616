"""What every part of the checker shares: the program's declarations, the relations checked so far, and the
diagnostics found (one instance per check, passed along)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl.diagnostics import Diagnostic, Span
from dsl.ir import ColumnType, Dataset, EnumDecl, Udf, View


@dataclass(frozen=True)
class ScopeColumn:
    qualifier: str | None
    name: str
    type: ColumnType


Scope = list[ScopeColumn]


@dataclass
class CheckContext:
    datasets: dict[str, Dataset] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    enums: dict[str, EnumDecl] = field(default_factory=dict)
    udfs: dict[str, Udf] = field(default_factory=dict)
    # Output columns of each relation checked so far; None where the relation itself had errors,
    # so that one mistake does not cascade into a diagnostic at every use.
    columns: dict[str, Scope | None] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Set while checking the steps a `use` expanded: appended to every hint, naming the use site.
    context_note: str | None = None

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        if self.context_note:
            hint = f"{hint}; {self.context_note}" if hint else self.context_note
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    def mark(self) -> int:
        return len(self.diagnostics)

    def failed_since(self, mark: int) -> bool:
        return len(self.diagnostics) > mark
