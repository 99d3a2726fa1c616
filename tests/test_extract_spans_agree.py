"""ast, symtable, bytecode and tokens agree on where each definition is, byte for byte, on files with non-ASCII
names, tab indentation and CRLF line ends. Expected offsets are counted by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.extractors import file_scan, python_ast, python_bytecode, python_symtable, python_tokens
from runtime.source import SourceFile

# CRLF + tabs: L1 "class Grüße:" is 14 bytes (ü, ß take 2) + CRLF -> L2 at 16; L2 tab + '"""Döc."""' (11 bytes)
# + CRLF -> L3 at 30, `def` at 31; L3 is 1 + 4 + 8 (é takes 2) + 12 + 5 = 30 bytes + CRLF -> L4 at 62;
# L4 is 2 tabs + "return " (7) + "lambda y: x + y" (15): `lambda` at 71, the end at 86.
# LF + spaces: L1 15 bytes, L2 16 -> L3 at 31, `def` at 35; L3 34 -> L4 at 65, `lambda` at 80, the end at 95.
CRLF_TABS = 'class Grüße:\r\n\t"""Döc."""\r\n\tdef méthode(self, x=1):  # c\r\n\t\treturn lambda y: x + y\r\n'
LF_SPACES = 'class Grüße:\n    """Döc."""\n    def méthode(self, x=1):  # c\n        return lambda y: x + y\n'

# qualname -> (bstart, bend) per file
SPANS = {
    CRLF_TABS: {"m.Grüße": (0, 86), "m.Grüße.méthode": (31, 86), "m.Grüße.méthode.<lambda>": (71, 86)},
    LF_SPACES: {"m.Grüße": (0, 95), "m.Grüße.méthode": (35, 95), "m.Grüße.méthode.<lambda>": (80, 95)},
}


def source(text: str) -> SourceFile:
    return SourceFile("m.py", Path("m.py"), "m", text.encode("utf-8"), None)


def rows(produced: dict, dataset: str) -> list[dict]:
    columns = produced[dataset]
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


@pytest.mark.parametrize("text", [CRLF_TABS, LF_SPACES], ids=["crlf-tabs", "lf-spaces"])
def test_every_extractor_puts_each_definition_at_the_same_bytes(text):
    data = text.encode("utf-8")
    expected = SPANS[text]
    for qualname, (start, end) in expected.items():
        assert data[start:end].decode().startswith(("class", "def", "lambda")), qualname
        assert data[start:end].decode().endswith("x + y")

    ast_defs = {r["qualname"]: (r["bstart"], r["bend"]) for r in rows(
        python_ast.extract(source(text), frozenset({"ast_definitions"})), "ast_definitions")}
    assert ast_defs == expected

    scopes = rows(python_symtable.extract(source(text), frozenset({"symtable_scopes"})), "symtable_scopes")
    by_scope = {r["qualname"]: r for r in scopes}
    for qualname, span in expected.items():
        assert (by_scope[qualname]["bstart"], by_scope[qualname]["bend"]) == span
        # symtable's own line agrees with the line the span starts on
        assert by_scope[qualname]["declared_line"] == by_scope[qualname]["line"]

    code = rows(python_bytecode.extract(source(text), frozenset({"bytecode_code_objects"})), "bytecode_code_objects")
    by_code = {r["qualname"]: (r["bstart"], r["bend"]) for r in code}
    assert {q: by_code[q] for q in expected} == expected

    tokens = rows(python_tokens.extract(source(text), frozenset({"tokens"})), "tokens")
    keywords = [t for t in tokens if t["text"] in ("class", "def", "lambda")]
    assert [t["bstart"] for t in keywords] == [span[0] for span in expected.values()]
    last_name = [t for t in tokens if t["kind"] == "NAME"][-1]
    assert last_name["bend"] == expected["m.Grüße"][1]
    for t in tokens:  # every token's text is exactly its bytes
        if t["kind"] not in ("DEDENT", "ENDMARKER", "NEWLINE", "NL"):
            assert data[t["bstart"] : t["bend"]].decode() == t["text"]

    # and the line index maps each span start to the line every extractor reports
    lines = rows(file_scan.extract(source(text), frozenset({"line_index"})), "line_index")
    for qualname, (start, _) in expected.items():
        (line,) = [r["line"] for r in lines if r["bstart"] <= start < r["bend"]]
        assert line == by_scope[qualname]["line"]
    assert [r["newline"] for r in lines] == ["\r\n" if "\r\n" in text else "\n"] * 4
