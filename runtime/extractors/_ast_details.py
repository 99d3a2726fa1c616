"""The `ast` tables beyond raw nodes: what definitions, parameters, calls, imports, attributes, assignments,
decorators and docstrings are, keyed by the node ids of `ast_nodes` so that every row joins back to its node."""

from __future__ import annotations

import ast

from runtime.extractors._syntax import Positions, Walk
from runtime.source import SourceFile

SPAN = ("bstart", "bend", "line", "col")
COLUMNS: dict[str, tuple[str, ...]] = {
    "ast_definitions": ("file_id", "node_id", "kind", "name", "qualname", "scope_id", "is_method",
                        "decorator_count", "has_docstring", "bstart", "bend", "line", "col", "end_line", "end_col"),
    "ast_parameters": ("file_id", "function_id", "node_id", "position", "name", "kind", "has_default",
                       "has_annotation") + SPAN,
    "ast_calls": ("file_id", "node_id", "scope_id", "callee", "callee_kind", "callee_id", "positional_count",
                  "keyword_count", "has_star", "has_double_star") + SPAN,
    "ast_call_arguments": ("file_id", "call_id", "position", "kind", "keyword", "value_id", "value_kind"),
    "ast_imports": ("file_id", "node_id", "alias_id", "scope_id", "is_from", "module", "name", "alias", "level",
                    "is_star") + SPAN,
    "ast_attributes": ("file_id", "node_id", "scope_id", "attr", "base", "value_kind", "context") + SPAN,
    "ast_assignments": ("file_id", "node_id", "target_id", "scope_id", "kind", "target_kind", "target",
                        "value_kind", "value_id", "operator") + SPAN,
    "ast_decorators": ("file_id", "node_id", "definition_id", "position", "expression", "is_call") + SPAN,
    "ast_docstrings": ("file_id", "node_id", "owner_id", "owner_kind", "text") + SPAN,
}
DATASETS = frozenset(COLUMNS)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_DEFINITION_KINDS = {ast.ClassDef: "class", ast.FunctionDef: "function", ast.AsyncFunctionDef: "async_function",
                     ast.Lambda: "lambda"}
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_ASSIGNMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _docstring(node: ast.AST) -> ast.Constant | None:
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr):
        value = body[0].value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value
    return None


def _flatten_targets(target: ast.AST):
    """Assignment targets with tuples and lists unpacked: `a, (b, *c) = ...` assigns a, b and c."""
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(reversed(node.elts))
        else:
            yield node


