"""Decoding a code object's `co_code` and `co_exceptiontable` (as `dis` does, without an object per instruction:
`dis.get_instructions` costs more than the compile itself).

In 3.11's `co_code` every inline CACHE unit is opcode 0 and no instruction is: so the units of one kind of
instruction are found with `bytes.translate` and `find`, instructions are counted with `bytes.count` and their
positions picked with `compress`, instead of stepping through every instruction in Python.
"""

from __future__ import annotations

import opcode
from itertools import compress

from runtime.extractors._node_facts import short_repr

HAVE_ARGUMENT = opcode.HAVE_ARGUMENT
EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]
CACHES = opcode._inline_cache_entries  # inline CACHE units after each opcode
CONST = frozenset(opcode.hasconst)
JUMPS = frozenset(opcode.hasjrel) | frozenset(opcode.hasjabs)
_JABS = frozenset(opcode.hasjabs)
_BACKWARD = frozenset(op for op in opcode.hasjrel if "JUMP_BACKWARD" in opcode.opname[op])
_NAME = frozenset(opcode.hasname)
_LOCAL = frozenset(opcode.haslocal) | frozenset(opcode.hasfree)
_COMPARE = frozenset(opcode.hascompare)
_LOAD_GLOBAL = opcode.opmap["LOAD_GLOBAL"]


def marks(opcodes: frozenset[int]) -> bytes:
    """A `bytes.translate` table: 1 for the given opcodes, 0 for the rest."""
    return bytes(1 if op in opcodes else 0 for op in range(256))


CONST_MARKS = marks(CONST)


class Units:
    """A code object's code units: unit u is the instruction or cache at offset 2 * u."""

    __slots__ = ("ops", "opargs")

    def __init__(self, raw: bytes) -> None:
        self.ops, self.opargs = raw[::2], raw[1::2]

    def __len__(self) -> int:
        return len(self.ops)

    def count(self, start: int = 0, stop: int | None = None) -> int:
        """Instructions among units [start, stop)."""
        stop = len(self.ops) if stop is None else stop
        return stop - start - self.ops.count(0, start, stop)

    def positions(self, code) -> list:
        """`co_positions` of the instructions alone (cache units repeat their instruction's)."""
        return list(compress(code.co_positions(), self.ops))

    def find(self, table: bytes) -> list[int]:
        """Units, in order, of the instructions `table` (from `marks`) marks."""
        return list(compress(range(len(self.ops)), self.ops.translate(table)))

    def arg(self, unit: int) -> int:
        """The oparg of the instruction at `unit`, EXTENDED_ARG prefixes included."""
        ops, opargs = self.ops, self.opargs
        value, shift, unit = opargs[unit], 8, unit - 1
        while unit >= 0 and ops[unit] == EXTENDED_ARG:
            value |= opargs[unit] << shift
            shift, unit = shift + 8, unit - 1
        return value

    def target(self, unit: int) -> int | None:
        """Jump target offset of the instruction at `unit` (None unless it jumps)."""
        op = self.ops[unit]
        if op not in JUMPS:
            return None
        if op in _JABS:
            return self.arg(unit) * 2
        arg = self.arg(unit)
        return unit * 2 + 2 + (-arg if op in _BACKWARD else arg) * 2


def instructions(raw: bytes):
    """(offset, op, arg, jump_target) per instruction, stepping over CACHE units; arg is None below
    HAVE_ARGUMENT. Only the instructions dataset needs every instruction decoded."""
    extended, i, size = 0, 0, len(raw)
    while i < size:
        op = raw[i]
        arg = None
        if op >= HAVE_ARGUMENT:
            arg = raw[i + 1] | extended
            extended = (arg << 8) if op == EXTENDED_ARG else 0
        else:
            extended = 0
        target = None
        if op in JUMPS:
            target = arg * 2 if op in _JABS else i + 2 + (-arg if op in _BACKWARD else arg) * 2
        yield i, op, arg, target
        i += 2 + 2 * CACHES[op]


def exception_table(code) -> list[tuple[int, int, int, int, bool]]:
    """(start, end, target, depth, lasti) per entry, decoded from the varint format of co_exceptiontable."""
    data, i, entries = code.co_exceptiontable, 0, []

    def varint() -> int:
        nonlocal i
        b = data[i]
        i += 1
        value = b & 63
        while b & 64:
            b = data[i]
            i += 1
            value = (value << 6) | (b & 63)
        return value

    while i < len(data):
        start = varint() * 2
        end = start + varint() * 2
        target = varint() * 2
        depth_lasti = varint()
        entries.append((start, end, target, depth_lasti >> 1, bool(depth_lasti & 1)))
    return entries


def argval(code, op: int, arg: int) -> str | None:
    if op in CONST:
        value = code.co_consts[arg]
        if hasattr(value, "co_code"):
            return f"<code {value.co_name}>"
        return short_repr(value)
    if op in _NAME:
        return code.co_names[arg >> 1 if op == _LOAD_GLOBAL else arg]
    if op in _LOCAL:
        return code._varname_from_oparg(arg)
    if op in _COMPARE:
        return opcode.cmp_op[arg]
    return None
