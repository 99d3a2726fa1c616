"""Python's scoping rules applied to one file: which scope binds each name, as the compiler decides it.

A scope is a module, class, function, lambda or comprehension. A name is local to the scope that binds it
(assignment, def, class, import, parameter, loop or `with` target, `except ... as`), unless the scope declares
it `global` or `nonlocal`. A name that is not local is looked up in the enclosing function scopes (class bodies
are skipped, as Python skips them), then the module, then builtins. Scopes are named by their dotted
qualified name with `<locals>` dropped, the form call-graph tools use (`pkg.mod.Class.method`); lambdas are
numbered in source order within the scope that holds them (`pkg.mod.f.<lambda1>`, `<lambda2>`, ...).
"""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from itertools import compress
from operator import attrgetter, is_not

from runtime.extractors._syntax import Walk

BUILTIN_NAMES = frozenset(dir(builtins))
_CONTEXT = attrgetter("ctx")
_NOT_LOAD = partial(is_not, ast.Load)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_COMPREHENSION_NAMES = {ast.ListComp: "<listcomp>", ast.SetComp: "<setcomp>", ast.DictComp: "<dictcomp>",
                        ast.GeneratorExp: "<genexpr>"}


@dataclass
class Scope:
    node: ast.AST
    local: str  # its name within its parent scope
    kind: str  # module, class, function, lambda, comprehension
    parent: "Scope | None"
    fqn: str = ""  # set once every scope is known (lambdas are numbered by position among their siblings)
    locals: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    @property
    def is_function_like(self) -> bool:
        return self.kind in ("function", "lambda", "comprehension")

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def code_owner(self) -> "Scope":
        """The scope whose code this is in a call graph: comprehensions and class bodies run in their
        enclosing function or module."""
        scope = self
        while scope.kind in ("comprehension", "class") and scope.parent is not None:
            scope = scope.parent
        return scope


def _target_names(target: ast.AST):
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)


def _parameter_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in args.posonlyargs + args.args]
    names += [args.vararg.arg] if args.vararg else []
    names += [a.arg for a in args.kwonlyargs]
    names += [args.kwarg.arg] if args.kwarg else []
    return names


