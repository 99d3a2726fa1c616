"""Every query in docs/queries.md runs on a build of the bundled sample and gives the answers a reader relies on.

The expected rows were worked out by hand from samples/shapes; where the sample leaves an answer open (whether
`self.area()` in Shape.describe may also reach a subclass's area), only the rows that are certain are checked.
"""

from __future__ import annotations

import re

import pytest

from runtime.query import query
from tests.conftest import ROOT

DOC = ROOT / "docs" / "queries.md"


def _queries() -> dict[str, str]:
    """Section title -> the one SQL block under it."""
    sections = re.split(r"^### ", DOC.read_text(encoding="utf-8"), flags=re.M)[1:]
    found = {}
    for section in sections:
        title, _, body = section.partition("\n")
        blocks = re.findall(r"```sql\n(.*?)```", body, flags=re.S)
        assert len(blocks) == 1, f"section {title!r} should hold exactly one sql block"
        found[title.strip()] = blocks[0]
    return found


QUERIES = _queries()


def _rows(out, title: str) -> list[dict]:
    return query(out, QUERIES[title]).to_pylist()


def _callers_of_largest(rows):
    # main.py line 12: print("largest:", largest(items).describe()), in the module's own code.
    assert [(r["file"], r["line"], r["caller"]) for r in rows] == [("main.py", 12, "main")]


def _callees_of_square_init(rows):
    # super().__init__(side, side): the builtin super, then Rectangle.__init__ through Square's MRO.
    assert {r["callee"] for r in rows} == {"<builtin>.super", "shapes.polygons.Rectangle.__init__"}
    assert all(0 < r["confidence"] <= 1 for r in rows)


def _unresolved_call_sites(rows):
    sites = {(r["file"], r["line"]) for r in rows}
    assert ("shapes/convert.py", 18) in sites  # converter(lengths): a function picked by getattr at run time
    assert ("shapes/convert.py", 17) not in sites  # getattr(...) itself is the builtin
    assert ("main.py", 9) not in sites  # Rectangle(2, 3), Square(2), Circle(1): constructors
    assert ("main.py", 13) not in sites  # to_inches(...) and print(...)


def _import_cycles(rows):
    pairs = {(r["module"], r["cycles_with"]) for r in rows}
    # shapes.units imports shapes.convert, which imports shapes.units back.
    assert ("shapes.convert", "shapes.units") in pairs
    assert not any("main" in pair for pair in pairs)  # nothing imports the entry point


def _overridden_methods(rows):
    assert [(r["method"], r["overrides"]) for r in rows] == [
        ("shapes.base.Circle.area", "shapes.base.Shape.area"),
        ("shapes.base.Circle.perimeter", "shapes.base.Shape.perimeter"),
        ("shapes.polygons.Rectangle.area", "shapes.base.Shape.area"),
        ("shapes.polygons.Rectangle.perimeter", "shapes.base.Shape.perimeter"),
        ("shapes.polygons.Square.__init__", "shapes.polygons.Rectangle.__init__"),
    ]


def _unused_functions(rows):
    unused = {r["function"] for r in rows}
    assert {
        "shapes.convert.to_centimetres",
        "shapes.convert.convert_by_name",
        "shapes.polygons.total_area",
        "shapes.base.Shape.perimeter",
        "shapes.base.Circle.perimeter",
        "shapes.polygons.Rectangle.perimeter",
    } <= unused
    # Called (largest, scale, to_inches, describe, Shape.area through self), passed (by_area, the key of max),
    # decorated (diagonal) or a dunder: none of these is unused.
    assert not unused & {
        "shapes.polygons.largest",
        "shapes.polygons.largest.by_area",
        "shapes.convert.scale",
        "shapes.units.to_inches",
        "shapes.base.Shape.describe",
        "shapes.base.Shape.area",
        "shapes.polygons.Rectangle.diagonal",
        "shapes.polygons.Rectangle.__init__",
    }


def _classes_and_bases(rows):
    assert [(r["class"], r["base"]) for r in rows] == [
        ("shapes.base.Circle", "shapes.base.Shape"),
        ("shapes.polygons.Rectangle", "shapes.base.Shape"),
        ("shapes.polygons.Square", "shapes.polygons.Rectangle"),
    ]


def _most_callers(rows):
    counts = {r["function"]: r["callers"] for r in rows}
    # main and Square.__init__ (through super); the lambda in to_inches and to_centimetres.
    assert counts["shapes.polygons.Rectangle.__init__"] == 2
    assert counts["shapes.convert.scale"] == 2
    assert [r["callers"] for r in rows] == sorted((r["callers"] for r in rows), reverse=True)


def _external_packages(rows):
    assert [(r["module"], r["package"]) for r in rows] == [("shapes.base", "math"), ("shapes.polygons", "functools")]


def _decorated_functions(rows):
    assert [(r["function"], r["decorator"], r["line"]) for r in rows] == [
        ("shapes.polygons.Rectangle.diagonal", "functools.cached_property", 13)
    ]


def _unannotated_parameters(rows):
    found = [(r["function"], r["parameter"], r["line"]) for r in rows]
    # scale(value, factor): in declaration order; the lambda's parameter too.
    assert found.index(("shapes.convert.scale", "value", 6)) + 1 == found.index(("shapes.convert.scale", "factor", 6))
    assert ("shapes.units.to_inches.<lambda1>", "cm", 10) in found
    # Circle.__init__(self, radius: float) and Rectangle.__init__(self, width: float, height: float): annotated,
    # and self is left out.
    assert not {r["function"] for r in rows} & {"shapes.base.Circle.__init__", "shapes.polygons.Rectangle.__init__"}
    assert "self" not in {r["parameter"] for r in rows}


CHECKS = {
    "1. Callers of a function": _callers_of_largest,
    "2. Callees of a function": _callees_of_square_init,
    "3. Unresolved call sites": _unresolved_call_sites,
    "4. Import cycles": _import_cycles,
    "5. Overridden methods": _overridden_methods,
    "6. Unused functions": _unused_functions,
    "7. Classes and their bases": _classes_and_bases,
    "8. Functions with the most callers": _most_callers,
    "9. Modules importing an external package": _external_packages,
    "10. Decorated functions": _decorated_functions,
    "11. Parameters without a type annotation": _unannotated_parameters,
}


def test_every_query_in_the_doc_is_checked():
    assert list(QUERIES) == list(CHECKS)


@pytest.mark.parametrize("title", list(CHECKS))
def test_query(sample_out, title):
    CHECKS[title](_rows(sample_out, title))
