"""Load a specs folder into a checked Program: every file parsed, imports followed, every error reported."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Callable

from lark import Lark

from dsl import codes
from dsl.checker import check
from dsl.diagnostics import Diagnostic, Severity, Span, SpecError
from dsl.ir import Dataset, EnumDecl, Import, Program, SpecFile, Template, Udf, View
from dsl.parser import build_parser, parse_file
from dsl.resolve import resolve

# Reads an imported file by its path relative to the specs folder: its text, or None if there is none.
Loader = Callable[[str], "str | None"]


def _decode(relative: str, data: bytes) -> SpecFile:
    try:
        # Decoded from bytes so CRLF stays as written; the grammar treats \r as white space.
        return SpecFile(relative, data.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        span = Span(relative, line, col, line, col + 1)
        raise SpecError([Diagnostic(codes.BAD_TOKEN, "the file is not valid UTF-8", span)], {}) from None


def read_spec_files(specs_dir: Path) -> tuple[SpecFile, ...]:
    """All .sem files below specs_dir, sorted by relative POSIX path so every machine sees one order."""
    paths = sorted(specs_dir.rglob("*.sem"), key=lambda p: p.relative_to(specs_dir).as_posix())
    files, diagnostics = [], []
    for path in paths:
        try:
            files.append(_decode(path.relative_to(specs_dir).as_posix(), path.read_bytes()))
        except SpecError as error:
            diagnostics.extend(error.diagnostics)
    if diagnostics:
        raise SpecError(diagnostics, {})
    return tuple(files)


def folder_loader(specs_dir: Path) -> Loader:
    """Imports may reach outside the specs folder (a shared library of templates, enums and UDFs)."""

    def load(relative: str) -> str | None:
        path = specs_dir / relative
        if not path.is_file():
            return None
        return _decode(relative, path.read_bytes()).text

    return load


def import_target(importer: str, imported: str) -> str | None:
    """The imported file's path relative to the specs folder, or None if the path is not acceptable."""
    if not imported.endswith(".sem") or imported.startswith("/") or "\\" in imported or ":" in imported:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(importer), imported))


def _import_cycles(edges: dict[str, list[tuple[Import, str]]]) -> list[Diagnostic]:
    """One diagnostic per import that closes a cycle, found by depth-first search in file order."""
    diagnostics = []
    state: dict[str, str] = {}
    for root in sorted(edges):
        if root in state:
            continue
        state[root] = "active"
        stack = [(root, iter(edges.get(root, [])))]
        path = [root]
        while stack:
            node, children = stack[-1]
            step = next(children, None)
            if step is None:
                state[node] = "done"
                stack.pop()
                path.pop()
                continue
            decl, target = step
            if state.get(target) == "active":
                cycle = " -> ".join(path[path.index(target) :] + [target])
                diagnostics.append(Diagnostic(codes.IMPORT_CYCLE, f"files import each other in a cycle: {cycle}",
                                              decl.span,
                                              hint="move what both need into a third file that both import"))
            elif target not in state:
                state[target] = "active"
                stack.append((target, iter(edges.get(target, []))))
                path.append(target)
    return diagnostics


def parse_program(files: tuple[SpecFile, ...], parser: Lark | None = None, loader: Loader | None = None) -> Program:
    """Parse, resolve and check files (and the files they import). Raises SpecError with every diagnostic."""
    parser = parser or build_parser()
    all_files = list(files)
    known = {f.path for f in files}
    diagnostics: list[Diagnostic] = []
    declarations = []
    edges: dict[str, list[tuple[Import, str]]] = {}
    index = 0
    while index < len(all_files):
        spec = all_files[index]
        index += 1
        try:
            parsed = parse_file(parser, spec.path, spec.text)
        except SpecError as error:
            diagnostics.extend(error.diagnostics)
            continue
        for decl in parsed:
            if not isinstance(decl, Import):
                declarations.append(decl)
                continue
            target = import_target(spec.path, decl.path)
            text = None
            if target is not None and target not in known and loader is not None:
                try:
                    text = loader(target)
                except (OSError, SpecError):
                    text = None
                if text is not None:
                    all_files.append(SpecFile(target, text))
                    known.add(target)
            if target is None or target not in known:
                diagnostics.append(Diagnostic(
                    codes.UNKNOWN_IMPORT,
                    f"cannot import '{decl.path}'" + ("" if target is None else f": there is no file {target}"),
                    decl.span,
                    hint="imports are relative .sem paths, resolved against the importing file's folder",
                ))
                continue
            edges.setdefault(spec.path, []).append((decl, target))
    diagnostics.extend(_import_cycles(edges))
    sources = {f.path: f.text for f in all_files}
    resolution = resolve(declarations)
    decls = resolution.declarations
    program = Program(
        tuple(all_files),
        tuple(d for d in decls if isinstance(d, Dataset)),
        tuple(d for d in decls if isinstance(d, View)),
        tuple(d for d in decls if isinstance(d, EnumDecl)),
        tuple(d for d in decls if isinstance(d, Udf)),
        tuple(d for d in decls if isinstance(d, Template)),
        tuple(d for d in _imports(edges)),
    )
    if not diagnostics:
        diagnostics.extend(resolution.diagnostics)
        diagnostics.extend(check(program, resolution.broken_views))
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise SpecError(_unique(diagnostics), sources)
    return program


def _imports(edges: dict[str, list[tuple[Import, str]]]):
    for importer in sorted(edges):
        for decl, _ in edges[importer]:
            yield decl


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """A template used twice reports a mistake in its body once."""
    return list(dict.fromkeys(diagnostics))


def load_program(specs_dir: Path) -> Program:
    files = read_spec_files(specs_dir)
    if not files:
        span = Span(str(specs_dir), 1, 1, 1, 1)
        raise SpecError([Diagnostic(codes.NO_SPECS, f"no .sem files under {specs_dir}", span)], {})
    return parse_program(files, loader=folder_loader(specs_dir))
