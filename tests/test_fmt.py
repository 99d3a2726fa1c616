"""`semc fmt`: canonical layout, every comment kept, idempotent, and meaning-preserving (same IR)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.diagnostics import Span, SpecError
from dsl.format import Formatter
from dsl.ir import SpecFile
from dsl.parser import build_parser, parse_file, scan_comments
from dsl.program import parse_program, read_spec_files
from dsl.rewrite import rebuild
from runtime.cli import main
from tests.conftest import ROOT

FORMATTER = Formatter()
PARSER = build_parser()
NO_SPAN = Span("", 0, 0, 0, 0)

RICH = """\
# A program using every construct.
import "lib.sem"

## Edge kinds.
enum edge_kind { CALLS, CONTAINS }

## Evidence.
dataset edges from extractor file_scan {  ## trailing doc
  src: int64   ## the caller
  dst: int64
  weight: float64?
  names: list<string>
  pos: struct<line: int64, col: int64?>
  key (src, dst)
}

udf tag(prefix: string, n: int64) -> string immutable from python "pkg.ids:tag"

template heavy(limit) = | filter coalesce(weight, 0.0) > limit   # keep heavy edges

view reach = edges | select src, dst
  | recurse (reach as r | join edges as e on r.dst == e.src | select src = r.src, dst = e.dst)

## Best callee per caller.
view best_edge = edges | use heavy(0.5) | best per src by weight desc, dst
  | derive label = tag("e", src) || "/" || cast(dst as string), k = case when src < dst then edge_kind.CALLS else edge_kind.CONTAINS end

view counts = edges as x
  | left join reach as r on x.src == r.src and x.dst == r.dst
  | aggregate n = count(), total = sum(x.weight), firsts = array_agg(x.dst order by x.dst desc) by src = x.src
  | rename source = src | distinct

output out = best_edge | select src, dst, k, label  # comment
  write { partition by k
    merge on src, dst
    change_data_feed compact vacuum retain 7 days }
"""
LIB = "## Shared.\ntemplate keep_src() = | select src\n"


def fmt(text: str) -> str:
    return FORMATTER.format("main.sem", text)


def comments(text: str) -> list[str]:
    return sorted(c.text for c in scan_comments(text))


def shape(text: str):
    """The program's IR without spans: what a reformatting must not change."""
    program = parse_program((SpecFile("main.sem", text), SpecFile("lib.sem", LIB)), PARSER)
    parts = (program.datasets, program.views, program.enums, program.udfs, program.templates)
    return rebuild(parts, lambda node: NO_SPAN if isinstance(node, Span) else node)


def test_rich_program_formats_canonically():
    out = fmt(RICH)
    assert out == fmt(out)
    assert shape(out) == shape(RICH)
    assert comments(out) == comments(RICH)
    assert "enum edge_kind {\n  CALLS,\n  CONTAINS,\n}\n" in out
    assert "dataset edges from extractor file_scan {  ## trailing doc\n  src: int64  ## the caller\n" in out
    assert "view reach = edges\n  | select src, dst\n  | recurse (reach as r\n      | join edges as e on " \
           "r.dst == e.src\n      | select src = r.src, dst = e.dst)\n" in out
    assert "  | aggregate n = count(), total = sum(x.weight), firsts = array_agg(x.dst order by x.dst desc)\n" \
           "              by src = x.src\n" in out
    assert "  write {\n    partition by k\n    merge on src, dst\n    change_data_feed\n    compact\n" \
           "    vacuum retain 7 days\n  }\n" in out
    assert all(len(line) <= 100 for line in out.splitlines())


