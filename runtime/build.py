"""`semc build`: one run from source tree to Delta tables, with a report of what it did.

discover -> plan against the evidence state -> extract only added/changed files (process pool, Parquet parts)
-> commit evidence per table -> bring each output up to date (one commit each): unchanged outputs are left
alone, file-local ones get just the changed files' rows replaced, the rest are recomputed over every view
-> maintenance -> report (also JSON beside the outputs).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pyarrow as pa
from datafusion import SessionContext
from deltalake import DeltaTable

from runtime.change_scope import change_scope
from runtime.context import ExecutionContext
from runtime.delta_log import open_all
from runtime.delta_store import write_output
from runtime.discovery import DiscoveryOptions, discover_files
from runtime.evidence import empty_table, extract_tree
from runtime.evidence_store import EvidenceStore, fingerprint_of
from runtime.extract_pool import chunks, run_jobs
from runtime.extract_worker import ChunkResult, ExtractJob
from runtime.incremental import (
    Inputs,
    NotIncremental,
    apply_changes,
    changed_files,
    current_inputs,
    evidence_of_files,
    open_evidence,
    files_session,
    record_inputs,
    recorded_inputs,
    within_share,
)
from runtime.maintenance import EVIDENCE_MAINTENANCE, MaintenancePolicy, maintain, output_maintenance
from runtime.program import FILE_ID_COLUMN, FILE_STATE_BINDING, CompiledProgram, ViewSpec, load_program
from runtime.progress import Progress
from runtime.registration import (
    STAGE_SHARED_VIEWS_ABOVE_ROWS,
    register_evidence,
    register_stored_evidence,
    register_views,
    released_after_writes,
)
from runtime.report import RunReport
from runtime.source import DEFAULT_MAX_FILE_BYTES
from runtime.verified_plans import verify_plans_once

__all__ = ["BuildOptions", "RunReport", "build", "run", "session_for"]

REPORT_NAME = "semc_report.json"


# Above this many evidence rows, outputs are written union branch by branch. On the stdlib (5.3M rows) that
# lowers the peak from about 2.0 to 1.5 GB; on Django (0.8M rows) the peak was never near the limit, and planning
# each branch apart made writing about 0.6 s slower (medians of 3: 6.9 s against 6.3 s).
WRITE_BY_BRANCH_ABOVE_ROWS = 2_000_000


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
             progress: Progress) -> dict[str, DeltaTable]:
    """Bring the evidence up to date with the tree; returns the evidence tables it left open at their latest
    versions."""
    program = context.program
    needed = {name: program.dataset(name) for binding in program.executors for name in binding.datasets}
    tables = {name: context.resolver.location(name) for name in sorted(needed)}
    if not tables:
        return {}
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
        return {}
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
        opened = store.commit(plan, collected.parts)
        store.finish(plan, collected.states)
        progress.finish()
    return opened


def _register(context: ExecutionContext, report: RunReport, outputs: list[ViewSpec],
              evidence: dict[str, DeltaTable]) -> None:
    """Every view over all the evidence, for outputs recomputed whole; rows held for views these outputs no
    longer read are freed."""
    program = context.program
    extracted = {name for binding in program.executors for name in binding.datasets}
    with report.stage("register"):
        # Datasets that no output needs are not extracted; they stay queryable, empty.
        register_evidence(context, {d.name: empty_table(d) for d in program.datasets if d.name not in extracted})
        report.evidence_rows = register_stored_evidence(context, extracted, evidence)
        # On large trees, views several others read are staged in Delta rather than held in memory.
        report.staged_shared_views = sum(report.evidence_rows.values()) > STAGE_SHARED_VIEWS_ABOVE_ROWS
        installation = register_views(context, stage_shared=report.staged_shared_views, verify=False,
                                      for_outputs=outputs)
        report.udfs, report.udf_extension = installation.implementations, installation.extension


def _open_outputs(context: ExecutionContext) -> dict[str, DeltaTable]:
    """The outputs' tables that exist, opened once per build (each open replays a log: runtime.delta_log)."""
    locations = {o.name: str(context.resolver.location(o.name)) for o in context.program.outputs}
    return open_all({name: path for name, path in locations.items() if DeltaTable.is_deltatable(path)})


def _plan_outputs(context: ExecutionContext, report: RunReport, inputs: Inputs, opened: dict[str, DeltaTable]
                  ) -> tuple[list[ViewSpec], dict[str, tuple[Inputs, list[ViewSpec]]]]:
    """Which outputs are recomputed whole, and which may be maintained from the files changed since when."""
    whole: list[ViewSpec] = []
    by_since: dict[str, tuple[Inputs, list[ViewSpec]]] = {}
    for output in context.program.outputs:
        table = opened.get(output.name)
        since = recorded_inputs(table)
        if inputs.same_rows_as(since) and _same_columns(table, output):
            report.output_modes[output.name] = "unchanged"
        elif (since is not None and since.program == inputs.program
              and not (output.write_policy and output.write_policy.merge_on) and _same_columns(table, output)):
            by_since.setdefault(since.to_json(), (since, []))[1].append(output)
        else:
            whole.append(output)
    return whole, by_since


def _same_columns(table: DeltaTable | None, output: ViewSpec) -> bool:
    return table is not None and [f.name for f in table.schema().fields] == output.schema.names


