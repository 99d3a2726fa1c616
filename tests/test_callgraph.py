"""`semc callgraph`: the call graph of tests/fixtures/callgraph, feature by feature, against edges worked out by
hand (each feature's expected.json); and the command's mechanics, checked with a small stand-in program.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from runtime.callgraph import call_graph
from runtime.cli import main

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "callgraph"
FEATURES = sorted(p.name for p in FIXTURE.iterdir() if (p / "expected.json").is_file())


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> dict[str, list[str]]:
    """The fixture tree's call graph, built once with the shipped program."""
    return call_graph(FIXTURE, tmp_path_factory.mktemp("callgraph") / "out")


def _feature_entries(graph: dict[str, list[str]], feature: str) -> dict[str, list[str]]:
    return {k: v for k, v in graph.items() if k == feature or k.startswith(feature + ".")}


@pytest.mark.parametrize("feature", FEATURES)
def test_feature_edges(graph, feature):
    expected = json.loads((FIXTURE / feature / "expected.json").read_text(encoding="utf-8"))
    assert _feature_entries(graph, feature) == expected


def test_every_feature_is_checked(graph):
    """No key of the graph falls outside the features, so no edge escapes the per-feature comparison."""
    assert {key.split(".")[0] for key in graph} <= set(FEATURES)


def test_the_graph_is_json_of_sorted_unique_lists(graph):
    assert list(graph) == sorted(graph)
    for callees in graph.values():
        assert callees == sorted(set(callees))


# ---- Mechanics, with a stand-in program: a call by bare name reaches a function of that name in the same file.
# It defines just the two outputs the command reads, so these tests do not depend on the real resolution.

STAND_IN_SPEC = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  kind: string
  qualname: string?
  key (file_id, node_id)
}

dataset ast_definitions from extractor python_ast {
  file_id: string
  node_id: int64
  name: string
  qualname: string
  key (file_id, node_id)
}

dataset ast_calls from extractor python_ast {
  file_id: string
  node_id: int64
  scope_id: int64?
  callee: string?
  key (file_id, node_id)
}

view module_rows = ast_nodes | filter kind == "Module" | derive node_kind = "MODULE"
view function_rows = ast_nodes | filter kind in ("FunctionDef", "AsyncFunctionDef") | derive node_kind = "FUNCTION"

output cpg_nodes = union(module_rows, function_rows)
  | select node_id = concat_ws(":", file_id, node_id), kind = node_kind, qualified_name = qualname

output call_graph = ast_calls as c
  | join ast_nodes as s on c.file_id == s.file_id and c.scope_id == s.node_id
  | join ast_definitions as d on c.file_id == d.file_id and c.callee == d.name
  | select caller = s.qualname, callee = d.qualname
"""

NO_CALL_GRAPH_SPEC = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  kind: string
  qualname: string?
  key (file_id, node_id)
}

output cpg_nodes = ast_nodes | select node_id = concat_ws(":", file_id, node_id), kind, qualified_name = qualname
"""

APP = """def zeta():
    return 1


def alpha():
    return 2


def run():
    zeta()
    alpha()
    zeta()  # a second call of one callee is still one edge
    return len([])  # unresolved by the stand-in: no edge


run()
"""

# What the stand-in resolves in APP: every module and function a key, callees sorted and unique.
APP_GRAPH = {
    "app": [],
    "app.main": ["app.main.run"],
    "app.main.alpha": [],
    "app.main.run": ["app.main.alpha", "app.main.zeta"],
    "app.main.zeta": [],
}


@pytest.fixture
def stand_in(compile_package, tmp_path):
    """(source tree, folder of the stand-in program)."""
    _, _, package_dir = compile_package({"main.sem": STAND_IN_SPEC})
    source = tmp_path / "src"
    (source / "app").mkdir(parents=True)
    (source / "app" / "__init__.py").write_text("")
    (source / "app" / "main.py").write_text(APP)
    return source, package_dir


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["callgraph", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_prints_the_graph_as_json(stand_in, capsys):
    source, program = stand_in
    code, out, _ = _run(capsys, str(source), "--program", str(program), "--quiet")
    assert code == 0
    assert json.loads(out) == APP_GRAPH
    assert list(json.loads(out)) == sorted(APP_GRAPH)


def test_progress_goes_to_stderr_only(stand_in, capsys):
    source, program = stand_in
    code, out, err = _run(capsys, str(source), "--program", str(program))
    assert code == 0
    assert json.loads(out) == APP_GRAPH  # stdout is nothing but the JSON
    assert "semc: extract" in err


def test_output_is_deterministic(stand_in, capsys):
    source, program = stand_in
    outputs = {_run(capsys, str(source), "--program", str(program), "--quiet")[1] for _ in range(2)}
    assert len(outputs) == 1


def test_out_keeps_the_tables(stand_in, capsys, tmp_path):
    source, program = stand_in
    out_dir = tmp_path / "kept"
    code, out, _ = _run(capsys, str(source), "--program", str(program), "--out", str(out_dir), "--quiet")
    assert code == 0 and json.loads(out) == APP_GRAPH
    assert (out_dir / "call_graph" / "_delta_log").is_dir()
    assert (out_dir / "cpg_nodes" / "_delta_log").is_dir()


def test_without_out_nothing_is_left_behind(stand_in, capsys, tmp_path, monkeypatch):
    source, program = stand_in
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    assert _run(capsys, str(source), "--program", str(program), "--quiet")[0] == 0
    assert list(temporary.iterdir()) == []


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code != 0
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("semc: error: ")
    return lines[0]


def test_a_missing_path_is_one_line(capsys, tmp_path):
    line = _one_line_error(*_run(capsys, str(tmp_path / "nowhere"), "--quiet"))
    assert "no such file or folder" in line and "nowhere" in line


def test_a_program_without_a_call_graph_is_one_line(compile_package, stand_in, capsys):
    source, _ = stand_in
    _, _, program = compile_package({"main.sem": NO_CALL_GRAPH_SPEC})
    line = _one_line_error(*_run(capsys, str(source), "--program", str(program), "--quiet"))
    assert "call-graph edges (columns callee, caller)" in line


def test_a_failing_build_is_one_line(stand_in, capsys, tmp_path):
    source, program = stand_in
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")  # --out names a file: the build cannot write there
    line = _one_line_error(*_run(capsys, str(source), "--program", str(program), "--out", str(blocked), "--quiet"))
    assert "a_file" in line or "failed" in line
