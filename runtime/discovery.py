"""Which files a build reads: git's view of the tree where there is one (tracked and untracked, .gitignore
respected), a plain walk elsewhere; default excludes; include / exclude globs; a stat per file for change checks.
"""

from __future__ import annotations

import os
import re
import subprocess
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
class DiscoveredFile:
    file_id: str  # path relative to the build root, POSIX separators: stable across machines and runs
    path: Path
    size: int  # from the stat at discovery; -1 when it could not be taken (read then reports why)
    mtime_ns: int


@dataclass(frozen=True)
class DiscoveryOptions:
    # Globs over file ids. `**` crosses folders, `*` and `?` do not; a pattern without `/` matches a file or
    # folder name at any depth. An empty include list means every .py file.
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    use_git: bool = True


def _glob_regex(pattern: str) -> str:
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern.rstrip("/")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    # A pattern naming a folder covers everything beneath it.
    return "".join(out) + "(?:/.*)?"


def glob_matcher(patterns: tuple[str, ...]):
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{_glob_regex(p)})" for p in patterns)).fullmatch


def _excluded_folder(parent: str, name: str, at_root: bool) -> bool:
    return (
        name in EXCLUDED_ANYWHERE
        or name.endswith(".egg-info")
        or (at_root and name in EXCLUDED_AT_ROOT)
        or os.path.isfile(os.path.join(parent, name, "pyvenv.cfg"))
    )


def _walk(root: Path) -> list[str]:
    """Every .py file under root. Symlinked folders are not followed, so a link cycle cannot loop the walk.

    Plain strings rather than Path objects: trees such as Django's hold thousands of folders of non-Python files
    (translations, templates), and building Paths for them cost more than the walk itself.
    """
    found: list[str] = []
    top = os.fspath(root)
    pending = [(top, "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue  # unreadable or vanished folder: nothing of it can be analysed
        for entry in entries:
            name = entry.name
            try:
                is_folder = entry.is_dir()
            except OSError:  # a link loop: listed like a file, so that reading it reports why it failed
                is_folder = False
            if is_folder:  # a link to a folder is neither descended into nor read
                if not entry.is_symlink() and not _excluded_folder(directory, name, directory == top):
                    pending.append((entry.path, prefix + name + "/"))
            elif name.endswith(".py"):
                found.append(prefix + name)
    return found


def _git(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None


def _git_listing(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored .py files, relative to root; None where git cannot say."""
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != b"true":
        return None
    ignored = _git(root, "check-ignore", "-q", ".")
    if ignored is not None and ignored.returncode == 0:
        return None  # the root itself is ignored by an enclosing repository: git would list nothing
    listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py")
    if listed is None or listed.returncode != 0:
        return None
    names = sorted({os.fsdecode(n) for n in listed.stdout.split(b"\0") if n})
    kept, verdicts = [], {}
    for name in names:
        parts = name.split("/")
        ok = True
        for depth in range(len(parts) - 1):
            folder = "/".join(parts[: depth + 1])
            if folder not in verdicts:
                verdicts[folder] = not _excluded_folder(os.path.join(root, *parts[:depth]), parts[depth], depth == 0)
            if not verdicts[folder]:
                ok = False
                break
        if ok and parts[-1].endswith(".py"):
            kept.append(name)
    return kept


def discover_files(root: Path, options: DiscoveryOptions = DiscoveryOptions()) -> list[DiscoveredFile]:
    """The files of a build, sorted by file id, each with the stat that later reads are checked against."""
    root = Path(root)
    if root.is_file():
        relatives, base = [root.name], root.parent
    else:
        relatives = (_git_listing(root) if options.use_git else None)
        if relatives is None:
            relatives = _walk(root)
        base = root
    include, exclude = glob_matcher(options.include), glob_matcher(options.exclude)
    found = []
    for relative in sorted(set(relatives)):
        if (include and not include(relative)) or (exclude and exclude(relative)):
            continue
        path = base / relative
        try:
            st = path.stat()
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            if not os.path.lexists(path):
                continue  # listed by git but deleted from the work tree
            size, mtime = -1, -1
        found.append(DiscoveredFile(relative, path, size, mtime))
    return found


def discover(root: Path, options: DiscoveryOptions = DiscoveryOptions()) -> list[Path]:
    """The paths of discover_files, for callers that need no stat."""
    return [entry.path for entry in discover_files(root, options)]
