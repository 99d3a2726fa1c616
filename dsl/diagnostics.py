"""Located diagnostics: every problem in a spec is reported against a span of its source text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


def source_lines(text: str) -> list[str]:
    """Lines as the lexer counts them: split at \\n only (str.splitlines would also split at \\f, \\x85, ...)."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


@dataclass(frozen=True, order=True)
class Span:
    """A range of a spec file. Lines and columns are 1-based; end_col is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    hint: str | None = None

    def render(self, sources: dict[str, str]) -> str:
        """`file:line:col: error[SEM001]: message`, the source line, a caret under the span, a hint."""
        lines = [f"{self.span}: {self.severity.value}[{self.code}]: {self.message}"]
        text = sources.get(self.span.file)
        if text is not None:
            lines_of_text = source_lines(text)
            if 1 <= self.span.line <= len(lines_of_text):
                source_line = lines_of_text[self.span.line - 1].expandtabs(1)
                gutter = f"{self.span.line:>4} | "
                lines.append(gutter + source_line)
                if self.span.end_line == self.span.line:
                    width = max(1, self.span.end_col - self.span.col)
                else:
                    width = max(1, len(source_line) - self.span.col + 1)
                lines.append(" " * (len(gutter) - 2) + "| " + " " * (self.span.col - 1) + "^" * width)
        if self.hint:
            lines.append(f"     = hint: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "col": self.span.col,
            "end_line": self.span.end_line,
            "end_col": self.span.end_col,
            "hint": self.hint,
        }


@dataclass
class SpecError(Exception):
    """Raised when a spec cannot be compiled; carries every diagnostic found, not only the first."""

    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        ordered = sorted(self.diagnostics, key=lambda d: (d.span, d.code))
        body = "\n\n".join(d.render(self.sources) for d in ordered)
        errors = sum(1 for d in ordered if d.severity is Severity.ERROR)
        return f"{body}\n\n{errors} error(s)"

    def to_json(self) -> str:
        ordered = sorted(self.diagnostics, key=lambda d: (d.span, d.code))
        return json.dumps([d.to_json() for d in ordered], indent=2)
