"""Shared helpers: compile a spec folder into a real package in a temporary folder and import it."""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path

import pytest

from codegen.generate import generate, write_package

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "shapes"
# A small evidence table keyed by file, for specs written inside tests.
AST_NODES_DATASET = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  kind: string
  name: string?
  line: int64
  key (file_id, node_id)
}
"""


def write_specs(folder: Path, specs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in specs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def compile_package(tmp_path):
    """compile_package(specs) -> (module, specs_dir, package_dir), with a unique package name per call."""
    added: list[str] = []

    def compile_(specs: dict[str, str] | Path):
        name = f"semc_test_{uuid.uuid4().hex[:10]}"
        specs_dir = specs if isinstance(specs, Path) else write_specs(tmp_path / f"{name}_specs", specs)
        package_dir = tmp_path / name
        if str(tmp_path) not in sys.path:  # before generating: UDF implementations may live there too
            sys.path.insert(0, str(tmp_path))
            added.append(str(tmp_path))
        write_package(generate(specs_dir, package_dir), package_dir)
        importlib.import_module(f"{name}.program")  # imports views, schemas and manifest too
        return importlib.import_module(name), specs_dir, package_dir

    yield compile_
    for entry in added:
        sys.path.remove(entry)


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory) -> Path:
    """The bundled sample built once with the shipped program; tests only read it."""
    import runtime

    out = tmp_path_factory.mktemp("sample") / "out"
    runtime.build(SAMPLE, out)
    return out
