"""Graphs as pictures and as networkx graphs: `to_networkx`, `to_dot`, `render`.

`to_networkx` keeps every variable and every op application as a node. Pictures are
lighter: ops are boxes, leaves and outputs are ellipses, and an unnamed intermediate value
is drawn as the edge between the two ops it connects (labelled with its type), as
Theano's pydotprint did. `render` uses Graphviz's `dot` when it is installed; without it,
.svg and .html pictures are laid out here (layers + barycenter ordering) so inspecting a
graph never needs anything beyond numpy, scipy and networkx.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .graph import Apply, Variable, toposort
from .graph_view import (
    View,
    leaf_kind,
    leaf_label,
    op_label,
    source_of,
    to_scalar,
    type_parts,
    view_of,
)

# Fill colours per kind, shared by DOT and the built-in SVG so both pictures read alike.
COLOURS = {"op": "#ffffff", "input": "#c8e6c9", "shared": "#bbdefb", "constant": "#eeeeee",
           "output": "#ffe0b2", "variable": "#ffffff"}


# ---------------------------------------------------------------- networkx


def to_networkx(obj: Any) -> nx.DiGraph:
    """One node per variable ('v0', 'v1', ...) and per op application ('n0', ...).

    Node attributes: kind ('op', 'input', 'constant', 'shared', 'variable'), is_output,
    op (str), dtype, shape, name, source ('file:line'), and for a Function's update values
    `update_of` (the shared variable's name). Edges run variable -> op -> variable, with
    `index` = the input position (into an op) or the output position (out of an op).
    """
    view = view_of(obj, "to_networkx")
    g = nx.DiGraph()
    vkey: dict[Variable, str] = {}
    roots = set(view.roots)
    update_of = {view.roots[i]: note[len("update of "):] for i, note in view.notes.items()}

    def add_var(v: Variable) -> str:
        if v in vkey:
            return vkey[v]
        key = vkey[v] = f"v{len(vkey)}"
        dtype, shape = type_parts(v)
        kind = leaf_kind(v)
        attrs: dict[str, Any] = {
            "kind": "variable" if kind == "computed" else kind, "name": v.name,
            "dtype": dtype, "shape": tuple(shape), "is_output": v in roots,
            "op": None if v.owner is None else str(v.owner.op),
            "source": source_of(v.owner.trace if v.owner is not None else v.trace),
            "label": leaf_label(v) if v.owner is None else op_label(v.owner, v.index)}
        if kind == "constant":
            attrs["value"] = [to_scalar(x) for x in v.data.ravel()[:16]]  # type: ignore
        if v in update_of:
            attrs["update_of"] = update_of[v]
        g.add_node(key, **attrs)
        return key

    for k, node in enumerate(toposort(view.roots)):
        nkey = f"n{k}"
        g.add_node(nkey, kind="op", op=str(node.op), op_class=type(node.op).__name__,
                   name=None, dtype=None, shape=None, is_output=False, label=str(node.op),
                   source=source_of(node.trace))
        for i, v in enumerate(node.inputs):
            g.add_edge(add_var(v), nkey, index=i)
        for v in node.outputs:
            g.add_edge(nkey, add_var(v), index=v.index)
    for v in view.roots:
        add_var(v)
    return g


# ---------------------------------------------------------------- the drawing model


@dataclass
class DNode:
    """A box (op) or ellipse (variable) of a picture."""

    key: str
    lines: list[str]
    kind: str
    tooltip: str = ""
    dashed: bool = False


@dataclass
class Drawing:
    """What a picture shows: nodes and edges in a stable order."""

    nodes: list[DNode] = field(default_factory=list)
    # (src, dst, input position at dst, the value: `.k` output / type of a folded value)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)
    title: str = "graph"


def drawing_of(view: View) -> Drawing:
    """Ops, leaves, outputs and named values as nodes; unnamed values folded into edges."""
    d = Drawing(title=view.function.name if view.function is not None else "graph")
    order = toposort(view.roots)
    root_index: dict[Variable, list[int]] = {}
    for i, v in enumerate(view.roots):
        root_index.setdefault(v, []).append(i)
    vnode: dict[Variable, str] = {}

    def var_node(v: Variable) -> str:
        if v in vnode:
            return vnode[v]
        kind = leaf_kind(v)
        kind = "variable" if kind == "computed" else kind
        label = leaf_label(v) if v.owner is None else (v.name or "")
        notes = [_root_note(view, i) for i in root_index.get(v, [])]
        if notes:
            kind = "output" if kind == "variable" else kind
        lines = [s for s in [label, *notes] if s] + [str(v.type)]
        src = source_of(v.owner.trace if v.owner is not None else v.trace)
        key = vnode[v] = f"v{len(vnode)}"
        d.nodes.append(DNode(key, lines, kind, src or ""))
        return key

    op_key = {node: f"n{k}" for k, node in enumerate(order)}
    for node in order:
        for v in node.inputs:
            if v.owner is None:
                var_node(v)
        d.nodes.append(DNode(op_key[node], [str(node.op)], "op",
                             source_of(node.trace) or "",
                             getattr(node.op, "nondeterministic", False)))
        for v in node.outputs:
            if v.name or v in root_index:
                d.edges.append((op_key[node], var_node(v), "", _out_label(node, v, False)))
        for i, v in enumerate(node.inputs):
            label = str(i) if len(node.inputs) > 1 else ""
            if v.owner is None or v in vnode:
                d.edges.append((var_node(v), op_key[node], label, ""))
            else:
                d.edges.append((op_key[v.owner], op_key[node], label,
                                _out_label(v.owner, v, True)))
    for v in view.roots:
        if v.owner is None:
            var_node(v)
    return d


def _root_note(view: View, i: int) -> str:
    return view.notes.get(i) or (f"output {i}" if len(view.roots) > 1 else "output")


def _out_label(node: Apply, v: Variable, with_type: bool) -> str:
    parts = [f".{v.index}"] if len(node.outputs) > 1 else []
    if with_type:
        parts.append(str(v.type))
    return " ".join(parts)


# ---------------------------------------------------------------- DOT


def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(obj: Any) -> str:
    """Graphviz DOT text: ops as boxes, variables as ellipses coloured by kind."""
    d = drawing_of(view_of(obj, "to_dot"))
    out = [f"digraph {_dot_str(d.title)} {{",
           '  graph [rankdir=TB, fontname="Helvetica"];',
           '  node [fontname="Helvetica", fontsize=10, style=filled];',
           '  edge [fontname="Helvetica", fontsize=8];']
    for n in d.nodes:
        shape = "box" if n.kind == "op" else "ellipse"
        style = "filled,dashed" if n.dashed else ("filled,bold" if n.kind == "output"
                                                  else "filled")
        out.append(f"  {n.key} [label={_dot_str(chr(10).join(n.lines))}, shape={shape}, "
                   f"style={_dot_str(style)}, fillcolor={_dot_str(COLOURS[n.kind])}, "
                   f"tooltip={_dot_str(n.tooltip)}];")
    for src, dst, index, value in d.edges:
        label = " · ".join(s for s in (index, value) if s)
        attr = f" [label={_dot_str(label)}]" if label else ""
        out.append(f"  {src} -> {dst}{attr};")
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- render


def render(obj: Any, path: str | os.PathLike, engine: str = "auto") -> str:
    """Draw the graph into `path` (.svg, .html, or any format `dot -T` knows); returns path.

    engine='auto' uses Graphviz's `dot` when it is on PATH, else the built-in layout (which
    writes .svg and .html only); 'dot' or 'python' force one. The file is written
    atomically: a failure never leaves a half-written picture behind.
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if engine not in ("auto", "dot", "python"):
        raise ValueError(f"render: engine must be 'auto', 'dot' or 'python', got {engine!r}")
    if not ext:
        raise ValueError(f"render: {path!r} has no file extension to choose a format "
                         f"(use .svg, .html, or a Graphviz format such as .png)")
    dot = shutil.which("dot") if engine != "python" else None
    if engine == "dot" and dot is None:
        raise RuntimeError("render(engine='dot'): Graphviz's 'dot' program is not on PATH")
    view = view_of(obj, "render")
    if ext in ("html", "htm"):
        svg = _run_dot(dot, to_dot(obj), "svg") if dot else svg_of(drawing_of(view))
        data = html_page(svg.decode() if isinstance(svg, bytes) else svg, view).encode()
    elif dot is not None:
        data = _run_dot(dot, to_dot(obj), ext)
    elif ext == "svg":
        data = svg_of(drawing_of(view)).encode()
    else:
        raise RuntimeError(f"render: writing a .{ext} picture needs Graphviz's 'dot' program, "
                           f"which is not on PATH; without it render writes .svg and .html "
                           f"(install graphviz for .png, .pdf and other formats)")
    write_atomic(path, data)
    return path


