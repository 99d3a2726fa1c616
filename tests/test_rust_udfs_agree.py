"""The Rust UDFs and their Python fallbacks give identical results, bit for bit, on random inputs.

Inputs include nulls, non-ASCII and astral text (surrogate pairs in UTF-16), NUL characters, negative and
out-of-range columns, inverted and extreme spans, and unknown encoding names. Every comparison runs real queries
in DataFusion sessions, one with the Rust UDF installed through datafusion-ffi, one with the fallback.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.udfs.column_to_byte import byte_offset
from runtime.udfs.stable_id import stable_id_of
from tests.rust_udf_support import both, rust_udfs

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters of every UTF-8 length, and one needing a UTF-16 surrogate pair.
ALPHABET = st.sampled_from(["a", "Z", ".", " ", "\x00", "é", "ß", "€", "中", "😀", "𝄞", "<", ">"])
TEXT = st.one_of(st.text(alphabet=ALPHABET, max_size=12), st.text(max_size=12))
MAYBE_TEXT = st.none() | TEXT
INT = st.none() | st.integers(-3, 14) | st.sampled_from([-(2**63), 2**63 - 1])


def rows(*columns):
    return st.lists(st.tuples(*columns), max_size=40)


def arrays(rows_, types):
    return {f"c{i}": pa.array([row[i] for row in rows_], type) for i, type in enumerate(types)}


def assert_identical(rust: pa.Array, fallback: pa.Array) -> None:
    assert rust.type == fallback.type
    assert rust.to_pylist() == fallback.to_pylist()
    assert rust.equals(fallback)


@pytest.fixture(autouse=True)
def extension():
    return rust_udfs()


@PROPERTY
@given(rows(MAYBE_TEXT, MAYBE_TEXT, MAYBE_TEXT, MAYBE_TEXT))
def test_stable_id(data):
    rust, fallback = both("stable_id", arrays(data, [pa.string()] * 4), "stable_id(c0, c1, c2, c3)")
    assert_identical(rust, fallback)
    assert rust.to_pylist() == [stable_id_of(row) for row in data]


@PROPERTY
@given(rows(INT, INT, INT, INT), st.sampled_from(["span_overlaps", "span_contains"]))
def test_span_predicates(data, name):
    rust, fallback = both(name, arrays(data, [pa.int64()] * 4), f"{name}(c0, c1, c2, c3)")
    assert_identical(rust, fallback)


ENCODING = st.none() | st.sampled_from(["utf-8", "utf-16", "utf-32", "UTF-8", "utf8", "latin-1", ""])
COLUMN = st.none() | st.integers(-3, 40) | st.sampled_from([-(2**63), 2**63 - 1])


@PROPERTY
@given(rows(MAYBE_TEXT, COLUMN, ENCODING))
def test_column_to_byte(data):
    rust, fallback = both(
        "column_to_byte", arrays(data, [pa.string(), pa.int64(), pa.string()]), "column_to_byte(c0, c1, c2)"
    )
    assert_identical(rust, fallback)


@PROPERTY
@given(TEXT, st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_column_to_byte_finds_every_boundary(line, encoding):
    """Every character boundary of a line, counted in the encoding's units, maps to its UTF-8 offset."""
    widths = {"utf-8": lambda ch: len(ch.encode()), "utf-16": lambda ch: 2 if ord(ch) > 0xFFFF else 1}
    width = widths.get(encoding, lambda ch: 1)
    boundaries = [(0, 0)]
    for ch in line:
        units, offset = boundaries[-1]
        boundaries.append((units + width(ch), offset + len(ch.encode())))
    data = [(line, column, encoding) for column, _ in boundaries]
    rust, fallback = both(
        "column_to_byte", arrays(data, [pa.string(), pa.int64(), pa.string()]), "column_to_byte(c0, c1, c2)"
    )
    assert_identical(rust, fallback)
    assert rust.to_pylist() == [offset for _, offset in boundaries]
    assert [byte_offset(line, column, encoding) for column, _ in boundaries] == rust.to_pylist()


SEGMENT = st.sampled_from(["f", "g", "<locals>", "<lambda>", "<genexpr>", "", " ", "é", "😀", "<locals", "a<locals>"])
QUALNAME = st.none() | st.lists(SEGMENT, max_size=6).map(".".join) | TEXT


@PROPERTY
@given(rows(QUALNAME))
def test_normalize_qualname(data):
    rust, fallback = both("normalize_qualname", arrays(data, [pa.string()]), "normalize_qualname(c0)")
    assert_identical(rust, fallback)


@pytest.mark.parametrize(
    "call",
    [
        "stable_id('a', 'b', null, '')",
        "span_overlaps(0, 5, 4, 9)",
        "span_contains(0, 5, 5, 5)",
        "column_to_byte('a😀b', 3, 'utf-16')",
        "normalize_qualname('f.<locals>.g')",
    ],
)
def test_constant_arguments(call):
    """Calls on literals only (DataFusion may fold them at planning time) agree too."""
    name = call.split("(")[0]
    rust, fallback = both(name, {"c0": pa.array([1, 2])}, call)
    assert_identical(rust, fallback)


def test_documented_examples():
    """The examples docs/udfs.md gives, for both implementations."""
    cases = {
        "stable_id('a', 'b', null, '')": "f2e4293004ea7dfbc73ef5be0e31d0b8",
        "stable_id(null, null, null, null)": "8f7eebf1abc544f24b9b96d447f0c2f5",
        "span_overlaps(0, 5, 4, 9)": True,
        "span_overlaps(0, 5, 5, 9)": False,
        "span_overlaps(3, 3, 0, 9)": False,
        "span_contains(0, 5, 5, 5)": True,
        "span_contains(0, 5, 4, 3)": False,
        "column_to_byte('a😀b', 3, 'utf-16')": 5,
        "column_to_byte('a😀b', 2, 'utf-16')": None,
        "column_to_byte('a😀b', 2, 'utf-32')": 5,
        "column_to_byte('héllo', 2, 'utf-8')": None,
        "column_to_byte('abc', 3, 'utf-8')": 3,
        "column_to_byte('abc', 4, 'utf-8')": None,
        "column_to_byte('abc', 1, 'UTF-8')": None,
        "normalize_qualname('f.<locals>.g.<locals>.<lambda>')": "f.g.<lambda>",
        "normalize_qualname('<locals>')": "",
        "normalize_qualname('a..b')": "a..b",
    }
    for call, expected in cases.items():
        name = call.split("(")[0]
        rust, fallback = both(name, {"c0": pa.array([1])}, call)
        assert rust.to_pylist() == fallback.to_pylist() == [expected], call
