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

from runtime.extractors._syntax import child_nodes

BUILTIN_NAMES = frozenset(dir(builtins))
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
    """Every scope of a module, and the scope each node belongs to."""

    def __init__(self, tree: ast.Module, module: str) -> None:
        self.root = Scope(tree, module, "module", None, module)
        self.of_node: dict[int, Scope] = {}  # id(node) -> the scope the node's code runs in
        self.by_node: dict[int, Scope] = {id(tree): self.root}  # id(scope node) -> its own scope
        self._collect(tree)
        self._name_scopes()

    def _new_scope(self, node: ast.AST, parent: Scope) -> Scope:
        if isinstance(node, ast.ClassDef):
            scope = Scope(node, node.name, "class", parent)
        elif isinstance(node, ast.Lambda):
            scope = Scope(node, "<lambda>", "lambda", parent)
        elif isinstance(node, COMPREHENSIONS):
            scope = Scope(node, _COMPREHENSION_NAMES[type(node)], "comprehension", parent)
        else:
            scope = Scope(node, node.name, "function", parent)
        self.by_node[id(node)] = scope
        return scope

    def _collect(self, tree: ast.Module) -> None:
        # Explicit stack of (node, scope it runs in): deeply nested files must not overflow Python's stack.
        stack: list[tuple[ast.AST, Scope]] = [(tree, self.root)]
        while stack:
            node, scope = stack.pop()
            self.of_node[id(node)] = scope
            inner = scope
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                scope.locals.add(node.name)
                # Decorators, bases and defaults run in the enclosing scope; the body in the new one.
                outer_parts = list(node.decorator_list)
                if isinstance(node, ast.ClassDef):
                    outer_parts += node.bases + [k.value for k in node.keywords]
                else:
                    outer_parts += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
                    outer_parts += [node.returns] if node.returns else []
                stack.extend((part, scope) for part in outer_parts)
                inner = self._new_scope(node, scope)
                if not isinstance(node, ast.ClassDef):
                    inner.locals.update(_parameter_names(node.args))
                    stack.extend((a, inner) for a in _all_args(node.args))
                stack.extend((child, inner) for child in node.body)
                continue
            if isinstance(node, ast.Lambda):
                stack.extend((d, scope) for d in node.args.defaults + [d for d in node.args.kw_defaults if d])
                inner = self._new_scope(node, scope)
                inner.locals.update(_parameter_names(node.args))
                stack.append((node.body, inner))
                continue
            if isinstance(node, COMPREHENSIONS):
                inner = self._new_scope(node, scope)
                first = True
                for generator in node.generators:
                    # The first iterable is evaluated in the enclosing scope.
                    stack.append((generator.iter, scope if first else inner))
                    first = False
                    inner.locals.update(_target_names(generator.target))
                    stack.append((generator.target, inner))
                    stack.extend((condition, inner) for condition in generator.ifs)
                parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                stack.extend((part, inner) for part in parts)
                continue
            if isinstance(node, ast.Global):
                scope.globals.update(node.names)
            elif isinstance(node, ast.Nonlocal):
                scope.nonlocals.update(node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self._bind(scope, node.id)
            elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                # `:=` in a comprehension binds in the enclosing function.
                target_scope = scope
                while target_scope.kind == "comprehension" and target_scope.parent is not None:
                    target_scope = target_scope.parent
                self._bind(target_scope, node.target.id)
                self.of_node[id(node.target)] = target_scope
                stack.append((node.value, scope))
                continue
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name != "*":
                        scope.locals.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ExceptHandler) and node.name:
                scope.locals.add(node.name)
            stack.extend((child, scope) for child in child_nodes(node))
        for scope in self.by_node.values():
            scope.locals -= scope.globals | scope.nonlocals

    def _name_scopes(self) -> None:
        siblings: dict[int, list[Scope]] = defaultdict(list)
        for scope in self.by_node.values():
            if scope.kind == "lambda":
                siblings[id(scope.parent)].append(scope)
        for lambdas in siblings.values():
            lambdas.sort(key=lambda s: (s.node.lineno, s.node.col_offset))
            for number, scope in enumerate(lambdas, start=1):
                scope.local = f"<lambda{number}>"
        # Parents were created before their children, so each parent's name is known when a child's is made.
        for scope in self.by_node.values():
            if scope.parent is not None:
                scope.fqn = f"{scope.parent.fqn}.{scope.local}"

    @staticmethod
    def _bind(scope: Scope, name: str) -> None:
        scope.locals.add(name)

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
        found = self._enclosing_function_binding(scope, name)
        if found is not None:
            return "var", found.fqn
        return self._global(scope.module(), name)

    @staticmethod
    def _global(module: Scope, name: str) -> tuple[str, str]:
        if name in module.locals or name not in BUILTIN_NAMES:
            return "var", module.fqn
        return "builtin", "<builtin>"


def _all_args(args: ast.arguments) -> list[ast.arg]:
    found = args.posonlyargs + args.args + args.kwonlyargs
    found += [args.vararg] if args.vararg else []
    found += [args.kwarg] if args.kwarg else []
    return found
