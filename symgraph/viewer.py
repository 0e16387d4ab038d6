"""The interactive graph viewer (the role of Theano's d3viz): one self-contained HTML file.

`render(f, 'f.html')` writes it; `view(f)` shows it inside a notebook. The page holds the
script and style inline (assets/viewer.js, assets/viewer.css) and the graph as JSON: every
level of the folded drawing (folding.py), laid out here once by layout.py, so the
browser never lays anything out. Opening a fused kernel or a group stretches the picture
around it to make room (the plane is cut at the box's centre lines and the far side
moved by the growth), which keeps every other node where the eye left it.

No network: no CDN, no font, no request of any kind; the file works from disk, offline,
and from a notebook output.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from .drawing import COLOURS, write_atomic
from .folding import Drawing, drawing_of
from .graph_view import view_of
from .layout import CHAR_W, FRAME_PAD, FRAME_TOP, LINE_H, PAGE_WIDTH, Placed, place
from .printing import function_listing, tree_text

ASSETS = Path(__file__).resolve().parent / "assets"

__all__ = ["View", "view", "viewer_data", "viewer_page"]


def viewer_data(obj: Any, fold: bool = True, width: float | None = PAGE_WIDTH) -> dict:
    """The page's JSON: the laid-out levels, colours and metrics, and a text listing."""
    view = view_of(obj, "render")
    d = drawing_of(view, fold)
    placed = place(d, width, deep=True)
    listing = function_listing(view.function) if view.function is not None else \
        tree_text(view)
    return {"title": d.title, "colours": COLOURS, "level": _level(placed),
            "metrics": {"char_w": CHAR_W, "line_h": LINE_H, "frame_top": FRAME_TOP,
                        "frame_pad": FRAME_PAD},
            "listing": listing, "nodes": d.count()}


def _level(p: Placed) -> dict:
    d: Drawing = p.drawing
    links = d.links
    nodes = []
    for n in d.nodes:
        x, y, w, h = p.boxes[n.key]
        item: dict[str, Any] = {"k": n.key, "x": round(x, 1), "y": round(y, 1),
                                "w": round(w, 1), "h": round(h, 1), "kind": n.kind,
                                "lines": n.lines, "tip": n.tooltip, "info": n.info}
        if n.named:
            item["named"] = 1
        if n.dashed:
            item["dashed"] = 1
        if n.key in p.inner:
            item["inner"] = _level(p.inner[n.key])
        nodes.append(item)
    edges = []
    for i, ((src, dst, index, value), pts) in enumerate(zip(d.edges, p.routes, strict=True)):
        e: dict[str, Any] = {"s": src, "t": dst,
                             "p": [[round(x, 1), round(y, 1)] for x, y in pts]}
        if index:
            e["i"] = index
        if value:
            e["v"] = value
        sp, tp = links.get(i, (None, None))
        if sp:
            e["sp"] = sp
        if tp:
            e["tp"] = tp
        edges.append(e)
    return {"title": d.title, "w": round(p.width, 1), "h": round(p.height, 1),
            "nodes": nodes, "edges": edges}


def viewer_page(obj: Any, fold: bool = True, width: float | None = PAGE_WIDTH) -> str:
    """The whole self-contained HTML page of the viewer."""
    data = viewer_data(obj, fold, width)
    # JSON inside <script>: "</" must not close the element early.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    script = (ASSETS / "viewer.js").read_text("utf-8")
    style = (ASSETS / "viewer.css").read_text("utf-8")
    title = html.escape(data["title"])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<title>symgraph: {title}</title>\n<style>\n{style}</style>\n</head>\n<body>\n"
        "<div id=\"bar\"><b>symgraph</b> <span id=\"title\"></span>"
        "<input id=\"search\" type=\"search\" placeholder=\"search names and ops\" "
        "autocomplete=\"off\"><span id=\"hits\"></span>"
        "<button id=\"fit\" title=\"fit the picture to the window\">fit</button>"
        "<button id=\"openall\">open all</button><button id=\"closeall\">close all</button>"
        "<span id=\"legend\"></span></div>\n"
        "<div id=\"main\"><svg id=\"canvas\" xmlns=\"http://www.w3.org/2000/svg\"></svg>"
        "<div id=\"panel\"><div id=\"details\">Click a box or an ellipse for details; "
        "click a fused kernel or a group to open it. Drag to pan, wheel to zoom.</div>"
        "<details id=\"listing\"><summary>listing</summary><pre></pre></details></div></div>\n"
        f"<script id=\"graph-data\" type=\"application/json\">{payload}</script>\n"
        f"<script>\n{script}</script>\n</body></html>\n")


class View:
    """The viewer inside a notebook (an iframe holding the page; nothing is fetched)."""

    def __init__(self, obj: Any, fold: bool = True, width: float | None = PAGE_WIDTH,
                 height: int = 600) -> None:
        self.page = viewer_page(obj, fold, width)
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
                f'style="width:100%;height:{self.height}px;border:1px solid #ddd" '
                'sandbox="allow-scripts"></iframe>')

    def save(self, path: str) -> str:
        """Write the page to `path` (atomically); returns the path."""
        write_atomic(path, self.page.encode())
        return path


def view(obj: Any, fold: bool = True, width: float | None = PAGE_WIDTH,
         height: int = 600) -> View:
    """The interactive viewer of a graph or Function, shown inline by Jupyter."""
    return View(obj, fold, width, height)
