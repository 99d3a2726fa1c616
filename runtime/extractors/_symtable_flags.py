"""A symbol's flag columns from its raw `_symtable` flags, without a `symtable.Symbol` and eleven method calls
per symbol: the answers depend only on (flags, module scope), which few symbols of a file do not share."""

from __future__ import annotations

import symtable

FLAGS = ("is_local", "is_global", "is_declared_global", "is_nonlocal", "is_free", "is_parameter", "is_imported",
         "is_assigned", "is_referenced", "is_annotated")  # then is_namespace, which depends on the scope's children


class FlagColumns:
    """Memo of (raw flags, module scope) -> the FLAGS values, asked of the library's own `Symbol`."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[tuple[int, bool], tuple[bool, ...]] = {}

    def __call__(self, flags: int, module_scope: bool) -> tuple[bool, ...]:
        key = (flags, module_scope)
        values = self._known.get(key)
        if values is None:
            symbol = symtable.Symbol("", flags, module_scope=module_scope)
            values = self._known[key] = tuple(getattr(symbol, flag)() for flag in FLAGS)
        return values
