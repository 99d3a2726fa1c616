"""`semc explain` and `semc lineage`: what the compiler derived about a view, read from the generated program."""

from __future__ import annotations

from runtime.errors import SemcError
from runtime.plans import plan_text, program_placeholders
from runtime.program import CompiledProgram, ViewSpec


class UnknownNameError(SemcError):
    pass


def _view(program: CompiledProgram, name: str) -> ViewSpec:
    names = {v.name for v in program.views}
    if name not in names:
        datasets = {d.name for d in program.datasets}
        what = "an evidence dataset, not a view" if name in datasets else "not a view of this program"
        raise UnknownNameError(f"'{name}' is {what}; views: {', '.join(sorted(names))}")
    return program.view(name)


def _consumers(program: CompiledProgram, name: str) -> list[str]:
    return sorted(downstream for upstream, downstream in program.edges if upstream == name)


def _locality(view: ViewSpec) -> str:
    if not view.file_local:
        return "no"
    return f"yes, file column {view.file_column}" if view.file_column else "yes (no file column)"


def explain(program: CompiledProgram, name: str) -> str:
    view = _view(program, name)
    df = view.builder(program_placeholders(program))
    lines = [
        f"{'output' if view.is_output else 'view'} {view.name}",
        f"  fingerprint:  {view.fingerprint}",
        f"  cache policy: {view.cache.value}",
        f"  file-local:   {_locality(view)}",
        f"  layout:       {view.cluster_column or '(none)'}"
        + (" (begins with the file id: written in this order)" if view.cluster_column else ""),
        f"  UDFs called:  {', '.join(view.required_udfs) or '(none)'}",
        f"  consumers:    {', '.join(_consumers(program, name)) or '(none)'}",
        "  inputs and the columns each must supply:",
    ]
    for source in view.inputs:
        columns = view.required_columns.get(source, ())
        lines.append(f"    {source}: {', '.join(columns) or '(rows only)'}")
    lines.append("  output schema:")
    lines.extend(f"    {f.name}: {f.type}{'' if f.nullable else ' not null'}" for f in view.schema)
    lines.append("  plan (over placeholder inputs):")
    lines.extend("    " + line for line in plan_text(df).splitlines())
    lines.append("  optimized plan:")
    lines.extend("    " + line for line in df.optimized_logical_plan().display_indent().splitlines())
    return "\n".join(lines)


def lineage(program: CompiledProgram, target: str) -> str:
    """`view` lists each column's direct sources; `view.column` traces one column back to the evidence."""
    name, _, column = target.partition(".")
    view = _view(program, name)
    if not column:
        lines = [f"{name}"]
        for output, sources in view.lineage.items():
            rendered = ", ".join(f"{s}.{c}" for s, c in sources) or "(constant)"
            lines.append(f"  {output} <- {rendered}")
        return "\n".join(lines)
    if column not in view.lineage:
        raise UnknownNameError(f"view '{name}' has no column '{column}'; columns: {', '.join(view.lineage)}")
    views = {v.name: v for v in program.views}
    lines: list[str] = []
    expanded: set[tuple[str, str]] = set()
    evidence: set[str] = set()
    # Depth-first, with an explicit stack: a long chain of views must not exhaust Python's recursion limit.
    stack = [(name, column, 0)]
    while stack:
        relation, col, depth = stack.pop()
        label = f"{relation}.{col}"
        prefix = "  " * depth + "<- " if depth else ""
        if relation not in views:
            evidence.add(label)
            lines.append(f"{prefix}{label}  [evidence]")
            continue
        if (relation, col) in expanded:
            lines.append(f"{prefix}{label}  (see above)")
            continue
        expanded.add((relation, col))
        lines.append(prefix + label)
        sources = views[relation].lineage.get(col, ())
        if not sources:
            lines.append("  " * (depth + 1) + "<- (constant)")
        stack.extend((source, source_column, depth + 1) for source, source_column in reversed(sources))
    lines.append("evidence: " + (", ".join(sorted(evidence)) or "(none: a constant)"))
    return "\n".join(lines)
