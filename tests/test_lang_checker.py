"""Checker diagnostics of the full language: types, calls, aggregates, enums, nullability, templates, imports,
recursion, write policies and UDF declarations. Each with its code, location and hint."""

from __future__ import annotations

import pytest

from dsl import codes
from dsl.diagnostics import Diagnostic, Span, SpecError
from dsl.ir import ColumnType, SpecFile, Volatility
from dsl.parser import build_parser
from dsl.program import parse_program

PARSER = build_parser()

BASE = """\
dataset t from extractor e {
  id: int64
  name: string
  maybe: string?
  score: float64?
  flag: bool
  tags: list<string>
  pos: struct<line: int64, col: int64?>
  key (id)
}
enum kind { A, B }
"""
L = BASE.count("\n") + 1  # first line after BASE


def check_text(text: str, files: dict[str, str] | None = None):
    specs = tuple(SpecFile(p, t) for p, t in (files or {"main.sem": text}).items())
    return parse_program(specs, PARSER)


def errors(text: str, files: dict[str, str] | None = None) -> SpecError:
    with pytest.raises(SpecError) as info:
        check_text(text, files)
    return info.value


def one(text: str, code: str) -> Diagnostic:
    error = errors(text)
    assert [d.code for d in error.diagnostics] == [code], error.render()
    return error.diagnostics[0]


# Outputs that produce both enum values, so coverage is satisfied unless a test is about it.
COVER = "output covered = t | select id, k = case when flag then kind.A else kind.B end\n"


def ok(body: str):
    return check_text(BASE + COVER + body)


def bad(body: str, code: str) -> Diagnostic:
    return one(BASE + COVER + body, code)


def at(diagnostic: Diagnostic, line: int, col: int) -> None:
    assert (diagnostic.span.line, diagnostic.span.col) == (line, col), diagnostic


LV = L + 1  # the line of the first view after BASE + COVER


def test_well_typed_program_checks():
    program = ok(
        "view v = t\n"
        "  | derive n = length(name) + 1, s = coalesce(maybe, name) || \"!\", w = coalesce(score, 0.0) * 2\n"
        "  | filter n > 2 and s != \"\" and w >= 0 and tags is not null\n"
        "  | select id, n, s, line = get_field(pos, \"line\"), first = array_element(tags, 1)\n"
    )
    assert program.view("v") is not None


# --- SEM022 type mismatch -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message", "col"),
    [
        ('name == 1', "cannot compare string with int64 using '=='", 33),
        ("name + 1", "'+' needs numbers, not string", 25),
        ("maybe == null", "'==' with null is never true", 25),
        ("-name", "'-' needs a number, not string", 25),
        ("id || name", "'||' joins strings, not int64", 25),
        ("case when flag then 1 else \"x\" end", "this branch gives string where the others give int64", 52),
        ("cast(tags as string)", "cannot cast list<string> to string", 30),
        ("cast(id as kind)", "cannot cast to kind: casts produce scalar types", 25),
    ],
)
def test_sem022_type_mismatch(expression, message, col):
    diag = bad(f"view v = t | derive x = {expression}\n", codes.TYPE_MISMATCH)
    assert diag.message == message
    at(diag, LV, col)


def test_sem022_plus_on_strings_hints_at_concatenation():
    diag = bad('view v = t | derive x = name + "!"\n', codes.TYPE_MISMATCH)
    assert diag.hint == "use || to join strings"


def test_sem022_enum_compared_with_a_string_column():
    diag = bad("view v = t | derive k = kind.A | filter k == name\n", codes.TYPE_MISMATCH)
    assert diag.message == "cannot compare kind with string using '=='"
    assert diag.hint == "write the value as kind.NAME"


def test_sem022_join_keys_must_have_comparable_types():
    diag = bad("view v = t as a | join t as b on a.id == b.name | select a.id\n", codes.TYPE_MISMATCH)
    assert diag.message == "cannot compare int64 with string using '=='"
    at(diag, LV, 42)


# --- SEM036 not boolean ---------------------------------------------------------------------------


def test_sem036_filter_and_join_condition_must_be_boolean():
    diag = bad("view v = t | filter id + 1\n", codes.NOT_BOOLEAN)
    assert diag.message == "a filter needs a boolean, not int64"
    at(diag, LV, 21)
    diag = bad("view v = t as a | join t as b on a.id | select a.id\n", codes.NOT_BOOLEAN)
    assert diag.message == "a join condition needs a boolean, not int64"
    diag = bad("view v = t | filter name and flag\n", codes.NOT_BOOLEAN)
    assert diag.message == "'and' needs a boolean, not string"


# --- SEM023 / SEM100 calls -----------------------------------------------------------------------


