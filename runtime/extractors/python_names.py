"""The name-flow extractor: per file, the facts name and call resolution is computed from in the specs.

Everything here is local to one file and follows Python's own rules (`_scoping`): which namespace each name
binds or reads, what each assignment, return, default and decorator flows into which variable, the chains of
attribute accesses and calls that each interesting expression is made of, call sites with their arguments,
class bases and imports with relative module names made absolute. What crosses files (imports, attribute
lookup through the MRO, values flowing between functions) is left to the relational views of specs/.

A variable is a pair (namespace, name): the namespace is a module, class, function, lambda or comprehension
by its dotted name; a class's attributes, the attributes its methods set on `self`, and a module's globals
are variables like any other. `<return>` is the variable a function's return values flow into.
"""

from __future__ import annotations

import ast
from typing import Mapping

from runtime.extractors._scoping import Scope, Scopes
from runtime.extractors._syntax import parse, walk
from runtime.source import SourceFile

SPAN = ("bstart", "bend", "line", "col")
COLUMNS: dict[str, tuple[str, ...]] = {
    "py_scopes": ("file_id", "node_id", "kind", "name", "fqn", "parent_fqn", "class_fqn", "first_param",
                  "method_kind") + SPAN + ("end_line", "end_col"),
    "py_params": ("file_id", "function_fqn", "position", "name", "kind", "node_id"),
    "py_refs": ("file_id", "ref_id", "scope_fqn", "head_kind", "head_ns", "head_name", "head_key", "tail",
                "step_count"),
    "py_ref_steps": ("file_id", "ref_id", "position", "step"),
    "py_flows": ("file_id", "site_id", "dst_ns", "dst_name", "src_ref_id", "src_value", "src_kind", "reason"),
    "py_imports": ("file_id", "node_id", "scope_fqn", "dst_ns", "dst_name", "target", "module", "from_module",
                   "imported", "is_star") + SPAN,
    "py_calls": ("file_id", "call_id", "caller_fqn", "callee_ref_id", "is_decorator") + SPAN,
    "py_call_args": ("file_id", "call_id", "position", "keyword", "ref_id", "value", "value_kind"),
    "py_bases": ("file_id", "class_fqn", "position", "ref_id"),
    "py_name_uses": ("file_id", "node_id", "head_kind", "ns", "name", "context") + SPAN,
    "py_all_names": ("file_id", "module", "name"),
}
DATASETS = frozenset(COLUMNS)
CALL_STEP = "()"
RETURN = "<return>"
_DEFINITION_KINDS = {ast.ClassDef: "class", ast.FunctionDef: "function", ast.AsyncFunctionDef: "function",
                     ast.Lambda: "lambda"}
# The classes a chain can start from or step through.
_CHAIN_KINDS = frozenset({ast.Attribute, ast.Call, ast.Subscript, ast.Await, ast.Name, ast.Lambda})
# The expressions whose value may be any of several others (see values()).
_DISPLAYS = frozenset({ast.Tuple, ast.List, ast.Set, ast.Dict, ast.IfExp, ast.BoolOp, ast.Starred, ast.NamedExpr})
_UNSEEN = object()  # a marker: None in `refs` means "seen, not a chain"
# The other nodes that write rows (name uses aside).
_SITES = (ast.Call, ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor,
          ast.comprehension, ast.With, ast.AsyncWith, ast.Return, ast.Yield, ast.YieldFrom)


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    wanted = datasets & DATASETS
    tree, error = parse(source)
    if tree is None or not wanted:
        return {}
    return _Names(source, tree, wanted).run()


def _package_of(source: SourceFile) -> str:
    is_package = source.file_id.endswith("__init__.py")
    return source.module if is_package else source.module.rpartition(".")[0]


def absolute_module(source: SourceFile, module: str | None, level: int) -> str:
    """`from ..a import b` in pkg/sub/mod.py imports from pkg.a."""
    if level == 0:
        return module or ""
    parts = _package_of(source).split(".") if _package_of(source) else []
    base = parts[: max(0, len(parts) - (level - 1))]
    return ".".join(base + ([module] if module else []))


def _discard(row: tuple) -> None:
    """The appender of a dataset nobody asked for."""


