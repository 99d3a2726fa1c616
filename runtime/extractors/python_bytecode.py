"""The bytecode (`dis`) extractor: code objects, instructions, basic blocks, control-flow edges and the exception
table of the file compiled from the shared tree.

Instructions are decoded straight from `co_code` (as `dis` does, without building an object per instruction):
`dis.get_instructions` costs more than the compile itself.
"""

from __future__ import annotations

import opcode
import warnings
from typing import Mapping

from runtime.extractors._syntax import error_columns, parse, positions, syntax_error_columns
from runtime.source import SourceFile

CODE_COLUMNS = ("file_id", "code_id", "parent_code_id", "kind", "name", "qualname", "first_line", "argcount",
                "posonlyargcount", "kwonlyargcount", "flags", "instruction_count", "bstart", "bend", "line", "col",
                "end_line", "end_col")
INSTRUCTION_COLUMNS = ("file_id", "code_id", "offset", "opname", "arg", "argval", "jump_target", "block_id",
                       "line", "bstart", "bend")
BLOCK_COLUMNS = ("file_id", "code_id", "block_id", "start_offset", "end_offset", "instruction_count", "line",
                 "bstart", "bend")
EDGE_COLUMNS = ("file_id", "code_id", "src_block", "dst_block", "kind")
EXCEPTION_COLUMNS = ("file_id", "code_id", "start_offset", "end_offset", "target_offset", "depth", "lasti")
_COLUMNS = {"bytecode_code_objects": CODE_COLUMNS, "bytecode_instructions": INSTRUCTION_COLUMNS,
            "bytecode_blocks": BLOCK_COLUMNS, "bytecode_edges": EDGE_COLUMNS,
            "bytecode_exceptions": EXCEPTION_COLUMNS}

_HAVE_ARGUMENT = opcode.HAVE_ARGUMENT
_EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]
_CACHES = opcode._inline_cache_entries  # inline CACHE units after each opcode (3.11)
_JREL = frozenset(opcode.hasjrel)
_JABS = frozenset(opcode.hasjabs)
_BACKWARD = frozenset(op for op in opcode.hasjrel if "JUMP_BACKWARD" in opcode.opname[op])
_CONST, _NAME = frozenset(opcode.hasconst), frozenset(opcode.hasname)
_LOCAL = frozenset(opcode.haslocal) | frozenset(opcode.hasfree)
_COMPARE = frozenset(opcode.hascompare)
_LOAD_GLOBAL = opcode.opmap["LOAD_GLOBAL"]
# No fall-through after these: the next instruction starts a block only another edge can reach.
_TERMINAL = frozenset(opcode.opmap[name] for name in (
    "RETURN_VALUE", "RAISE_VARARGS", "RERAISE", "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"))
_COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})
_CO_OPTIMIZED = 0x1


def _exception_table(code) -> list[tuple[int, int, int, int, bool]]:
    """(start, end, target, depth, lasti) per entry, decoded from the varint format of co_exceptiontable."""
    data, i, entries = code.co_exceptiontable, 0, []

    def varint() -> int:
        nonlocal i
        b = data[i]
        i += 1
        value = b & 63
        while b & 64:
            b = data[i]
            i += 1
            value = (value << 6) | (b & 63)
        return value

    while i < len(data):
        start = varint() * 2
        end = start + varint() * 2
        target = varint() * 2
        depth_lasti = varint()
        entries.append((start, end, target, depth_lasti >> 1, bool(depth_lasti & 1)))
    return entries


def _argval(code, op: int, arg: int) -> str | None:
    if op in _CONST:
        value = code.co_consts[arg]
        if hasattr(value, "co_code"):
            return f"<code {value.co_name}>"
        text = repr(value)
        return text if len(text) <= 120 else text[:117] + "..."
    if op in _NAME:
        return code.co_names[arg >> 1 if op == _LOAD_GLOBAL else arg]
    if op in _LOCAL:
        return code._varname_from_oparg(arg)
    if op in _COMPARE:
        return opcode.cmp_op[arg]
    return None


def _decode(code):
    """(offset, op, arg, jump_target, position index) per instruction, CACHE units skipped."""
    raw, out, extended, i = code.co_code, [], 0, 0
    size = len(raw)
    while i < size:
        op = raw[i]
        arg = None
        if op >= _HAVE_ARGUMENT:
            arg = raw[i + 1] | extended
            extended = (arg << 8) if op == _EXTENDED_ARG else 0
        else:
            extended = 0
        target = None
        if op in _JREL:
            target = i + 2 + (-arg if op in _BACKWARD else arg) * 2
        elif op in _JABS:
            target = arg * 2
        out.append((i, op, arg, target))
        i += 2 + 2 * _CACHES[op]
    return out


