"""`semc gen`: specs folder -> checked IR -> analysed plans -> rendered, formatted package files."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from codegen.analysis import ProgramAnalysis, analyse
from codegen.formatting import FormatCache
from codegen.model import builder_models, program_model
from codegen.render import render_package, render_views
from dsl.program import load_program


def _load_builders(source: str, package: str) -> dict:
    """Execute the rendered views module in a private namespace: the analysed plans are, by construction,
    the plans the generated code builds. The source is our own rendering, in which spec text appears only
    as escaped literals."""
    namespace: dict = {"__name__": f"{package}.views"}
    exec(compile(source, f"<{package}/views.py>", "exec"), namespace)  # noqa: S102
    return namespace


@dataclass(frozen=True)
class Compiled:
    analysis: ProgramAnalysis
    views_source: str


def compile_specs(
    specs_dir: Path, package: str, specs_label: str, cache: FormatCache | None = None
) -> Compiled:
    """Parse, check, translate and analyse a specs folder. Raises SpecError with located diagnostics."""
    program = load_program(specs_dir)
    views_source = render_views(builder_models(program), specs_label, cache)
    namespace = _load_builders(views_source, package)
    builders = {view.name: namespace[f"build_{view.name}"] for view in program.views}
    return Compiled(analyse(program, builders), views_source)


def generate(specs_dir: Path, out_dir: Path, cache: FormatCache | None = None) -> Mapping[str, str]:
    """The complete contents of the generated package for specs_dir, as {file name: text}.

    `cache` only saves time: the output is the same with it, without it, and with a stale one.
    """
    specs_label = _label(specs_dir, out_dir)
    compiled = compile_specs(specs_dir, out_dir.name, specs_label, cache)
    specs_relative = Path(os.path.relpath(specs_dir.resolve(), out_dir.resolve())).as_posix()
    model = program_model(compiled.analysis, specs_label, specs_relative)
    return render_package(model, compiled.views_source, cache)


def _label(specs_dir: Path, out_dir: Path) -> str:
    """The specs folder as the header names it: relative to the folder that holds the package."""
    return Path(os.path.relpath(specs_dir.resolve(), out_dir.resolve().parent)).as_posix()


@dataclass(frozen=True)
class Drift:
    modified: tuple[str, ...]
    missing: tuple[str, ...]
    stale: tuple[str, ...]
    diff: str

    @property
    def clean(self) -> bool:
        return not (self.modified or self.missing or self.stale)


def _existing(out_dir: Path) -> dict[str, Path]:
    if not out_dir.is_dir():
        return {}
    return {
        p.relative_to(out_dir).as_posix(): p
        for p in out_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def check_drift(expected: Mapping[str, str], out_dir: Path) -> Drift:
    existing = _existing(out_dir)
    modified, missing, diff = [], [], []
    for name, text in expected.items():
        path = existing.get(name)
        if path is None:
            missing.append(name)
            diff.extend(difflib.unified_diff([], text.splitlines(True), "/dev/null", f"{out_dir.name}/{name}"))
            continue
        current = path.read_bytes().decode("utf-8", errors="replace")
        if current != text:
            modified.append(name)
            diff.extend(
                difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True), f"{out_dir.name}/{name}", f"{out_dir.name}/{name}"
                )
            )
    stale = sorted(set(existing) - set(expected))
    for name in stale:
        current = existing[name].read_bytes().decode("utf-8", errors="replace")
        diff.extend(difflib.unified_diff(current.splitlines(True), [], f"{out_dir.name}/{name}", "/dev/null"))
    return Drift(tuple(modified), tuple(missing), tuple(stale), "".join(diff))


def write_package(expected: Mapping[str, str], out_dir: Path) -> Drift:
    """Bring out_dir to exactly `expected`: write what differs, delete stale files. Returns what changed."""
    drift = check_drift(expected, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (*drift.modified, *drift.missing):
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_bytes(expected[name].encode("utf-8"))
        temporary.replace(path)  # atomic: a reader never sees half a file
    for name in drift.stale:
        (out_dir / name).unlink()
    return drift
