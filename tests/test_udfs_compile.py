"""Declared UDFs: resolved at compile time, named per plan, installed before views, fingerprinted by identity."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid

import pyarrow as pa
import pytest

from codegen.generate import generate
from dsl.diagnostics import SpecError
from runtime.build import build
from runtime.context import ExecutionContext
from runtime.registration import register_evidence, register_views
from runtime.udf_install import UdfUnavailableError
from tests.conftest import ROOT

SAMPLE = ROOT / "samples" / "shapes"

IMPLEMENTATION = '''import pyarrow.compute as pc


def plus(x):
    return pc.add(x, {amount})
'''


def _spec(module: str, binding: str | None = None) -> str:
    target = binding if binding is not None else f'from python "{module}:plus"'
    return (
        "dataset ast_nodes from extractor python_ast {\n  file_id: string\n  node_id: int64\n  kind: string\n}\n"
        f"udf plus(x: int64) -> int64 immutable {target}\n"
        'view classes = ast_nodes | filter kind == "ClassDef"\n'
        "output bumped = classes | select file_id, node_id, next_id = plus(node_id)\n"
        "output plain = classes | select file_id\n"
    )


@pytest.fixture
def implementation(tmp_path):
    module = f"udf_impl_{uuid.uuid4().hex[:8]}"
    (tmp_path / module).with_suffix(".py").write_text(IMPLEMENTATION.format(amount=1))
    return module


def test_a_declared_udf_runs_in_a_build(compile_package, implementation, tmp_path):
    package, _, _ = compile_package({"main.sem": _spec(implementation)})
    program = package.program.PROGRAM
    assert [u.name for u in program.udfs] == ["plus"]
    assert program.udfs[0].input_types == (pa.int64(),) and program.udfs[0].return_type == pa.int64()
    assert program.view("bumped").required_udfs == ("plus",)
    assert program.view("plain").required_udfs == ()
    build(SAMPLE, tmp_path / "out", package)
    from deltalake import DeltaTable

    rows = DeltaTable(str(tmp_path / "out" / "bumped")).to_pyarrow_table().to_pylist()
    assert rows and all(r["next_id"] == r["node_id"] + 1 for r in rows)


def test_the_fingerprint_follows_the_implementation(compile_package, implementation, tmp_path):
    package, specs_dir, package_dir = compile_package({"main.sem": _spec(implementation)})
    before = package.program.PROGRAM.view("bumped").fingerprint
    (tmp_path / implementation).with_suffix(".py").write_text(IMPLEMENTATION.format(amount=2))
    # In a fresh process the edited implementation is what loads; the run refuses the stale plan.
    result = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "build", str(SAMPLE), "--out", str(tmp_path / "o"),
         "--program", str(package_dir)],
        capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin"},
    )
    assert result.returncode == 2, result.stderr
    assert "view 'bumped' plans differently" in result.stderr and "semc gen" in result.stderr
    assert "view 'plain'" not in result.stderr  # a view that calls no UDF is untouched
    regenerated = generate(specs_dir, tmp_path / "again")
    assert before not in regenerated["manifest.py"]


def test_a_udf_listed_as_required_but_not_installed_stops_registration(compile_package, implementation, tmp_path):
    package, _, _ = compile_package({"main.sem": _spec(implementation)})
    program = package.program.PROGRAM
    broken = dataclasses.replace(program, udfs=())  # as if the implementation were never installed
    context = ExecutionContext.create(broken, tmp_path)
    register_evidence(context, {d.name: pa.Table.from_pylist([], schema=d.schema) for d in program.datasets})
    with pytest.raises(UdfUnavailableError, match=r"plus \(needed by bumped\)"):
        register_views(context)
    assert set(context.session.catalog().schema().names()) == {d.name for d in program.datasets}


@pytest.mark.parametrize(
    "binding, code, message",
    [
        ('from python "no_such_module_xyz:plus"', "SEM104", "cannot import no_such_module_xyz:plus"),
        ('from python "os; import sys:plus"', "SEM035", "os; import sys:plus"),  # the checker refuses it first
        ('from rust "minus"', "SEM035", "bound to the Rust UDF 'minus', but a Rust UDF is called by its own name"),
        ("", "SEM104", "cannot import runtime.udfs.plus:implementation"),
    ],
)
def test_a_udf_without_a_loadable_implementation_is_a_located_error(tmp_path, binding, code, message):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "main.sem").write_text(_spec("unused", binding))
    with pytest.raises(SpecError) as caught:
        generate(specs, tmp_path / "pkg")
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == code
    assert message in diagnostic.message
    assert diagnostic.span.line == 6
