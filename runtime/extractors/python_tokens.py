"""The `tokenize` extractor: every token with its kind, text and byte span, comments and layout included.

tokenize counts columns in characters of the decoded line; spans here are bytes of the file as stored, like
every other table's. A file tokenize gives up on keeps the tokens before the error (ast_errors says why).
"""

from __future__ import annotations

import io
import tokenize
from typing import Mapping

from runtime.extractors._syntax import positions
from runtime.source import SourceFile

COLUMNS = ("file_id", "token_id", "kind", "text", "bstart", "bend", "line", "col", "end_line", "end_col")


def extract(source: SourceFile, datasets: frozenset[str]) -> Mapping[str, Mapping[str, list]]:
    if "tokens" not in datasets or source.data is None or b"\0" in source.data:
        return {}
    pos = positions(source)
    columns: dict[str, list] = {c: [] for c in COLUMNS}
    tok_name, char_offset, line_start = tokenize.tok_name, pos.char_offset, pos.line_start
    token_id = 0
    try:
        for token in tokenize.tokenize(io.BytesIO(source.data).readline):
            if token.type == tokenize.ENCODING:
                continue  # not source text: the encoding tokenize detected
            (line, col), (end_line, end_col) = token.start, token.end
            bstart = char_offset(line, col) if line <= len(pos.starts) else len(source.data)
            bend = char_offset(end_line, end_col) if end_line <= len(pos.starts) else len(source.data)
            values = (source.file_id, token_id, tok_name[token.exact_type], token.string, bstart, bend,
                      line, bstart - line_start(line) if line <= len(pos.starts) else 0,
                      end_line, bend - line_start(end_line) if end_line <= len(pos.starts) else 0)
            for column, value in zip(COLUMNS, values):
                columns[column].append(value)
            token_id += 1
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError, RecursionError):
        pass
    return {"tokens": columns}
