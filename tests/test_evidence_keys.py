"""Every evidence dataset the shipped specs declare, whether or not an output reads it, is what its extractor
produces on real trees: the declared schema takes the rows (to_table checks every column, type and null), and the
declared key identifies one row. (A key that is not unique would make per-file replacement and joins on it
silently wrong.)"""

from __future__ import annotations

import importlib
from pathlib import Path

import pyarrow as pa
import pytest

from runtime.discovery import discover_files
from runtime.evidence import to_table
from runtime.program import load_program
from runtime.source import read_file
from tests.conftest import ROOT

PROGRAM, _ = load_program("generated")
TREES = [ROOT / "samples" / "shapes", ROOT / "tests" / "fixtures" / "callgraph"]


@pytest.fixture(scope="module", params=TREES, ids=lambda p: p.name)
def tables(request):
    """Every declared dataset of the tree, each extractor asked for all of its datasets."""
    by_extractor: dict[str, list] = {}
    for dataset in PROGRAM.datasets:
        by_extractor.setdefault(dataset.extractor, []).append(dataset)
    parts: dict[str, list[pa.Table]] = {}
    for entry in discover_files(Path(request.param)):
        source = read_file(entry)
        for extractor, datasets in by_extractor.items():
            extract = importlib.import_module(f"runtime.extractors.{extractor}").extract
            produced = extract(source, frozenset(d.name for d in datasets))
            for dataset in datasets:
                if dataset.name in produced:
                    parts.setdefault(dataset.name, []).append(to_table(dataset, extractor, produced[dataset.name]))
    return {name: pa.concat_tables(found) for name, found in parts.items()}


def test_every_declared_dataset_is_produced(tables):
    # Error tables are produced only for files that fail; the trees have none.
    errors = {d.name for d in PROGRAM.datasets if d.name.endswith("_errors")}
    assert {d.name for d in PROGRAM.datasets} - errors - set(tables) == set()
    assert tables["ast_nodes"].num_rows and tables["tokens"].num_rows


def test_declared_keys_are_unique(tables):
    keyed = {d.name: d.key for d in PROGRAM.datasets if d.key and d.name in tables}
    assert {"ast_nodes", "tokens", "bytecode_instructions", "line_index"} <= set(keyed)
    duplicated = {}
    for name, key in keyed.items():
        rows = list(zip(*(tables[name].column(c).to_pylist() for c in key)))
        if len(set(rows)) != len(rows):
            duplicated[name] = key
    assert duplicated == {}