class _Extraction:
    def __init__(self, source: SourceFile, wanted: frozenset[str]) -> None:
        self.source, self.pos = source, positions(source)
        self.tables = {name: {column: [] for column in _COLUMNS[name]} for name in wanted}
        self.need_instructions = bool(wanted & {"bytecode_instructions", "bytecode_blocks", "bytecode_edges"})

    def add(self, dataset: str, *values) -> None:
        table = self.tables.get(dataset)
        if table is not None:
            for column, value in zip(_COLUMNS[dataset], (self.source.file_id,) + values):
                table[column].append(value)

    def span(self, position) -> tuple:
        line, end_line, col, end_col = position
        if line is None or end_line is None or col is None or end_col is None:
            return None, None, line, None, None, None
        return self.pos.offset(line, col), self.pos.offset(end_line, end_col), line, col, end_line, end_col

    def run(self, top) -> dict[str, dict[str, list]]:
        module = self.source.module
        module_span = (0, len(self.source.data), 1, 0, None, None)
        stack = [(top, None, module_span)]
        code_id = -1
        while stack:
            code, parent_id, span = stack.pop()
            code_id += 1
            children = self.code_object(code, code_id, parent_id, span, module)
            stack.extend((child, code_id, child_span) for child, child_span in reversed(children))
        return self.tables

    def code_object(self, code, code_id: int, parent_id: int | None, span: tuple, module: str):
        name = code.co_name
        if parent_id is None:
            kind, qualname = "module", module
        else:
            kind = ("lambda" if name == "<lambda>" else "comprehension" if name in _COMPREHENSIONS
                    else "function" if code.co_flags & _CO_OPTIMIZED else "class")
            qualname = f"{module}.{code.co_qualname.replace('<locals>.', '')}"
        instructions = _decode(code)
        self.add("bytecode_code_objects", code_id, parent_id, kind, name, qualname, code.co_firstlineno,
                 code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags,
                 len(instructions), *span)
        children = []
        positions_list = list(code.co_positions()) if self.need_instructions or code.co_consts else []
        for offset, op, arg, _ in instructions:
            if op in _CONST and hasattr(code.co_consts[arg], "co_code"):
                children.append((code.co_consts[arg], self.span(positions_list[offset // 2])))
        exceptions = _exception_table(code)
        for entry in exceptions:
            self.add("bytecode_exceptions", code_id, *entry)
        if self.need_instructions:
            self.flow(code, code_id, instructions, exceptions, positions_list)
        return children

    def flow(self, code, code_id: int, instructions, exceptions, positions_list) -> None:
        leaders = {0}
        for index, (offset, op, _, target) in enumerate(instructions):
            if target is not None:
                leaders.add(target)
            if (target is not None or op in _TERMINAL) and index + 1 < len(instructions):
                leaders.add(instructions[index + 1][0])
        leaders.update(entry[2] for entry in exceptions)
        block_of, blocks = {}, []  # blocks: [start, end, count, line, bstart, bend, last op, last target]
        for offset, op, arg, target in instructions:
            if offset in leaders or not blocks:
                blocks.append([offset, offset, 0, None, None, None, op, target])
            block = blocks[-1]
            block_id = len(blocks) - 1
            block_of[offset] = block_id
            bstart, bend, line, _, _, _ = self.span(positions_list[offset // 2])
            block[1] = offset + 2 + 2 * _CACHES[op]
            block[2] += 1
            if block[3] is None and line is not None:
                block[3] = line
            if bstart is not None:
                block[4] = bstart if block[4] is None else min(block[4], bstart)
                block[5] = bend if block[5] is None else max(block[5], bend)
            block[6], block[7] = op, target
            if "bytecode_instructions" in self.tables:
                self.add("bytecode_instructions", code_id, offset, opcode.opname[op], arg,
                         None if arg is None else _argval(code, op, arg), target, block_id, line, bstart, bend)
        edges = set()
        for block_id, block in enumerate(blocks):
            op, target = block[6], block[7]
            if target is not None and target in block_of:
                edges.add((block_id, block_of[target], "jump"))
            if op not in _TERMINAL and block_id + 1 < len(blocks):
                edges.add((block_id, block_id + 1, "fallthrough"))
            self.add("bytecode_blocks", code_id, block_id, block[0], block[1], block[2], block[3], block[4], block[5])
        for start, end, target, _, _ in exceptions:
            if target not in block_of:
                continue
            for block_id, block in enumerate(blocks):
                if block[0] < end and block[1] > start:
                    edges.add((block_id, block_of[target], "exception"))
        for src, dst, kind in sorted(edges):
            self.add("bytecode_edges", code_id, src, dst, kind)


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    tree, error = parse(source)
    wanted = datasets & frozenset(_COLUMNS)
    if error is not None or not (wanted or "bytecode_errors" in datasets):
        return {}  # the ast extractor reports files that do not parse
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the compiler's business, not the build's
            top = compile(tree, source.file_id, "exec", dont_inherit=True)
    except SyntaxError as exc:  # valid syntax the compiler still rejects: `return` outside a function, ...
        columns = syntax_error_columns(source.file_id, exc, "compile")
        return {"bytecode_errors": columns} if "bytecode_errors" in datasets else {}
    except (RecursionError, MemoryError, ValueError) as exc:
        columns = error_columns(source.file_id, "compile", f"{type(exc).__name__}: {exc}")
        return {"bytecode_errors": columns} if "bytecode_errors" in datasets else {}
    return _Extraction(source, wanted).run(top) if wanted else {}
