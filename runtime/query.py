"""`semc query`: SQL over the Delta tables of a build, printed as an aligned text table."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from datafusion import SessionContext

from runtime.delta_store import open_tables
from runtime.errors import SemcError


class QueryError(SemcError):
    """The SQL could not be planned or run; DataFusion's message says why."""


def query(out_dir: Path, sql: str) -> pa.Table:
    tables = open_tables(out_dir)
    if not tables:
        raise QueryError(f"no Delta tables under {out_dir}; run `semc build SRC --out {out_dir}` first")
    ctx = SessionContext()
    for name, table in tables.items():
        # The Delta provider itself, not a pyarrow dataset: pyarrow's scan mixes string and string_view
        # columns, and its compute kernels then refuse to compare them in joins.
        ctx.register_table(name, table)
    try:
        return ctx.sql(sql).to_arrow_table()
    except Exception as error:  # DataFusion raises plain exceptions for SQL, schema and planning errors
        raise QueryError(f"{str(error).strip()}\n(tables: {', '.join(tables)})") from None


def format_table(table: pa.Table, max_rows: int = 40, max_width: int = 60) -> str:
    def cell(value: object) -> str:
        text = "null" if value is None else str(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    names = table.column_names
    rows = [[cell(v) for v in row.values()] for row in table.slice(0, max_rows).to_pylist()]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(n.ljust(w) for n, w in zip(names, widths)) + " |", line]
    out.extend("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |" for r in rows)
    out.append(line)
    shown = f"{len(rows)} of {table.num_rows} rows" if table.num_rows > len(rows) else f"{table.num_rows} rows"
    out.append(f"({shown})")
    return "\n".join(out)
