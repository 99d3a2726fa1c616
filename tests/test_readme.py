"""The README's examples work as written."""

from __future__ import annotations

import re

from dsl.ir import SpecFile
from dsl.program import parse_program
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_language_example_parses_and_checks():
    [example] = [b for b in _blocks("sem") if "dataset ast_nodes" in b]
    program = parse_program((SpecFile("README.sem", example),))
    assert [v.name for v in program.views] == ["classes", "methods", "class_labels", "labelled"]


def test_the_python_example_runs(tmp_path, monkeypatch, capsys):
    [example] = _blocks("python")
    monkeypatch.chdir(tmp_path)
    code = example.replace("path/to/project", str(ROOT / "samples" / "shapes"))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "cpg_nodes" in out and "shapes.base.Shape" in out
    assert namespace["df"].count() == 4
