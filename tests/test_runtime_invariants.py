"""Runtime guards, each shown to fire: stale package, plan drift, orphan registrations, evidence contracts."""

from __future__ import annotations

import shutil
import sys

import pyarrow as pa
import pytest

from runtime.build import build
from runtime.cli import main
from runtime.context import ExecutionContext
from runtime.discovery import discover_files
from runtime.evidence import EvidenceSchemaError
from runtime.extract_worker import ExtractJob, run_job
from runtime.extractors import file_scan
from runtime.program import ExtractorBinding, StaleProgramError, load_program
from runtime.registration import OrphanRegistrationError, PlanDriftError, register_evidence, register_views
from runtime.source import DEFAULT_MAX_FILE_BYTES
from tests.conftest import ROOT

SAMPLE = ROOT / "samples" / "shapes"


def test_a_package_older_than_its_specs_refuses_to_run(compile_package, tmp_path, capsys):
    module, specs_dir, package_dir = compile_package({"main.sem": (ROOT / "specs" / "evidence.sem").read_text()
                                                      + "output n = ast_nodes | select kind\n"})
    load_program(module)  # fresh: fine
    (specs_dir / "main.sem").write_text((specs_dir / "main.sem").read_text() + "\n# a comment\n")
    with pytest.raises(StaleProgramError, match=r"changed: main\.sem.*run `semc gen`"):
        load_program(module)
    code = main(["build", str(SAMPLE), "--out", str(tmp_path / "out"), "--program", str(package_dir)])
    assert code == 2
    assert "run `semc gen`" in capsys.readouterr().err


def test_a_builder_edited_by_hand_is_caught_by_its_plan_fingerprint(tmp_path):
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    package = tmp_path / "handedited"
    shutil.copytree(ROOT / "generated", package, ignore=shutil.ignore_patterns("__pycache__"))
    views = package / "views.py"
    views.write_text(views.read_text().replace('col("reason") != lit("decorated")', 'col("reason") != lit("decorate")'))
    code = main(["build", str(SAMPLE), "--out", str(tmp_path / "out"), "--program", str(package)])
    assert code == 2
    with pytest.raises(PlanDriftError, match="view 'known_values' plans differently"):
        build(SAMPLE, tmp_path / "out", "handedited")
    assert not (tmp_path / "out").exists(), "nothing may be written when a plan has drifted"


def test_plans_verified_once_are_verified_again_after_a_hand_edit(tmp_path, monkeypatch):
    import runtime.verified_plans as verified

    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    package = tmp_path / "editedlater"
    shutil.copytree(ROOT / "generated", package, ignore=shutil.ignore_patterns("__pycache__"))
    runs = []
    real = verified.verify_plans
    monkeypatch.setattr(verified, "verify_plans", lambda program: (runs.append(program.package), real(program)))
    assert main(["build", str(SAMPLE), "--out", str(tmp_path / "out"), "--program", str(package)]) == 0
    assert main(["build", str(SAMPLE), "--out", str(tmp_path / "out"), "--program", str(package)]) == 0
    assert runs == ["editedlater"]  # the second build had nothing new to verify
    views = package / "views.py"
    views.write_text(views.read_text().replace('col("reason") != lit("decorated")', 'col("reason") != lit("decorate")'))
    for name in [m for m in sys.modules if m == "editedlater" or m.startswith("editedlater.")]:
        monkeypatch.delitem(sys.modules, name)  # as a new process would, import the edited file
    assert main(["build", str(SAMPLE), "--out", str(tmp_path / "out"), "--program", str(package)]) == 2
    assert len(runs) == 2


def test_nothing_outside_the_view_graph_may_be_registered(tmp_path):
    program, _ = load_program("generated")
    context = ExecutionContext.create(program, tmp_path)
    register_evidence(context, {d.name: pa.Table.from_pylist([], schema=d.schema) for d in program.datasets})
    context.session.register_record_batches("rogue", [[pa.RecordBatch.from_pylist([{"a": 1}])]])
    with pytest.raises(OrphanRegistrationError, match="rogue"):
        register_views(context)


def test_views_register_in_schedule_order_with_only_graph_names(tmp_path):
    program, _ = load_program("generated")
    context = ExecutionContext.create(program, tmp_path)
    register_evidence(context, {d.name: pa.Table.from_pylist([], schema=d.schema) for d in program.datasets})
    register_views(context)
    registered = set(context.session.catalog().schema().names())
    assert registered == {d.name for d in program.datasets} | {v.name for v in program.views}
    position = {v.name: i for i, v in enumerate(program.views)}
    for upstream, downstream in program.edges:
        if upstream in position:
            assert position[upstream] < position[downstream]


def test_evidence_that_breaks_its_declared_schema_is_a_clear_error(compile_package, tmp_path):
    spec = (
        "dataset ast_nodes from extractor python_ast {\n  file_id: string\n  not_produced: int64\n}\n"
        "output o = ast_nodes | select file_id\n"
    )
    module, _, _ = compile_package({"main.sem": spec})
    with pytest.raises(EvidenceSchemaError, match="no column 'not_produced' for dataset 'ast_nodes'"):
        build(SAMPLE, tmp_path / "out", module)


def test_a_non_null_column_that_gets_nulls_is_named(compile_package, tmp_path):
    spec = (
        "dataset ast_nodes from extractor python_ast {\n  file_id: string\n  parent_id: int64\n}\n"
        "output o = ast_nodes | select file_id\n"
    )
    module, _, _ = compile_package({"main.sem": spec})
    with pytest.raises(EvidenceSchemaError, match="'parent_id' of dataset 'ast_nodes' is declared non-null"):
        build(SAMPLE, tmp_path / "out", module)


