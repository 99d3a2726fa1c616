"""Basic blocks and control-flow edges of one code object, in code units (offset // 2)."""

from __future__ import annotations

import opcode
from bisect import bisect_left, bisect_right

from runtime.extractors._bytecode_decode import CACHES, JUMPS, Units, marks
from runtime.extractors._bytecode_spans import ByteSpans

# No fall-through after these: the next instruction starts a block only another edge can reach.
TERMINAL = frozenset(opcode.opmap[name] for name in (
    "RETURN_VALUE", "RAISE_VARARGS", "RERAISE", "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"))
_BREAK_MARKS = marks(TERMINAL | JUMPS)


def block_starts(units: Units, exceptions: list[tuple]) -> list[int]:
    """First unit of each block, in order: the first instruction, jump and handler targets, and whatever
    follows a jump or a terminal instruction."""
    ops, size = units.ops, len(units)
    leaders = {0}  # every offset is even
    leaders.update(entry[2] >> 1 for entry in exceptions)
    for unit in units.find(_BREAK_MARKS):
        op = ops[unit]
        if op in JUMPS:
            leaders.add(units.target(unit) >> 1)
        leaders.add(unit + 1 + CACHES[op])
    # A leader counts only where an instruction starts.
    return sorted(unit for unit in leaders if 0 <= unit < size and ops[unit])


def block_rows(units: Units, starts: list[int], positions: list, spans: ByteSpans) -> list[tuple]:
    """(start_offset, end_offset, instruction_count, line, bstart, bend) per block: line is the first
    instruction's line, the span covers every instruction with a complete position."""
    base, offset = spans.base, spans.offset
    known = len(base)
    rows = []
    for block, first in enumerate(starts):
        stop = starts[block + 1] if block + 1 < len(starts) else len(units)
        chunk = positions[first:stop]
        line = chunk[0][0]
        if line is None:
            line = next((position[0] for position in chunk if position[0] is not None), None)
        low = high = None
        for position in set(chunk):  # cache units repeat their instruction's position
            if None in position:
                continue
            start_line, end_line, col, end_col = position
            start = base[start_line] + col if start_line < known else offset(start_line, col)
            end = base[end_line] + end_col if end_line < known else offset(end_line, end_col)
            if low is None or start < low:
                low = start
            if high is None or end > high:
                high = end
        rows.append((first * 2, stop * 2, units.count(first, stop), line, low, high))
    return rows


def edges(units: Units, starts: list[int], exceptions: list[tuple]) -> list[tuple]:
    """Sorted (src_block, dst_block, kind) for jumps, fall-throughs and exception handlers."""
    block_at = {unit * 2: block for block, unit in enumerate(starts)}  # every jump target starts a block
    found = set()
    blocks = len(starts)
    for block in range(blocks):
        last = units.last(starts[block + 1] if block + 1 < blocks else len(units))
        target = units.target(last)
        if target is not None and target in block_at:
            found.add((block, block_at[target], "jump"))
        if units.ops[last] not in TERMINAL and block + 1 < blocks:
            found.add((block, block + 1, "fallthrough"))
    if exceptions:
        # Blocks are contiguous and ordered, so those overlapping [start, end) form one run.
        first_offsets = [unit * 2 for unit in starts]
        end_offsets = first_offsets[1:] + [len(units) * 2]
        for start, end, target, _, _ in exceptions:
            handler = block_at.get(target)
            if handler is not None:
                for block in range(bisect_right(end_offsets, start), bisect_left(first_offsets, end)):
                    found.add((block, handler, "exception"))
    return sorted(found)
