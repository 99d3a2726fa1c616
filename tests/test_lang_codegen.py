"""Every language construct compiles: its generated builder runs on DataFusion and gives the right rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from datafusion import SessionContext, udf

from codegen.model import builder_models
from codegen.render import render_views
from dsl.ir import SpecFile, WritePolicy
from dsl.program import parse_program

EDGES = """
dataset edges from extractor file_scan {
  src: int64
  dst: int64
  weight: float64?
  label: string?
  key (src, dst)
}
"""
EDGE_SCHEMA = pa.schema([("src", pa.int64()), ("dst", pa.int64()), ("weight", pa.float64()), ("label", pa.string())])
EDGE_ROWS = [
    {"src": 1, "dst": 2, "weight": 0.5, "label": "a"},
    {"src": 2, "dst": 3, "weight": 0.9, "label": None},
    {"src": 3, "dst": 1, "weight": None, "label": "c"},
    {"src": 1, "dst": 3, "weight": 0.7, "label": "d"},
]


def context(tables: dict[str, tuple[pa.Schema, list[dict]]]) -> SessionContext:
    ctx = SessionContext()
    for name, (schema, rows) in tables.items():
        ctx.register_record_batches(name, [[pa.RecordBatch.from_pylist(rows, schema=schema)]])
    return ctx


def run(compile_package, spec: str, view: str, tables=None) -> list[dict]:
    """Compile the spec, register every view upstream of `view` in schedule order, and build `view`."""
    module, _, _ = compile_package({"main.sem": spec})
    ctx = context(tables or {"edges": (EDGE_SCHEMA, EDGE_ROWS)})
    for entry in module.program.PROGRAM.views:
        df = entry.builder(ctx)
        if entry.name == view:
            return df.to_pylist()
        ctx.register_view(entry.name, df)
    raise AssertionError(f"no view {view}")


def direct_builders(spec: str) -> dict:
    """The generated views module, rendered and loaded without the plan analysis of `semc gen` (for
    constructs whose analysis needs support from other modules: UDFs and nested column types)."""
    program = parse_program((SpecFile("main.sem", spec),))
    namespace: dict = {}
    exec(compile(render_views(builder_models(program), "specs"), "views.py", "exec"), namespace)  # noqa: S102
    return namespace


def rows_key(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted(r.items())) for r in rows)


def test_filter_derive_select_rename_distinct_string_ops_casts_nulls(compile_package):
    spec = EDGES + """
output v = edges
  | filter src < 3 and weight is not null
  | derive text = coalesce(label, "none") || "/" || cast(dst as string), heavy = weight > 0.6
  | select src, text, heavy, w10 = cast(weight * 10.0 as int64)
  | rename source = src
  | distinct
"""
    rows = run(compile_package, spec, "v")
    assert rows_key(rows) == rows_key([
        {"source": 1, "text": "a/2", "heavy": False, "w10": 5},
        {"source": 2, "text": "none/3", "heavy": True, "w10": 9},
        {"source": 1, "text": "d/3", "heavy": True, "w10": 7},
    ])


def test_enum_literals_and_case(compile_package):
    spec = EDGES + """
enum edge_kind { FORWARD, BACKWARD }
output v = edges
  | derive kind = case when src < dst then edge_kind.FORWARD else edge_kind.BACKWARD end
  | filter kind == edge_kind.BACKWARD or kind == "FORWARD"
  | select src, dst, kind
"""
    rows = run(compile_package, spec, "v")
    assert rows_key(rows) == rows_key([
        {"src": 1, "dst": 2, "kind": "FORWARD"}, {"src": 2, "dst": 3, "kind": "FORWARD"},
        {"src": 3, "dst": 1, "kind": "BACKWARD"}, {"src": 1, "dst": 3, "kind": "FORWARD"},
    ])


NODES = """
dataset nodes from extractor file_scan {
  id: int64
  name: string
  key (id)
}
"""
NODE_SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])
NODE_ROWS = [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}, {"id": 4, "name": "four"}]
TABLES = {"edges": (EDGE_SCHEMA, EDGE_ROWS), "nodes": (NODE_SCHEMA, NODE_ROWS)}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("inner", [(1, 2, "one", "two"), (1, 3, "one", None)][:1]),
        ("left", [(1, 2, "one", "two"), (2, 3, "two", None), (1, 3, "one", None)]),
    ],
)
def test_joins_with_aliases_and_multiple_keys(compile_package, kind, expected):
    spec = EDGES + NODES + f"""
