"""The execution context of one run: built once from a generated program, passed to every subsystem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datafusion import SessionContext

from runtime.program import CompiledProgram
from runtime.resolver import DatasetResolver


@dataclass(frozen=True)
class ExecutionContext:
    program: CompiledProgram
    resolver: DatasetResolver
    session: SessionContext

    @classmethod
    def create(cls, program: CompiledProgram, out_dir: Path) -> "ExecutionContext":
        return cls(program, DatasetResolver(out_dir, program.bindings), SessionContext())
