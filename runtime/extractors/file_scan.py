"""The file scan extractor: one row per readable source file, and the line index that maps every line to its
byte range, so that spans from every extractor can be turned into lines one way."""

from __future__ import annotations

import hashlib
from typing import Mapping

from runtime.source import SourceFile, line_starts

LINE_COLUMNS = ("file_id", "line", "bstart", "bend", "newline")


def _line_index(source: SourceFile, starts: list[int]) -> dict[str, list]:
    data = source.data
    ends = starts[1:] + [len(data)]
    if ends and starts[-1] == len(data):  # no line after a final newline
        starts, ends = starts[:-1], ends[:-1]
    newlines = []
    for end in ends:
        tail = data[max(0, end - 2) : end]
        newlines.append("\r\n" if tail == b"\r\n" else tail[-1:].decode() if tail[-1:] in (b"\n", b"\r") else "")
    return {"file_id": [source.file_id] * len(starts), "line": list(range(1, len(starts) + 1)),
            "bstart": starts, "bend": ends, "newline": newlines}


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    if source.data is None:
        return {}
    data = source.data
    produced = {}
    starts = line_starts(data)
    if "source_files" in datasets:
        produced["source_files"] = {
            "file_id": [source.file_id],
            "module": [source.module],
            "size_bytes": [len(data)],
            "sha256": [source.sha256 or hashlib.sha256(data).hexdigest()],
            "line_count": [len(starts) - (1 if starts[-1] == len(data) else 0)],
        }
    if "line_index" in datasets:
        produced["line_index"] = _line_index(source, starts)
    return produced