def _run_dot(dot: str, text: str, fmt: str) -> bytes:
    proc = subprocess.run([dot, f"-T{fmt}"], input=text.encode(), capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"render: `dot -T{fmt}` failed (exit {proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def write_atomic(path: str, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then move it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as fh:  # a plain open keeps the usual (umask) permissions
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def html_page(svg: str, view: View) -> str:
    """A self-contained page: the picture, a legend and the debugprint listing."""
    from .printing import _tree_text
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg  # drop dot's XML prolog and DOCTYPE
    title = html.escape(view.function.name if view.function is not None else "graph")
    legend = "".join(f'<span style="background:{c}">{k}</span>' for k, c in COLOURS.items()
                     if k != "variable")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>symgraph: {title}</title>\n<style>"
        "body{font-family:sans-serif;margin:16px}"
        ".legend span{display:inline-block;border:1px solid #888;padding:2px 8px;"
        "margin-right:6px;font-size:12px}"
        ".picture{overflow:auto;border:1px solid #ddd;margin:12px 0}"
        "pre{font-size:12px}</style></head>\n<body>\n"
        f"<h1>symgraph: {title}</h1>\n<div class=\"legend\">{legend}</div>\n"
        f"<div class=\"picture\">\n{svg}\n</div>\n"
        f"<details><summary>debugprint</summary><pre>{html.escape(_tree_text(view))}</pre>"
        "</details>\n</body></html>\n")


