"""The runtime installs the Rust UDFs when the extension is built and the Python fallbacks otherwise, says which in
the run report, plans identically either way, and stops before any view when a UDF has no implementation."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from datafusion import udf
from deltalake import DeltaTable

from generated.program import PROGRAM
from runtime.build import build
from runtime.context import ExecutionContext
from runtime.plans import placeholder_context, plan_fingerprint, udf_identity
from runtime.registration import register_evidence, register_views
from runtime.rust_udfs import DISABLE_VARIABLE, RustUdfMismatchError, check_signature, load_extension
from runtime.udf_install import UdfUnavailableError, install_udfs
from tests.conftest import ROOT
from tests.rust_udf_support import rust_udfs

SAMPLE = ROOT / "samples" / "shapes"

SPEC = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  kind: string
  qualname: string?
  bstart: int64
  bend: int64
}
import "udfs.sem"
view defs = ast_nodes | filter kind in ("FunctionDef", "ClassDef")
output named = defs
  | select file_id, node_id, qualname, dotted = normalize_qualname(qualname),
           id = stable_id(file_id, kind, qualname, ""), inside_first_kb = span_contains(0, 1024, bstart, bend)
output plain = defs | select file_id, node_id
"""

RUST_ONLY = """dataset ast_nodes from extractor python_ast {
  file_id: string
  bstart: int64
  bend: int64
}
udf span_overlaps(a_start: int64?, a_end: int64?, b_start: int64?, b_end: int64?) -> bool? immutable
  from rust "span_overlaps"
output overlapping = ast_nodes | select file_id, hit = span_overlaps(bstart, bend, 0, 10)
"""


def _shipped_udfs() -> str:
    return (ROOT / "specs" / "udfs.sem").read_text(encoding="utf-8")


@pytest.fixture
def package(compile_package):
    package, _, _ = compile_package({"main.sem": SPEC, "udfs.sem": _shipped_udfs()})
    return package


def _build(package, out, monkeypatch, rust: bool):
    monkeypatch.setenv(DISABLE_VARIABLE, "1" if rust else "0")
    build(SAMPLE, out, package)
    report = json.loads((out / "semc_report.json").read_text())
    rows = DeltaTable(str(out / "named")).to_pyarrow_table()
    rows = rows.sort_by([("file_id", "ascending"), ("node_id", "ascending")])
    return report, rows


def test_the_run_report_names_the_fallbacks_without_the_extension(package, tmp_path, monkeypatch):
    report, rows = _build(package, tmp_path / "out", monkeypatch, rust=False)
    assert report["udfs"] == {
        name: f"python fallback runtime.udfs.{name}:implementation"
        for name in ("column_to_byte", "normalize_qualname", "span_contains", "span_overlaps", "stable_id")
    }
    assert report["udf_extension"] == f"disabled ({DISABLE_VARIABLE}=0)"
    dotted = dict(zip(rows.column("qualname").to_pylist(), rows.column("dotted").to_pylist()))
    assert dotted and all("<locals>" not in d for d in dotted.values())


def test_the_run_report_names_the_rust_udfs_and_outputs_are_identical(package, tmp_path, monkeypatch, capsys):
    rust_udfs()
    rust_report, rust_rows = _build(package, tmp_path / "rust", monkeypatch, rust=True)
    fallback_report, fallback_rows = _build(package, tmp_path / "py", monkeypatch, rust=False)
    assert set(rust_report["udfs"].values()) == {"rust semc_udfs"}
    assert rust_report["udf_extension"].startswith("semc_udfs loaded from ")
    assert rust_rows.num_rows > 0 and rust_rows.equals(fallback_rows)


def test_the_printed_report_says_which(package, tmp_path, monkeypatch):
    monkeypatch.setenv(DISABLE_VARIABLE, "0")
    text = build(SAMPLE, tmp_path / "out", package).render()
    assert "stable_id (python fallback runtime.udfs.stable_id:implementation)" in text
    assert f"Rust UDF extension: disabled ({DISABLE_VARIABLE}=0)" in text


