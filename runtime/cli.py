"""The `semc` command line. gen/check import the compiler only inside those commands."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType


def _import_program(spec: str) -> ModuleType:
    """A generated package by import name, or by its folder path (for a user's own package)."""
    path = Path(spec)
    if path.is_dir() and (path / "program.py").is_file():
        parent = str(path.resolve().parent)
        if parent not in sys.path:
            sys.path.insert(0, parent)
        return importlib.import_module(path.resolve().name)
    return importlib.import_module(spec)


def _print_spec_error(error, output_format: str) -> None:
    print(error.to_json() if output_format == "json" else error.render(), file=sys.stderr)


def cmd_gen(args: argparse.Namespace) -> int:
    from codegen.formatting import FormatCache
    from codegen.generate import check_drift, generate, write_package
    from dsl.diagnostics import SpecError

    specs, out = Path(args.specs), Path(args.out)
    try:
        expected = generate(specs, out, FormatCache.default())
    except SpecError as error:
        _print_spec_error(error, args.format)
        return 1
    if args.check:
        drift = check_drift(expected, out)
        if drift.clean:
            print(f"{out}/ is up to date with {specs}/ ({len(expected)} files)")
            return 0
        for label, names in (("modified", drift.modified), ("missing", drift.missing), ("stale", drift.stale)):
            for name in names:
                print(f"{label}: {out}/{name}")
        print(drift.diff, end="")
        print(f"{out}/ has drifted from {specs}/; run `semc gen` to regenerate it", file=sys.stderr)
        return 1
    changes = write_package(expected, out)
    touched = len(changes.modified) + len(changes.missing) + len(changes.stale)
    print(f"generated {out}/ from {specs}/: {len(expected)} files, {touched} changed")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from dsl.diagnostics import SpecError
    from dsl.program import load_program

    try:
        program = load_program(Path(args.specs))
    except SpecError as error:
        _print_spec_error(error, args.format)
        return 1
    print(f"{args.specs}/: {len(program.files)} files, {len(program.datasets)} datasets, {len(program.views)} views: ok")
    return 0


def cmd_fmt(args: argparse.Namespace) -> int:
    from dsl.format import format_paths

    return format_paths([Path(p) for p in args.paths], check=args.check, output_format=args.format)


def cmd_build(args: argparse.Namespace) -> int:
    from runtime.build import BuildOptions, build
    from runtime.discovery import DiscoveryOptions

    discovery = DiscoveryOptions(tuple(args.include), tuple(args.exclude), use_git=not args.no_git)
    options = BuildOptions(discovery, workers=args.jobs, max_file_bytes=args.max_file_size, progress=not args.quiet)
    report = build(Path(args.path), Path(args.out), _import_program(args.program), options)
    print(report.render())
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from runtime.query import format_table, query

    print(format_table(query(Path(args.out_dir), args.sql), max_rows=args.limit))
    return 0


def cmd_callgraph(args: argparse.Namespace) -> int:
    from runtime.callgraph import call_graph, to_json

    out = Path(args.out) if args.out else None
    graph = call_graph(Path(args.path), out, _import_program(args.program), progress=not args.quiet)
    print(to_json(graph))
    return 0


def _program(args: argparse.Namespace):
    from runtime.program import load_program

    return load_program(_import_program(args.program))[0]


def cmd_explain(args: argparse.Namespace) -> int:
    from runtime.introspect import explain

    print(explain(_program(args), args.view))
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from runtime.introspect import lineage

    print(lineage(_program(args), args.target))
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from runtime.graph_render import to_dot, to_svg

    program = _program(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    dot, svg = out.with_suffix(".dot"), out.with_suffix(".svg")
    dot.write_text(to_dot(program), encoding="utf-8")
    svg.write_text(to_svg(program), encoding="utf-8")
    print(f"wrote {dot} and {svg}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from codegen.diff import GitError, diff_against_ref, render
    from dsl.diagnostics import SpecError

    specs = Path(args.specs)
    try:
        changes = diff_against_ref(Path(args.repo), specs, args.ref)
    except SpecError as error:
        _print_spec_error(error, "text")
        return 1
    except GitError as error:
        print(f"semc: error: {error}", file=sys.stderr)
        return 2
    print(render(changes, args.ref))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="semc", description="Compile .sem specs; build and query the CPG.")
    commands = root.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("gen", help="generate the Python package from the specs")
    gen.add_argument("--specs", default="specs", help="folder of .sem files (default: specs)")
    gen.add_argument("--out", default="generated", help="package folder to write (default: generated)")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 if the package has drifted")
    gen.add_argument("--format", choices=("text", "json"), default="text", help="diagnostics format")
    gen.set_defaults(run=cmd_gen)

    check = commands.add_parser("check", help="parse and check the specs only")
    check.add_argument("--specs", default="specs")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(run=cmd_check)

    fmt = commands.add_parser("fmt", help="format .sem files canonically, in place")
    fmt.add_argument("paths", nargs="*", default=["specs"], help=".sem files or folders (default: specs)")
    fmt.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is not formatted")
    fmt.add_argument("--format", choices=("text", "json"), default="text", help="diagnostics format")
    fmt.set_defaults(run=cmd_fmt)

    build = commands.add_parser("build", help="build the CPG of a source tree into Delta tables")
    build.add_argument("path", help="source file or folder to analyse")
    build.add_argument("--out", required=True, help="folder for the Delta tables")
    build.add_argument("--program", default="generated", help="generated package: import name or folder")
    build.add_argument("--include", action="append", default=[], metavar="GLOB",
                       help="analyse only files matching GLOB (repeatable; `**` crosses folders)")
    build.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip files matching GLOB")
    build.add_argument("--no-git", action="store_true", help="walk the folder instead of asking git for files")
    build.add_argument("--jobs", type=int, default=0, help="extraction processes (default: one per CPU)")
    build.add_argument("--max-file-size", type=int, default=10 * 1024 * 1024, metavar="BYTES",
                       help="report larger files instead of parsing them (default: 10 MiB)")
    build.add_argument("--quiet", action="store_true", help="no progress on stderr")
    build.set_defaults(run=cmd_build)

    callgraph = commands.add_parser("callgraph", help="build a tree and print its call graph as JSON (PyCG's form)")
    callgraph.add_argument("path", help="source file or folder to analyse")
    callgraph.add_argument("--out", help="keep the build's tables in this folder (default: a temporary one)")
    callgraph.add_argument("--program", default="generated", help="generated package: import name or folder")
    callgraph.add_argument("--quiet", action="store_true", help="no progress on stderr")
    callgraph.set_defaults(run=cmd_callgraph)

    explain = commands.add_parser("explain", help="what the compiler derived about a view")
    explain.add_argument("view")
    explain.add_argument("--program", default="generated", help="generated package: import name or folder")
    explain.set_defaults(run=cmd_explain)

    lineage = commands.add_parser("lineage", help="where a view's columns come from (VIEW or VIEW.COLUMN)")
    lineage.add_argument("target")
    lineage.add_argument("--program", default="generated")
    lineage.set_defaults(run=cmd_lineage)

    graph = commands.add_parser("graph", help="write the view graph as DOT and SVG")
    graph.add_argument("--out", default="view_graph", help="path without suffix (default: view_graph)")
    graph.add_argument("--program", default="generated")
    graph.set_defaults(run=cmd_graph)

    diff = commands.add_parser("diff", help="compare the compiled program with the one at a git ref")
    diff.add_argument("ref", help="git ref to compare against, e.g. HEAD or main~3")
    diff.add_argument("--specs", default="specs")
    diff.add_argument("--repo", default=".", help="git repository holding the specs (default: .)")
    diff.set_defaults(run=cmd_diff)

    query = commands.add_parser("query", help="run SQL over the tables of a build")
    query.add_argument("out_dir")
    query.add_argument("sql")
    query.add_argument("--limit", type=int, default=40, help="rows to print (default: 40)")
    query.set_defaults(run=cmd_query)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from runtime.errors import SemcError

    try:
        return args.run(args)
    except (SemcError, FileNotFoundError, ModuleNotFoundError) as error:
        print(f"semc: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
