"""Load a specs folder into a checked Program: every file parsed, every error of every file reported."""

from __future__ import annotations

from pathlib import Path

from lark import Lark

from dsl import codes
from dsl.checker import check
from dsl.diagnostics import Diagnostic, Severity, Span, SpecError
from dsl.ir import Dataset, Program, SpecFile, View
from dsl.parser import build_parser, parse_file


def read_spec_files(specs_dir: Path) -> tuple[SpecFile, ...]:
    """All .sem files below specs_dir, sorted by relative POSIX path so every machine sees one order."""
    paths = sorted(specs_dir.rglob("*.sem"), key=lambda p: p.relative_to(specs_dir).as_posix())
    files, diagnostics = [], []
    for path in paths:
        relative = path.relative_to(specs_dir).as_posix()
        data = path.read_bytes()
        try:
            # Decoded from bytes so CRLF stays as written; the grammar treats \r as white space.
            files.append(SpecFile(relative, data.decode("utf-8")))
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            span = Span(relative, line, col, line, col + 1)
            diagnostics.append(Diagnostic(codes.BAD_TOKEN, "the file is not valid UTF-8", span))
    if diagnostics:
        raise SpecError(diagnostics, {})
    return tuple(files)


def parse_program(files: tuple[SpecFile, ...], parser: Lark | None = None) -> Program:
    """Parse and check files. Raises SpecError carrying every diagnostic of every file."""
    parser = parser or build_parser()
    sources = {f.path: f.text for f in files}
    diagnostics: list[Diagnostic] = []
    datasets: list[Dataset] = []
    views: list[View] = []
    for spec in files:
        try:
            declarations = parse_file(parser, spec.path, spec.text)
        except SpecError as error:
            diagnostics.extend(error.diagnostics)
            continue
        datasets.extend(d for d in declarations if isinstance(d, Dataset))
        views.extend(d for d in declarations if isinstance(d, View))
    program = Program(files, tuple(datasets), tuple(views))
    if not diagnostics:
        diagnostics.extend(check(program))
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise SpecError(diagnostics, sources)
    return program


def load_program(specs_dir: Path) -> Program:
    files = read_spec_files(specs_dir)
    if not files:
        span = Span(str(specs_dir), 1, 1, 1, 1)
        raise SpecError([Diagnostic(codes.NO_SPECS, f"no .sem files under {specs_dir}", span)], {})
    return parse_program(files)
