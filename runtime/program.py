"""The value a generated package exports: everything the compiler derived, and nothing hand-written.

Generated code builds one `CompiledProgram` from these types; the runtime reads only that value.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Callable, Mapping

import pyarrow as pa
from datafusion import DataFrame, SessionContext

from runtime.errors import SemcError
from runtime.source import SourceFile

ViewBuilder = Callable[[SessionContext], DataFrame]
# An extractor reads one file and returns, per requested dataset, its columns as lists of values.
ExtractFunction = Callable[[SourceFile, frozenset[str]], Mapping[str, Mapping[str, list]]]


# Evidence keyed by file carries the file's id in this column: the extractor contract, which lets the evidence
# store replace one file's rows, and lets file-local outputs be maintained file by file.
FILE_ID_COLUMN = "file_id"

# The binding of the evidence store's per-file state table. `@` cannot begin a dataset or view name.
FILE_STATE_BINDING = "@file_state"


class CachePolicy(str, Enum):
    NONE = "none"  # consumed once: inlined into its consumer's plan
    MEMORY = "memory"  # consumed by several views: computed once per run, in memory (in Delta when large)
    DELTA_OUTPUT = "delta_output"  # an output: written to its Delta table


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    extractor: str
    schema: pa.Schema
    key: tuple[str, ...]
    in_memory: bool = False  # a recursive term reads it: held in memory for the run (see codegen.model)


@dataclass(frozen=True)
class WritePolicy:
    """How an output is written and maintained in Delta Lake, as its spec says."""

    partition_by: tuple[str, ...] = ()
    merge_on: tuple[str, ...] = ()  # empty: each build replaces the table in one commit
    # The runtime keeps the change data feed on for every output; the spec may still say so explicitly.
    change_data_feed: bool = False
    compact: bool = False
    vacuum_retain_hours: int | None = None


class UdfSource(str, Enum):
    """Where a declared UDF's implementation comes from."""

    RUNTIME = "runtime"  # no binding: the Rust extension's UDF when it is built, else runtime.udfs.<name>
    RUST = "rust"  # from rust "name": the Rust extension's UDF, with no fallback
    PYTHON = "python"  # from python "module:function": the user's function


@dataclass(frozen=True)
class UdfSpec:
    """A scalar function declared in the specs, with the implementation the generated code imports."""

    name: str
    input_types: tuple[pa.DataType, ...]
    return_type: pa.DataType
    volatility: str  # immutable | stable | volatile
    # vectorised: pyarrow arrays in, one pyarrow array out; None for a Rust-only UDF
    implementation: Callable[..., pa.Array] | None
    source: UdfSource = UdfSource.PYTHON


@dataclass(frozen=True)
class ViewSpec:
    name: str
    is_output: bool
    builder: ViewBuilder
    schema: pa.Schema
    inputs: tuple[str, ...]
    required_columns: Mapping[str, tuple[str, ...]]
    fingerprint: str
    cache: CachePolicy
    # output column -> the (input, column) pairs it is computed from, read from the plan
    lineage: Mapping[str, tuple[tuple[str, str], ...]]
    required_udfs: tuple[str, ...] = ()  # declared UDFs the plan calls
    write_policy: WritePolicy | None = None  # outputs only
    # Every row depends on the evidence of one source file only (all inputs keyed by file, joins equate the
    # file, aggregates group by it): the view's rows for some files can be computed from those files alone.
    file_local: bool = False
    file_column: str | None = None  # the output column holding the evidence file id unchanged, if any
    cluster_column: str | None = None  # a column computed from the file id: keeps one file's rows together
    # Inputs whose rows reach this view's rows one by one (read under filters, projections and unions only):
    # when just some of their rows change, just the rows made from those change here.
    row_wise_inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtractorBinding:
    """An extractor the program needs, and exactly the datasets some output reads from it."""

    name: str
    datasets: tuple[str, ...]
    extract: ExtractFunction


@dataclass(frozen=True)
class CompiledProgram:
    package: str
    specs_dir: str  # relative to the package folder; used to detect generated code older than its specs
    spec_hashes: Mapping[str, str]  # spec file (relative to specs_dir) -> sha256 of its bytes
    spec_fingerprint: str
    program_fingerprint: str
    datasets: tuple[DatasetSpec, ...]
    views: tuple[ViewSpec, ...]  # in schedule order
    edges: tuple[tuple[str, str], ...]  # (upstream, downstream) over datasets and views
    generations: tuple[tuple[str, ...], ...]  # views that can run together, in order
    executors: tuple[ExtractorBinding, ...]
    bindings: Mapping[str, str]
    udfs: tuple[UdfSpec, ...] = ()  # evidence, staging and output name -> location relative to the output root

    def dataset(self, name: str) -> DatasetSpec:
        return next(d for d in self.datasets if d.name == name)

    def view(self, name: str) -> ViewSpec:
        return next(v for v in self.views if v.name == name)

    @property
    def outputs(self) -> tuple[ViewSpec, ...]:
        return tuple(v for v in self.views if v.is_output)


def spec_fingerprint(spec_hashes: Mapping[str, str]) -> str:
    """One digest for a set of spec files; the compiler and the staleness check both use this function."""
    digest = hashlib.sha256()
    for path in sorted(spec_hashes):
        digest.update(f"{path}\0{spec_hashes[path]}\n".encode())
    return digest.hexdigest()


def current_spec_hashes(specs_dir: Path, recorded: Mapping[str, str]) -> dict[str, str]:
    """Hashes of the spec files as they are now: every file the program was generated from (imports from
    outside the folder included), and every .sem file in the folder. A file that is gone hashes to ""."""
    paths = set(recorded) | {p.relative_to(specs_dir).as_posix() for p in specs_dir.rglob("*.sem")}
    hashes = {}
    for relative in sorted(paths):
        path = specs_dir / relative
        hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return hashes


class StaleProgramError(SemcError):
    pass


def check_fresh(program: CompiledProgram, package_dir: Path) -> None:
    """Refuse a generated package whose specs have changed since it was generated.

    Where the specs folder is absent (an installed package), there is nothing to compare against.
    """
    specs_dir = (package_dir / program.specs_dir).resolve()
    if not specs_dir.is_dir():
        return
    current = current_spec_hashes(specs_dir, program.spec_hashes)
    if spec_fingerprint(current) == program.spec_fingerprint:
        return
    changed = sorted(p for p in set(current) | set(program.spec_hashes) if current.get(p) != program.spec_hashes.get(p))
    raise StaleProgramError(
        f"{program.package}/ was generated from other specs than those in {specs_dir} "
        f"(changed: {', '.join(changed)}); run `semc gen` to regenerate it"
    )


def load_program(package: str | ModuleType = "generated") -> tuple[CompiledProgram, Path]:
    """Import a generated package and return its program and folder, refusing it if stale."""
    module = importlib.import_module(package) if isinstance(package, str) else package
    program_module = importlib.import_module(f"{module.__name__}.program")
    program: CompiledProgram = program_module.PROGRAM
    package_dir = Path(module.__file__).parent
    check_fresh(program, package_dir)
    return program, package_dir