def _line_index_job(tmp_path, extract) -> ExtractJob:
    """A job over the sample's files with one extractor producing `line_index` (many rows per file)."""
    program, _ = load_program("generated")
    files = tuple(sorted(discover_files(SAMPLE), key=lambda f: f.file_id))
    binding = ExtractorBinding("file_scan", ("line_index",), extract)
    return ExtractJob(files, (binding,), {"line_index": program.dataset("line_index")},
                      {"line_index": str(tmp_path / "line_index")}, DEFAULT_MAX_FILE_BYTES)


def _spoiled(spoils: dict):
    """The real file_scan extractor, its line_index columns changed by `spoils[file_id]` for some files."""
    def extract(source, datasets):
        produced = file_scan.extract(source, datasets)
        if source.file_id in spoils:
            spoils[source.file_id](produced["line_index"])
        return produced
    return extract


def test_extractor_columns_of_different_lengths_are_an_error_not_misaligned_rows(tmp_path):
    # Rows are gathered across files before conversion: one file short of a value and the next with one too
    # many would add up to equal lengths, every row between them shifted, unless each file is checked.
    second, third = sorted(f.file_id for f in discover_files(SAMPLE))[1:3]
    spoils = {second: lambda columns: columns["newline"].pop(), third: lambda columns: columns["newline"].append("")}
    with pytest.raises(EvidenceSchemaError, match=r"column 'newline' of dataset 'line_index' \(from extractor "
                                                  r"'file_scan'\) has \d+ values, but column 'file_id' has \d+"):
        run_job(_line_index_job(tmp_path, _spoiled(spoils)))


def test_a_value_of_the_wrong_type_is_an_error_naming_its_file(tmp_path):
    second = sorted(f.file_id for f in discover_files(SAMPLE))[1]
    spoils = {second: lambda columns: columns["bstart"].__setitem__(0, "x")}
    with pytest.raises(EvidenceSchemaError, match=rf"column 'bstart' of dataset 'line_index' \(from extractor "
                                                  rf"'file_scan'\) does not hold int64: .* \(file '{second}'\)"):
        run_job(_line_index_job(tmp_path, _spoiled(spoils)))


def test_a_run_loads_the_program_exactly_once(tmp_path, monkeypatch):
    import importlib

    build_module = importlib.import_module("runtime.build")  # the module, not the function runtime.build
    calls = []
    real = build_module.load_program

    def counting(package):
        calls.append(package)
        return real(package)

    monkeypatch.setattr(build_module, "load_program", counting)
    build(SAMPLE, tmp_path / "out")
    assert calls == ["generated"]


def test_every_location_in_a_run_comes_from_the_one_resolver(tmp_path, monkeypatch):
    from runtime.build import run
    from runtime.resolver import DatasetResolver

    users: list[int] = []
    real = DatasetResolver.location

    def recording(self, name):
        users.append(id(self))
        return real(self, name)

    monkeypatch.setattr(DatasetResolver, "location", recording)
    program, _ = load_program("generated")
    context = ExecutionContext.create(program, tmp_path / "out")
    run(context, SAMPLE)
    assert users, "the run resolved no location at all"
    assert set(users) == {id(context.resolver)}
    for output in program.outputs:
        assert (tmp_path / "out" / program.bindings[output.name] / "_delta_log").is_dir()


def _string_constants(path):
    import ast

    tree = ast.parse(path.read_text())
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_no_hand_written_list_restates_what_the_compiler_derives():
    """Invariant 6: names of datasets, views, outputs, cache policies and locations appear only in generated/.

    Extractors are exempt for the datasets they produce: that is their contract with the specs."""
    program, _ = load_program("generated")
    derived = (
        {d.name for d in program.datasets}
        | {v.name for v in program.views}
        | set(program.bindings.values())
    )
    offenders = {}
    for path in sorted((ROOT / "runtime").rglob("*.py")):
        if "extractors" in path.parts:
            continue
        found = _string_constants(path) & derived
        if found:
            offenders[path.relative_to(ROOT).as_posix()] = sorted(found)
    assert offenders == {}


def test_shared_views_staged_in_delta_give_the_same_outputs(tmp_path):
    from runtime.evidence import extract_tree

    program, _ = load_program("generated")
    shared = [v.name for v in program.views if v.cache.value == "memory"]
    assert shared, "the shipped program has no view read by several others"
    tables = {d.name: pa.Table.from_pylist([], schema=d.schema) for d in program.datasets}
    tables.update(extract_tree(program, SAMPLE).tables)

    def registered(out, stage_shared):
        context = ExecutionContext.create(program, out)
        register_evidence(context, tables)
        register_views(context, stage_shared=stage_shared)
        return context

    staged = registered(tmp_path / "staged", True)
    in_memory = registered(tmp_path / "memory", False)
    for name in shared:
        assert (tmp_path / "staged" / program.bindings[name] / "_delta_log").is_dir()
        assert not (tmp_path / "memory" / program.bindings[name]).exists()
    for output in program.outputs:
        rows = staged.session.table(output.name).to_pylist()
        assert rows, output.name
        assert sorted(map(repr, rows)) == sorted(map(repr, in_memory.session.table(output.name).to_pylist()))


def test_staleness_covers_spec_files_imported_from_outside_the_specs_folder(compile_package, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "evidence.sem").write_text((ROOT / "specs" / "evidence.sem").read_text())
    specs = tmp_path / "specs_with_import"
    specs.mkdir()
    (specs / "main.sem").write_text('import "../lib/evidence.sem"\noutput n = ast_nodes | select kind\n')
    module, _, _ = compile_package(specs)
    load_program(module)
    (lib / "evidence.sem").write_text((lib / "evidence.sem").read_text() + "\n# edited\n")
    with pytest.raises(StaleProgramError, match=r"changed: \.\./lib/evidence\.sem"):
        load_program(module)
