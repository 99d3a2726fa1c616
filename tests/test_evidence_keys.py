"""Every evidence dataset's declared key identifies one row: extract real trees with the shipped program and
count. (A key that is not unique would make per-file replacement and joins on it silently wrong.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.evidence import extract_tree
from runtime.program import load_program
from tests.conftest import ROOT

PROGRAM, _ = load_program("generated")
TREES = [ROOT / "samples" / "shapes", ROOT / "tests" / "fixtures" / "callgraph"]


@pytest.fixture(scope="module", params=TREES, ids=lambda p: p.name)
def tables(request):
    return extract_tree(PROGRAM, Path(request.param)).tables


def test_declared_keys_are_unique(tables):
    keyed = {d.name: d.key for d in PROGRAM.datasets if d.key and d.name in tables}
    assert keyed, "the trees produced no keyed evidence"
    duplicated = {}
    for name, key in keyed.items():
        rows = list(zip(*(tables[name].column(c).to_pylist() for c in key)))
        if len(set(rows)) != len(rows):
            duplicated[name] = key
    assert duplicated == {}