def test_plans_are_fingerprinted_alike_with_rust_or_fallback_udfs(package):
    """A view's fingerprint names the declaration and the fallback, never which implementation a run installs:
    the plans DataFusion builds over the Rust UDFs are the ones the compiler fingerprinted over the fallbacks."""
    rust = rust_udfs()
    program = package.program.PROGRAM
    schemas = [(d.name, d.schema) for d in program.datasets] + [(v.name, v.schema) for v in program.views]
    ctx = placeholder_context(schemas)
    for spec in program.udfs:
        ctx.register_udf(udf(rust[spec.name]))
    identities = {spec.name: udf_identity(spec) for spec in program.udfs}
    named = program.view("named")
    assert set(named.required_udfs) == {"normalize_qualname", "span_contains", "stable_id"}
    for view in program.views:
        used = {name: identities[name] for name in view.required_udfs}
        assert plan_fingerprint(view.builder(ctx), used) == view.fingerprint, view.name
    # and the identity is the same whether or not the extension loads in this process
    assert all("rust" not in identity for identity in identities.values())


def _context_with_evidence(program, out_dir):
    context = ExecutionContext.create(program, out_dir)
    register_evidence(context, {d.name: pa.Table.from_pylist([], schema=d.schema) for d in program.datasets})
    return context


def test_a_rust_only_udf_without_the_extension_stops_before_any_view(compile_package, tmp_path, monkeypatch):
    package, _, _ = compile_package({"main.sem": RUST_ONLY})
    program = package.program.PROGRAM
    assert program.udfs[0].implementation is None and program.view("overlapping").required_udfs == ("span_overlaps",)
    monkeypatch.setenv(DISABLE_VARIABLE, "0")
    context = _context_with_evidence(program, tmp_path)
    with pytest.raises(UdfUnavailableError, match=r"no implementation of UDF span_overlaps: declared `from rust`"):
        register_views(context)
    assert set(context.session.catalog().schema().names()) == {"ast_nodes"}
    assert "span_overlaps" not in context.session.udfs()
    with pytest.raises(UdfUnavailableError, match="no view was registered"):
        build(SAMPLE, tmp_path / "out", package)
    assert not (tmp_path / "out" / "overlapping").exists()


def test_a_rust_only_udf_runs_with_the_extension(compile_package, tmp_path, monkeypatch):
    rust_udfs()
    package, _, _ = compile_package({"main.sem": RUST_ONLY})
    monkeypatch.setenv(DISABLE_VARIABLE, "1")
    report = build(SAMPLE, tmp_path / "out", package)
    assert report.udfs == {"span_overlaps": "rust semc_udfs"}
    rows = DeltaTable(str(tmp_path / "out" / "overlapping")).to_pyarrow_table().to_pylist()
    assert rows and any(r["hit"] for r in rows)


def test_a_declaration_the_rust_udf_does_not_match_is_an_error(compile_package, tmp_path):
    rust_udfs()
    declared = "udf normalize_qualname(qualname: string?) -> string?"
    assert declared in _shipped_udfs()
    udfs = _shipped_udfs().replace(declared, "udf normalize_qualname(qualname: string?) -> int64?")
    package, _, _ = compile_package({"main.sem": SPEC, "udfs.sem": udfs})
    context = _context_with_evidence(package.program.PROGRAM, tmp_path)
    with pytest.raises(RustUdfMismatchError, match=r"the Rust UDF 'normalize_qualname' is \(string\) -> string "
                       r"immutable, but the specs declare \(string\) -> int64 immutable"):
        install_udfs(context)
    assert "stable_id" not in context.session.udfs()  # nothing was installed


def test_the_shipped_specs_declare_every_rust_udf_as_it_is():
    """Each UDF the extension provides is declared in specs/ with the signature the crate implements."""
    rust = rust_udfs()
    declared = {spec.name: spec for spec in PROGRAM.udfs}
    assert set(rust) <= set(declared)
    for name, rust_udf in rust.items():
        check_signature(declared[name], rust_udf)


def test_the_extension_can_be_turned_off():
    assert not load_extension({DISABLE_VARIABLE: "0"}).loaded