view named = edges as e
  | join nodes as s on e.src == s.id
  | {kind} join nodes as d on e.dst == d.id and d.id != 99
  | select src = e.src, dst = e.dst, from_name = s.name, to_name = d.name
"""
    rows = run(compile_package, spec, "named", TABLES)
    assert sorted((r["src"], r["dst"], r["from_name"], r["to_name"]) for r in rows) == sorted(expected)


def test_semi_and_anti_join_keep_left_columns(compile_package):
    spec = EDGES + NODES + """
view known = edges | semi join nodes on edges.dst == nodes.id | select src, dst
view unknown = edges | anti join nodes on edges.dst == nodes.id | select src, dst
"""
    assert rows_key(run(compile_package, spec, "known", TABLES)) == rows_key(
        [{"src": 1, "dst": 2}, {"src": 3, "dst": 1}])
    assert rows_key(run(compile_package, spec, "unknown", TABLES)) == rows_key(
        [{"src": 2, "dst": 3}, {"src": 1, "dst": 3}])


def test_union_by_name_widens_numbers(compile_package):
    spec = EDGES + NODES + """
view a = edges | select id = src, tag = "edge"
view b = nodes | select tag = name, id
output u = union(a, b) | distinct
"""
    rows = run(compile_package, spec, "u", TABLES)
    assert rows_key(rows) == rows_key([
        {"id": 1, "tag": "edge"}, {"id": 2, "tag": "edge"}, {"id": 3, "tag": "edge"},
        {"id": 1, "tag": "one"}, {"id": 2, "tag": "two"}, {"id": 4, "tag": "four"},
    ])


def test_aggregate_with_group_by_and_every_aggregate(compile_package):
    spec = EDGES + """
view per_source = edges
  | aggregate n = count(), weighted = count(weight), total = sum(dst), low = min(dst), high = max(weight),
              dsts = array_agg(dst order by dst desc), first_label = first(label order by dst)
      by src
"""
    rows = run(compile_package, spec, "per_source")
    by_src = {r["src"]: r for r in rows}
    assert by_src[1] == {"src": 1, "n": 2, "weighted": 2, "total": 5, "low": 2, "high": 0.7, "dsts": [3, 2],
                         "first_label": "a"}
    assert by_src[3] == {"src": 3, "n": 1, "weighted": 0, "total": 1, "low": 1, "high": None, "dsts": [1],
                         "first_label": "c"}


def test_aggregate_without_groups_is_one_row(compile_package):
    rows = run(compile_package, EDGES + "view n = edges | aggregate rows = count()\n", "n")
    assert rows == [{"rows": 4}]


def test_best_keeps_the_best_match_per_key(compile_package):
    spec = EDGES + """
view best = edges | best per src by weight desc, dst | select src, dst
view top2 = edges | best 2 per label is null by dst desc | select dst
"""
    assert rows_key(run(compile_package, spec, "best")) == rows_key(
        [{"src": 1, "dst": 3}, {"src": 2, "dst": 3}, {"src": 3, "dst": 1}])
    # Nulls sort last, so a missing weight never wins over a present one.
    assert sorted(r["dst"] for r in run(compile_package, spec, "top2")) == [2, 3, 3]


def test_recursive_view_is_a_transitive_closure(compile_package):
    spec = EDGES + """
view reach = edges | filter weight is not null | select src, dst
  | recurse (reach as r | join edges as e on r.dst == e.src | filter e.weight is not null
             | select src = r.src, dst = e.dst)
  | derive self_loop = src == dst
output reach_out = reach | select src, dst
"""
    module, _, package_dir = compile_package({"main.sem": spec})
    ctx = context({"edges": (EDGE_SCHEMA, EDGE_ROWS)})
    rows = module.views.build_reach(ctx).to_pylist()
    # weighted edges 1->2, 2->3, 1->3; 3->1 has no weight.
    assert sorted((r["src"], r["dst"], r["self_loop"]) for r in rows) == [
        (1, 2, False), (1, 3, False), (2, 3, False)]
    views_source = (package_dir / "views.py").read_text()
    assert 'WITH RECURSIVE "reach"' in views_source
    # The view graph has no self-edge: reach reads edges only.
    assert module.program.PROGRAM.view("reach").inputs == ("edges",)


def test_recursion_terminates_on_cycles(compile_package):
    spec = EDGES + """