# ---------------------------------------------------------------- built-in SVG layout

_CHAR_W, _LINE_H, _PAD, _GAP_X, _GAP_Y, _MARGIN = 7.2, 15.0, 10.0, 24.0, 46.0, 20.0


def svg_of(d: Drawing) -> str:
    """An SVG picture of `d`, laid out in layers (see `layout`)."""
    size = {n.key: (max(len(s) for s in n.lines) * _CHAR_W + 2 * _PAD +
                    (16 if n.kind != "op" else 0),
                    len(n.lines) * _LINE_H + _PAD) for n in d.nodes}
    pos, routes = layout([n.key for n in d.nodes], [(e[0], e[1]) for e in d.edges], size)
    ports = _ports(d)
    edge_points = []
    for (src, dst, _, _), points, (k, n) in zip(d.edges, routes, ports, strict=True):
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        spread = min(size[dst][0] * 0.6 / max(n, 1), 40.0)
        entry = (x1 + (k - (n - 1) / 2) * spread, y1 - size[dst][1] / 2)
        edge_points.append([(x0, y0 + size[src][1] / 2), *points, entry])
    all_x = [x + size[k][0] / 2 for k, (x, _) in pos.items()] + \
        [x for pts in edge_points for x, _ in pts]
    width = max(all_x, default=0) + _MARGIN + 60  # room for edge labels on the right
    height = max((pos[k][1] + size[k][1] / 2 for k in pos), default=0) + _MARGIN
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
           'font-family="monospace" font-size="12">',
           "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
           "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
           "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>"]
    shown: set[tuple[str, str]] = set()
    for (src, _, index, value), pts in zip(d.edges, edge_points, strict=True):
        path = " ".join(f"{'M' if i == 0 else 'L'} {x:.1f} {y:.1f}"
                        for i, (x, y) in enumerate(pts))
        out.append(f'<path d="{path}" fill="none" stroke="#555" marker-end="url(#arrow)"/>')
        # The input position sits at the arrow head, the value's type near the edge's
        # start, so the labels of several edges into one box do not pile up.
        if index:
            out.append(_edge_text(pts[-2], pts[-1], 1 - 12 / _seg_len(pts[-2], pts[-1]),
                                  index))
        if value and (src, value) not in shown:  # one value, one label, however many uses
            shown.add((src, value))
            out.append(_edge_text(pts[0], pts[1], min(0.5, 16 / _seg_len(pts[0], pts[1])),
                                  value))
    for n in d.nodes:
        x, y = pos[n.key]
        w, h = size[n.key]
        fill = COLOURS[n.kind]
        stroke = ' stroke-dasharray="4 3"' if n.dashed else ""
        width_ = 2 if n.kind == "output" else 1
        out.append(f'<g class="{n.kind}"><title>{html.escape(n.tooltip)}</title>')
        if n.kind == "op":
            out.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" '
                       f'height="{h:.1f}" rx="3" fill="{fill}" stroke="#333"{stroke}/>')
        else:
            out.append(f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" '
                       f'ry="{h / 2:.1f}" fill="{fill}" stroke="#333" '
                       f'stroke-width="{width_}"/>')
        top = y - (len(n.lines) - 1) * _LINE_H / 2
        for i, line in enumerate(n.lines):
            out.append(f'<text x="{x:.1f}" y="{top + i * _LINE_H + 4:.1f}" '
                       f'text-anchor="middle">{html.escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _seg_len(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5, 24.0)


def _edge_text(a: tuple[float, float], b: tuple[float, float], t: float, text: str) -> str:
    """`text` beside the point a fraction `t` of the way from a to b."""
    x, y = a[0] + (b[0] - a[0]) * t + 4, a[1] + (b[1] - a[1]) * t + 3
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" fill="#444">'
            f"{html.escape(text)}</text>")


