"""The file scan extractor: one row per readable source file."""

from __future__ import annotations

import hashlib
from typing import Mapping

from runtime.source import SourceFile, line_count


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    if "source_files" not in datasets or source.data is None:
        return {}
    data = source.data
    return {
        "source_files": {
            "file_id": [source.file_id],
            "module": [source.module],
            "size_bytes": [len(data)],
            "sha256": [hashlib.sha256(data).hexdigest()],
            "line_count": [line_count(data)],
        }
    }
