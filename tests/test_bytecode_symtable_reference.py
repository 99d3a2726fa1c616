"""The bytecode and symtable extractors skip the library's slow paths (`dis` objects, `symtable.Symbol` per
symbol); these tests hold their rows to what those paths answer."""

from __future__ import annotations

import dis
import symtable
from pathlib import Path

from runtime.extractors import python_bytecode, python_symtable
from runtime.source import SourceFile

CODE = '''\
import os
from typing import Any


class Box:
    size: int = 0
    items = [n * 2 for n in range(3)]

    def get(self, key, /, default=None, *, strict=False):
        global counter
        counter = 1
        try:
            return self.items[key]
        except (IndexError, KeyError) as exc:
            if strict:
                raise ValueError(key) from exc
            return default
        finally:
            counter -= 1

    async def each(self):
        async with os.scandir() as entries:
            async for entry in entries:
                yield {entry: [x for x in entry.name if x]}


def outer(a, *args, **kwargs):
    total = 0

    def inner():
        nonlocal total
        total += len(args)
        return lambda: total + a

    while a:
        a -= 1
        if a % 3 == 0:
            continue
        match a:
            case [first, *rest]:
                break
            case {"key": value} if value:
                pass
    else:
        total = -1
    return inner
'''
# A function long enough for jumps that need EXTENDED_ARG.
LONG = "def long(x):\n" + "".join(f"    if x == {i}:\n        x = x + {i}\n" for i in range(300)) + "    return x\n"


def source(text: str) -> SourceFile:
    return SourceFile("m.py", Path("m.py"), "m", text.encode("utf-8"), None)


def code_objects(text: str) -> list:
    """The file's code objects in the extractor's order: pre-order, children in LOAD_CONST order."""
    found, stack = [], [compile(text, "m.py", "exec", dont_inherit=True)]
    while stack:
        code = stack.pop()
        found.append(code)
        loads = [i.argval for i in dis.get_instructions(code) if i.opcode in dis.hasconst]
        stack.extend(reversed([value for value in loads if hasattr(value, "co_code")]))
    return found


def test_instructions_and_counts_agree_with_dis() -> None:
    for text in (CODE, LONG):
        tables = python_bytecode.extract(source(text), frozenset({
            "bytecode_code_objects", "bytecode_instructions", "bytecode_blocks"}))
        codes = code_objects(text)
        objects, rows = tables["bytecode_code_objects"], tables["bytecode_instructions"]
        assert objects["name"] == [code.co_name for code in codes]
        expected = [list(dis.get_instructions(code)) for code in codes]
        assert objects["instruction_count"] == [len(found) for found in expected]
        assert rows["offset"] == [i.offset for found in expected for i in found]
        assert rows["arg"] == [i.arg for found in expected for i in found]
        jumps = [i.argval if i.opcode in dis.hasjrel + dis.hasjabs else None for found in expected for i in found]
        assert rows["jump_target"] == jumps
        blocks = tables["bytecode_blocks"]
        for code_id, found in enumerate(expected):  # the blocks of a code object cover its instructions once
            counts = [n for c, n in zip(blocks["code_id"], blocks["instruction_count"]) if c == code_id]
            assert sum(counts) == len(found)


def test_symbol_flags_agree_with_the_library() -> None:
    tables = python_symtable.extract(source(CODE), frozenset({"symtable_scopes", "symtable_symbols"}))
    expected, stack = [], [symtable.symtable(CODE, "m.py", "exec")]
    while stack:
        table = stack.pop()
        for symbol in table.get_symbols():
            expected.append((symbol.get_name(), *(getattr(symbol, flag)() for flag in (
                "is_local", "is_global", "is_declared_global", "is_nonlocal", "is_free", "is_parameter",
                "is_imported", "is_assigned", "is_referenced", "is_annotated", "is_namespace"))))
        stack.extend(reversed(table.get_children()))
    symbols = tables["symtable_symbols"]
    columns = [symbols[c] for c in python_symtable.SYMBOL_COLUMNS[2:]]
    assert list(zip(*columns)) == expected
    assert all(type(value) is bool for column in columns[1:] for value in column)
    scopes = tables["symtable_scopes"]
    assert scopes["kind"][:3] == ["module", "class", "function"]
    assert scopes["is_optimized"][:3] == [False, False, True]
