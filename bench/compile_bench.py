"""Compile-time benchmark: the shipped specs, and synthetic programs of up to 1,000 views.

For each size: a cold `semc gen` (empty format cache) and a regeneration after editing one view (warm
cache), as medians of several runs; seconds per view; and how cold time grows as the view count doubles
(2.0 means linear). Run: .venv/bin/python bench/compile_bench.py [--repeat 3] [--max-views 1000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from codegen.formatting import FormatCache
from codegen.generate import generate

ROOT = Path(__file__).resolve().parent.parent

DATASET = """dataset ast_nodes from extractor python_ast {
  file_id: string
  node_id: int64
  parent_id: int64?
  kind: string
  name: string?
  bstart: int64
  bend: int64
  key (file_id, node_id)
}
"""


def synthetic_spec(views: int) -> str:
    """A layered DAG: every view filters and derives from one or two earlier views (joins and unions mixed)."""
    parts = [DATASET, "view v0 = ast_nodes | select file_id, node_id, kind, name, bstart, bend\n"]
    for i in range(1, views):
        a, b = (i - 1), (i // 2)
        if i % 5 == 0 and a != b:
            body = f"union(v{a}, v{b})"
        elif i % 3 == 0 and a != b:
            body = (
                f"v{a} as l | join v{b} as r on l.file_id == r.file_id and l.node_id == r.node_id\n"
                f"  | select file_id = l.file_id, node_id = l.node_id, kind = r.kind, name = l.name,"
                f" bstart = l.bstart, bend = r.bend"
            )
        else:
            body = f'v{a} | filter bend >= bstart and kind != "X{i}"'
        keyword = "output" if i == views - 1 or i % 50 == 0 else "view"
        parts.append(f"{keyword} v{i} = {body}\n  | derive name = concat_ws(\"/\", name, kind)\n")
    return "\n".join(parts)


def time_generate(specs: Path, repeat: int) -> tuple[float, float]:
    """(cold, warm after a one-view edit) medians."""
    cold, warm = [], []
    source = (specs / "main.sem").read_text() if (specs / "main.sem").exists() else None
    for attempt in range(repeat):
        with tempfile.TemporaryDirectory() as scratch:
            cache = FormatCache(Path(scratch) / "cache")
            start = time.perf_counter()
            generate(specs, Path(scratch) / "pkg", cache)
            cold.append(time.perf_counter() - start)
            if source is not None:
                (specs / "main.sem").write_text(source.replace('"X1"', f'"edited{attempt}"', 1))
            start = time.perf_counter()
            generate(specs, Path(scratch) / "pkg", cache)
            warm.append(time.perf_counter() - start)
            if source is not None:
                (specs / "main.sem").write_text(source)
    return statistics.median(cold), statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-views", type=int, default=1000)
    args = parser.parse_args()

    shipped, shipped_warm = time_generate(ROOT / "specs", args.repeat)
    shipped_views = len(list(__import__("generated.program", fromlist=["PROGRAM"]).PROGRAM.views))
    print(
        f"baseline: shipped specs ({shipped_views} views): cold {shipped:.3f} s, unchanged {shipped_warm:.3f} s "
        f"(medians of {args.repeat})"
    )
    print(f"{'views':>6} {'cold s':>8} {'s/view':>8} {'x baseline':>11} {'growth/2x':>10} {'1 edit s':>9}")
    previous = None
    sizes = []
    n = args.max_views
    while n >= 100:
        sizes.append(n)
        n //= 2
    for views in reversed(sizes):
        with tempfile.TemporaryDirectory() as scratch:
            specs = Path(scratch) / "specs"
            specs.mkdir()
            (specs / "main.sem").write_text(synthetic_spec(views))
            seconds, edited = time_generate(specs, args.repeat)
        growth = f"{seconds / previous:.2f}" if previous else "-"
        print(
            f"{views:>6} {seconds:>8.3f} {seconds / views:>8.4f} {seconds / shipped:>11.1f} {growth:>10} "
            f"{edited:>9.3f}"
        )
        previous = seconds


if __name__ == "__main__":
    main()
