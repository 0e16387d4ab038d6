"""Graphs as pictures and as networkx graphs: `to_networkx`, `to_dot`, `render`, `svg`.

`to_networkx` keeps every variable and every op application as a node. Pictures are
lighter (folding.py says what they show): ops are boxes, leaves and outputs are
ellipses, an unnamed intermediate value is the edge between two ops, and (`fold=True`,
the default) fused kernels and a train function's update and gradient groups are single
boxes, laid out to fit `width` pixels. `render` writes .svg with symgraph's own layout
(layout.py), .html as the interactive viewer (viewer.py), and any other format through
Graphviz's `dot` when it is installed, so inspecting a graph never needs more than
numpy, scipy and networkx.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import uuid
from typing import TYPE_CHECKING, Any

from .folding import Drawing, drawing_of
from .graph import Variable, toposort
from .graph_view import (
    leaf_kind,
    leaf_label,
    op_label,
    source_of,
    to_scalar,
    type_parts,
    view_of,
)
from .layout import LINE_H, PAGE_WIDTH, Placed, layout, place

if TYPE_CHECKING:  # networkx is imported by to_networkx, when first needed
    import networkx as nx

__all__ = ["COLOURS", "Drawing", "drawing_of", "layout", "render", "svg", "svg_of",
           "to_dot", "to_networkx", "write_atomic"]

# Fill colours per kind, shared by DOT, the built-in SVG and the viewer.
COLOURS = {"op": "#ffffff", "input": "#c8e6c9", "shared": "#bbdefb", "constant": "#eeeeee",
           "output": "#ffe0b2", "variable": "#ffffff", "fused": "#fff8e1",
           "group": "#ede7f6", "port": "#f5f5f5"}
BOXES = ("op", "fused", "group")

# ---------------------------------------------------------------- networkx


def to_networkx(obj: Any) -> nx.DiGraph:
    """One node per variable ('v0', 'v1', ...) and per op application ('n0', ...).

    Node attributes: kind ('op', 'input', 'constant', 'shared', 'variable'), is_output,
    op (str), dtype, shape, name, source ('file:line'), and for a Function's update values
    `update_of` (the shared variable's name). Edges run variable -> op -> variable, with
    `index` = the input position (into an op) or the output position (out of an op).
    """
    view = view_of(obj, "to_networkx")
    import networkx as nx  # imported when first needed, not by `import symgraph`
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


# ---------------------------------------------------------------- DOT


# ---------------------------------------------------------------- DOT


def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(obj: Any, fold: bool = True) -> str:
    """Graphviz DOT text of the picture: ops as boxes, values as ellipses coloured by
    kind; with `fold`, fused kernels and update / gradient groups as single boxes."""
    d = drawing_of(view_of(obj, "to_dot"), fold)
    return dot_text(d)


def dot_text(d: Drawing) -> str:
    """DOT for the top level of a drawing."""
    out = [f"digraph {_dot_str(d.title)} {{",
           '  graph [rankdir=TB, fontname="Helvetica"];',
           '  node [fontname="Helvetica", fontsize=10, style=filled];',
           '  edge [fontname="Helvetica", fontsize=8];']
    for n in d.nodes:
        shape = {"op": "box", "fused": "box", "group": "box3d"}.get(n.kind, "ellipse")
        style = "filled,dashed" if n.dashed else ("filled,bold" if n.kind == "output" or
                                                  n.named else "filled")
        if n.kind == "fused":
            style += ",rounded"
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


def render(obj: Any, path: str | os.PathLike, engine: str = "auto", fold: bool = True,
           width: float | None = PAGE_WIDTH) -> str:
    """Draw the graph into `path` (.svg, .html, or any format `dot -T` knows); returns path.

    .html is the interactive viewer (pan, zoom, open folded boxes, search, details), laid
    out by symgraph. Other formats: engine='auto' uses Graphviz's `dot` when it is on PATH,
    else the built-in layout (which writes .svg only); 'dot' or 'python' force one.
    `fold=False` draws every op on one level; `width` is the page width the built-in
    layout fits (None: as wide as the graph wants). The file is written atomically: a
    failure never leaves a half-written picture behind.
    """
    from .viewer import viewer_page  # viewer.py builds on this module (a real cycle)
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
    if ext in ("html", "htm"):
        data = viewer_page(obj, fold=fold, width=width).encode()
    elif dot is not None:
        data = run_dot(dot, to_dot(obj, fold), ext, "render")
    elif ext == "svg":
        data = svg(obj, fold, width).encode()
    else:
        raise RuntimeError(f"render: writing a .{ext} picture needs Graphviz's 'dot' program, "
                           f"which is not on PATH; without it render writes .svg and .html "
                           f"(install graphviz for .png, .pdf and other formats)")
    write_atomic(path, data)
    return path


def run_dot(dot: str, text: str, fmt: str, who: str) -> bytes:
    """`dot -T<fmt>` on `text`; a failure is an error naming `who` and dot's message."""
    proc = subprocess.run([dot, f"-T{fmt}"], input=text.encode(), capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{who}: `dot -T{fmt}` failed (exit {proc.returncode}): "
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


# ---------------------------------------------------------------- built-in SVG


def svg(obj: Any, fold: bool = True, width: float | None = PAGE_WIDTH) -> str:
    """The picture of a variable, a list of them or a Function as SVG text."""
    return svg_of(place(drawing_of(view_of(obj, "svg"), fold), width))


def svg_of(p: Placed | Drawing) -> str:
    """SVG of the top level of a laid-out drawing (a Drawing is laid out first)."""
    if not isinstance(p, Placed):
        p = place(p, None)
    d = p.drawing
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{p.width:.0f}" '
           f'height="{p.height:.0f}" viewBox="0 0 {p.width:.0f} {p.height:.0f}" '
           'font-family="monospace" font-size="12">',
           f"<title>{html.escape(d.title)}</title>",
           "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
           "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
           "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>"]
    shown: set[tuple[str, str]] = set()
    for (src, _, index, value), pts in zip(d.edges, p.routes, strict=True):
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
        out += _node_svg(n, p.boxes[n.key])
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _node_svg(n: Any, box: tuple[float, float, float, float]) -> list[str]:
    x, y, w, h = box
    fill = COLOURS[n.kind]
    dash = ' stroke-dasharray="4 3"' if n.dashed else ""
    heavy = n.kind == "output" or n.named
    out = [f'<g class="{n.kind}"><title>{html.escape(n.tooltip)}</title>']
    if n.kind == "group":  # a stack of boxes: there is more inside
        for off in (6, 3):
            out.append(f'<rect x="{x - w / 2 + off:.1f}" y="{y - h / 2 - off + 3:.1f}" '
                       f'width="{w - 6:.1f}" height="{h - 3:.1f}" rx="3" fill="{fill}" '
                       f'stroke="#5e35b1"/>')
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2 + 3:.1f}" width="{w - 6:.1f}" '
                   f'height="{h - 3:.1f}" rx="3" fill="{fill}" stroke="#5e35b1"/>')
    elif n.kind in BOXES:
        rx = 9 if n.kind == "fused" else 3
        stroke = "#e65100" if n.kind == "fused" else "#333"
        out.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" '
                   f'height="{h:.1f}" rx="{rx}" fill="{fill}" stroke="{stroke}"{dash}/>')
    else:
        out.append(f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" '
                   f'fill="{fill}" stroke="#333" stroke-width="{2.5 if heavy else 1}"/>')
    top = y - (len(n.lines) - 1) * LINE_H / 2 + (1.5 if n.kind == "group" else 0)
    cx = x - 3 if n.kind == "group" else x
    for i, line in enumerate(n.lines):
        bold = ' font-weight="bold"' if n.named and i == 0 else ""
        small = ' font-size="10" fill="#555"' if i > 0 and n.kind in ("fused", "group") \
            else ""
        out.append(f'<text x="{cx:.1f}" y="{top + i * LINE_H + 4:.1f}" '
                   f'text-anchor="middle"{bold}{small}>{html.escape(line)}</text>')
    out.append("</g>")
    return out


def _seg_len(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5, 24.0)


def _edge_text(a: tuple[float, float], b: tuple[float, float], t: float, text: str) -> str:
    """`text` beside the point a fraction `t` of the way from a to b."""
    x, y = a[0] + (b[0] - a[0]) * t + 4, a[1] + (b[1] - a[1]) * t + 3
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" fill="#444">'
            f"{html.escape(text)}</text>")