class Scopes:
    """Every scope of a module, and the scope each node of the shared walk belongs to.

    Built from the walk, with no second traversal: in pre-order a node's subtree is a contiguous run of node ids,
    so each scope-making node paints its parts with slice assignments (the body with the new scope, decorators,
    defaults, bases and the first iterable with the enclosing one). Nodes the rules never reach (a function's
    `arguments`, a lambda's parameters, a class's `keyword` nodes, a `comprehension`) hold None, and `of` gives
    them the module scope."""

    def __init__(self, w: Walk, module: str) -> None:
        self.w = w
        self.root = Scope(w.nodes[0], module, "module", None, module)
        self.at: list[Scope | None] = [self.root] * len(w.nodes)  # node id -> the scope its code runs in
        self.own: dict[int, Scope] = {0: self.root}  # node id of a scope-making node -> its own scope
        self._outer_lookups: dict[tuple[int, str], tuple[str, str]] = {}  # (id(scope), name) -> lookup()
        self._paint()
        self._collect()
        self._name_scopes()

    def of(self, node_id: int) -> Scope:
        return self.at[node_id] or self.root

    def _end(self, node_id: int, ancestor: int, ancestor_end: int) -> int:
        """One past the last node id of the subtree of a node under `ancestor`: its next sibling's id (a C-level
        search of the parent column, bounded by the ancestor's end so that a last child costs no scan of the
        rest of the file), else its parent's end."""
        parent = self.w.parent
        while node_id != ancestor:
            try:
                return parent.index(parent[node_id], node_id + 1, ancestor_end)
            except ValueError:
                node_id = parent[node_id]
        return ancestor_end

    def _paint_runs(self, owner: int, owner_end: int, scope: Scope | None, *runs: list[ast.AST]) -> None:
        """Each run is consecutive siblings (one list field of a node): their subtrees are one run of ids."""
        index, at = self.w.index(), self.at
        for run in runs:
            if run:
                first = index[id(run[0])]
                end = self._end(index[id(run[-1])], owner, owner_end)
                at[first:end] = [scope] * (end - first)

    def _paint(self) -> None:
        w, at = self.w, self.at
        enclosing = [(0, len(at))]  # (node id, end) of the painted nodes around the current one, and the module
        for node_id in w.ids_of(ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, *COMPREHENSIONS):
            scope = at[node_id]
            if scope is None:  # inside a part the rules never reach
                continue
            while enclosing[-1][1] <= node_id:
                enclosing.pop()
            end = self._end(node_id, *enclosing[-1])
            enclosing.append((node_id, end))
            paint = partial(self._paint_runs, node_id, end)
            node = w.nodes[node_id]
            at[node_id + 1:end] = [None] * (end - node_id - 1)
            inner = self._new_scope(node_id, node, scope)
            # Decorators, bases and defaults run in the enclosing scope; the body in the new one.
            # (Runs are listed field by field: a class's keyword nodes, between its bases and body, stay None.)
            if type(node) is ast.ClassDef:
                paint(scope, node.decorator_list, node.bases, *([k.value] for k in node.keywords))
                paint(inner, node.body)
            elif type(node) is ast.Lambda:
                paint(scope, node.args.defaults, [d for d in node.args.kw_defaults if d is not None])
                paint(inner, [node.body])
            elif type(node) in COMPREHENSIONS:
                for position, generator in enumerate(node.generators):
                    # The first iterable is evaluated in the enclosing scope.
                    paint(scope if position == 0 else inner, [generator.iter])
                    paint(inner, [generator.target], generator.ifs)
                paint(inner, [node.key, node.value] if type(node) is ast.DictComp else [node.elt])
            else:
                args = node.args
                paint(scope, node.decorator_list, args.defaults, [d for d in args.kw_defaults if d is not None],
                      [node.returns] if node.returns else [])
                # posonlyargs, args, vararg and kwonlyargs are consecutive fields of `arguments`.
                paint(inner, args.posonlyargs + args.args + ([args.vararg] if args.vararg else []) + args.kwonlyargs,
                      [args.kwarg] if args.kwarg else [], node.body)
        index = w.index()
        for node_id in w.ids_of(ast.NamedExpr):
            scope, node = at[node_id], w.nodes[node_id]
            if scope is not None and type(node.target) is ast.Name:
                # `:=` in a comprehension binds in the enclosing function.
                while scope.kind == "comprehension" and scope.parent is not None:
                    scope = scope.parent
                at[index[id(node.target)]] = scope

    def _new_scope(self, node_id: int, node: ast.AST, parent: Scope) -> Scope:
        if type(node) is ast.ClassDef:
            scope = Scope(node, node.name, "class", parent)
        elif type(node) is ast.Lambda:
            scope = Scope(node, "<lambda>", "lambda", parent)
        elif type(node) in COMPREHENSIONS:
            scope = Scope(node, _COMPREHENSION_NAMES[type(node)], "comprehension", parent)
        else:
            scope = Scope(node, node.name, "function", parent)
        self.own[node_id] = scope
        return scope

    def _collect(self) -> None:
        """What each scope binds and declares; a node outside the rules' reach (None) binds nothing."""
        w, at = self.w, self.at
        nodes = w.nodes
        for node_id, scope in self.own.items():
            node = nodes[node_id]
            if scope.kind == "module":
                continue
            if scope.kind in ("class", "function"):
                at[node_id].locals.add(node.name)
            if scope.kind in ("function", "lambda"):
                scope.locals.update(_parameter_names(node.args))
            elif scope.kind == "comprehension":
                for generator in node.generators:
                    scope.locals.update(_target_names(generator.target))
        # Stores and deletes, picked out of all names in C: most names are loads.
        names = w.ids_of(ast.Name)
        contexts = map(type, map(_CONTEXT, map(nodes.__getitem__, names)))
        for node_id in compress(names, map(_NOT_LOAD, contexts)):
            scope = at[node_id]
            if scope is not None:
                scope.locals.add(nodes[node_id].id)
        for node_id in w.ids_of(ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.ExceptHandler):
            scope, node = at[node_id], nodes[node_id]
            if scope is None:
                continue
            if type(node) is ast.Global:
                scope.globals.update(node.names)
            elif type(node) is ast.Nonlocal:
                scope.nonlocals.update(node.names)
            elif type(node) is ast.ExceptHandler:
                if node.name:
                    scope.locals.add(node.name)
            else:
                for alias in node.names:
                    if alias.name != "*":
                        scope.locals.add(alias.asname or alias.name.split(".")[0])
        for scope in self.own.values():
            scope.locals -= scope.globals | scope.nonlocals

    def _name_scopes(self) -> None:
        siblings: dict[int, list[Scope]] = defaultdict(list)
        for scope in self.own.values():
            if scope.kind == "lambda":
                siblings[id(scope.parent)].append(scope)
        for lambdas in siblings.values():
            lambdas.sort(key=lambda s: (s.node.lineno, s.node.col_offset))
            for number, scope in enumerate(lambdas, start=1):
                scope.local = f"<lambda{number}>"
        # Parents were created before their children, so each parent's name is known when a child's is made.
        for scope in self.own.values():
            if scope.parent is not None:
                scope.fqn = f"{scope.parent.fqn}.{scope.local}"

    def binding_scope(self, scope: Scope, name: str) -> Scope:
        """The scope whose namespace a store of `name` in `scope` writes."""
        if name in scope.globals:
            return scope.module()
        if name in scope.nonlocals:
            return self._enclosing_function_binding(scope, name) or scope.module()
        return scope

    def _enclosing_function_binding(self, scope: Scope, name: str) -> Scope | None:
        outer = scope.parent
        while outer is not None and outer.kind != "module":
            if outer.is_function_like and name in outer.locals:
                return outer
            outer = outer.parent
        return None

    def lookup(self, scope: Scope, name: str) -> tuple[str, str]:
        """('var', namespace) when a variable binds `name` as seen from `scope`, ('builtin', '<builtin>')
        when only the builtins do."""
        if name in scope.globals:
            return self._global(scope.module(), name)
        if name in scope.locals:
            return "var", scope.fqn
        # Names read from outer scopes (globals, builtins) repeat: each is looked up once per scope.
        key = (id(scope), name)
        found = self._outer_lookups.get(key)
        if found is None:
            outer = self._enclosing_function_binding(scope, name)
            found = ("var", outer.fqn) if outer is not None else self._global(scope.module(), name)
            self._outer_lookups[key] = found
        return found

    @staticmethod
    def _global(module: Scope, name: str) -> tuple[str, str]:
        if name in module.locals or name not in BUILTIN_NAMES:
            return "var", module.fqn
        return "builtin", "<builtin>"