def test_shipped_specs_and_readme_format_idempotently_and_keep_their_meaning():
    files = read_spec_files(ROOT / "specs")
    formatted = tuple(SpecFile(f.path, fmt(f.text)) for f in files)
    for before, after in zip(files, formatted):
        assert fmt(after.text) == after.text
        assert comments(after.text) == comments(before.text)
    strip = lambda p: rebuild((p.datasets, p.views), lambda n: NO_SPAN if isinstance(n, Span) else n)  # noqa: E731
    assert strip(parse_program(formatted, PARSER)) == strip(parse_program(files, PARSER))
    [readme] = [b for b in re.findall(r"```sem\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
                if "dataset ast_nodes" in b]
    assert fmt(fmt(readme)) == fmt(readme)


def test_blank_lines_orphan_docs_and_comment_only_files():
    text = "# only a comment\n\n\n\n# and another\n"
    assert fmt(text) == "# only a comment\n\n# and another\n"
    assert fmt("") == ""
    orphan = "## orphaned doc\n\ndataset d from extractor e { a: int64 }\n"
    out = fmt(orphan)
    assert out == "## orphaned doc\n\ndataset d from extractor e {\n  a: int64\n}\n"
    assert parse_file(PARSER, "m.sem", out)[0].doc is None


def test_a_doc_comment_never_moves_onto_a_documented_line():
    text = "dataset d\n  from extractor e {  ## not a doc: the name is on line 1\n  a:\n  int64  ## nor this\n}\n"
    before = parse_file(PARSER, "m.sem", text)[0]
    out = fmt(text)
    after = parse_file(PARSER, "m.sem", out)[0]
    assert (before.doc, before.columns[0].doc) == (after.doc, after.columns[0].doc) == (None, None)
    assert fmt(out) == out and comments(out) == comments(text)


def test_a_step_too_long_to_fit_stays_beside_its_bar():
    # Wrapping only helps where the continuation column lies left of the chunk; a single long `use` call, or
    # one long derived column, would otherwise be pushed past its own start (a `use` to column 100 and more).
    call = "use " + "a_long_template_name(" + ", ".join(f"argument_number_{i}" for i in range(8)) + ")"
    text = f"template t(x) =\n  | derive y = x\n\nview v = d\n  | {call}\n"
    out = fmt(text)
    assert f"\n  | {call}\n" in out and fmt(out) == out
    long_case = "case " + " ".join(f"when x == {i} then {i}" for i in range(12)) + " else 0 end"
    out = fmt(f"view w = d\n  | derive y = {long_case}\n")
    assert f"\n  | derive y = {long_case}\n" in out and fmt(out) == out


def test_syntax_errors_are_diagnostics():
    with pytest.raises(SpecError) as info:
        fmt("view v = \n")
    assert info.value.diagnostics[0].code == "SEM001"


# --- properties over generated layouts -----------------------------------------------------------

TOKENS = [t for t in build_parser().lex(RICH) if t.type != "COMMENT"]
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n  ", "\n\n", "\t", "  "])


@st.composite
def relayouts(draw):
    """RICH with random white space between tokens and random comments at line ends."""
    parts = [TOKENS[0].value]
    for token in TOKENS[1:]:
        separator = draw(SEPARATORS)
        if "\n" in separator and draw(st.integers(0, 5)) == 0:
            separator = f"  # c{len(parts)}" + separator
        if "\n" in separator and draw(st.integers(0, 9)) == 0:
            separator = separator + f"# own {len(parts)}\n"
        parts.append(separator + token.value)
    return "".join(parts) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(relayouts())
def test_fmt_is_idempotent_keeps_comments_and_meaning(text):
    out = fmt(text)
    assert fmt(out) == out
    assert comments(out) == comments(text)
    assert shape(out) == shape(text)


# --- the command -----------------------------------------------------------------------------------


def test_semc_fmt_check_and_rewrite(tmp_path, capsys):
    messy = tmp_path / "specs" / "m.sem"
    messy.parent.mkdir()
    messy.write_text("view   v=t|filter a==1\ndataset t from extractor e { a: int64 }\n")
    assert main(["fmt", "--check", str(tmp_path / "specs")]) == 1
    assert "would reformat" in capsys.readouterr().out
    assert messy.read_text().startswith("view   v")  # --check writes nothing
    assert main(["fmt", str(messy)]) == 0
    assert messy.read_text() == "view v = t\n  | filter a == 1\n\ndataset t from extractor e {\n  a: int64\n}\n"
    assert main(["fmt", "--check", str(messy)]) == 0
    broken = tmp_path / "broken.sem"
    broken.write_text("view v = \n")
    assert main(["fmt", "--check", "--format", "json", str(broken)]) == 1
    assert '"code": "SEM001"' in capsys.readouterr().err
