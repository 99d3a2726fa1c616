"""`c3_mro(class, hierarchy)`: a class's method resolution order by C3 linearisation, as Python computes it.

`hierarchy` lists the class and each of its ancestors as "name>base1,base2" (bases in declaration order). The
result is the linearisation joined with ",", the class first. Where C3 has no solution (an inconsistent
hierarchy, which Python itself rejects) the order falls back to depth-first, left to right, each class kept at
its last occurrence, so lookups still find something sensible. A class that appears with several base lists
(defined twice under one name) uses the first.
"""

from __future__ import annotations

import pyarrow as pa


def _merge(sequences: list[list[str]]) -> list[str] | None:
    result: list[str] = []
    sequences = [list(s) for s in sequences if s]
    while sequences:
        for sequence in sequences:
            head = sequence[0]
            if not any(head in other[1:] for other in sequences):
                break
        else:
            return None
        result.append(head)
        sequences = [[c for c in s if c != head] if s[0] == head else s for s in sequences]
        sequences = [s for s in sequences if s]
    return result


def _depth_first(name: str, bases: dict[str, list[str]]) -> list[str]:
    order, stack, seen_path = [], [name], set()
    while stack:
        current = stack.pop()
        order.append(current)
        if current in seen_path:
            continue  # a cycle in a broken tree: stop descending
        seen_path.add(current)
        stack.extend(reversed(bases.get(current, [])))
    last = {c: i for i, c in enumerate(order)}
    return [name] + [c for i, c in enumerate(order) if last[c] == i and c != name]


def linearise(name: str, bases: dict[str, list[str]]) -> list[str]:
    memo: dict[str, list[str] | None] = {}
    visiting: set[str] = set()
    # Iterative post-order: ancestors are linearised before the classes that derive from them.
    stack = [(name, False)]
    while stack:
        current, expanded = stack.pop()
        if current in memo:
            continue
        if expanded:
            visiting.discard(current)
            parents = bases.get(current, [])
            if any(memo.get(p) is None for p in parents):
                memo[current] = None
                continue
            merged = _merge([memo[p] for p in parents] + [list(parents)])
            memo[current] = None if merged is None else [current] + merged
            continue
        if current in visiting:
            memo[current] = None  # a cycle: no linearisation
            continue
        visiting.add(current)
        stack.append((current, True))
        stack.extend((p, False) for p in bases.get(current, []) if p not in memo)
    return memo.get(name) or _depth_first(name, bases)


def _parse(entries: list[str]) -> dict[str, list[str]]:
    bases: dict[str, list[str]] = {}
    for entry in entries:
        name, _, listed = entry.partition(">")
        if name not in bases:
            bases[name] = [b for b in dict.fromkeys(listed.split(",")) if b and b != name]
    return bases


def implementation(classes: pa.Array, hierarchies: pa.Array) -> pa.Array:
    out = []
    for name, entries in zip(classes.to_pylist(), hierarchies.to_pylist()):
        if name is None or entries is None:
            out.append(None)
            continue
        out.append(",".join(linearise(name, _parse(sorted(e for e in entries if e is not None)))))
    return pa.array(out, type=pa.string())
