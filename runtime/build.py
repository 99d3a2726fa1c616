"""`semc build`: one run from source tree to Delta tables, with a report of what it did."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pyarrow as pa
from datafusion import SessionContext

from runtime.context import ExecutionContext
from runtime.delta_store import write_output
from runtime.evidence import Evidence, extract_tree
from runtime.program import load_program
from runtime.registration import register_evidence, register_views


@dataclass
class RunReport:
    source_root: str
    out_dir: str
    files: int = 0
    extractors: tuple[str, ...] = ()
    stage_seconds: dict[str, float] = field(default_factory=dict)
    evidence_rows: dict[str, int] = field(default_factory=dict)
    output_rows: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        yield
        self.stage_seconds[name] = time.perf_counter() - start

    def render(self) -> str:
        lines = [
            f"semc build {self.source_root} -> {self.out_dir}",
            f"  files: {self.files}",
            "  extractors run: " + (", ".join(self.extractors) or "none"),
            "  stages: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.stage_seconds.items()),
            "  evidence rows: " + ", ".join(f"{k}={v}" for k, v in sorted(self.evidence_rows.items())),
            "  outputs:",
        ]
        lines.extend(f"    {name:<24} {rows:>10} rows" for name, rows in sorted(self.output_rows.items()))
        lines.extend(f"  extractor failure: {failure}" for failure in self.failures)
        return "\n".join(lines)


def _register(context: ExecutionContext, source_root: Path, report: RunReport) -> Evidence:
    """Extract, then register evidence and every view in schedule order."""
    program = context.program
    with report.stage("extract"):
        evidence = extract_tree(program, source_root)
    report.files, report.failures = evidence.files, evidence.failures
    report.extractors = tuple(binding.name for binding in program.executors)
    report.evidence_rows = {name: table.num_rows for name, table in evidence.tables.items()}
    # Datasets that no output needs are not extracted; they stay queryable, empty.
    tables = {d.name: pa.Table.from_pylist([], schema=d.schema) for d in program.datasets}
    tables.update(evidence.tables)
    with report.stage("register"):
        register_evidence(context, tables)
        register_views(context)
    return evidence


def run(context: ExecutionContext, source_root: Path) -> RunReport:
    report = RunReport(str(source_root), str(context.resolver.root))
    _register(context, source_root, report)
    with report.stage("write"):
        for output in context.program.outputs:
            location = context.resolver.location(output.name)
            report.output_rows[output.name] = write_output(location, context.session.table(output.name))
    return report


def _checked_root(source_root: Path | str) -> Path:
    root = Path(source_root)
    if not root.exists():
        raise FileNotFoundError(f"no such file or folder: {root}")
    return root


def build(source_root: Path | str, out_dir: Path | str, package: str | ModuleType = "generated") -> RunReport:
    """Build the CPG of source_root into out_dir with a generated program (the shipped one by default)."""
    root = _checked_root(source_root)
    program, _ = load_program(package)
    return run(ExecutionContext.create(program, Path(out_dir)), root)


def session_for(source_root: Path | str, package: str | ModuleType = "generated") -> SessionContext:
    """A DataFusion session holding source_root's evidence and every view registered, writing nothing."""
    root = _checked_root(source_root)
    program, _ = load_program(package)
    context = ExecutionContext.create(program, Path("."))
    _register(context, root, RunReport(str(root), ""))
    return context.session
