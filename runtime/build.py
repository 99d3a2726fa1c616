"""`semc build`: one run from source tree to Delta tables, with a report of what it did.

discover -> plan against the evidence state -> extract only added/changed files (process pool, Parquet parts)
-> commit evidence per table -> register evidence and views -> write outputs (one commit each) -> maintenance
-> report (also JSON beside the outputs).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pyarrow as pa
from datafusion import SessionContext
from deltalake import DeltaTable

from runtime.context import ExecutionContext
from runtime.delta_store import write_output
from runtime.discovery import DiscoveryOptions, discover_files
from runtime.evidence import empty_table, extract_tree
from runtime.evidence_store import EvidenceStore, fingerprint_of
from runtime.extract_pool import chunks, run_jobs
from runtime.extract_worker import ChunkResult, ExtractJob
from runtime.maintenance import EVIDENCE_MAINTENANCE, MaintenancePolicy, maintain, policy_for
from runtime.program import FILE_STATE_BINDING, CompiledProgram, load_program
from runtime.progress import Progress
from runtime.registration import (
    STAGE_SHARED_VIEWS_ABOVE_ROWS,
    register_evidence,
    register_stored_evidence,
    register_views,
    verify_plans,
)
from runtime.report import RunReport
from runtime.source import DEFAULT_MAX_FILE_BYTES

__all__ = ["BuildOptions", "RunReport", "build", "run", "session_for"]

REPORT_NAME = "semc_report.json"


@dataclass(frozen=True)
class BuildOptions:
    discovery: DiscoveryOptions = field(default_factory=DiscoveryOptions)
    workers: int = 0  # 0: one per CPU
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    progress: bool = True
    maintenance: MaintenancePolicy = field(default_factory=MaintenancePolicy)


def _evidence_fingerprint(program: CompiledProgram) -> str:
    """Changes when anything that shapes evidence changes: datasets, schemas, or the extractors' code."""
    parts = []
    for binding in program.executors:
        parts.append(binding.name + ":" + ",".join(binding.datasets))
        module = getattr(binding.extract, "__module__", "")
        parts.append(module)
        for dataset in binding.datasets:
            parts.append(str(program.dataset(dataset).schema))
    extractors_dir = Path(__file__).parent / "extractors"
    for path in sorted(extractors_dir.glob("*.py")) + [Path(__file__).parent / "source.py"]:
        parts.append(hashlib.sha256(path.read_bytes()).hexdigest())
    return fingerprint_of(parts)


def _extract(context: ExecutionContext, root: Path, options: BuildOptions, report: RunReport,
             progress: Progress) -> None:
    program = context.program
    needed = {name: program.dataset(name) for binding in program.executors for name in binding.datasets}
    tables = {name: context.resolver.location(name) for name in sorted(needed)}
    if not tables:
        return
    state = context.resolver.location(FILE_STATE_BINDING)
    store = EvidenceStore(state, tables, {n: d.schema for n, d in needed.items()}, _evidence_fingerprint(program))
    with report.stage("discover"):
        progress.start("discover")
        files = discover_files(root, options.discovery)
        # Per-file replacement needs the file id in every table; otherwise every build extracts everything.
        incremental = all("file_id" in d.schema.names for d in needed.values())
        plan = store.plan(files, incremental)
        progress.finish(f"{len(files)} files, {len(plan.extract)} to extract")
    report.files, report.full_extraction = len(files), plan.full
    report.extracted_files, report.unchanged_files = len(plan.extract), len(plan.unchanged)
    report.removed_files = len(plan.removed)
    if not plan.full and not plan.extract and not plan.removed:
        return
    with report.stage("extract"):
        store.begin(plan)
        folders = {name: str(location) for name, location in tables.items()}
        jobs = [ExtractJob(group, program.executors, needed, folders, options.max_file_bytes)
                for group in chunks(plan.extract)]
        collected = ChunkResult()
        progress.start("extract", len(plan.extract))

        def done(job: ExtractJob, result: ChunkResult) -> None:
            collected.parts.extend(result.parts)
            collected.states.extend(result.states)
            collected.failures.extend(result.failures)
            progress.advance(len(job.files))

        run_jobs(jobs, options.workers or os.cpu_count() or 1, done)
        progress.finish()
    report.failures = sorted(collected.failures)
    with report.stage("commit evidence"):
        progress.start("commit", len(tables))
        store.commit(plan, collected.parts)
        store.finish(plan, collected.states)
        progress.finish()


def _register(context: ExecutionContext, report: RunReport) -> None:
    program = context.program
    extracted = {name for binding in program.executors for name in binding.datasets}
    report.extractors = tuple(binding.name for binding in program.executors)
    with report.stage("register"):
        # Datasets that no output needs are not extracted; they stay queryable, empty.
        register_evidence(context, {d.name: empty_table(d) for d in program.datasets if d.name not in extracted})
        report.evidence_rows = register_stored_evidence(context, extracted)
        # On large trees, views several others read are staged in Delta rather than held in memory.
        report.staged_shared_views = sum(report.evidence_rows.values()) > STAGE_SHARED_VIEWS_ABOVE_ROWS
        installation = register_views(context, stage_shared=report.staged_shared_views)
        report.udfs, report.udf_extension = installation.implementations, installation.extension


def run(context: ExecutionContext, source_root: Path, options: BuildOptions = BuildOptions()) -> RunReport:
    verify_plans(context.program)  # refuse a drifted program before anything is extracted or written
    report = RunReport(str(source_root), str(context.resolver.root))
    progress = Progress(enabled=options.progress)
    _extract(context, Path(source_root), options, report, progress)
    _register(context, report)
    outputs = context.program.outputs
    with report.stage("write"):
        progress.start("write", len(outputs))
        for output in outputs:
            location = context.resolver.location(output.name)
            report.output_rows[output.name] = write_output(
                location, context.session.table(output.name), output.write_policy
            )
            report.output_versions[output.name] = DeltaTable(str(location)).version()
            progress.advance()
        progress.finish()
    with report.stage("maintain"):
        policies = {o.name: policy_for(o.write_policy, options.maintenance) for o in outputs}
        policies.update({n: EVIDENCE_MAINTENANCE for b in context.program.executors for n in b.datasets})
        for name, policy in policies.items():
            done = maintain(context.resolver.location(name), policy)
            if any(done.values()):
                report.maintenance[name] = done
    report.write_json(context.resolver.root / REPORT_NAME)
    return report


def _checked_root(source_root: Path | str) -> Path:
    root = Path(source_root)
    if not root.exists():
        raise FileNotFoundError(f"no such file or folder: {root}")
    return root


def build(source_root: Path | str, out_dir: Path | str, package: str | ModuleType = "generated",
          options: BuildOptions = BuildOptions(progress=False)) -> RunReport:
    """Build the CPG of source_root into out_dir with a generated program (the shipped one by default)."""
    root = _checked_root(source_root)
    program, _ = load_program(package)
    return run(ExecutionContext.create(program, Path(out_dir)), root, options)


def session_for(source_root: Path | str, package: str | ModuleType = "generated") -> SessionContext:
    """A DataFusion session holding source_root's evidence and every view registered, writing nothing."""
    root = _checked_root(source_root)
    program, _ = load_program(package)
    context = ExecutionContext.create(program, Path("."))
    tables: dict[str, pa.Table] = {d.name: empty_table(d) for d in program.datasets}
    tables.update(extract_tree(program, root).tables)
    register_evidence(context, tables)
    register_views(context)
    return context.session