class _Names:
    def __init__(self, source: SourceFile, tree: ast.Module, wanted: frozenset[str]) -> None:
        self.source, self.file_id = source, source.file_id
        self.w = walk(source)
        self.index = self.w.index()
        self.scopes = Scopes(self.w, source.module)
        self.rows: dict[str, list[tuple]] = {name: [] for name in wanted}  # transposed into columns at the end
        # The appenders of the tables written most often, bound once.
        self.add_flow, self.add_ref, self.add_step, self.add_call, self.add_call_arg = (
            self.rows[name].append if name in self.rows else _discard
            for name in ("py_flows", "py_refs", "py_ref_steps", "py_calls", "py_call_args"))
        self.refs: dict[int, int | None] = {}
        self.chains: dict[int, tuple] = {}  # ref id -> (scope, head, steps), to derive decorator applications

    def add(self, dataset: str, *values, span_of: int | None = None) -> None:
        rows = self.rows.get(dataset)
        if rows is None:
            return
        if span_of is not None:
            values = values + self.span(span_of)
        rows.append(values)

    def span(self, node_id: int) -> tuple[int, int, int, int]:
        w = self.w
        return w.bstart[node_id], w.bend[node_id], w.line[node_id], w.col[node_id]

    def tables(self) -> dict[str, dict[str, list]]:
        tables = {}
        for dataset, rows in self.rows.items():
            names = COLUMNS[dataset]
            columns = list(zip(*rows)) if rows else [()] * (len(names) - 1)
            tables[dataset] = {"file_id": [self.file_id] * len(rows)}
            tables[dataset].update((name, list(values)) for name, values in zip(names[1:], columns))
        return tables

    def scope_of(self, node: ast.AST) -> Scope:
        return self.scopes.of(self.index[id(node)])

    def run(self) -> dict[str, dict[str, list]]:
        self.module_scope()
        nodes = self.w.nodes
        # Only nodes of these classes write rows, and the order they write them in is pre-order: a chain is
        # registered by whichever site reaches it first. Name uses write a table of their own: a separate pass.
        for node_id in self.w.ids_of(*_DEFINITION_KINDS, *_SITES):
            node = nodes[node_id]
            kind = type(node)
            if kind in _DEFINITION_KINDS:
                self.definition(node_id, node)
            elif kind is ast.Call:
                self.call(node_id, node)
            elif kind in (ast.Import, ast.ImportFrom):
                self.imports(node_id, node)
            elif kind is ast.Assign:
                for target in node.targets:
                    self.assign(target, node.value, node_id, "assignment")
                self.declared_exports(node_id, node)
            elif kind in (ast.AnnAssign, ast.NamedExpr) and node.value is not None:
                self.assign(node.target, node.value, node_id, "assignment")
            elif kind in (ast.For, ast.AsyncFor):
                self.assign(node.target, node.iter, node_id, "iteration")
            elif kind is ast.comprehension:
                self.assign(node.target, node.iter, node_id, "iteration")
            elif kind in (ast.With, ast.AsyncWith):
                for item in node.items:
                    if item.optional_vars is not None:
                        self.assign(item.optional_vars, item.context_expr, node_id, "with")
            elif kind in (ast.Return, ast.Yield, ast.YieldFrom) and node.value is not None:
                self.returns(node_id, node)
        if "py_name_uses" in self.rows:
            self.name_uses()
        return self.tables()

    # ---- scopes and definitions ----

    def module_scope(self) -> None:
        module = self.source.module
        parent, _, name = module.rpartition(".")
        self.add("py_scopes", 0, "module", name or module, module, parent or None, None, None, None,
                 *self.w.span_columns(None, 0))

    def definition(self, node_id: int, node: ast.AST) -> None:
        outer = self.scopes.of(node_id)
        own = self.scopes.own[node_id]
        kind = _DEFINITION_KINDS[type(node)]
        class_fqn = first_param = method_kind = None
        if kind != "class" and kind != "lambda" and outer.kind == "class":
            class_fqn, method_kind = outer.fqn, _method_kind(node)
            positional = node.args.posonlyargs + node.args.args
            if positional and method_kind != "static":
                first_param = positional[0].arg
                self_kind = "class" if method_kind == "class" else "instance"
                self.flow(node_id, own.fqn, first_param, value=(class_fqn, self_kind), reason="self")
        self.add("py_scopes", node_id, kind, own.fqn.rpartition(".")[2], own.fqn, outer.fqn, class_fqn, first_param,
                 method_kind, *self.w.span_columns(None, node_id))
        value_kind = "class" if kind == "class" else "function"
        if kind == "lambda":
            self.returns_of(node_id, own, node.body)
        else:
            binding = self.scopes.binding_scope(outer, node.name)
            reason = "decorated" if node.decorator_list else "definition"
            self.flow(node_id, binding.fqn, node.name, value=(own.fqn, value_kind), reason=reason)
            self.decorators(node_id, node, outer, binding, own.fqn, value_kind)
        if kind == "class":
            for position, base in enumerate(node.bases):
                ref_id = self.ref(base)
                if ref_id is not None:
                    self.add("py_bases", own.fqn, position, ref_id)
        else:
            self.parameters(node, own)

    def decorators(self, node_id, node, outer: Scope, binding: Scope, fqn: str, value_kind: str) -> None:
        caller = outer.code_owner().fqn
        for position, decorator in enumerate(node.decorator_list):
            ref_id = self.ref(decorator)
            if ref_id is None:
                continue
            decorator_id = self.index[id(decorator)]
            # `@d def f` runs `d(f)` where f is defined: a call from the enclosing code with f as argument. Its id
            # is negative, apart from the decorator's own node (which is itself a call in `@d(x)`).
            application_id = -decorator_id - 1
            self.add("py_calls", application_id, caller, ref_id, True, span_of=decorator_id)
            self.add("py_call_args", application_id, 0, None, None, fqn, value_kind)
            if position == 0:
                # ... and the name then holds what the outermost decorator returned.
                applied = self.applied_ref(decorator_id, ref_id)
                self.flow(node_id, binding.fqn, node.name, ref_id=applied, reason="decorator")

    def parameters(self, node: ast.AST, own: Scope) -> None:
        args = node.args
        ordered = [(a, "positional") for a in args.posonlyargs + args.args]
        ordered += [(args.vararg, "var_positional")] if args.vararg else []
        ordered += [(a, "keyword_only") for a in args.kwonlyargs]
        ordered += [(args.kwarg, "var_keyword")] if args.kwarg else []
        for position, (arg, kind) in enumerate(ordered):
            self.add("py_params", own.fqn, position, arg.arg, kind, self.index[id(arg)])
        positional = args.posonlyargs + args.args
        defaults = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        defaults += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        for arg, default in defaults:
            for ref_id, value in self.values(default):
                self.flow(self.index[id(default)], own.fqn, arg.arg, ref_id=ref_id, value=value, reason="default")

    # ---- flows ----

    def flow(self, site_id, ns: str, name: str, ref_id: int | None = None, value=None, reason: str = "") -> None:
        src_value, src_kind = value if value is not None else (None, None)
        self.add_flow((site_id, ns, name, ref_id, src_value, src_kind, reason))

    def assign(self, target: ast.AST, value: ast.AST, site_id: int, reason: str) -> None:
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts) \
                and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts):
            for sub_target, sub_value in zip(target.elts, value.elts):
                self.assign(sub_target, sub_value, site_id, reason)
            return
        destinations = list(self.destinations(target))
        if not destinations:
            return
        values = self.values(value)
        for ns, name in destinations:
            for ref_id, constant in values:
                self.flow(site_id, ns, name, ref_id=ref_id, value=constant, reason=reason)
        if isinstance(target, ast.Name):
            self.items(site_id, destinations[0], value)

    def items(self, site_id: int, container: tuple[str, str], value: ast.AST) -> None:
        """`ops = {"add": add}`, `pair = (sub, mul)`: each item under its constant key is a variable of its own,
        `ops['add']`, `pair[1]`, which a read under that key starts from."""
        if isinstance(value, ast.Dict):
            keyed = [(k.value, v) for k, v in zip(value.keys, value.values)
                     if isinstance(k, ast.Constant) and type(k.value) in (str, int)]
        elif isinstance(value, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in value.elts):
            keyed = list(enumerate(value.elts))
        else:
            return
        ns, name = container
        for key, item in keyed:
            for ref_id, constant in self.values(item):
                self.flow(site_id, ns, item_name(name, key), ref_id=ref_id, value=constant, reason="item")

    def destinations(self, target: ast.AST):
        stack = [target]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name):
                scope = self.scope_of(node)
                yield self.scopes.binding_scope(scope, node.id).fqn, node.id
            elif isinstance(node, (ast.Tuple, ast.List)):
                stack.extend(node.elts)
            elif isinstance(node, ast.Starred):
                stack.append(node.value)
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                # `ops["mul"] = mul` stores an item: the container holds it, and so does the item's variable.
                kind, ns = self.scopes.lookup(self.scope_of(node.value), node.value.id)
                if kind != "var":
                    continue
                yield ns, node.value.id
                key = constant_key(node.slice)
                if key is not None:
                    yield ns, item_name(node.value.id, key)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                # `self.x = ...` in a method sets an attribute of the instance: a variable of the class.
                owner = self.self_class(self.scope_of(node), node.value.id)
                if owner is not None:
                    yield owner, node.attr

    def self_class(self, scope: Scope, name: str) -> str | None:
        function = scope
        while function.kind == "comprehension" and function.parent is not None:
            function = function.parent
        if function.kind != "function" or function.parent is None or function.parent.kind != "class":
            return None
        node = function.node
        positional = node.args.posonlyargs + node.args.args
        if positional and positional[0].arg == name and _method_kind(node) != "static":
            return function.parent.fqn
        return None

    def returns(self, node_id: int, node: ast.AST) -> None:
        function = self.scopes.of(node_id)
        while function.kind == "comprehension" and function.parent is not None:
            function = function.parent
        if function.kind in ("function", "lambda"):
            self.returns_of(node_id, function, node.value)

    def returns_of(self, site_id: int, function: Scope, value: ast.AST) -> None:
        for ref_id, constant in self.values(value):
            self.flow(site_id, function.fqn, RETURN, ref_id=ref_id, value=constant, reason="return")

    def values(self, expr: ast.AST) -> list[tuple[int | None, tuple[str, str] | None]]:
        """What an expression may evaluate to: chains to resolve (by ref id) and constants. The items of list,
        tuple, set and dict displays stand for the container: `fs[0]()` may call any of them."""
        if type(expr) not in _DISPLAYS:  # most values: one chain or none
            ref_id = self.ref(expr)
            return [] if ref_id is None else [(ref_id, None)]
        found, stack = [], [expr]
        while stack:
            node = stack.pop()
            kind = type(node)  # ast classes have no subclasses: `is` tests stand for isinstance
            if kind is ast.Tuple or kind is ast.List or kind is ast.Set:
                stack.extend(node.elts)
            elif kind is ast.Dict:
                stack.extend(node.values)
            elif kind is ast.IfExp:
                stack.extend((node.body, node.orelse))
            elif kind is ast.BoolOp:
                stack.extend(node.values)
            elif kind is ast.Starred or kind is ast.NamedExpr:
                stack.append(node.value)
            else:
                ref_id = self.ref(node)
                if ref_id is not None:
                    found.append((ref_id, None))
        return found

    # ---- chains ----

    def ref(self, expr: ast.AST) -> int | None:
        """Register `expr` as a chain (head, then attribute and call steps) and return its id, the expression's
        node id; None when it is not a chain of names, attributes, calls and subscripts."""
        node_id = self.index.get(id(expr))
        if node_id is None:
            return None
        found = self.refs.get(node_id, _UNSEEN)
        if found is not _UNSEEN:
            return found
        if type(expr) not in _CHAIN_KINDS:  # a constant, an operation, ...: no chain, as the loop below finds
            self.refs[node_id] = None
            return None
        # The chain's nodes (down to a name, a lambda or super()) are in the scope of the expression: scopes
        # change only at definitions, lambdas and comprehensions, which end a chain.
        scope = self.scopes.of(node_id)
        steps, node = [], expr
        head, key = None, None
        while head is None:
            kind = type(node)
            if kind is ast.Attribute:
                steps.append(node.attr)
                node = node.value
            elif kind is ast.Call:
                if type(node.func) is ast.Name and node.func.id == "super":
                    owner = self.super_class(scope)
                    head = ("super", owner, "super", None) if owner else False
                    continue
                steps.append(CALL_STEP)
                node = node.func
            elif kind is ast.Subscript:
                # An item read under a constant key straight off a name: the chain starts at that item.
                key = constant_key(node.slice) if type(node.value) is ast.Name else None
                node = node.value
            elif kind is ast.Await:
                node = node.value
            elif kind is ast.Name:
                head_kind, ns = self.scopes.lookup(scope, node.id)
                head = (head_kind, ns, node.id, item_name(node.id, key) if key is not None else None)
            elif kind is ast.Lambda:
                lambda_scope = self.scopes.own[self.index[id(node)]]
                head = ("lambda", lambda_scope.fqn, lambda_scope.local, None)
            else:
                head = False
        if not head:
            self.refs[node_id] = None
            return None
        steps.reverse()
        self.add_chain(node_id, scope.fqn, head, steps)
        self.refs[node_id] = node_id
        return node_id

    def add_chain(self, ref_id: int, scope_fqn: str, head: tuple, steps: list[str]) -> None:
        self.chains[ref_id] = (scope_fqn, head, steps)
        tail = None if CALL_STEP in steps else ("." + ".".join(steps) if steps else "")
        self.add_ref((ref_id, scope_fqn, *head, tail, len(steps)))
        add_step = self.add_step
        for position, step in enumerate(steps, start=1):
            add_step((ref_id, position, step))

    def applied_ref(self, decorator_id: int, ref_id: int) -> int:
        """A second chain: the decorator's chain followed by one more call (what `d(f)` returns)."""
        scope_fqn, head, steps = self.chains[ref_id]
        applied = -decorator_id - 1
        self.add_chain(applied, scope_fqn, head, steps + [CALL_STEP])
        return applied

    def super_class(self, scope: Scope) -> str | None:
        function = scope
        while function.kind in ("comprehension", "lambda") and function.parent is not None:
            function = function.parent
        if function.kind == "function" and function.parent is not None and function.parent.kind == "class":
            return function.parent.fqn
        return None

    # ---- calls, imports, names ----

    def call(self, node_id: int, node: ast.Call) -> None:
        ref_id = self.ref(node.func)
        if ref_id is None:
            return
        caller = self.scopes.of(node_id).code_owner().fqn
        self.add_call((node_id, caller, ref_id, False) + self.span(node_id))
        for position, arg in enumerate(node.args):
            if type(arg) is ast.Starred:
                break  # positions after *args are unknown
            for ref, constant in self.values(arg):
                value, kind = constant if constant else (None, None)
                self.add_call_arg((node_id, position, None, ref, value, kind))
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            for ref, constant in self.values(keyword.value):
                value, kind = constant if constant else (None, None)
                self.add_call_arg((node_id, None, keyword.arg, ref, value, kind))

    def imports(self, node_id: int, node: ast.Import | ast.ImportFrom) -> None:
        scope = self.scopes.of(node_id)
        for alias in node.names:
            alias_id = self.index.get(id(alias), node_id)
            if isinstance(node, ast.Import):
                # `import a.b` binds a to module a; `import a.b as c` binds c to module a.b.
                bound = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else alias.name.split(".")[0]
                self.add("py_imports", node_id, scope.fqn, self.scopes.binding_scope(scope, bound).fqn, bound,
                         target, alias.name, None, None, False, span_of=alias_id)
                continue
            module = absolute_module(self.source, node.module, node.level or 0)
            if alias.name == "*":
                self.add("py_imports", node_id, scope.fqn, scope.fqn, None, None, module, module, None, True, span_of=alias_id)
                continue
            bound = alias.asname or alias.name
            target = f"{module}.{alias.name}" if module else alias.name
            self.add("py_imports", node_id, scope.fqn, self.scopes.binding_scope(scope, bound).fqn, bound, target,
                     module, module, alias.name, False, span_of=alias_id)

    def declared_exports(self, node_id: int, node: ast.Assign) -> None:
        """`__all__ = [...]` of string literals at module level: the names `from m import *` takes."""
        if self.scopes.of(node_id) is not self.scopes.root:
            return
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        if not isinstance(node.value, (ast.List, ast.Tuple)):
            return
        for item in node.value.elts:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                self.add("py_all_names", self.source.module, item.value)

    def name_uses(self) -> None:
        w, scopes = self.w, self.scopes
        nodes, at, root, lookup, binding_scope = w.nodes, scopes.at, scopes.root, scopes.lookup, scopes.binding_scope
        bstart, bend, line, col = w.bstart, w.bend, w.line, w.col
        add = self.rows["py_name_uses"].append
        for node_id in w.ids_of(ast.Name):
            node = nodes[node_id]
            name, scope = node.id, at[node_id] or root
            context = type(node.ctx).__name__
            if context == "Load":
                head_kind, ns = lookup(scope, name)
            else:
                head_kind, ns = "var", binding_scope(scope, name).fqn
            add((node_id, head_kind, ns, name, context, bstart[node_id], bend[node_id], line[node_id], col[node_id]))


def constant_key(node: ast.AST) -> str | int | None:
    if isinstance(node, ast.Constant) and type(node.value) in (str, int):
        return node.value
    return None


def item_name(container: str, key: str | int) -> str:
    """The variable of a container's item: `ops['add']`, `pair[1]` (repr keeps "1" and 1 apart)."""
    return f"{container}[{key!r}]"


def _method_kind(node: ast.AST) -> str:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id in ("staticmethod", "classmethod"):
            return decorator.id[:-len("method")]
    return "instance"
