"""Pictures of models (Keras 1.2's `keras.utils.visualize_util`): `plot(model, to_file)`,
`model_to_dot(model)`, and Keras 2's spelling `plot_model` (also in `vis_utils`).

One box per layer ("name: Class", with input and output shapes when `show_shapes`), an
arrow per connection, drawn by symgraph's own layered layout (symgraph.layout) as SVG, so
a model diagram needs no Graphviz and no pydot. DOT text is always available; PNG, PDF
and the other raster formats go through Graphviz's `dot` when it is installed, else the
error names Graphviz and the SVG way around it. A model in a notebook shows its summary
table and this diagram (`model_bundle`).
"""

from __future__ import annotations

import html
import os
import shutil
from typing import Any

from symgraph.display import Picture
from symgraph.drawing import dot_text, run_dot, svg_of, write_atomic
from symgraph.folding import DNode, Drawing
from symgraph.layout import PAGE_WIDTH, place

from .layer_utils import print_summary

__all__ = ["ModelDot", "model_bundle", "model_to_dot", "plot", "plot_model"]


def _layers_and_links(model: Any) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """The model's layers (input layers included, as Keras 1.2 draws a Sequential) and
    the (from, to) layer pairs of its connections."""
    nodes = getattr(model, "_summary_nodes", None)
    layers: list[Any] = []
    links: list[tuple[Any, Any]] = []
    seen: set[int] = set()

    def add(layer: Any) -> None:
        if id(layer) not in seen:
            seen.add(id(layer))
            layers.append(layer)

    for layer in model.layers:
        for node in layer.inbound_nodes:
            if nodes is not None and node not in nodes:
                continue
            for inbound in node.inbound_layers:
                if id(inbound) not in seen and inbound not in model.layers:
                    add(inbound)  # a Sequential's InputLayer
                links.append((inbound, layer))
        add(layer)
    order = {id(layer): i for i, layer in enumerate(layers)}
    layers.sort(key=lambda layer: (type(layer).__name__ != "InputLayer", order[id(layer)]))
    return layers, links


def _shape_text(layer: Any, attr: str) -> str:
    try:
        return str(getattr(layer, attr))
    except (AttributeError, RuntimeError):
        return "multiple"


def model_drawing(model: Any, show_shapes: bool = False,
                  show_layer_names: bool = True) -> Drawing:
    """The model as a symgraph Drawing: a box per layer, an edge per connection."""
    layers, links = _layers_and_links(model)
    d = Drawing(title=getattr(model, "name", None) or type(model).__name__)
    key = {id(layer): f"l{i}" for i, layer in enumerate(layers)}
    for layer in layers:
        cls = type(layer).__name__
        inner = getattr(layer, "layer", None)  # wrappers name what they wrap, as Keras does
        name = f"{layer.name}({inner.name})" if inner is not None else layer.name
        cls = f"{cls}({type(inner).__name__})" if inner is not None else cls
        lines = [f"{name}: {cls}" if show_layer_names else cls]
        if show_shapes:
            lines += [f"input:  {_shape_text(layer, 'input_shape')}",
                      f"output: {_shape_text(layer, 'output_shape')}"]
        kind = "input" if cls == "InputLayer" else "op"
        params = layer.count_params() if kind == "op" and layer.built else 0
        tip = f"{cls}, {params:,} parameters" if kind == "op" else cls
        d.nodes.append(DNode(key[id(layer)], lines, kind, tip,
                             info={"kind": "layer", "label": lines[0]}))
    for src, dst in links:
        if id(src) in key and id(dst) in key:
            d.add_edge(key[id(src)], key[id(dst)])
    return d


