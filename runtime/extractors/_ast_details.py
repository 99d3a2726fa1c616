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
    if type(node) is ast.Name:  # the common case, without building a list
        return node.id
    parts = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    if type(node) is not ast.Name:
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _docstring(node: ast.AST) -> ast.Constant | None:
    body = getattr(node, "body", None)
    if body and type(body[0]) is ast.Expr:
        value = body[0].value
        if type(value) is ast.Constant and isinstance(value.value, str):
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
    """Each table's rows come from nodes of a few classes, visited in pre-order through the walk's per-class
    node ids; rows are tuples without file_id, transposed into columns at the end."""

    def __init__(self, source: SourceFile, w: Walk, wanted: frozenset[str]) -> None:
        self.file_id, self.w, self.wanted = source.file_id, w, wanted
        self.rows: dict[str, list[tuple]] = {name: [] for name in wanted}
        self.index = w.index()

    def span(self, node_id: int | None) -> tuple:
        w = self.w
        return w.bstart[node_id], w.bend[node_id], w.line[node_id], w.col[node_id]

    def run(self) -> dict[str, dict[str, list]]:
        w, wanted = self.w, self.wanted
        if wanted & {"ast_definitions", "ast_decorators", "ast_parameters"}:
            for node_id in w.ids_of(ast.ClassDef, *_FUNCTIONS):
                self.definition(node_id, w.nodes[node_id])
        if wanted & {"ast_calls", "ast_call_arguments"}:
            for node_id in w.ids_of(ast.Call):
                self.call(node_id, w.nodes[node_id])
        if "ast_imports" in wanted:
            for node_id in w.ids_of(ast.Import, ast.ImportFrom):
                self.imports(node_id, w.nodes[node_id])
        if "ast_attributes" in wanted:
            self.attributes()
        if "ast_assignments" in wanted:
            for node_id in w.ids_of(*_ASSIGNMENTS):
                self.assignment(node_id, w.nodes[node_id])
        if "ast_docstrings" in wanted:
            self.docstrings()
        return {dataset: self.columns(dataset, rows) for dataset, rows in self.rows.items()}

    def columns(self, dataset: str, rows: list[tuple]) -> dict[str, list]:
        names = COLUMNS[dataset]
        columns = {"file_id": [self.file_id] * len(rows)}
        for name, values in zip(names[1:], zip(*rows) if rows else [()] * (len(names) - 1)):
            columns[name] = list(values)
        return columns

    def attributes(self) -> None:
        w = self.w
        nodes, scope, bstart, bend, line, col = w.nodes, w.scope, w.bstart, w.bend, w.line, w.col
        add = self.rows["ast_attributes"].append
        for node_id in w.ids_of(ast.Attribute):
            node = nodes[node_id]
            value = node.value
            add((node_id, scope[node_id], node.attr, dotted(value), type(value).__name__, type(node.ctx).__name__,
                 bstart[node_id], bend[node_id], line[node_id], col[node_id]))

    def docstrings(self) -> None:
        w, add = self.w, self.rows["ast_docstrings"].append
        for node_id in w.ids_of(*_DOCUMENTED):
            node = w.nodes[node_id]
            constant = _docstring(node)
            if constant is not None:
                constant_id = self.index.get(id(constant))
                add((constant_id, node_id, type(node).__name__, constant.value) + self.span(constant_id))

    def definition(self, node_id: int, node: ast.AST) -> None:
        w, rows, index = self.w, self.rows, self.index
        scope_id = w.scope[node_id]
        is_lambda = type(node) is ast.Lambda
        if is_lambda:
            name, qualname = "<lambda>", f"{w.qualname[scope_id]}.<lambda>"
        else:
            name, qualname = node.name, w.qualname[node_id]
        decorators = getattr(node, "decorator_list", [])
        if "ast_definitions" in rows:
            is_method = scope_id is not None and type(w.nodes[scope_id]) is ast.ClassDef
            rows["ast_definitions"].append(
                (node_id, _DEFINITION_KINDS[type(node)], name, qualname, scope_id, is_method, len(decorators),
                 _docstring(node) is not None if not is_lambda else False) + w.span_columns(None, node_id))
        if "ast_decorators" in rows:
            for position, decorator in enumerate(decorators):
                is_call = type(decorator) is ast.Call
                expression = dotted(decorator.func if is_call else decorator)
                decorator_id = index.get(id(decorator))
                rows["ast_decorators"].append(
                    (decorator_id, node_id, position, expression, is_call) + self.span(decorator_id))
        if "ast_parameters" in rows and type(node) is not ast.ClassDef:
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
        add, index = self.rows["ast_parameters"].append, self.index
        for position, (arg, kind, has_default) in enumerate(ordered):
            arg_id = index.get(id(arg))
            add((function_id, arg_id, position, arg.arg, kind, has_default, arg.annotation is not None)
                + self.span(arg_id))

    def call(self, node_id: int, node: ast.Call) -> None:
        args, keywords, index = node.args, node.keywords, self.index
        if "ast_calls" in self.rows:
            has_star = ast.Starred in map(type, args)
            has_double_star = bool(keywords) and any(k.arg is None for k in keywords)
            func = node.func
            self.rows["ast_calls"].append(
                (node_id, self.w.scope[node_id], dotted(func), type(func).__name__, index.get(id(func)), len(args),
                 len(keywords), has_star, has_double_star) + self.span(node_id))
        if "ast_call_arguments" not in self.rows:
            return
        add = self.rows["ast_call_arguments"].append
        for position, arg in enumerate(args):
            starred = type(arg) is ast.Starred
            add((node_id, position, "starred" if starred else "positional", None, index.get(id(arg)),
                 type(arg).__name__))
        for position, keyword in enumerate(keywords, start=len(args)):
            kind = "double_star" if keyword.arg is None else "keyword"
            add((node_id, position, kind, keyword.arg, index.get(id(keyword.value)), type(keyword.value).__name__))

    def imports(self, node_id: int, node: ast.Import | ast.ImportFrom) -> None:
        scope_id, add = self.w.scope[node_id], self.rows["ast_imports"].append
        for alias in node.names:
            alias_id = self.index.get(id(alias))
            if type(node) is ast.Import:
                values = (False, alias.name, None, alias.asname, 0, False)
            else:
                values = (True, node.module, alias.name, alias.asname, node.level or 0, alias.name == "*")
            add((node_id, alias_id, scope_id) + values + self.span(alias_id))

    def assignment(self, node_id: int, node: ast.AST) -> None:
        if type(node) is ast.Assign:
            targets = [t for target in node.targets for t in _flatten_targets(target)]
        else:
            targets = list(_flatten_targets(node.target))
        value = getattr(node, "value", None)
        value_kind = None if value is None else type(value).__name__
        value_id = None if value is None else self.index.get(id(value))
        operator = type(node.op).__name__ if type(node) is ast.AugAssign else None
        add, scope_id = self.rows["ast_assignments"].append, self.w.scope[node_id]
        for target in targets:
            target_id = self.index.get(id(target))
            add((node_id, target_id, scope_id, type(node).__name__, type(target).__name__,
                 dotted(target.value if type(target) is ast.Starred else target), value_kind, value_id, operator)
                + self.span(target_id))


def extract(source: SourceFile, w: Walk, pos: Positions, wanted: frozenset[str]) -> dict[str, dict[str, list]]:
    return _Extraction(source, w, wanted).run()
