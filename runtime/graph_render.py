"""`semc graph`: the view graph as Graphviz DOT and as a self-contained SVG (no Graphviz needed to view it).

Evidence datasets, views and outputs are told apart by shape and colour. The SVG places each node in the
column of its longest path from the evidence, so every edge points rightwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from runtime.program import CompiledProgram

_STYLE = {
    "evidence": {"dot": 'shape=cylinder, style=filled, fillcolor="#e8f5e9"', "fill": "#e8f5e9", "stroke": "#2e7d32"},
    "view": {"dot": 'shape=box, style="rounded,filled", fillcolor="#f5f5f5"', "fill": "#f5f5f5", "stroke": "#616161"},
    "output": {"dot": 'shape=box, style="bold,filled", fillcolor="#e3f2fd"', "fill": "#e3f2fd", "stroke": "#1565c0"},
}


@dataclass(frozen=True)
class _Node:
    name: str
    kind: str  # evidence | view | output


def _nodes(program: CompiledProgram) -> list[_Node]:
    nodes = [_Node(d.name, "evidence") for d in program.datasets]
    nodes += [_Node(v.name, "output" if v.is_output else "view") for v in program.views]
    return sorted(nodes, key=lambda n: n.name)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(program: CompiledProgram) -> str:
    lines = [f"digraph {_quote(program.package)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node in _nodes(program):
        lines.append(f"  {_quote(node.name)} [{_STYLE[node.kind]['dot']}];")
    for upstream, downstream in sorted(program.edges):
        lines.append(f"  {_quote(upstream)} -> {_quote(downstream)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _columns(program: CompiledProgram) -> dict[str, int]:
    """Longest distance from any evidence dataset; views come in schedule order, so one pass suffices."""
    column = {d.name: 0 for d in program.datasets}
    for view in program.views:
        column[view.name] = 1 + max((column.get(source, 0) for source in view.inputs), default=0)
    return column


def to_svg(program: CompiledProgram) -> str:
    width, height, gap_x, gap_y, margin = 190, 34, 70, 18, 20
    column = _columns(program)
    rows: dict[int, int] = {}
    position: dict[str, tuple[int, int]] = {}
    for node in sorted(_nodes(program), key=lambda n: (column[n.name], n.name)):
        row = rows.get(column[node.name], 0)
        rows[column[node.name]] = row + 1
        position[node.name] = (margin + column[node.name] * (width + gap_x), margin + row * (height + gap_y))
    total_w = margin * 2 + (max(column.values(), default=0) + 1) * (width + gap_x) - gap_x
    total_h = margin * 2 + max(rows.values(), default=1) * (height + gap_y) - gap_y
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'viewBox="0 0 {total_w} {total_h}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
        "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#757575\"/></marker></defs>",
    ]
    for upstream, downstream in sorted(program.edges):
        (x1, y1), (x2, y2) = position[upstream], position[downstream]
        x1, y1, x2, y2 = x1 + width, y1 + height / 2, x2, y2 + height / 2
        bend = max(30.0, (x2 - x1) / 2)
        parts.append(
            f'<path d="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}" fill="none" '
            f'stroke="#9e9e9e" stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for node in _nodes(program):
        x, y = position[node.name]
        style = _STYLE[node.kind]
        radius = 2 if node.kind == "evidence" else 8
        stroke_width = 2.2 if node.kind == "output" else 1.2
        parts.append(
            f'<g><title>{escape(node.kind)}: {escape(node.name)}</title>'
            f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="{radius}" fill="{style["fill"]}" '
            f'stroke="{style["stroke"]}" stroke-width="{stroke_width}"/>'
            f'<text x="{x + width / 2}" y="{y + height / 2 + 4}" text-anchor="middle">{escape(node.name)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
