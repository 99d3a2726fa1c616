"""Source files as the extractors see them: read once, by the runtime, with read failures kept as data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Folders that never hold a project's own source, wherever they are: VCS data, caches, tool environments.
# Virtualenvs are recognised by their pyvenv.cfg, not by name, so a package called `env` is still analysed.
EXCLUDED_ANYWHERE = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
     ".tox", ".nox", "node_modules", ".eggs"}
)
# Build output, excluded only at the top of the tree: deeper down these names can be real packages.
EXCLUDED_AT_ROOT = frozenset({"build", "dist", "target"})


@dataclass(frozen=True)
class SourceFile:
    file_id: str  # path relative to the build root, POSIX separators
    path: Path
    module: str  # dotted module name from the relative path
    data: bytes | None  # None when the file could not be read
    read_error: str | None


def line_starts(data: bytes) -> list[int]:
    """Byte offset of each line's start. Like Python's tokenizer, \\r\\n, a lone \\r and \\n all end a line."""
    starts = [0]
    index, size = 0, len(data)
    while True:
        newline = data.find(b"\n", index)
        carriage = data.find(b"\r", index, newline if newline >= 0 else size)
        if carriage >= 0:  # a \r before the next \n: either \r\n or a lone \r
            end = carriage + 2 if data[carriage + 1 : carriage + 2] == b"\n" else carriage + 1
        elif newline >= 0:
            end = newline + 1
        else:
            return starts
        starts.append(end)
        index = end


def line_count(data: bytes) -> int:
    starts = line_starts(data)
    return len(starts) - (1 if starts[-1] == len(data) else 0)


def module_name(relative: str) -> str:
    parts = relative[: -len(".py")].split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def discover(root: Path) -> list[Path]:
    """Every .py file under root (or root itself if it is a file), sorted, skipping excluded folders.

    Symlinked folders are not followed, so a link cycle cannot loop the walk.
    """
    if root.is_file():
        return [root]
    found = []
    for directory, subdirs, files in os.walk(root, followlinks=False):
        at_root = Path(directory) == root
        subdirs[:] = sorted(
            d
            for d in subdirs
            if d not in EXCLUDED_ANYWHERE
            and not d.endswith(".egg-info")
            and not (at_root and d in EXCLUDED_AT_ROOT)
            and not (Path(directory) / d / "pyvenv.cfg").is_file()
        )
        found.extend(Path(directory) / name for name in files if name.endswith(".py"))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read_source(root: Path, path: Path) -> SourceFile:
    relative = path.name if root.is_file() else path.relative_to(root).as_posix()
    try:
        data, error = path.read_bytes(), None
    except OSError as exc:
        data, error = None, f"{type(exc).__name__}: {exc.strerror or exc}"
    return SourceFile(relative, path, module_name(relative), data, error)