def test_sem100_unknown_function_with_did_you_mean():
    diag = bad("view v = t | derive x = lowr(name)\n", codes.UNKNOWN_FUNCTION)
    assert diag.message == "unknown function 'lowr'"
    assert diag.hint == "did you mean 'lower'?"
    at(diag, LV, 25)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("lower(name, name)", "'lower' takes 1 argument(s), not 2"),
        ("lower(id)", "argument 1 of 'lower' should be string, not int64"),
        ("coalesce(name, id)", "argument 2 of 'coalesce' should be string, not int64"),
        ("array_element(name, 1)", "argument 1 of 'array_element' should be a list, not string"),
        ('get_field(pos, "lin")', "the struct has no field 'lin'"),
        ("get_field(name, \"x\")", "get_field reads a struct, not string"),
        ("substr(name)", "'substr' takes 2 to 3 argument(s), not 1"),
    ],
)
def test_sem023_builtin_signatures(call, message):
    diag = bad(f"view v = t | derive x = {call}\n", codes.BAD_CALL)
    assert diag.message == message


def test_sem023_udf_signature():
    udf = 'udf tag(prefix: string, n: int64) -> string stable from python "pkg.mod:tag"\n'
    diag = bad(udf + 'view v = t | derive x = tag("a")\n', codes.BAD_CALL)
    assert diag.message == "'tag' takes 2 argument(s), not 1"
    diag = bad(udf + 'view v = t | derive x = tag("a", name)\n', codes.BAD_CALL)
    assert diag.message == "argument 'n' of 'tag' is int64, not string"
    assert diag.hint == f"'tag' is declared at main.sem:{LV}:5"
    program = ok(udf + 'view v = t | derive x = tag("a", id)\n')
    declared = program.udf("tag")
    assert [(p.name, p.type) for p in declared.params] == [("prefix", ColumnType("string", False)),
                                                          ("n", ColumnType("int64", False))]
    assert declared.returns == ColumnType("string", False) and declared.volatility is Volatility.STABLE
    assert (declared.binding.language, declared.binding.target) == ("python", "pkg.mod:tag")
    call = program.view("v").steps[0].assignments[0].expr
    assert call.udf is True


# --- SEM024 aggregates ---------------------------------------------------------------------------


def test_sem024_aggregate_outside_an_aggregate_step():
    diag = bad("view v = t | derive n = count()\n", codes.MISPLACED_AGGREGATE)
    assert diag.message == "'count' aggregates rows; it may appear only at the top of an aggregate step's item"
    at(diag, LV, 25)


def test_sem024_aggregate_item_must_be_an_aggregate_call():
    diag = bad("view v = t | aggregate n = id + 1 by name\n", codes.MISPLACED_AGGREGATE)
    assert diag.message.startswith("'n' must be an aggregate call")


def test_aggregate_types_flow_downstream():
    bad("view v = t | aggregate s = sum(id) by name | filter s == \"x\"\n", codes.TYPE_MISMATCH)
    diag = bad("view v = t | aggregate s = sum(name)\n", codes.BAD_CALL)
    assert diag.message == "'sum' adds numbers, not string"
    ok("view v = t | aggregate all = array_agg(name order by id desc), n = count() by flag\n"
       "  | filter cardinality(all) == n\n")


# --- SEM025 / SEM026 enums -----------------------------------------------------------------------


def test_sem025_unknown_enum_value_with_did_you_mean():
    diag = bad("view v = t | derive k = kind.AA\n", codes.UNKNOWN_ENUM_VALUE)
    assert diag.message == "enum 'kind' has no value 'AA'"
    assert diag.hint == "did you mean 'A'?"
    at(diag, LV, 25)


def test_sem025_string_compared_with_enum_must_be_a_member():
    diag = bad('view v = covered | filter k == "C"\n', codes.UNKNOWN_ENUM_VALUE)
    assert diag.message == "'C' is not a value of enum 'kind'"


def test_sem026_declared_value_that_no_view_produces():
    text = BASE + "output o = t | select id, k = kind.A\n"
    diag = one(text, codes.ENUM_NOT_PRODUCED)
    assert diag.message == "enum value 'kind.B' is declared but no view produces it"
    assert diag.span == Span("main.sem", L - 1, 16, L - 1, 17)


def test_sem026_value_produced_only_by_a_view_no_output_reads():
    text = BASE + "output o = t | select id, k = kind.A\nview unused = t | derive k = kind.B\n"
    diag = one(text, codes.ENUM_NOT_PRODUCED)
    assert diag.message == "enum value 'kind.B' is produced only by views no output reads: unused"


def test_values_only_compared_are_not_produced():
    text = BASE + "output o = t | select id, k = kind.A | filter k != kind.B\n"
    assert one(text, codes.ENUM_NOT_PRODUCED).message.startswith("enum value 'kind.B'")