def _write_incremental(context: ExecutionContext, report: RunReport, inputs: Inputs, evidence: dict[str, DeltaTable],
                       by_since: dict[str, tuple[Inputs, list[ViewSpec]]], whole: list[ViewSpec]) -> None:
    """Outputs the change does not reach keep their rows; those whose change the changed files' evidence gives
    are maintained row by row; the others join `whole`."""
    def register(session: ExecutionContext) -> None:
        register_views(session, verify=False)

    # Before and after side by side, and outputs two at a time: DataFusion and delta-rs work outside the GIL.
    with ThreadPoolExecutor(max_workers=2) as pairs:
        for since, outputs in by_since.values():
            changed = changed_files(context, since, inputs)
            if changed is None or not within_share(changed, report.files):
                whole.extend(outputs)
                continue
            with report.stage("register"):
                both = evidence_of_files(context, changed, since.evidence, evidence, pairs)
                if both is None:  # the recorded evidence versions are no longer readable (vacuumed)
                    whole.extend(outputs)
                    continue
                before, after = both
                unkeyed = frozenset(
                    name for name in since.evidence
                    if FILE_ID_COLUMN not in context.program.dataset(name).schema.names
                    and since.evidence[name] != inputs.evidence.get(name))
                sessions: list[ExecutionContext] = []  # over the evidence before and after; built when first needed
                computed: dict[str, tuple[pa.Table, pa.Table]] = {}

                def view_rows(name: str) -> tuple[pa.Table, pa.Table]:
                    if not sessions:
                        sessions.extend(pairs.map(lambda rows: files_session(context, rows, register), (before, after)))
                    if name not in computed:
                        old, new = pairs.map(lambda files: files.session.table(name).to_arrow_table(), sessions)
                        computed[name] = (old, new)
                    return computed[name]

                reached, maintainable = change_scope(context.program, before, after, view_rows, unkeyed)
            pending = []
            for output in outputs:
                if output.name not in reached:
                    record_inputs(context.resolver.location(output.name), output, inputs)
                    report.output_modes[output.name] = f"unchanged ({len(changed)} files changed, none of its inputs)"
                elif output.name in maintainable:
                    pending.append(output)
                else:
                    whole.append(output)
            if not pending:
                continue
            with report.stage("write"):
                work = [(output, *view_rows(output.name)) for output in pending]

            def apply(item):
                output, rows_before, rows_after = item
                try:
                    return output, apply_changes(context.resolver.location(output.name), output, rows_before,
                                                 rows_after, inputs)
                except NotIncremental:
                    return output, None

            # Each output is its own Delta table; their commits are independent and release the GIL while writing.
            with report.stage("write"):
                for output, rows in pairs.map(apply, work):
                    if rows is None:
                        whole.append(output)
                    else:
                        report.output_modes[output.name] = f"incremental ({len(changed)} files, {rows} rows changed)"


def run(context: ExecutionContext, source_root: Path, options: BuildOptions = BuildOptions()) -> RunReport:
    # Refuse a drifted program before anything is written; remembered beside the evidence state.
    verify_plans_once(context.program, context.resolver.location(FILE_STATE_BINDING).parent)
    report = RunReport(str(source_root), str(context.resolver.root))
    report.extractors = tuple(binding.name for binding in context.program.executors)
    progress = Progress(enabled=options.progress)
    committed = _extract(context, Path(source_root), options, report, progress)
    outputs = context.program.outputs
    progress.start("write", len(outputs))
    with report.stage("write"):
        evidence = open_evidence(context, committed)
        inputs = current_inputs(context, evidence)
        opened = _open_outputs(context)
        whole, by_since = _plan_outputs(context, report, inputs, opened)
    _write_incremental(context, report, inputs, evidence, by_since, whole)
    if whole:
        _register(context, report, whole, evidence)
    else:
        report.evidence_rows = {name: table.count() for name, table in evidence.items()}
    with report.stage("write"):
        released = released_after_writes(context.program, whole)
        # On large trees a union is written branch by branch, which bounds memory (runtime.union_branches).
        by_branch = sum(report.evidence_rows.values()) > WRITE_BY_BRANCH_ABOVE_ROWS
        for output in whole:
            write_output(context.resolver.location(output.name), context.session.table(output.name),
                         output.write_policy, inputs.commit_properties(), cluster_by=output.cluster_column,
                         session=context.session if by_branch else None)
            report.output_modes[output.name] = "whole"
            for name in released[output.name]:
                context.session.deregister_table(name)
        for output in outputs:
            table = opened.get(output.name)
            if table is None:
                table = opened[output.name] = DeltaTable(str(context.resolver.location(output.name)))
            else:
                table.update_incremental()  # to what this build wrote: ~0.7 ms, against ~6 ms to open again
            report.output_rows[output.name] = table.count()
            report.output_versions[output.name] = table.version()
            progress.advance()
        progress.finish()
    with report.stage("maintain"):
        # Only tables this build committed to: one it did not write has nothing new to compact, and the files
        # an earlier write left wait for the next one (vacuuming lists every file: ~6 ms a table).
        policies = {o.name: output_maintenance(o, options.maintenance) for o in outputs
                    if report.output_modes.get(o.name) != "unchanged"}
        if report.full_extraction or report.extracted_files or report.removed_files:
            policies.update({n: EVIDENCE_MAINTENANCE for b in context.program.executors for n in b.datasets})
        for name, policy in policies.items():
            done = maintain(context.resolver.location(name), policy, evidence.get(name, opened.get(name)))
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
