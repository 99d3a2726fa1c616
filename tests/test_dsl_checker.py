"""The checker's diagnostics, the shipped specs, and robustness of parse_program on arbitrary text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import codes
from dsl.checker import check
from dsl.diagnostics import Diagnostic, Span, SpecError
from dsl.ir import Program, RelationKind, SpecFile
from dsl.parser import build_parser
from dsl.program import load_program, parse_program, read_spec_files

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"

# Building the LALR tables is the slow part of a parse; parse_program accepts a parser to reuse.
PARSER = build_parser()

# Lines 1-12; every test's views start on line 13.
BASE = """\
dataset source_files from extractor file_scan {
  file_id: string
  size_bytes: int64
  key (file_id)
}
dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  kind: string
  name: string?
  key (file_id, node_id)
}
"""
L = BASE.count("\n") + 1  # the first line after BASE


def errors(text: str, path: str = "main.sem") -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_program((SpecFile(path, text),), PARSER)
    return info.value


def one(text: str, code: str, path: str = "main.sem") -> tuple[Diagnostic, SpecError]:
    """The single diagnostic of a program that must have exactly one, of the given code."""
    error = errors(text, path)
    assert [d.code for d in error.diagnostics] == [code], error.render()
    return error.diagnostics[0], error


def at(diagnostic: Diagnostic, line: int, col: int, end_col: int, file: str = "main.sem") -> None:
    assert diagnostic.span == Span(file, line, col, line, end_col)


def test_base_is_well_formed():
    prog = parse_program((SpecFile("main.sem", BASE),), PARSER)
    assert check(prog) == []
    assert [d.name for d in prog.datasets] == ["source_files", "ast_nodes"]


# --- SEM010 ------------------------------------------------------------------------------------


def test_sem010_duplicate_declaration_view_shadowing_dataset():
    diag, error = one(BASE + "view source_files = ast_nodes\n", codes.DUPLICATE_DECLARATION)
    assert diag.code == "SEM010"
    assert diag.message == "'source_files' is already declared at main.sem:1:9"
    at(diag, L, 6, 18)
    assert f"main.sem:{L}:6: error[SEM010]: 'source_files' is already declared at main.sem:1:9" in error.render()


def test_sem010_duplicate_view_across_files_points_at_the_second():
    files = (SpecFile("a.sem", BASE + "view v = ast_nodes\n"), SpecFile("b.sem", "\noutput v = source_files\n"))
    with pytest.raises(SpecError) as info:
        parse_program(files, PARSER)
    (diag,) = info.value.diagnostics
    assert diag.code == codes.DUPLICATE_DECLARATION
    assert diag.message == f"'v' is already declared at a.sem:{L}:6"
    assert diag.span == Span("b.sem", 2, 8, 2, 9)


# --- SEM011 ------------------------------------------------------------------------------------


def test_sem011_unknown_relation_with_did_you_mean():
    diag, error = one(BASE + "view v = ast_node\n  | filter kind == \"x\"\n", codes.UNKNOWN_RELATION)
    assert diag.message == "unknown dataset or view 'ast_node'"
    assert diag.hint == "did you mean 'ast_nodes'?"
    at(diag, L, 10, 18)
    rendered = error.render()
    assert f"{L:>4} | view v = ast_node\n     |          ^^^^^^^^\n     = hint: did you mean 'ast_nodes'?" in rendered


def test_sem011_unknown_relation_in_join_with_alias_and_a_view_hint():
    text = BASE + (
        "view file_rows = source_files\n"
        "view v = ast_nodes as n\n"
        "  | semi join file_row as f on n.file_id == f.file_id\n"
    )
    diag, _ = one(text, codes.UNKNOWN_RELATION)
    assert diag.message == "unknown dataset or view 'file_row'"
    assert diag.hint == "did you mean 'file_rows'?"
    # The span covers the relation and its alias.
    at(diag, L + 2, 15, 28)


def test_sem011_no_hint_when_nothing_is_close():
    diag, error = one(BASE + "view v = zzz\n", codes.UNKNOWN_RELATION)
    assert diag.hint is None
    assert "hint" not in error.render()


# --- SEM012 ------------------------------------------------------------------------------------


def test_sem012_unknown_column_with_did_you_mean():
    diag, _ = one(BASE + "view v = ast_nodes\n  | filter kinds == \"Module\"\n", codes.UNKNOWN_COLUMN)
    assert diag.message == "unknown column 'kinds'"
    assert diag.hint == "did you mean 'kind'?"
    at(diag, L + 1, 12, 17)


def test_sem012_unknown_qualified_column():
    text = BASE + "view v = ast_nodes as n\n  | derive label = concat(n.nmae, \"!\")\n"
    diag, error = one(text, codes.UNKNOWN_COLUMN)
    assert diag.message == "'n' has no column 'nmae'"
    assert diag.hint == "did you mean 'name'?"
    at(diag, L + 1, 27, 33)
    assert f"{L + 1:>4} |   | derive label = concat(n.nmae, \"!\")\n     |                           ^^^^^^" in error.render()


def test_sem012_column_dropped_by_select_is_gone():
    text = BASE + "view v = ast_nodes\n  | select kind\n  | filter name is null\n"
    diag, _ = one(text, codes.UNKNOWN_COLUMN)
    assert diag.message == "unknown column 'name'"
    assert diag.hint is None
    at(diag, L + 2, 12, 16)


def test_sem012_derived_column_is_visible_to_later_assignments_and_steps():
    text = BASE + "view v = ast_nodes\n  | derive a = node_id + 1, b = a * 2\n  | filter b > 0\n  | select b\n"
    prog = parse_program((SpecFile("main.sem", text),), PARSER)
    assert prog.view("v") is not None
    # ... but not to the assignments before it.
    diag, _ = one(BASE + "view v = ast_nodes\n  | derive b = a * 2, a = 1\n", codes.UNKNOWN_COLUMN)
    assert diag.message == "unknown column 'a'"
    at(diag, L + 1, 16, 17)


# --- SEM013 ------------------------------------------------------------------------------------


def test_sem013_ambiguous_column_after_join():
    text = BASE + (
        "view v = ast_nodes as n\n"
        "  | join source_files as f on n.file_id == f.file_id\n"
        "  | filter file_id != \"\"\n"
        "  | select n.file_id, size_bytes\n"
    )
    diag, error = one(text, codes.AMBIGUOUS_COLUMN)
    assert diag.message == "column 'file_id' is ambiguous: it could be 'n.file_id' and 'f.file_id'"
    assert diag.hint == "qualify it with the relation's name or alias"
    at(diag, L + 2, 12, 19)
    assert "     = hint: qualify it with the relation's name or alias" in error.render()


def test_sem013_not_raised_for_semi_join_which_keeps_only_the_left_columns():
    text = BASE + (
        "view v = ast_nodes\n"
        "  | anti join source_files on ast_nodes.file_id == source_files.file_id\n"
        "  | filter file_id != \"\"\n"
    )
    assert parse_program((SpecFile("main.sem", text),), PARSER).view("v").steps[0].kind.value == "anti"


# --- SEM014 ------------------------------------------------------------------------------------


def test_sem014_unknown_type_with_did_you_mean():
    diag, _ = one("dataset d from extractor e {\n  id: int64\n  size: int\n}\n", codes.UNKNOWN_TYPE)
    assert diag.message == "unknown type 'int'"
    assert diag.hint == "did you mean 'int64'?"
    at(diag, 3, 3, 7)


def test_sem014_unknown_type_lists_the_types_when_nothing_is_close():
    diag, _ = one("dataset d from extractor e {\n  body: text?\n}\n", codes.UNKNOWN_TYPE)
    assert diag.message == "unknown type 'text'"
    assert diag.hint == "types are binary, bool, float64, int32, int64, string, list<...>, struct<...> and declared enums"
    at(diag, 2, 3, 7)


# --- SEM015 ------------------------------------------------------------------------------------


def test_sem015_duplicate_dataset_column():
    diag, _ = one("dataset d from extractor e {\n  a: int64\n  b: bool\n  a: string\n}\n", codes.DUPLICATE_COLUMN)
    assert diag.message == "column 'a' is declared twice"
    at(diag, 4, 3, 4)


def test_sem015_join_result_with_two_columns_of_one_name():
    text = BASE + "view both = ast_nodes as n\n  | join source_files as f on n.file_id == f.file_id\n"
    diag, _ = one(text, codes.DUPLICATE_COLUMN)
    assert diag.message == "the result would have two columns named 'file_id'"
    assert diag.hint == "rename one of them with `select new_name = side.column`"
    at(diag, L, 6, 10)  # the view's name


def test_sem015_select_of_one_name_twice_points_at_the_select():
    error = errors(BASE + "view v = ast_nodes\n  | select kind, kind = name\n")
    at_select = [d for d in error.diagnostics if d.span.line == L + 1]
    assert [(d.code, d.message) for d in at_select] == [
        (codes.DUPLICATE_COLUMN, "the result would have two columns named 'kind'")
    ]
    # The select step's span: from `select` to the end of its last item.
    at(at_select[0], L + 1, 5, 29)
    assert all(d.code == codes.DUPLICATE_COLUMN for d in error.diagnostics)


def test_sem015_select_duplicate_is_reported_once():
    one(BASE + "view v = ast_nodes\n  | select kind, kind = name\n", codes.DUPLICATE_COLUMN)


def test_sem015_duplicate_dataset_column_does_not_cascade_into_views():
    text = "dataset d from extractor e {\n  a: int64\n  a: int64\n}\nview v = d\nview w = d | filter a == 1\n"
    diag, _ = one(text, codes.DUPLICATE_COLUMN)
    at(diag, 3, 3, 4)


# --- SEM016 ------------------------------------------------------------------------------------


def test_sem016_unknown_qualifier_lists_what_is_in_scope():
    diag, _ = one(BASE + "view v = ast_nodes\n  | filter x.kind == \"x\"\n", codes.UNKNOWN_QUALIFIER)
    assert diag.message == "no relation named 'x' is in scope here"
    assert diag.hint == "in scope: ast_nodes"
    at(diag, L + 1, 12, 18)
    close, _ = one(BASE + "view v = ast_nodes\n  | filter nodes.kind == \"x\"\n", codes.UNKNOWN_QUALIFIER)
    assert close.hint == "did you mean 'ast_nodes'?"


def test_sem016_unknown_qualifier_with_did_you_mean_after_join():
    text = BASE + (
        "view v = ast_nodes as child\n"
        "  | join source_files as file on child.file_id == fil.file_id\n"
        "  | select child.file_id, size_bytes\n"
    )
    diag, _ = one(text, codes.UNKNOWN_QUALIFIER)
    assert diag.message == "no relation named 'fil' is in scope here"
    assert diag.hint == "did you mean 'file'?"
    at(diag, L + 1, 51, 62)


def test_sem016_qualifiers_are_gone_after_select():
    text = BASE + "view v = ast_nodes\n  | select kind\n  | filter ast_nodes.kind == \"x\"\n"
    diag, _ = one(text, codes.UNKNOWN_QUALIFIER)
    assert diag.hint is None


# --- SEM017 ------------------------------------------------------------------------------------


def test_sem017_union_mismatch():
    text = BASE + (
        "view a = ast_nodes | select file_id, kind\n"
        "view b = ast_nodes | select file_id, name\n"
        "view c = union(a, b as bb)\n"
    )
    diag, error = one(text, codes.UNION_MISMATCH)
    assert diag.message == "'b' does not have the columns of 'a': it lacks kind; adds name"
    assert diag.hint == "union matches columns by name; select the same columns in every member"
    at(diag, L + 2, 19, 26)


def test_sem017_union_matches_by_name_not_order_and_reports_each_member():
    ok = BASE + (
        "view a = ast_nodes | select file_id, kind\n"
        "view b = ast_nodes | select kind, file_id\n"
        "view c = union(a, b)\n"
    )
    assert parse_program((SpecFile("main.sem", ok),), PARSER).view("c") is not None
    bad = BASE + (
        "view a = ast_nodes | select file_id, kind\n"
        "view b = ast_nodes | select file_id\n"
        "view c = union(a, b, source_files)\n"
    )
    error = errors(bad)
    assert [(d.code, d.message, d.span.col) for d in error.diagnostics] == [
        (codes.UNION_MISMATCH, "'b' does not have the columns of 'a': it lacks kind", 19),
        (codes.UNION_MISMATCH, "'source_files' does not have the columns of 'a': it lacks kind; adds size_bytes", 22),
    ]


# --- SEM018 ------------------------------------------------------------------------------------


def test_sem018_view_cycle_reported_once():
    text = BASE + (
        "view a = b\n"
        "view b = ast_nodes | join c on b.node_id == c.node_id\n"
        "view c = a\n"
        "view downstream = c | filter nothing == 1\n"
    )
    diag, error = one(text, codes.VIEW_CYCLE)
    assert diag.message == "views depend on each other in a cycle: a -> b -> c -> a"
    assert diag.hint == "a view may read itself only in its `recurse (...)` step; break the cycle"
    at(diag, L, 6, 7)
    # The view downstream of the cycle is not reported: errors do not cascade.
    assert "downstream" not in error.render()


def test_sem018_self_reference():
    diag, _ = one(BASE + "\nview loop = loop | select x\n", codes.VIEW_CYCLE)
    assert diag.message == "views depend on each other in a cycle: loop -> loop"
    at(diag, L + 1, 6, 10)


# --- SEM019 ------------------------------------------------------------------------------------


def test_sem019_bad_key():
    text = "dataset nodes from extractor e {\n  file_id: string\n  node_id: int64\n  key (file_id, nodeid)\n}\n"
    diag, _ = one(text, codes.BAD_KEY)
    assert diag.message == "key column 'nodeid' is not a column of 'nodes'"
    assert diag.hint == "did you mean 'node_id'?"
    # The span is the dataset's name, not the key clause (the parser drops the key names' spans).
    at(diag, 1, 9, 14)


# --- SEM020 ------------------------------------------------------------------------------------


def test_sem020_self_join_without_alias():
    text = BASE + "view pairs = ast_nodes\n  | join ast_nodes on ast_nodes.node_id == ast_nodes.node_id\n"
    diag, error = one(text, codes.DUPLICATE_ALIAS)
    assert diag.message == "both sides of the join are qualified as 'ast_nodes'"
    assert diag.hint == "give one side an alias: `join x as other on ...`"
    at(diag, L + 1, 10, 19)
    assert f"main.sem:{L + 1}:10: error[SEM020]" in error.render()


def test_sem020_same_alias_on_both_sides_and_aliased_self_join_is_fine():
    text = BASE + "view v = ast_nodes as n\n  | left join source_files as n on n.file_id == n.file_id\n"
    diag, _ = one(text, codes.DUPLICATE_ALIAS)
    assert diag.message == "both sides of the join are qualified as 'n'"
    at(diag, L + 1, 15, 32)
    ok = BASE + (
        "view v = ast_nodes as child\n"
        "  | join ast_nodes as parent on child.file_id == parent.file_id\n"
        "  | select child_id = child.node_id, parent_id = parent.node_id\n"
    )
    assert parse_program((SpecFile("main.sem", ok),), PARSER).view("v").steps[-1].items[1].name == "parent_id"


# --- all errors reported ---------------------------------------------------------------------------


def test_the_checker_emits_exactly_the_codes_tested_above():
    # If the checker gains a code, this file (or tests/test_lang_checker.py, for SEM022 and up) needs a test.
    source = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "dsl").glob("check*.py")))
    emitted = {getattr(codes, name) for name in re.findall(r"codes\.([A-Z_]+)", source)}
    assert emitted == {f"SEM0{n}" for n in range(10, 37) if n not in (28, 29, 30, 31, 32)} | {"SEM100"}
    assert emitted <= set(codes.EXPLANATIONS)


def test_several_errors_in_one_program_are_all_reported():
    first = (
        "dataset d from extractor e {\n"  # 1
        "  a: int\n"  # 2  SEM014
        "  b: string\n"  # 3
        "  key (a, c)\n"  # 4  SEM019 at the name, line 1
        "}\n"
        "dataset other from extractor e { z: bool z: bool }\n"  # 6  SEM015 at the second z
    )
    second = (
        "view v1 = dd\n"  # 1  SEM011
        "view v2 = d | filter bb == 1\n"  # 2  SEM012
        "view v3 = d as x | join d as x on x.a == y.a\n"  # 3  SEM020
        "view v2 = d\n"  # 4  SEM010
        "view v4 = v1 | filter anything == 1\n"  # 5  nothing: v1 already failed
    )
    with pytest.raises(SpecError) as info:
        parse_program((SpecFile("one.sem", first), SpecFile("two.sem", second)), PARSER)
    error = info.value
    found = sorted((d.span.file, d.span.line, d.span.col, d.code) for d in error.diagnostics)
    assert found == [
        ("one.sem", 1, 9, "SEM019"),
        ("one.sem", 2, 3, "SEM014"),
        ("one.sem", 6, 42, "SEM015"),
        ("two.sem", 1, 11, "SEM011"),
        ("two.sem", 2, 22, "SEM012"),
        ("two.sem", 3, 25, "SEM020"),
        ("two.sem", 4, 6, "SEM010"),
    ]
    rendered = error.render()
    assert rendered.endswith("\n\n7 error(s)")
    # Rendered in file and position order, each with its own source line.
    positions = [rendered.index(f"{f}:{line}:{col}: error[{code}]") for f, line, col, code in found]
    assert positions == sorted(positions)
    assert "   2 | view v2 = d | filter bb == 1\n     |                      ^^" in rendered
    payload = json.loads(error.to_json())
    assert [(p["file"], p["line"], p["col"], p["code"]) for p in payload] == found


# --- the shipped specs -----------------------------------------------------------------------------


def test_shipped_specs_parse_and_check():
    files = read_spec_files(SPECS)
    assert [f.path for f in files] == ["cpg.sem", "evidence.sem", "names.sem", "props.sem", "resolve.sem", "udfs.sem"]
    prog = parse_program(files, PARSER)
    assert isinstance(prog, Program)
    assert check(prog) == []
    assert [d.name for d in prog.datasets][:3] == ["source_files", "ast_nodes", "ast_errors"]
    outputs = [v.name for v in prog.views if v.kind is RelationKind.OUTPUT]
    assert sorted(outputs) == ["call_graph", "cpg_edges", "cpg_nodes", "cpg_props", "diagnostics"]
    assert prog.dataset("ast_nodes").key == ("file_id", "node_id")
    assert prog.dataset("ast_nodes").column("parent_id").type.nullable
    assert sorted(u.name for u in prog.udfs) == ["c3_mro", "column_to_byte", "normalize_qualname", "span_contains",
                                                 "span_overlaps", "stable_id"]
    assert prog.dataset("source_files").doc == "One row per Python source file discovered under the build root."
    assert prog.dataset("source_files").column("file_id").doc == "path relative to the build root, with / separators"
    assert prog.view("cpg_edges").doc == "CPG edges with how each was resolved and how sure we are."
    # The default parser (built by parse_program itself) and load_program agree.
    assert parse_program(files) == prog
    assert load_program(SPECS) == prog


def test_shipped_specs_from_the_working_directory(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert parse_program(read_spec_files(Path("specs")), PARSER).view("definition_ids") is not None


# --- robustness ----------------------------------------------------------------------------------

SHIPPED = read_spec_files(SPECS)
KNOWN_CODES = set(codes.EXPLANATIONS)

# Fragments that make random edits likely to stay near the grammar, so the checker is exercised too.
FRAGMENTS = st.sampled_from(
    [" ", "\n", "\r\n", "\t", "|", ",", ".", "(", ")", "{", "}", "=", "==", ":", "?", '"', "\\", "#", "##",
     "view", "output", "dataset", "from", "extractor", "key", "filter", "derive", "select", "join", "left",
     "semi", "anti", "inner", "as", "on", "and", "or", "not", "in", "is", "null", "true", "union", "x",
     "file_id", "nodes", "ast_nodes", "int64", "string", "1", "2.5", "-", "*", "\u00e9", "\x00", "\f", "$"]
)


def assert_contract(files: tuple[SpecFile, ...]) -> None:
    """parse_program returns a Program or raises SpecError, whose diagnostics all render."""
    try:
        result = parse_program(files, PARSER)
    except SpecError as error:
        assert error.diagnostics, "a SpecError must carry at least one diagnostic"
        paths = {f.path for f in files}
        for diagnostic in error.diagnostics:
            assert diagnostic.code in KNOWN_CODES
            assert diagnostic.span.file in paths
            assert diagnostic.span.line >= 1 and diagnostic.span.col >= 1
            text = diagnostic.render(error.sources)
            assert text.startswith(f"{diagnostic.span}: error[{diagnostic.code}]: ")
        rendered = error.render()
        assert rendered.endswith(f"{len(error.diagnostics)} error(s)")
        assert len(json.loads(error.to_json())) == len(error.diagnostics)
    else:
        assert isinstance(result, Program)
        assert result.files == files


@st.composite
def mutated_specs(draw):
    """The shipped specs with a few random deletions and insertions in one of the files."""
    files = list(SHIPPED)
    index = draw(st.integers(0, len(files) - 1))
    text = files[index].text
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()) and text:
            length = draw(st.integers(1, 12))
            text = text[:position] + text[position + length :]
        else:
            insert = draw(st.one_of(FRAGMENTS, st.text(max_size=4)))
            text = text[:position] + insert + text[position:]
    files[index] = SpecFile(files[index].path, text)
    return tuple(files)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(FRAGMENTS, max_size=40).map("".join)))
def test_arbitrary_text_never_crashes(text):
    assert_contract((SpecFile("fuzz.sem", text),))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_shipped_specs_never_crash(files):
    assert_contract(files)


# --- known bugs ----------------------------------------------------------------------------------

VIEW_HEAD = "dataset t from extractor e { a: int64 }\nview v = t | filter "


def test_deeply_nested_not_is_a_spec_error_not_a_recursion_error():
    try:
        assert_contract((SpecFile("deep.sem", VIEW_HEAD + "not " * 3000 + "a == 1\n"),))
    except RecursionError as error:
        raise AssertionError("RecursionError escaped parse_program") from error


def test_long_or_chain_is_checked_without_recursion_error():
    chain = " or ".join(f"a == {i}" for i in range(3000))
    try:
        assert_contract((SpecFile("long.sem", VIEW_HEAD + chain + "\n"),))
    except RecursionError as error:
        raise AssertionError("RecursionError escaped parse_program") from error


def test_sem021_deep_expressions_are_refused_where_they_start():
    for depth, text in ((3000, "not " * 3000 + "a == 1"), (150, " or ".join(f"a == {i}" for i in range(150)))):
        with pytest.raises(SpecError) as info:
            parse_program((SpecFile("deep.sem", VIEW_HEAD + text + "\n"),), PARSER)
        [diagnostic] = info.value.diagnostics
        assert diagnostic.code == "SEM021", depth
        assert diagnostic.span.line == 2
        assert "levels deep" in diagnostic.message and diagnostic.hint == "split it across several derive steps"
    # 100 levels are still fine.
    parse_program((SpecFile("ok.sem", VIEW_HEAD + " or ".join(f"a == {i}" for i in range(99)) + "\n"),), PARSER)
