"""Format generated modules with pinned black, one top-level statement at a time, with a disk cache.

Black's cost grows with the size of what it formats, and a program's modules grow with its views. Formatting
each top-level statement on its own, joined by two blank lines, gives exactly what black gives for the whole
module (black keeps two blank lines between top-level statements, requires them around functions, and wants
one after the imports unless a function follows; a test checks the shipped package is black-stable whole). Each formatted statement is cached on disk by a digest
of black's version, its settings and the input, so regenerating after an edit formats only what changed.
"""

from __future__ import annotations

import ast
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import black

# Explicit settings: the output must not depend on any pyproject.toml black might otherwise discover.
BLACK_MODE = black.Mode(
    target_versions={black.TargetVersion.PY311},
    line_length=100,
    string_normalization=True,
    magic_trailing_comma=True,
)
# Below this many uncached statements, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 64


def format_python(source: str) -> str:
    return black.format_str(source, mode=BLACK_MODE).replace("\r\n", "\n")


def split_statements(source: str) -> tuple[str, list[str]]:
    """(head, statements): the head is everything up to the last import (header comments, docstring,
    imports); each statement is one later top-level statement with the comment lines right above it."""
    lines = source.splitlines(keepends=True)
    body = ast.parse(source).body
    last_import = max((i for i, node in enumerate(body) if isinstance(node, (ast.Import, ast.ImportFrom))), default=-1)
    starts = []
    for node in body[last_import + 1 :]:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while first > 0 and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        starts.append(first)
    head_end = starts[0] if starts else len(lines)
    bounds = starts + [len(lines)]
    statements = ["".join(lines[a:b]).strip("\n") + "\n" for a, b in zip(bounds, bounds[1:])]
    return "".join(lines[:head_end]), statements


@dataclass(frozen=True)
class FormatCache:
    """Formatted statements on disk, keyed by black's version, settings and the unformatted text."""

    folder: Path

    @classmethod
    def default(cls) -> "FormatCache":
        root = os.environ.get("SEMC_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "semc"
        )
        return cls(Path(root) / f"black-{black.__version__}")

    def _path(self, source: str) -> Path:
        key = hashlib.sha256(f"{BLACK_MODE!r}\0{source}".encode()).hexdigest()
        return self.folder / key[:2] / key

    def get(self, source: str) -> str | None:
        try:
            return self._path(source).read_text(encoding="utf-8")
        except OSError:
            return None

    def put(self, source: str, formatted: str) -> None:
        path = self._path(source)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            temporary.write_text(formatted, encoding="utf-8")
            temporary.replace(path)  # atomic: concurrent generators never read half an entry
        except OSError:
            pass  # a read-only or full disk only costs speed


def format_module(source: str, cache: FormatCache | None) -> str:
    head, statements = split_statements(source)
    formatted: dict[str, str] = {}
    missing = []
    for statement in dict.fromkeys(statements):
        hit = cache.get(statement) if cache else None
        if hit is None:
            missing.append(statement)
        else:
            formatted[statement] = hit
    if len(missing) >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor() as pool:
            results = list(pool.map(format_python, missing, chunksize=16))
    else:
        results = [format_python(statement) for statement in missing]
    for statement, result in zip(missing, results):
        formatted[statement] = result
        if cache:
            cache.put(statement, result)
    body = "\n\n\n".join(formatted[statement].rstrip("\n") for statement in statements)
    if not head.strip():
        return body + "\n"
    if not statements:
        return format_python(head)
    # After imports black wants two blank lines before a function or class, one before anything else.
    first = ast.parse(statements[0]).body[0]
    gap = "\n\n\n" if isinstance(first, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else "\n\n"
    return format_python(head).rstrip("\n") + gap + body + "\n"
