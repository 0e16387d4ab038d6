"""Pictures in notebooks: what Jupyter shows for a graph, a compiled Function, and the
`Picture` object that pictures are returned as.

Jupyter asks an object for `_repr_mimebundle_`; graph.py's Variable and function.py's
Function answer with the functions here: a computed variable shows its (folded) graph as
SVG, a Function its typed listing above its picture. Big graphs are not drawn inline
(laying out thousands of boxes would stall the notebook): they say how to open the
viewer instead.
"""

from __future__ import annotations

import html
import os
import re
from typing import Any

from .drawing import svg, write_atomic
from .graph import Variable, toposort

# Graphs with more ops than this show text and a hint instead of an inline picture.
INLINE_LIMIT = 1500


class Picture:
    """An image (SVG text and/or PNG bytes) that displays itself in Jupyter and can be
    saved: what `plot_model`, `plot_history` and friends return."""

    def __init__(self, svg: str | None = None, png: bytes | None = None,
                 title: str = "") -> None:
        if svg is None and png is None:
            raise ValueError("Picture needs SVG text or PNG bytes")
        self.svg, self.png, self.title = svg, png, title

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) in pixels of the SVG, when it says."""
        m = self.svg and re.search(r'<svg [^>]*?width="([\d.]+)(?:pt|px)?" '
                                   r'height="([\d.]+)(?:pt|px)?"', self.svg)
        return (round(float(m.group(1))), round(float(m.group(2)))) if m else None

    def _repr_svg_(self) -> str | None:
        return self.svg

    def _repr_png_(self) -> bytes | None:
        return self.png if self.svg is None else None

    def save(self, path: str | os.PathLike) -> str:
        """Write the picture (.svg or .png, whichever it holds) atomically; returns path."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext == ".svg" and self.svg is not None:
            write_atomic(path, self.svg.encode())
        elif ext == ".png" and self.png is not None:
            write_atomic(path, self.png)
        else:
            has = "SVG" if self.svg is not None else "PNG"
            raise ValueError(f"Picture.save: this picture is {has}; save it as "
                             f".{has.lower()}, not {path!r}")
        return path

    def __repr__(self) -> str:
        kind = "svg" if self.svg is not None else "png"
        size = f" {self.size[0]}x{self.size[1]}" if self.size else ""
        return f"<Picture{' ' + self.title if self.title else ''}{size} {kind}>"


def _too_big(roots: list[Variable]) -> str | None:
    n = len(toposort(roots))
    if n <= INLINE_LIMIT:
        return None
    return (f"(a graph of {n} ops is not drawn inline; sg.render(obj, 'graph.html') "
            f"writes the interactive viewer, sg.render(obj, 'graph.svg') the picture)")


def variable_bundle(v: Variable) -> dict[str, str] | None:
    """Jupyter's view of a variable: its graph as SVG (leaves show as text)."""
    if v.owner is None:
        return None
    hint = _too_big([v])
    if hint:
        return {"text/plain": f"{v!r}\n{hint}"}
    return {"image/svg+xml": svg(v), "text/plain": repr(v)}


def function_bundle(f: Any) -> dict[str, str]:
    """Jupyter's view of a compiled Function: the listing, then the folded picture."""
    listing = str(f)
    hint = _too_big(list(f.fgraph.outputs))
    picture = f"<p>{html.escape(hint)}</p>" if hint else svg(f)
    page = (f'<div class="symgraph-function"><pre style="font-size:12px">'
            f"{html.escape(listing)}</pre>\n{picture}</div>")
    return {"text/html": page, "text/plain": listing}