def _ports(d: Drawing) -> list[tuple[int, int]]:
    """Per edge: (its position among the edges into its target, how many there are), so
    inputs enter a box side by side, in input order."""
    count: dict[str, int] = {}
    ports = []
    for e in d.edges:
        ports.append(count.get(e[1], 0))
        count[e[1]] = ports[-1] + 1
    return [(k, count[e[1]]) for k, e in zip(ports, d.edges, strict=True)]


def layout(keys: list[str], edges: list[tuple[str, str]],
           size: dict[str, tuple[float, float]], sweeps: int = 4,
           ) -> tuple[dict[str, tuple[float, float]], list[list[tuple[float, float]]]]:
    """Centre (x, y) per node and the bend points of each edge.

    Layers by longest path from the sources (leaves then pulled down next to their first
    use); an edge spanning several layers gets a dummy node per layer so it bends around
    boxes; nodes within a layer are ordered by the barycenter of their neighbours, sweeping
    down and up; x positions then move towards the neighbours' mean, keeping a gap.
    """
    g = nx.DiGraph()
    g.add_nodes_from(keys)
    g.add_edges_from(edges)
    layer: dict[str, int] = {}
    for gen_i, gen in enumerate(nx.topological_generations(g)):
        for k in gen:
            layer[k] = gen_i
    for k in keys:  # a leaf sits just above its first consumer, not at the very top
        succ = list(g.successors(k))
        if not any(True for _ in g.predecessors(k)) and succ:
            layer[k] = min(layer[s] for s in succ) - 1
    # Dummy chains for long edges; `up`/`down` are the per-layer neighbour lists.
    up: dict[str, list[str]] = {k: [] for k in keys}
    down: dict[str, list[str]] = {k: [] for k in keys}
    # Dummies grow with edge length; a budget linear in the graph keeps big pictures
    # linear too (the longest edges beyond it are drawn straight).
    budget = 4 * len(keys) + 400
    spans = sorted(range(len(edges)), key=lambda e: layer[edges[e][1]] - layer[edges[e][0]])
    routed: set[int] = set()
    for e in spans:
        budget -= layer[edges[e][1]] - layer[edges[e][0]] - 1
        if budget < 0:
            break
        routed.add(e)
    chains: list[list[str]] = []
    for e, (s, t) in enumerate(edges):
        chain, prev = [], s
        if e not in routed:
            chains.append(chain)
            continue
        for lay in range(layer[s] + 1, layer[t]):
            dk = f"\x00{e}.{lay}"
            layer[dk] = lay
            up[dk], down[dk] = [prev], []
            down[prev].append(dk)
            chain.append(dk)
            prev = dk
        down[prev].append(t)
        up[t].append(prev)
        chains.append(chain)
    n_layers = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(n_layers)]
    for k in list(keys) + [k for c in chains for k in c]:
        rows[layer[k]].append(k)
    index = {k: i for row in rows for i, k in enumerate(row)}
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        seq = range(1, n_layers) if downward else range(n_layers - 2, -1, -1)
        for li in seq:
            nbrs = up if downward else down

            def bary(k: str, nbrs: dict[str, list[str]] = nbrs) -> float:
                ns = nbrs[k]
                return sum(index[n] for n in ns) / len(ns) if ns else index[k]

            rows[li].sort(key=bary)
            for i, k in enumerate(rows[li]):
                index[k] = i
    width = {k: size[k][0] if k in size else 8.0 for k in layer}
    xs: dict[str, float] = {}
    for row in rows:
        x = 0.0
        for k in row:
            xs[k] = x + width[k] / 2
            x += width[k] + _GAP_X
    for sweep in range(sweeps):
        nbrs = up if sweep % 2 == 0 else down
        for row in rows if sweep % 2 == 0 else reversed(rows):
            for k in row:
                if nbrs[k]:
                    xs[k] = sum(xs[n] for n in nbrs[k]) / len(nbrs[k])
            for a, b in zip(row, row[1:], strict=False):  # restore order and gaps
                xs[b] = max(xs[b], xs[a] + (width[a] + width[b]) / 2 + _GAP_X)
    left = min((xs[k] - width[k] / 2 for k in xs), default=0.0)
    heights = [max((size[k][1] for k in row if k in size), default=0.0) for row in rows]
    ys, y = [], _MARGIN
    for h in heights:
        ys.append(y + h / 2)
        y += h + _GAP_Y
    pos = {k: (xs[k] - left + _MARGIN, ys[layer[k]]) for k in xs}
    routes = [[pos[k] for k in chain] for chain in chains]
    return {k: pos[k] for k in keys}, routes
