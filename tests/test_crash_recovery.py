"""SIGKILL a real `semc build` subprocess at several points: every table stays readable at a committed version,
and the next build completes with the outputs a clean build gives."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable

import runtime
from tests.conftest import ROOT

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tree_basic"


def make_tree(root: Path, copies: int) -> Path:
    for i in range(copies):
        shutil.copytree(FIXTURE / "pkg", root / f"pkg{i}")
    return root


def outputs(out: Path) -> dict[str, list[str]]:
    program, _ = runtime.load_program("generated")
    return {o.name: sorted(map(repr, DeltaTable(str(out / program.bindings[o.name])).to_pyarrow_table().to_pylist()))
            for o in program.outputs}


def all_tables_readable(out: Path) -> int:
    found = 0
    for log in out.rglob("_delta_log"):
        DeltaTable(str(log.parent)).to_pyarrow_table()  # raises if a version is torn
        found += 1
    return found


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    src = make_tree(base / "src", 12)
    runtime.build(src, base / "clean")
    return src, outputs(base / "clean")


@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4, 3.2])
def test_sigkill_at_any_point_leaves_tables_readable_and_the_next_build_completes(expected, tmp_path, delay):
    src, clean = expected
    out = tmp_path / "out"
    # a first, complete build, then an edit, so that the killed build is an incremental one with work to do
    runtime.build(src, out)
    work = tmp_path / "src"
    shutil.copytree(src, work)
    runtime.build(work, out)
    (work / "pkg3" / "funcs.py").write_text("def replaced():\n    pass\n")
    shutil.rmtree(work / "pkg5")
    command = [sys.executable, "-m", "runtime.cli", "build", str(work), "--out", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)  # the build and any worker it started
    process.wait()
    assert all_tables_readable(out) >= 1
    runtime.build(work, out)
    reference = tmp_path / "reference"
    runtime.build(work, reference)
    assert outputs(out) == outputs(reference)
    # and the interrupted edit is really in there
    names = {r for r in outputs(out)["cpg_nodes"] if "pkg3.funcs.replaced" in r}
    assert names
    assert not any("pkg5" in r for r in outputs(out)["cpg_nodes"])
    del clean