view reach = edges | select src, dst
  | recurse (reach as r | join edges as e on r.dst == e.src | select src = r.src, dst = e.dst)
"""
    rows = run(compile_package, spec, "reach")
    assert len(rows) == 9  # every pair of {1, 2, 3}: the cycle 1->2->3->1 closes


def test_templates_expand_with_arguments(compile_package):
    spec = EDGES + """
template heavier_than(limit, column_name) =
  | filter coalesce(weight, 0.0) > limit
  | derive tag = column_name
view heavy = edges | use heavier_than(0.6, "heavy") | select src, dst, tag
"""
    assert rows_key(run(compile_package, spec, "heavy")) == rows_key(
        [{"src": 2, "dst": 3, "tag": "heavy"}, {"src": 1, "dst": 3, "tag": "heavy"}])


def test_imports_across_files(tmp_path, compile_package):
    library = tmp_path / "lib"
    library.mkdir()
    (library / "shared.sem").write_text("template sources() = | select src\n")
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "main.sem").write_text('import "../lib/shared.sem"\n' + EDGES + "view s = edges | use sources() | distinct\n")
    module, _, _ = compile_package(specs)
    rows = module.views.build_s(context({"edges": (EDGE_SCHEMA, EDGE_ROWS)})).to_pylist()
    assert sorted(r["src"] for r in rows) == [1, 2, 3]


def test_udf_calls_look_the_function_up_in_the_session():
    spec = EDGES + """
udf tag(kind: string, id: int64) -> string immutable from python "cpg_udfs.ids:tag"
view tagged = edges | select id = tag("edge", src)
"""
    builders = direct_builders(spec)
    ctx = context({"edges": (EDGE_SCHEMA, EDGE_ROWS)})

    def tag(kind: pa.Array, ident: pa.Array) -> pa.Array:
        return pc.binary_join_element_wise(kind, pc.cast(ident, pa.string()), ":")

    ctx.register_udf(udf(tag, [pa.string(), pa.int64()], pa.string(), "immutable", name="tag"))
    rows = builders["build_tagged"](ctx).to_pylist()
    assert sorted(r["id"] for r in rows) == ["edge:1", "edge:1", "edge:2", "edge:3"]
    with pytest.raises(Exception, match="tag"):
        builders["build_tagged"](context({"edges": (EDGE_SCHEMA, EDGE_ROWS)}))  # not registered: named


def test_list_and_struct_columns():
    spec = """
dataset calls from extractor python_ast {
  id: int64
  args: list<string>
  site: struct<line: int64, col: int64?>
  key (id)
}
view flat = calls
  | select id, first_arg = array_element(args, 1), n = cardinality(args), line = get_field(site, "line")
"""
    builders = direct_builders(spec)
    schema = pa.schema([("id", pa.int64()), ("args", pa.list_(pa.string())),
                        ("site", pa.struct([("line", pa.int64()), ("col", pa.int64())]))])
    ctx = context({"calls": (schema, [{"id": 1, "args": ["a", "b"], "site": {"line": 3, "col": None}}])})
    assert builders["build_flat"](ctx).to_pylist() == [{"id": 1, "first_arg": "a", "n": 2, "line": 3}]


def test_write_policy_is_recorded_on_the_output():
    spec = EDGES + """
output edge_rows = edges | select src, dst, label = coalesce(label, "")
  write {
    partition by label
    merge on src, dst
    change_data_feed
    compact
    vacuum retain 7 days
  }
output plain = edges | select src
"""
    program = parse_program((SpecFile("main.sem", spec),))
    policy = program.view("edge_rows").write_policy
    assert isinstance(policy, WritePolicy)
    assert (policy.partition_by, policy.merge_on, policy.change_data_feed, policy.compact,
            policy.vacuum_retain_hours) == (("label",), ("src", "dst"), True, True, 168)
    assert program.view("plain").write_policy is None
