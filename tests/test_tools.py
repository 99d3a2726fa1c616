"""semc explain / lineage / graph / diff, on the shipped program and on small specs in a real git repo."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from codegen.diff import Change, diff_against_ref
from runtime.cli import main
from runtime.program import load_program

PROGRAM, _ = load_program("generated")


def test_explain_shows_what_the_compiler_derived(capsys):
    assert main(["explain", "file_nodes"]) == 0
    out = capsys.readouterr().out
    view = PROGRAM.view("file_nodes")
    assert f"fingerprint:  {view.fingerprint}" in out
    assert "cache policy: none" in out  # three views read it, but it only projects evidence: cheaper to rerun
    assert "consumers:    cpg_nodes, diagnostic_edges, file_containment" in out
    assert "    file_rows: bend, bstart, cpg_id, file_id, line_count" in out  # only what the view reads
    assert "TableScan: file_rows" in out and "optimized plan:" in out
    assert "file-local:   yes, file column file_id" in out
    assert main(["explain", "cpg_edges"]) == 0
    out = capsys.readouterr().out
    assert "file-local:   no" in out and "layout:       edge_id (begins with the file id" in out


def test_explain_of_an_unknown_name_is_a_user_error(capsys):
    assert main(["explain", "ast_nodes"]) == 2
    assert "an evidence dataset, not a view" in capsys.readouterr().err
    assert main(["explain", "nope"]) == 2


def test_lineage_traces_a_column_to_the_evidence(capsys):
    assert main(["lineage", "cpg_nodes.file"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "cpg_nodes.file"
    assert "  <- definition_nodes.file_id" in out and "  <- file_nodes.file_id" in out
    assert out[-1].startswith("evidence: ") and "py_scopes.file_id" in out[-1] and "source_files.file_id" in out[-1]
    assert main(["lineage", "cpg_edges.kind"]) == 0
    assert "<- (constant)" in capsys.readouterr().out


def test_lineage_of_a_view_lists_every_column(capsys):
    assert main(["lineage", "definition_containment"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "definition_containment",
        "  src <- definition_ids.cpg_id",
        "  dst <- definition_ids.cpg_id",
        "  kind <- (constant)",
    ]
    assert main(["lineage", "cpg_nodes.nonesuch"]) == 2
    assert "has no column 'nonesuch'" in capsys.readouterr().err


def test_graph_writes_dot_and_svg_with_every_node_and_edge(tmp_path, capsys):
    assert main(["graph", "--out", str(tmp_path / "g")]) == 0
    dot = (tmp_path / "g.dot").read_text()
    names = [d.name for d in PROGRAM.datasets] + [v.name for v in PROGRAM.views]
    for name in names:
        assert f'"{name}" [' in dot
    for upstream, downstream in PROGRAM.edges:
        assert f'"{upstream}" -> "{downstream}";' in dot
    assert '"ast_nodes" [shape=cylinder' in dot and '"cpg_nodes" [shape=box, style="bold' in dot
    svg = ET.parse(tmp_path / "g.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f"{ns}g/{ns}rect")) == len(names)
    assert len(svg.findall(f"{ns}path")) == len(PROGRAM.edges)
    titles = {t.text for t in svg.iter(f"{ns}title")}
    assert "evidence: ast_nodes" in titles and "output: cpg_edges" in titles and "view: definition_ids" in titles


SPEC = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  kind: string
  name: string?
}

view classes = ast_nodes | filter kind == "ClassDef" | select file_id, name
output class_names = classes | select name
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "main.sem").write_text(SPEC)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "specs")
    return tmp_path


def _changes(repo: Path, new_spec: str) -> dict[str, tuple[Change, str, tuple[str, ...]]]:
    (repo / "specs" / "main.sem").write_text(new_spec)
    return {c.name: (c.change, c.detail, c.downstream) for c in diff_against_ref(repo, repo / "specs", "HEAD")}


def test_diff_ignores_comment_and_layout_edits(repo, capsys):
    edited = "# a new comment\n" + SPEC.replace(" | filter", "\n  | filter").replace("{\n  file_id", "{\n\n  file_id")
    changes = _changes(repo, edited)
    assert {c for c, _, _ in changes.values()} == {Change.UNCHANGED}
    assert main(["diff", "HEAD", "--repo", str(repo), "--specs", str(repo / "specs")]) == 0
    assert "no view changed since HEAD (2 views compared)" in capsys.readouterr().out


def test_diff_classifies_an_added_column_as_non_breaking(repo):
    changes = _changes(repo, SPEC.replace("select file_id, name\n", "select file_id, name, node_id\n"))
    assert changes["classes"] == (Change.NON_BREAKING, "added node_id", ("class_names",))
    assert changes["class_names"][0] is Change.UNCHANGED


def test_diff_classifies_a_removed_column_as_breaking_with_downstream(repo):
    changes = _changes(repo, SPEC.replace("select file_id, name\n", "select name\n"))
    assert changes["classes"] == (Change.BREAKING, "removed file_id", ("class_names",))


def test_diff_classifies_changed_logic_as_breaking(repo, capsys):
    changes = _changes(repo, SPEC.replace('"ClassDef"', '"FunctionDef"'))
    assert changes["classes"] == (Change.BREAKING, "same columns, different logic", ("class_names",))
    assert main(["diff", "HEAD", "--repo", str(repo), "--specs", str(repo / "specs")]) == 0
    out = capsys.readouterr().out
    assert "breaking     classes (same columns, different logic)" in out
    assert "affects downstream: class_names" in out


def test_diff_reports_added_and_removed_views(repo):
    changes = _changes(repo, SPEC.replace("output class_names", "output names_of_classes"))
    assert changes["class_names"][0] is Change.REMOVED
    assert changes["names_of_classes"][0] is Change.ADDED


def test_diff_against_an_unknown_ref_is_a_user_error(repo, capsys):
    assert main(["diff", "no-such-ref", "--repo", str(repo), "--specs", str(repo / "specs")]) == 2
    assert "semc: error:" in capsys.readouterr().err