def test_enum_typed_dataset_columns_resolve_and_compare():
    text = BASE.replace("  flag: bool\n", "  flag: bool\n  k: kind\n") + COVER + \
        "view v = t | filter k == kind.A or k in (\"B\")\n"
    program = check_text(text)
    assert program.dataset("t").column("k").type == ColumnType("string", False, enum="kind")
    assert str(program.dataset("t").column("k").type) == "kind"


# --- SEM027 nullability --------------------------------------------------------------------------


def test_sem027_nullable_key_column():
    diag = one("dataset d from extractor e {\n  a: int64?\n  key (a)\n}\n", codes.NULLABLE)
    assert diag.message == "key column 'a' is nullable (int64?); keys identify rows"
    assert diag.hint == "declare it as int64"


def test_sem027_nullable_argument_to_a_non_null_udf_parameter():
    udf = "udf up(s: string) -> string\n"
    diag = bad(udf + "view v = t | derive x = up(maybe)\n", codes.NULLABLE)
    assert diag.hint == "coalesce it, or declare the parameter as string?"
    ok(udf + "view v = t | derive x = up(coalesce(maybe, \"\"))\n")


def test_sem027_nullable_merge_key_and_left_join_makes_columns_nullable():
    policy = "  write {\n    merge on m\n  }\n"
    diag = bad("output o = t | select id, m = maybe\n" + policy, codes.NULLABLE)
    assert diag.message == "merge key 'm' may be null; a merge matches rows by equal keys"
    diag = bad("output o = t as a | left join t as b on a.id == b.id | select id = a.id, m = b.name\n" + policy,
               codes.NULLABLE)
    assert "'m' may be null" in diag.message


# --- SEM034 write policies -----------------------------------------------------------------------


def test_sem034_write_policy_problems():
    diag = bad("view o = t | select id\n  write {\n    compact\n  }\n", codes.BAD_WRITE_POLICY)
    assert diag.message == "'o' is a view; only outputs are written"
    diag = bad("output o = t | select id\n  write {\n    partition by idd\n  }\n", codes.BAD_WRITE_POLICY)
    assert diag.message == "`partition by` names 'idd', which 'o' does not have"
    assert diag.hint == "did you mean 'id'?"
    diag = bad("output o = t | select id, tags\n  write {\n    partition by tags\n  }\n", codes.BAD_WRITE_POLICY)
    assert diag.message == "cannot partition by 'tags' of type list<string>"
    diag = bad("output o = t | select id\n  write {\n    compact\n    compact\n  }\n", codes.BAD_WRITE_POLICY)
    assert diag.message == "the write policy states 'compact' twice"


# --- SEM035 UDF declarations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ('udf f(a: string) -> string from java "x"', "unknown implementation language 'java'"),
        ('udf f(a: string) -> string from python "no_colon"', "'no_colon' is not a Python target"),
        ('udf f(a: string) -> string from rust "a-b"', "'a-b' is not a Rust function name"),
        ("udf f(a: string, a: int64) -> string", "parameter 'a' is declared twice"),
        ("udf lower(a: string) -> string", "'lower' is already a built-in function"),
    ],
)
def test_sem035_bad_udf_declarations(declaration, message):
    assert bad(declaration + "\n", codes.BAD_UDF).message == message


# --- SEM028-030 templates ------------------------------------------------------------------------


def test_sem028_unknown_template():
    diag = bad("template keep(x) = | filter id > x\nview v = t | use kepe(1)\n", codes.UNKNOWN_TEMPLATE)
    assert diag.message == "unknown template 'kepe'"
    assert diag.hint == "did you mean 'keep'?"


def test_sem029_template_arity():
    diag = bad("template keep(x) = | filter id > x\nview v = t | use keep(1, 2)\n", codes.TEMPLATE_ARITY)
    assert diag.message == "template 'keep' takes 1 argument(s), not 2"


def test_sem030_template_cycle():
    text = "template a() = | use b()\ntemplate b() = | use a()\nview v = t | use a()\n"
    diag = bad(text, codes.TEMPLATE_CYCLE)
    assert diag.message == "templates use each other in a cycle: a -> b -> a"


def test_errors_inside_a_template_name_the_use_site_once():
    text = "template keep() = | filter idd > 1\nview v = t | use keep()\nview w = t | use keep()\n"
    error = errors(BASE + COVER + text)
    assert [d.code for d in error.diagnostics] == [codes.UNKNOWN_COLUMN, codes.UNKNOWN_COLUMN]
    assert all(d.span.line == LV for d in error.diagnostics)
    assert {d.hint.split("used at ")[1] for d in error.diagnostics} == {f"main.sem:{LV + 1}:14",
                                                                       f"main.sem:{LV + 2}:14"}


