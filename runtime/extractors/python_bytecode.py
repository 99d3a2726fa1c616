"""The bytecode (`dis`) extractor: code objects, instructions, basic blocks, control-flow edges and the exception
table of the file compiled from the shared tree.

The tree is compiled as it is: compiling the source bytes again costs more (it parses again). Only the wanted
datasets are built; blocks and edges need no per-instruction decoding (see _bytecode_decode).
"""

from __future__ import annotations

import opcode
import warnings
from typing import Mapping

from runtime.extractors._bytecode_decode import CONST_MARKS, Units, argval, exception_table, instructions
from runtime.extractors._bytecode_flow import Blocks
from runtime.extractors._bytecode_spans import ByteSpans
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

_COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})
_CO_OPTIMIZED = 0x1


class _Extraction:
    """Rows of the wanted datasets for a file's code objects, visited in pre-order."""

    def __init__(self, source: SourceFile, wanted: frozenset[str]) -> None:
        self.file_id, self.module = source.file_id, source.module
        self.spans = ByteSpans(positions(source))
        self.rows: dict[str, list[tuple]] = {name: [] for name in wanted}  # columns after file_id
        self.need_flow = bool(wanted & {"bytecode_instructions", "bytecode_blocks", "bytecode_edges"})

    def add(self, dataset: str, *values) -> None:
        rows = self.rows.get(dataset)
        if rows is not None:
            rows.append(values)

    def add_rows(self, dataset: str, code_id: int, found: list[tuple]) -> None:
        rows = self.rows.get(dataset)
        if rows is not None:
            rows.extend([(code_id, *row) for row in found])

    def run(self, top, size: int) -> dict[str, dict[str, list]]:
        stack = [(top, None, (0, size, 1, 0, None, None))]
        code_id = -1
        while stack:
            code, parent_id, span = stack.pop()
            code_id += 1
            children = self.code_object(code, code_id, parent_id, span)
            stack.extend((child, code_id, child_span) for child, child_span in reversed(children))
        # Rows are gathered per dataset and turned into columns once, not appended column by column.
        tables = {}
        for name, rows in self.rows.items():
            columns = _COLUMNS[name]
            tables[name] = {columns[0]: [self.file_id] * len(rows)}
            tables[name].update((column, list(values)) for column, values in zip(columns[1:], zip(*rows)))
            if not rows:
                tables[name].update((column, []) for column in columns[1:])
        return tables

    def code_object(self, code, code_id: int, parent_id: int | None, span: tuple) -> list[tuple]:
        name, module = code.co_name, self.module
        if parent_id is None:
            kind, qualname = "module", module
        else:
            kind = ("lambda" if name == "<lambda>" else "comprehension" if name in _COMPREHENSIONS
                    else "function" if code.co_flags & _CO_OPTIMIZED else "class")
            qualname = f"{module}.{code.co_qualname.replace('<locals>.', '')}"
        units = Units(code.co_code)
        self.add("bytecode_code_objects", code_id, parent_id, kind, name, qualname, code.co_firstlineno,
                 code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags,
                 units.count(), *span)
        consts = code.co_consts
        nested = {index for index, value in enumerate(consts) if hasattr(value, "co_code")}
        positions_list = units.positions(code) if self.need_flow or nested else []
        children = []
        if nested:  # each LOAD_CONST of a nested code object, spanned by that instruction
            index = unit = 0  # the instruction index of unit, counted on from the previous one
            for load in units.find(CONST_MARKS):
                index, unit = index + units.count(unit, load), load
                arg = units.arg(unit)
                if arg in nested:
                    children.append((consts[arg], self.spans.span(positions_list[index])))
        if self.need_flow or "bytecode_exceptions" in self.rows:
            exceptions = exception_table(code)
            self.add_rows("bytecode_exceptions", code_id, exceptions)
            if self.need_flow:
                blocks = Blocks(units, exceptions)
                if "bytecode_blocks" in self.rows:
                    rows = blocks.rows(positions_list, self.spans)
                    self.add_rows("bytecode_blocks", code_id, [(block, *row) for block, row in enumerate(rows)])
                if "bytecode_edges" in self.rows:
                    self.add_rows("bytecode_edges", code_id, blocks.edges())
                if "bytecode_instructions" in self.rows:
                    self.instructions(code, code_id, blocks.starts, positions_list)
        return children

    def instructions(self, code, code_id: int, starts: list[int], positions_list: list) -> None:
        block_id, first = -1, set(starts)
        for index, (offset, op, arg, target) in enumerate(instructions(code.co_code)):
            block_id += offset // 2 in first
            bstart, bend, line, _, _, _ = self.spans.span(positions_list[index])
            self.add("bytecode_instructions", code_id, offset, opcode.opname[op], arg,
                     None if arg is None else argval(code, op, arg), target, block_id, line, bstart, bend)


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
    return _Extraction(source, wanted).run(top, len(source.data)) if wanted else {}
