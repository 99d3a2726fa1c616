"""`semc diff REF`: compare the program compiled from the specs now with the one compiled at a git ref.

Views are compared by plan fingerprint and output schema. A comment- or layout-only edit leaves every plan,
and so every view, unchanged.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import pyarrow as pa

from codegen.analysis import ProgramAnalysis
from codegen.generate import compile_specs


class Change(str, Enum):
    UNCHANGED = "unchanged"
    NON_BREAKING = "non-breaking"  # columns added; every existing column computed as before
    BREAKING = "breaking"  # columns removed or retyped, or existing columns computed differently
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class ViewChange:
    name: str
    change: Change
    detail: str
    downstream: tuple[str, ...]  # views whose data follows from this one, transitively


class GitError(Exception):
    pass


def specs_at_ref(repo: Path, ref: str, specs: Path, into: Path) -> Path:
    """Write the .sem files of `specs` as they were at `ref` into a folder; returns that folder."""
    relative = specs.resolve().relative_to(repo.resolve()).as_posix()

    def git(*args: str) -> bytes:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True)
        if result.returncode != 0:
            raise GitError(result.stderr.decode(errors="replace").strip() or f"git {' '.join(args)} failed")
        return result.stdout

    names = git("ls-tree", "-r", "--name-only", ref, "--", relative).decode().splitlines()
    target = into / "specs"
    target.mkdir(parents=True)
    for name in names:
        if name.endswith(".sem"):
            destination = target / Path(name).relative_to(relative)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(git("show", f"{ref}:{name}"))
    return target


def _schema_change(old: pa.Schema, new: pa.Schema) -> tuple[Change, str]:
    old_fields = {f.name: f for f in old}
    new_fields = {f.name: f for f in new}
    removed = sorted(set(old_fields) - set(new_fields))
    retyped = sorted(n for n in set(old_fields) & set(new_fields) if old_fields[n].type != new_fields[n].type)
    added = sorted(set(new_fields) - set(old_fields))
    if removed or retyped:
        parts = [f"removed {', '.join(removed)}" if removed else "", f"retyped {', '.join(retyped)}" if retyped else ""]
        return Change.BREAKING, "; ".join(p for p in parts if p)
    if added:
        return Change.NON_BREAKING, f"added {', '.join(added)}"
    return Change.UNCHANGED, ""


def compare(old: ProgramAnalysis, new: ProgramAnalysis) -> list[ViewChange]:
    before = {v.view.name: v for v in old.views}
    after = {v.view.name: v for v in new.views}
    direct: dict[str, tuple[Change, str]] = {}
    for name in sorted(set(before) | set(after)):
        if name not in before:
            direct[name] = (Change.ADDED, "")
        elif name not in after:
            direct[name] = (Change.REMOVED, "")
        elif before[name].fingerprint == after[name].fingerprint:
            direct[name] = (Change.UNCHANGED, "")
        else:
            change, detail = _schema_change(before[name].schema, after[name].schema)
            kept = [c for c in before[name].lineage if c in after[name].lineage]
            if change is not Change.BREAKING and any(before[name].lineage[c] != after[name].lineage[c] for c in kept):
                change, detail = Change.BREAKING, "existing columns are computed from other inputs"
            elif change is Change.UNCHANGED:
                # Same schema, same lineage, different plan: the rows or values can differ.
                change, detail = Change.BREAKING, "same columns, different logic"
            direct[name] = (change, detail)
    consumers: dict[str, set[str]] = {}
    for upstream, downstream in new.edges:
        consumers.setdefault(upstream, set()).add(downstream)
    changes = []
    for name, (change, detail) in direct.items():
        downstream: set[str] = set()
        if change in (Change.BREAKING, Change.REMOVED, Change.NON_BREAKING):
            stack = list(consumers.get(name, ()))
            while stack:
                item = stack.pop()
                if item not in downstream:
                    downstream.add(item)
                    stack.extend(consumers.get(item, ()))
        changes.append(ViewChange(name, change, detail, tuple(sorted(downstream))))
    return changes


def diff_against_ref(repo: Path, specs: Path, ref: str) -> list[ViewChange]:
    current = compile_specs(specs, "semc_diff_now", "specs").analysis
    with tempfile.TemporaryDirectory() as scratch:
        old_specs = specs_at_ref(repo, ref, specs, Path(scratch))
        previous = compile_specs(old_specs, "semc_diff_then", "specs").analysis
    return compare(previous, current)


def render(changes: list[ViewChange], ref: str) -> str:
    changed = [c for c in changes if c.change is not Change.UNCHANGED]
    if not changed:
        return f"no view changed since {ref} ({len(changes)} views compared)"
    lines = [f"changes since {ref}:"]
    for item in changed:
        detail = f" ({item.detail})" if item.detail else ""
        lines.append(f"  {item.change.value:<12} {item.name}{detail}")
        if item.downstream:
            lines.append(f"  {'':<12}   affects downstream: {', '.join(item.downstream)}")
    lines.append(f"{len(changes) - len(changed)} of {len(changes)} views unchanged")
    return "\n".join(lines)
