"""`co_positions` entries as byte spans of the file as stored."""

from __future__ import annotations

from runtime.extractors._syntax import Positions


class ByteSpans:
    """`Positions.offset` for the many positions of a file's bytecode. In a UTF-8 file a column is already a
    byte offset within its line, so `base[line] + col` gives the same answer with one list lookup; other
    encodings (and lines past the end, which `line_start` clamps) go through `Positions.offset`."""

    __slots__ = ("base", "offset")

    def __init__(self, pos: Positions) -> None:
        self.offset = pos.offset
        # Lines 0 and 1 go through line_start (it clamps 0 to 1 and skips a BOM on line 1); from line 2 on a
        # line starts where `starts` says.
        self.base = [pos.line_start(0), pos.line_start(1), *pos.starts[1:]] if pos.encoding is None else []

    def span(self, position) -> tuple:
        """(bstart, bend, line, col, end_line, end_col); only the line when part of the position is missing."""
        line, end_line, col, end_col = position
        if line is None or end_line is None or col is None or end_col is None:
            return None, None, line, None, None, None
        base, offset = self.base, self.offset
        start = base[line] + col if line < len(base) else offset(line, col)
        end = base[end_line] + end_col if end_line < len(base) else offset(end_line, end_col)
        return start, end, line, col, end_line, end_col
