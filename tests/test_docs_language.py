"""docs/language.md: every example parses and checks, and is already in canonical format."""

from __future__ import annotations

import re

import pytest

from dsl.format import Formatter
from dsl.ir import SpecFile
from dsl.program import parse_program
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```sem\n(.*?)```", DOC, flags=re.S)
FORMATTER = Formatter()


def test_the_reference_has_an_example_per_construct():
    text = "\n".join(EXAMPLES)
    for construct in ("dataset", "enum", "udf", "template", "use", "import", "view", "output", "filter", "derive",
                      "select", "rename", "distinct", "join", "left join", "anti join", "union(", "aggregate",
                      "array_agg", "first(", "best", "recurse", "case when", "cast(", "||", "is null", "in (",
                      "list<", "struct<", "write {", "merge on", "partition by", "vacuum retain", "##"):
        assert construct in text, construct


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_example_parses_and_checks(example):
    files = (SpecFile("example.sem", example), SpecFile("shared.sem", ""))
    program = parse_program(files)
    assert program.datasets
    assert FORMATTER.format("example.sem", example) == example
