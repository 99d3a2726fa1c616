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


class Blocks:
    """The blocks of a code object: `starts` holds each block's first unit, in order. A block starts at the
    first instruction, at jump and handler targets, and after a jump or a terminal instruction (a break), so
    a break always ends its block."""

    __slots__ = ("units", "exceptions", "starts", "breaks", "targets")

    def __init__(self, units: Units, exceptions: list[tuple]) -> None:
        self.units, self.exceptions = units, exceptions
        ops, size = units.ops, len(units)
        self.breaks = units.find(_BREAK_MARKS)
        self.targets = [units.target(unit) for unit in self.breaks]
        leaders = {0}  # every offset is even
        leaders.update(entry[2] >> 1 for entry in exceptions)
        leaders.update(target >> 1 for target in self.targets if target is not None)
        leaders.update(unit + 1 + CACHES[ops[unit]] for unit in self.breaks)
        # A leader counts only where an instruction starts.
        self.starts = sorted(unit for unit in leaders if 0 <= unit < size and ops[unit])

    def rows(self, positions: list, spans: ByteSpans) -> list[tuple]:
        """(start_offset, end_offset, instruction_count, line, bstart, bend) per block. `positions` has one
        entry per instruction; line is the block's first instruction line, the span covers every instruction
        with a complete position."""
        starts, ops, base = self.starts, self.units.ops, spans.base
        rows, index = [], 0
        for block, first in enumerate(starts):
            stop = starts[block + 1] if block + 1 < len(starts) else len(ops)
            count = stop - first - ops.count(0, first, stop)
            chunk = positions[index:index + count]
            index += count
            line = chunk[0][0]
            if line is None:
                line = next((position[0] for position in chunk if position[0] is not None), None)
            # Positions without columns (code the compiler made up) have no span. Lines are None or >= 0, so a
            # line that is None, or that `base` lacks, raises and the careful way decides.
            try:
                lows = [base[start_line] + col for start_line, _, col, end_col in chunk
                        if col is not None and end_col is not None]
                highs = [base[end_line] + end_col for _, end_line, col, end_col in chunk
                         if col is not None and end_col is not None]
            except (TypeError, IndexError):
                low, high = _span(chunk, spans)
            else:
                low, high = (min(lows), max(highs)) if lows else (None, None)
            rows.append((first * 2, stop * 2, count, line, low, high))
        return rows

    def edges(self) -> list[tuple]:
        """Sorted (src_block, dst_block, kind) for jumps, fall-throughs and exception handlers."""
        starts, ops = self.starts, self.units.ops
        block_at = {unit * 2: block for block, unit in enumerate(starts)}  # every jump target starts a block
        found, stops = set(), set()
        for unit, target in zip(self.breaks, self.targets):
            block = bisect_right(starts, unit) - 1
            if target is not None and target in block_at:
                found.add((block, block_at[target], "jump"))
            if ops[unit] in TERMINAL:
                stops.add(block)
        found.update((block, block + 1, "fallthrough") for block in range(len(starts) - 1) if block not in stops)
        if self.exceptions:
            # Blocks are contiguous and ordered, so those overlapping [start, end) form one run.
            first_offsets = [unit * 2 for unit in starts]
            end_offsets = first_offsets[1:] + [len(ops) * 2]
            for start, end, target, _, _ in self.exceptions:
                handler = block_at.get(target)
                if handler is not None:
                    for block in range(bisect_right(end_offsets, start), bisect_left(first_offsets, end)):
                        found.add((block, handler, "exception"))
        return sorted(found)


def _span(positions: list, spans: ByteSpans) -> tuple[int | None, int | None]:
    """Smallest start and largest end of the complete positions among `positions`."""
    low = high = None
    for position in set(positions):
        start, end, _, _, _, _ = spans.span(position)
        if start is not None:
            low = start if low is None else min(low, start)
            high = end if high is None else max(high, end)
    return low, high
