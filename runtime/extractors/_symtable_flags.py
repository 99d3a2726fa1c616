"""The symbol rows of a file's raw `_symtable` entries, without a `symtable.Symbol` and eleven method calls per
symbol: a symbol's flag columns depend only on (raw flags, module scope), which few distinct symbols do not
share, so the library's own `Symbol` answers once per distinct pair."""

from __future__ import annotations

import symtable

FLAGS = ("is_local", "is_global", "is_declared_global", "is_nonlocal", "is_free", "is_parameter", "is_imported",
         "is_assigned", "is_referenced", "is_annotated")  # then is_namespace, which depends on the scope's children


class SymbolRows:
    """Columns scope_id, name, FLAGS..., is_namespace, gathered table by table."""

    __slots__ = ("scope_ids", "names", "keys", "namespaces")

    def __init__(self) -> None:
        self.scope_ids: list[int] = []
        self.names: list[str] = []
        self.keys: list[int] = []  # raw flags; bitwise inverted (negative) in a module scope
        self.namespaces: list[bool] = []

    def add(self, scope_id: int, table) -> None:
        symbols = table.symbols
        if not symbols:
            return
        self.scope_ids.extend([scope_id] * len(symbols))
        self.names.extend(symbols)
        if table.name == "top":  # module scope, as SymbolTable.lookup decides it
            self.keys.extend([~flags for flags in symbols.values()])
        else:
            self.keys.extend(symbols.values())
        children = {child.name for child in table.children}  # Symbol.is_namespace: a child of that name
        self.namespaces.extend([name in children for name in symbols] if children else [False] * len(symbols))

    def columns(self) -> dict[str, list]:
        values = {key: _flags(key) for key in set(self.keys)}
        flags = list(zip(*map(values.__getitem__, self.keys))) or [()] * len(FLAGS)
        return {"scope_id": self.scope_ids, "name": self.names, **{name: list(column) for name, column in
                zip(FLAGS, flags)}, "is_namespace": self.namespaces}


def _flags(key: int) -> tuple[bool, ...]:
    symbol = symtable.Symbol("", ~key if key < 0 else key, module_scope=key < 0)
    return tuple(getattr(symbol, flag)() for flag in FLAGS)
