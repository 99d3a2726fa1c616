"""Program-wide resolution after parsing: enum names become typed literals and types, templates are expanded.

Both need every file's declarations, so they run once the whole program is parsed and before the checker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dsl import codes
from dsl.diagnostics import Diagnostic, Span
from dsl.hints import did_you_mean
from dsl.ir import (
    Call,
    Udf,
    MAX_EXPRESSION_DEPTH,
    ColumnRef,
    ColumnType,
    Declaration,
    EnumDecl,
    EnumValue,
    Recurse,
    Step,
    Template,
    Use,
    View,
)
from dsl.rewrite import expression_depth, rebuild, too_deep


@dataclass(frozen=True)
class Resolution:
    declarations: tuple[Declaration, ...]
    diagnostics: tuple[Diagnostic, ...]
    broken_views: frozenset[str]  # views whose templates could not be expanded: not checked further


def _resolve_names(node, enum_names: frozenset[str], udf_names: frozenset[str]):
    def fn(item):
        if isinstance(item, Call) and item.function in udf_names and not item.udf:
            return replace(item, udf=True, args=rebuild(item.args, fn), order_by=rebuild(item.order_by, fn))
        if isinstance(item, ColumnType) and item.enum is None and item.name in enum_names:
            return ColumnType("string", item.nullable, enum=item.name)
        if isinstance(item, ColumnRef) and item.qualifier in enum_names:
            return EnumValue(item.qualifier, item.name, item.span)
        return item

    return rebuild(node, fn)


def _substitute(steps: tuple[Step, ...], params: tuple[str, ...], args: tuple) -> tuple[Step, ...]:
    by_name = dict(zip(params, args))

    def fn(item):
        if isinstance(item, ColumnRef) and item.qualifier is None and item.name in by_name:
            return by_name[item.name]
        return item

    return rebuild(steps, fn)  # type: ignore[return-value]


class _Expander:
    def __init__(self, templates: dict[str, Template]) -> None:
        self.templates = templates
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    def steps(self, steps: tuple[Step, ...], active: tuple[str, ...]) -> tuple[tuple[Step, ...], bool]:
        out: list[Step] = []
        ok = True
        for step in steps:
            if isinstance(step, Use):
                expanded, step_ok = self.use(step, active)
                out.append(expanded)
                ok = ok and step_ok
            elif isinstance(step, Recurse):
                inner, step_ok = self.steps(step.steps, active)
                out.append(replace(step, steps=inner))
                ok = ok and step_ok
            else:
                out.append(step)
        return tuple(out), ok

    def use(self, use: Use, active: tuple[str, ...]) -> tuple[Use, bool]:
        template = self.templates.get(use.template)
        if template is None:
            self.error(codes.UNKNOWN_TEMPLATE, f"unknown template '{use.template}'", use.span,
                       did_you_mean(use.template, list(self.templates)))
            return use, False
        if use.template in active:
            cycle = " -> ".join(active[active.index(use.template):] + (use.template,))
            self.error(codes.TEMPLATE_CYCLE, f"templates use each other in a cycle: {cycle}", use.span)
            return use, False
        if len(use.args) != len(template.params):
            self.error(
                codes.TEMPLATE_ARITY,
                f"template '{template.name}' takes {len(template.params)} argument(s), not {len(use.args)}",
                use.span,
                f"it is declared as {template.name}({', '.join(template.params)}) at {template.span}",
            )
            return use, False
        for arg in use.args:
            depth = expression_depth(arg)
            if depth > MAX_EXPRESSION_DEPTH:
                self.error(codes.TOO_DEEP, f"this expression nests {depth} levels deep; at most "
                           f"{MAX_EXPRESSION_DEPTH} are allowed", arg.span, "split it across several derive steps")
                return use, False
        if too_deep(template.steps):
            return use, True  # the checker reports the template's own deep expression
        body = _substitute(template.steps, template.params, use.args)
        inner, ok = self.steps(body, active + (use.template,))
        return replace(use, steps=inner), ok


def resolve(declarations: list[Declaration]) -> Resolution:
    enum_names = frozenset(d.name for d in declarations if isinstance(d, EnumDecl))
    udf_names = frozenset(d.name for d in declarations if isinstance(d, Udf))
    resolved: list[Declaration] = []
    for declaration in declarations:
        # Deep expressions are left alone (rewriting recurses); the checker reports them.
        resolved.append(declaration if too_deep(declaration) else _resolve_names(declaration, enum_names, udf_names))
    templates: dict[str, Template] = {}
    for declaration in resolved:
        if isinstance(declaration, Template):
            templates.setdefault(declaration.name, declaration)
    expander = _Expander(templates)
    broken: set[str] = set()
    final: list[Declaration] = []
    for declaration in resolved:
        if isinstance(declaration, View):
            steps, ok = expander.steps(declaration.steps, ())
            declaration = replace(declaration, steps=steps)
            if not ok:
                broken.add(declaration.name)
        final.append(declaration)
    return Resolution(tuple(final), tuple(expander.diagnostics), frozenset(broken))