class ModelDot:
    """The DOT text of a model, with the parts of pydot's `Dot` that Keras users call:
    `to_string()`, `create(prog='dot', format='svg')`, `write(path, format=...)`; shows
    itself as SVG in a notebook. SVG needs nothing; other formats need Graphviz."""

    def __init__(self, drawing: Drawing, rankdir: str = "TB") -> None:
        self.drawing = drawing
        self.rankdir = rankdir

    def to_string(self) -> str:
        """The DOT text."""
        return dot_text(self.drawing).replace("rankdir=TB", f"rankdir={self.rankdir}", 1)

    def create(self, prog: str = "dot", format: str = "svg") -> bytes:
        """The picture in `format` (bytes), as pydot's `Dot.create` returns it."""
        if format == "dot":
            return self.to_string().encode()
        if format == "svg" and self.rankdir == "TB":
            return svg_of(place(self.drawing, PAGE_WIDTH)).encode()
        exe = shutil.which(prog)
        if exe is None:
            raise RuntimeError(
                f"model_to_dot(...).create(format={format!r}): drawing a model as "
                f"{format.upper()}{' with rankdir=' + self.rankdir if format == 'svg' else ''}"
                f" needs Graphviz's {prog!r} program, which is not on PATH (install "
                f"graphviz); SVG top to bottom (format='svg') needs nothing")
        return run_dot(exe, self.to_string(), format, "model_to_dot")

    def create_svg(self) -> bytes:
        """`create(format='svg')`."""
        return self.create(format="svg")

    def write(self, path: str | os.PathLike, format: str = "raw", prog: str = "dot") -> None:
        """Write the picture; `format='raw'` writes the DOT text (pydot's default)."""
        data = self.to_string().encode() if format == "raw" else self.create(prog, format)
        write_atomic(os.fspath(path), data)

    def _repr_svg_(self) -> str:
        return self.create(format="svg").decode()


def model_to_dot(model: Any, show_shapes: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB") -> ModelDot:
    """The model as DOT (Keras 1.2 returned a `pydot.Dot`; ours has the same methods)."""
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"model_to_dot: rankdir must be 'TB' or 'LR', got {rankdir!r}")
    return ModelDot(model_drawing(model, show_shapes, show_layer_names), rankdir)


def plot_model(model: Any, to_file: str | os.PathLike = "model.png", show_shapes: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB",
               _who: str = "plot_model") -> Picture:
    """Draw the model into `to_file` (.svg needs nothing; .png, .pdf, ... need Graphviz;
    no extension means .png, as in Keras) and return the picture (shown inline)."""
    dot = model_to_dot(model, show_shapes, show_layer_names, rankdir)
    path = os.fspath(to_file)
    ext = os.path.splitext(path)[1].lower().lstrip(".") or "png"
    if ext == "dot":
        dot.write(path)
        return Picture(svg=dot.create_svg().decode(), title=path)
    try:
        data = dot.create(format=ext)
    except RuntimeError as e:
        raise RuntimeError(f"{_who}: writing {path!r} needs Graphviz's 'dot' program, "
                           f"which is not on PATH; install graphviz, or draw an SVG "
                           f"(to_file='model.svg') with symgraph's own layout") from e
    write_atomic(path, data)
    if ext == "svg":
        return Picture(svg=data.decode(), title=path)
    if ext == "png":
        return Picture(png=data, title=path)
    return Picture(svg=dot.create_svg().decode(), title=path)  # a PDF does not show inline


def plot(model: Any, to_file: str | os.PathLike = "model.png", show_shapes: bool = False,
         show_layer_names: bool = True) -> Picture:
    """Keras 1.2's name for `plot_model`."""
    return plot_model(model, to_file, show_shapes, show_layer_names, _who="plot")


def model_bundle(model: Any) -> dict[str, str]:
    """Jupyter's view of a model: the summary table (as text and HTML) and its diagram."""
    lines: list[str] = []
    print_summary(model, print_fn=lines.append)
    text = "\n".join(lines)
    try:
        picture = svg_of(place(model_drawing(model, show_shapes=True), PAGE_WIDTH))
    except Exception as e:  # a model half built still shows its table
        picture = f"<p>(no diagram: {html.escape(str(e))})</p>"
    page = (f'<div class="keras-front-model"><pre style="font-size:12px">{html.escape(text)}'
            f"</pre>\n{picture}</div>")
    return {"text/html": page, "text/plain": text}
