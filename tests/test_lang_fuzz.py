"""No input produces a traceback (parser, checker, formatter), and no spec text can inject code."""

from __future__ import annotations

import json

import pyarrow as pa
from datafusion import SessionContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import codes
from dsl.diagnostics import SpecError
from dsl.format import Formatter
from dsl.ir import Program, SpecFile
from dsl.parser import build_parser
from dsl.program import parse_program
from tests.test_fmt import LIB, RICH

PARSER = build_parser()
FORMATTER = Formatter()
KNOWN_CODES = set(codes.EXPLANATIONS)

FRAGMENTS = st.sampled_from(
    [" ", "\n", "|", ",", ".", "(", ")", "{", "}", "<", ">", "=", "==", "->", "||", ":", "?", '"', "#", "##",
     "view", "output", "dataset", "enum", "udf", "template", "import", "use", "recurse", "aggregate", "by",
     "best", "per", "desc", "distinct", "rename", "write", "partition", "merge", "on", "case", "when", "then",
     "else", "end", "cast", "as", "list", "struct", "filter", "derive", "select", "join", "left", "anti",
     "null", "not", "in", "is", "edges", "src", "dst", "edge_kind", "CALLS", "count", "sum", "int64",
     "string", "1", "2.5", "-", "*", '"x"', "order", "from", "python", "vacuum", "retain", "7", "days"]
)


def assert_contract(files: tuple[SpecFile, ...]) -> None:
    """parse_program returns a Program or raises SpecError whose diagnostics all render; fmt likewise."""
    try:
        result = parse_program(files, PARSER)
    except SpecError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.code in KNOWN_CODES
            assert diagnostic.span.line >= 1 and diagnostic.span.col >= 1
            assert diagnostic.render(error.sources).startswith(f"{diagnostic.span}: error[{diagnostic.code}]: ")
        assert len(json.loads(error.to_json())) == len(error.diagnostics)
    else:
        assert isinstance(result, Program)
    for spec in files:
        try:
            out = FORMATTER.format(spec.path, spec.text)
        except SpecError as error:
            assert all(d.code in KNOWN_CODES for d in error.diagnostics)
        else:
            assert FORMATTER.format(spec.path, out) == out


@st.composite
def mutated(draw):
    text = RICH
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:position] + text[position + draw(st.integers(1, 15)):]
        else:
            text = text[:position] + draw(st.one_of(FRAGMENTS, st.text(max_size=3))) + text[position:]
    return (SpecFile("main.sem", text), SpecFile("lib.sem", LIB))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_programs_never_crash(files):
    assert_contract(files)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, max_size=50).map(" ".join))
def test_fragment_soup_never_crashes(text):
    assert_contract((SpecFile("soup.sem", text),))


def test_deep_nesting_in_new_constructs_is_a_diagnostic():
    head = "dataset t from extractor e { a: int64 }\nview v = t | derive x = "
    for body in ("case when true then " * 150 + "1" + " end" * 150, "cast(" * 400 + "a" + " as int64)" * 400,
                 "coalesce(" * 400 + "a" + ")" * 400):
        assert_contract((SpecFile("deep.sem", head + body + "\n"),))
    template = "template t(x) = | derive y = x\n" + head + "1 | use t(" + "-" * 200 + "1)\n"
    assert_contract((SpecFile("deep.sem", template),))


HOSTILE = "'); import os; os.system(\"echo pwned\") #\\\"\"\"'' OR 1=1 --"
HOSTILE_SEM = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')


def test_hostile_strings_cannot_inject_code_or_sql(compile_package):
    spec = f"""
dataset edges from extractor file_scan {{
  src: int64
  dst: int64
  label: string
}}
template tagged(value) = | derive tag = value
## Doc with \"\"\" and ') and {HOSTILE}
view reach = edges | filter label != "{HOSTILE_SEM}" | select src, dst, label = "{HOSTILE_SEM}"
  | recurse (reach as r | join edges as e on r.dst == e.src and e.label != "{HOSTILE_SEM}"
             | select src = r.src, dst = e.dst, label = r.label || "{HOSTILE_SEM}")
  | best per src by dst desc
output hostile = reach | use tagged("{HOSTILE_SEM}") | select src, label, tag
"""
    module, _, package_dir = compile_package({"main.sem": spec})
    source = (package_dir / "views.py").read_text()
    compile(source, "views.py", "exec")
    assert "import os" not in source.replace("import os;", "")  # only inside string literals
    ctx = SessionContext()
    schema = pa.schema([("src", pa.int64()), ("dst", pa.int64()), ("label", pa.string())])
    ctx.register_record_batches("edges", [[pa.RecordBatch.from_pylist(
        [{"src": 1, "dst": 2, "label": "x"}], schema=schema)]])
    ctx.register_view("reach", module.views.build_reach(ctx))
    rows = module.views.build_hostile(ctx).to_pylist()
    assert rows == [{"src": 1, "label": HOSTILE, "tag": HOSTILE}]
    assert HOSTILE in module.views.build_reach.__doc__
