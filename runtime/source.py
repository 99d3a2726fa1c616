"""Source files as the extractors see them: read once, by the runtime, with read failures kept as data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Folders that never hold a project's own source: VCS data, virtualenvs, caches and build output.
DEFAULT_EXCLUDED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", ".mypy_cache", ".pytest_cache",
     ".hypothesis", ".tox", ".nox", "node_modules", "build", "dist", "target", ".eggs"}
)


@dataclass(frozen=True)
class SourceFile:
    file_id: str  # path relative to the build root, POSIX separators
    path: Path
    module: str  # dotted module name from the relative path
    data: bytes | None  # None when the file could not be read
    read_error: str | None


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
        subdirs[:] = sorted(d for d in subdirs if d not in DEFAULT_EXCLUDED_DIRS and not d.endswith(".egg-info"))
        found.extend(Path(directory) / name for name in files if name.endswith(".py"))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read_source(root: Path, path: Path) -> SourceFile:
    relative = path.name if root.is_file() else path.relative_to(root).as_posix()
    try:
        data, error = path.read_bytes(), None
    except OSError as exc:
        data, error = None, f"{type(exc).__name__}: {exc.strerror or exc}"
    return SourceFile(relative, path, module_name(relative), data, error)