class _Extraction:
    def __init__(self, source: SourceFile, w: Walk, pos: Positions, wanted: frozenset[str]) -> None:
        self.file_id, self.w, self.pos = source.file_id, w, pos
        self.tables = {name: {column: [] for column in COLUMNS[name]} for name in wanted}
        self.index = {id(node): node_id for node_id, node in enumerate(w.nodes)}

    def add(self, dataset: str, *values, span_of: int | None = None, full_span: bool = False) -> None:
        table = self.tables.get(dataset)
        if table is None:
            return
        if span_of is not None:
            span = self.w.span_columns(self.pos, span_of)
            values = values + (span if full_span else span[:4])
        for column, value in zip(COLUMNS[dataset], (self.file_id,) + values):
            table[column].append(value)

    def id_of(self, node: ast.AST | None) -> int | None:
        return None if node is None else self.index.get(id(node))

    def kind_of(self, node: ast.AST | None) -> str | None:
        return None if node is None else type(node).__name__

    def run(self) -> dict[str, dict[str, list]]:
        w = self.w
        for node_id, node in enumerate(w.nodes):
            if isinstance(node, (ast.ClassDef, *_FUNCTIONS)):
                self.definition(node_id, node)
            elif isinstance(node, ast.Call):
                self.call(node_id, node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports(node_id, node)
            elif isinstance(node, ast.Attribute):
                self.add("ast_attributes", node_id, w.scope[node_id], node.attr, dotted(node.value),
                         self.kind_of(node.value), type(node.ctx).__name__, span_of=node_id)
            elif isinstance(node, _ASSIGNMENTS):
                self.assignment(node_id, node)
            if isinstance(node, _DOCUMENTED):
                constant = _docstring(node)
                if constant is not None:
                    self.add("ast_docstrings", self.id_of(constant), node_id, type(node).__name__, constant.value,
                             span_of=self.id_of(constant))
        return self.tables

    def definition(self, node_id: int, node: ast.AST) -> None:
        w = self.w
        scope_id = w.scope[node_id]
        if isinstance(node, ast.Lambda):
            name, qualname = "<lambda>", f"{w.qualname[scope_id]}.<lambda>"
        else:
            name, qualname = node.name, w.qualname[node_id]
        is_method = scope_id is not None and isinstance(w.nodes[scope_id], ast.ClassDef)
        decorators = getattr(node, "decorator_list", [])
        self.add("ast_definitions", node_id, _DEFINITION_KINDS[type(node)], name, qualname, scope_id, is_method,
                 len(decorators), _docstring(node) is not None if not isinstance(node, ast.Lambda) else False,
                 span_of=node_id, full_span=True)
        for position, decorator in enumerate(decorators):
            is_call = isinstance(decorator, ast.Call)
            expression = dotted(decorator.func if is_call else decorator)
            self.add("ast_decorators", self.id_of(decorator), node_id, position, expression, is_call,
                     span_of=self.id_of(decorator))
        if isinstance(node, _FUNCTIONS):
            self.parameters(node_id, node.args)

    def parameters(self, function_id: int, args: ast.arguments) -> None:
        positional = args.posonlyargs + args.args
        first_default = len(positional) - len(args.defaults)
        ordered = [(a, "positional_only", i >= first_default) for i, a in enumerate(args.posonlyargs)]
        ordered += [(a, "positional_or_keyword", i + len(args.posonlyargs) >= first_default)
                    for i, a in enumerate(args.args)]
        if args.vararg is not None:
            ordered.append((args.vararg, "var_positional", False))
        ordered += [(a, "keyword_only", d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
        if args.kwarg is not None:
            ordered.append((args.kwarg, "var_keyword", False))
        for position, (arg, kind, has_default) in enumerate(ordered):
            arg_id = self.id_of(arg)
            self.add("ast_parameters", function_id, arg_id, position, arg.arg, kind, has_default,
                     arg.annotation is not None, span_of=arg_id)

    def call(self, node_id: int, node: ast.Call) -> None:
        has_star = any(isinstance(a, ast.Starred) for a in node.args)
        has_double_star = any(k.arg is None for k in node.keywords)
        self.add("ast_calls", node_id, self.w.scope[node_id], dotted(node.func), self.kind_of(node.func),
                 self.id_of(node.func), len(node.args), len(node.keywords), has_star, has_double_star,
                 span_of=node_id)
        if "ast_call_arguments" not in self.tables:
            return
        for position, arg in enumerate(node.args):
            starred = isinstance(arg, ast.Starred)
            self.add("ast_call_arguments", node_id, position, "starred" if starred else "positional", None,
                     self.id_of(arg), self.kind_of(arg))
        for position, keyword in enumerate(node.keywords, start=len(node.args)):
            kind = "double_star" if keyword.arg is None else "keyword"
            self.add("ast_call_arguments", node_id, position, kind, keyword.arg, self.id_of(keyword.value),
                     self.kind_of(keyword.value))

    def imports(self, node_id: int, node: ast.Import | ast.ImportFrom) -> None:
        scope_id = self.w.scope[node_id]
        for alias in node.names:
            alias_id = self.id_of(alias)
            if isinstance(node, ast.Import):
                values = (False, alias.name, None, alias.asname, 0, False)
            else:
                values = (True, node.module, alias.name, alias.asname, node.level or 0, alias.name == "*")
            self.add("ast_imports", node_id, alias_id, scope_id, *values, span_of=alias_id)

    def assignment(self, node_id: int, node: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets for t in _flatten_targets(target)]
        else:
            targets = list(_flatten_targets(node.target))
        value = getattr(node, "value", None)
        operator = type(node.op).__name__ if isinstance(node, ast.AugAssign) else None
        for target in targets:
            target_id = self.id_of(target)
            self.add("ast_assignments", node_id, target_id, self.w.scope[node_id], type(node).__name__,
                     type(target).__name__, dotted(target.value if isinstance(target, ast.Starred) else target),
                     self.kind_of(value), self.id_of(value), operator, span_of=target_id)


def extract(source: SourceFile, w: Walk, pos: Positions, wanted: frozenset[str]) -> dict[str, dict[str, list]]:
    return _Extraction(source, w, pos, wanted).run()