# --- SEM031 / SEM032 imports ---------------------------------------------------------------------


def test_sem031_missing_import():
    error = errors("", {"main.sem": 'import "lib/none.sem"\n' + BASE + COVER})
    [diag] = error.diagnostics
    assert diag.code == codes.UNKNOWN_IMPORT
    assert diag.message == "cannot import 'lib/none.sem': there is no file lib/none.sem"
    assert diag.span == Span("main.sem", 1, 8, 1, 22)


def test_sem032_import_cycle_and_imports_resolve_relative_to_the_importer():
    files = {"a.sem": 'import "sub/b.sem"\n' + BASE + COVER, "sub/b.sem": 'import "../a.sem"\n'}
    error = errors("", files)
    assert [(d.code, d.message) for d in error.diagnostics] == [
        (codes.IMPORT_CYCLE, "files import each other in a cycle: a.sem -> sub/b.sem -> a.sem")]
    program = check_text("", {"a.sem": 'import "sub/b.sem"\n' + BASE + COVER, "sub/b.sem": ""})
    assert [i.path for i in program.imports] == ["sub/b.sem"]


# --- SEM033 recursion ----------------------------------------------------------------------------

EDGES = "dataset edges from extractor e {\n  src: int64\n  dst: int64\n}\n"


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ("view r = edges | select src, dst | recurse (edges | select src, dst)",
         "the recursive term must start from 'r' itself"),
        ("view r = edges | select src, dst | recurse (r as a | join r as b on a.dst == b.src | select src = a.src, "
         "dst = b.dst)", "'r' is read twice; WITH RECURSIVE allows one reference"),
        ("view r = edges | select src, dst | recurse (r as a | join edges as e on a.dst == e.src)",
         "the recursive term of a recursive view must end with a select of its columns"),
        ("view r = edges | distinct | select src, dst | recurse (r | select src, dst)",
         "this step cannot appear in the base term of a recursive view"),
        ("view r = edges | select src, dst | recurse (r as a | left join edges as e on a.dst == e.src "
         "| select src = a.src, dst = e.dst)", "only inner joins may appear in the recursive term of a recursive view"),
        ("view r = edges | select src, dst | recurse (r | select src)",
         "the recursive term must select the same columns as the base term: src, dst"),
    ],
)
def test_sem033_recursion_must_be_linear(view, message):
    diag = one(EDGES + view + "\n", codes.BAD_RECURSION)
    assert diag.message == message


def test_self_reference_without_recurse_is_a_cycle():
    diag = one(EDGES + "view r = edges | join r on r.src == edges.dst\n", codes.VIEW_CYCLE)
    assert diag.message == "views depend on each other in a cycle: r -> r"


# --- every error of a run -------------------------------------------------------------------------


def test_many_new_errors_are_reported_together_with_json():
    text = BASE + COVER + (
        "view a = t | derive x = name + 1\n"
        "view b = t | derive y = kind.Q\n"
        "view c = t | filter id\n"
        "view d = t | use nothing()\n"
    )
    error = errors(text)
    assert sorted(d.code for d in error.diagnostics) == sorted(
        [codes.TYPE_MISMATCH, codes.UNKNOWN_ENUM_VALUE, codes.NOT_BOOLEAN, codes.UNKNOWN_TEMPLATE])
    assert error.render().endswith("4 error(s)")
    assert '"code": "SEM022"' in error.to_json()


def test_every_code_has_a_one_line_explanation():
    for code, text in codes.EXPLANATIONS.items():
        assert code.startswith("SEM") and text and "\n" not in text


def test_derive_replaces_an_existing_column_where_it_stands():
    from dsl.checker import view_columns
    from dsl.ir import SpecFile
    from dsl.program import parse_program

    spec = (
        "dataset t from extractor e { a: int64  name: string  z: int64 }\n"
        "view v = t | derive name = \"x\", extra = a\n"
    )
    program = parse_program((SpecFile("m.sem", spec),))
    assert [name for name, _ in view_columns(program)["v"]] == ["a", "name", "z", "extra"]


def test_derive_of_a_name_on_both_sides_of_a_join_is_ambiguous():
    from dsl.diagnostics import SpecError
    from dsl.ir import SpecFile
    from dsl.program import parse_program

    spec = (
        "dataset t from extractor e { a: int64  name: string }\n"
        "view v = t as l | join t as r on l.a == r.a | derive name = \"x\"\n"
    )
    with pytest.raises(SpecError) as caught:
        parse_program((SpecFile("m.sem", spec),))
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "SEM013"
    assert "derive would replace both 'l.name' and 'r.name'" in diagnostic.message
    assert (diagnostic.span.line, diagnostic.span.col) == (2, 54)
