"""Parse + check time of the .sem front end: the shipped specs, and a generated spec of 10,000 lines.

    .venv/bin/python bench/parse_check.py [--runs N]

Prints the median of N runs for each (the parser's LALR tables are built once, outside the timings).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dsl.ir import SpecFile  # noqa: E402
from dsl.parser import build_parser  # noqa: E402
from dsl.program import parse_program, read_spec_files  # noqa: E402

BLOCK = """\
## Evidence block {i}.
dataset rows_{i} from extractor file_scan {{
  file_id: string
  node_id: int64
  parent_id: int64?
  kind: string
  name: string?
  score: float64?
  tags: list<string>
  key (file_id, node_id)
}}

view named_{i} = rows_{i}
  | filter kind in ("FunctionDef", "ClassDef") and name is not null
  | derive label = kind || ":" || coalesce(name, "?"), weight = coalesce(score, 0.0) * 2
  | select file_id, node_id, parent_id, label, weight, kind = case when kind == "ClassDef" then kind_{i}.CLASS else kind_{i}.FUNCTION end

view parents_{i} = named_{i} as child
  | left join rows_{i} as parent on child.file_id == parent.file_id and child.parent_id == parent.node_id
  | select file_id = child.file_id, node_id = child.node_id, parent_kind = parent.kind, kind = child.kind

view best_{i} = named_{i} | best per file_id by weight desc, node_id

view counts_{i} = named_{i}
  | aggregate n = count(), top = max(weight), labels = array_agg(label order by node_id) by file_id

view reach_{i} = rows_{i} | filter parent_id is not null | select node = node_id, up = parent_id
  | recurse (reach_{i} as r | join rows_{i} as p on r.up == p.node_id | filter p.parent_id is not null
             | select node = r.node, up = p.parent_id)

enum kind_{i} {{ CLASS, FUNCTION }}

output out_{i} = union(best_{i}, named_{i} | select file_id, node_id, parent_id, label, weight, kind)
"""


def generated_spec(lines: int) -> str:
    """Blocks like BLOCK until the text has `lines` lines; each block's output produces its enum."""
    block = BLOCK.replace("output out_{i} = union(best_{i}, named_{i} | select file_id, node_id, parent_id, label, "
                          "weight, kind)\n", "output out_{i} = union(best_{i}, named_{i})\n")
    parts, count, index = [], 0, 0
    while count < lines:
        text = block.format(i=index)
        parts.append(text)
        count += text.count("\n")
        index += 1
    return "".join(parts)


def median_seconds(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=5)
    runs = options.parse_args().runs
    start = time.perf_counter()
    parser = build_parser()
    print(f"build LALR parser: {time.perf_counter() - start:.3f} s (once per process)")
    shipped = read_spec_files(ROOT / "specs")
    shipped_lines = sum(f.text.count("\n") for f in shipped)
    seconds = median_seconds(lambda: parse_program(shipped, parser), runs)
    print(f"shipped specs ({len(shipped)} files, {shipped_lines} lines): median {seconds * 1000:.1f} ms "
          f"over {runs} runs ({shipped_lines / seconds:,.0f} lines/s)")
    text = generated_spec(10_000)
    big = (SpecFile("big.sem", text),)
    program = parse_program(big, parser)  # fails loudly if the generated spec is not a valid program
    lines = text.count("\n")
    seconds = median_seconds(lambda: parse_program(big, parser), runs)
    print(f"generated spec ({lines} lines, {len(program.views)} views): median {seconds * 1000:.1f} ms "
          f"over {runs} runs ({lines / seconds:,.0f} lines/s)")


if __name__ == "__main__":
    main()
