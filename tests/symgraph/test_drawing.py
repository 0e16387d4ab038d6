"""Pictures of graphs: to_networkx, to_dot, render (built-in SVG/HTML layout, or Graphviz)."""

import os
import re
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pytest

import symgraph as sg
from symgraph import drawing
from symgraph.graph import toposort
from tests.helpers import fake_program

SVG_NS = "{http://www.w3.org/2000/svg}"


def model():
    """A small training step: inputs, shared weights, constants, a named value, updates."""
    x = sg.fmatrix("x")
    W = sg.shared(np.ones((3, 2), dtype="float32"), "W")
    b = sg.shared(np.zeros(2, dtype="float32"), "b")
    h = sg.tanh(sg.dot(x, W) + b)
    h.name = "h"
    loss = sg.mean(sg.square(h - 1.0))
    gW, gb = sg.grad(loss, [W, b])
    f = sg.function([x], loss, updates={W: W - 0.1 * gW, b: b - 0.1 * gb})
    return x, W, b, h, loss, f


# ---------------------------------------------------------------- networkx


def test_to_networkx_has_every_variable_and_apply():
    x, W, b, h, loss, _ = model()
    g = sg.to_networkx(loss)
    nodes = toposort([loss])
    variables = sg.ancestors([loss])
    assert g.number_of_nodes() == len(nodes) + len(variables)
    kinds = nx.get_node_attributes(g, "kind")
    assert sorted(k for k in kinds.values() if k == "op") == ["op"] * len(nodes)
    ops = sorted(d["op"] for _, d in g.nodes(data=True) if d["kind"] == "op")
    assert ops == sorted(str(n.op) for n in nodes)
    by_name = {d["name"]: (k, d) for k, d in g.nodes(data=True) if d["name"]}
    assert by_name["x"][1]["kind"] == "input"
    assert by_name["W"][1]["kind"] == "shared"
    assert by_name["h"][1]["kind"] == "variable" and by_name["h"][1]["op"] == "tanh"
    assert by_name["x"][1]["dtype"] == "float32" and by_name["x"][1]["shape"] == (None, None)
    assert by_name["W"][1]["shape"] == (3, 2)
    consts = [d for _, d in g.nodes(data=True) if d["kind"] == "constant"]
    assert [1.0] in [d["value"] for d in consts]
    outs = [d for _, d in g.nodes(data=True) if d["is_output"]]
    assert len(outs) == 1 and outs[0]["op"] == "mean{axis=None}"
    assert nx.is_directed_acyclic_graph(g)
    # edges alternate variable -> op -> variable, with input / output positions
    for u, v in g.edges():
        assert (kinds[u] == "op") != (kinds[v] == "op")
    dot_key = next(k for k, d in g.nodes(data=True) if d.get("op") == "dot" and
                   d["kind"] == "op")
    ins = sorted((d["index"], g.nodes[u]["name"]) for u, _, d in g.in_edges(dot_key, data=True))
    assert ins == [(0, "x"), (1, "W")]


def test_to_networkx_source_lines():
    x = sg.vector("x")
    y = sg.exp(x)
    line = y.owner.trace[1]
    g = sg.to_networkx(y)
    op = next(d for _, d in g.nodes(data=True) if d["kind"] == "op")
    assert op["source"] == f"{__file__}:{line}"


def test_to_networkx_function_marks_updates():
    *_, f = model()
    g = sg.to_networkx(f)
    updates = sorted(d["update_of"] for _, d in g.nodes(data=True) if "update_of" in d)
    assert updates == ["W", "b"]
    n_outputs = sum(d["is_output"] for _, d in g.nodes(data=True))
    assert n_outputs == 3  # the loss and two update values
    assert len([k for k, d in g.nodes(data=True) if d["kind"] == "op"]) == \
        len(f.fgraph.apply_nodes)


# ---------------------------------------------------------------- DOT

NODE_RE = re.compile(r'^  (\w+) \[label="((?:[^"\\]|\\.)*)", shape=(\w+), style="([^"]*)", '
                     r'fillcolor="(#[0-9a-f]{6})", tooltip="((?:[^"\\]|\\.)*)"\];$')
EDGE_RE = re.compile(r'^  (\w+) -> (\w+)(?: \[label="((?:[^"\\]|\\.)*)"\])?;$')


def parse_dot(text):
    """A small parser for the DOT we write: every line must be a header, node or edge."""
    lines = text.strip().splitlines()
    assert re.fullmatch(r'digraph "[^"]*" \{', lines[0])
    assert lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE_RE.match(line):
            nodes[m[1]] = {"label": m[2], "shape": m[3], "style": m[4], "fill": m[5]}
        elif m := EDGE_RE.match(line):
            edges.append((m[1], m[2], m[3] or ""))
        else:
            assert re.fullmatch(r"  (graph|node|edge) \[.*\];", line), line
    return nodes, edges


def test_to_dot_structure():
    x, W, b, h, loss, _ = model()
    nodes, edges = parse_dot(sg.to_dot(loss))
    boxes = sorted(n["label"] for n in nodes.values() if n["shape"] == "box")
    assert boxes == sorted(str(n.op) for n in toposort([loss]))
    for src, dst, _ in edges:
        assert src in nodes and dst in nodes
    labels = {n["label"]: n for n in nodes.values()}
    assert labels["x\\nf32[?,?]"]["fill"] == drawing.COLOURS["input"]
    assert labels["W\\nf32[3,2]"]["fill"] == drawing.COLOURS["shared"]
    assert labels["1.0\\nf32[]"]["fill"] == drawing.COLOURS["constant"]
    assert labels["h\\nf32[?,2]"]["shape"] == "ellipse"  # named values stay visible
    out = labels["output\\nf32[]"]
    assert out["fill"] == drawing.COLOURS["output"] and "bold" in out["style"]
    # edges into an op come in input order, labelled with the input position
    dot_op = next(k for k, n in nodes.items() if n["label"] == "dot")
    into_dot = [(nodes[s]["label"], lab) for s, d, lab in edges if d == dot_op]
    assert into_dot == [("x\\nf32[?,?]", "0"), ("W\\nf32[3,2]", "1")]
    # unnamed intermediates become edges labelled with their type
    sub_op = next(k for k, n in nodes.items() if n["label"] == "sub")
    tanh_h = [lab for s, d, lab in edges if d == sub_op]
    assert tanh_h[1] == "1"  # the constant 1.0 as input 1
    square = next(k for k, n in nodes.items() if n["label"] == "square")
    assert [(s, lab) for s, d, lab in edges if d == square] == [(sub_op, "f32[?,2]")]


def test_to_dot_function_and_escaping():
    *_, f = model()
    nodes, edges = parse_dot(sg.to_dot(f, fold=False))
    labels = [n["label"] for n in nodes.values()]
    assert "update of W\\nf32[3,2]" in labels and "update of b\\nf32[2]" in labels
    x = sg.vector('say "hi"\\')
    nodes, _ = parse_dot(sg.to_dot(sg.exp(x)))
    assert 'say \\"hi\\"\\\\\\nf32[?]' in [n["label"] for n in nodes.values()]


def test_to_dot_rejects_non_graphs():
    with pytest.raises(TypeError, match="to_dot\\(\\) takes .* got float"):
        sg.to_dot(1.5)


# ---------------------------------------------------------------- render without Graphviz


@pytest.fixture
def no_dot(monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert drawing.shutil.which("dot") is None


def svg_shapes(root):
    rects = root.findall(f".//{SVG_NS}rect")
    ellipses = root.findall(f".//{SVG_NS}ellipse")
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    return rects, ellipses, texts


def test_render_svg_builtin_layout(tmp_path, no_dot):
    x, W, b, h, loss, f = model()
    path = tmp_path / "graph.svg"
    assert sg.render(f, path, fold=False) == str(path)
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG_NS}svg"
    d = drawing.drawing_of(drawing.view_of(f, "test"), fold=False)
    rects, ellipses, texts = svg_shapes(root)
    assert len(rects) == sum(n.kind == "op" for n in d.nodes) == len(f.fgraph.apply_nodes)
    assert len(ellipses) == sum(n.kind != "op" for n in d.nodes)
    boxes = ["".join(t.text for t in g.iter(f"{SVG_NS}text"))
             for g in root.iter(f"{SVG_NS}g") if g.get("class") == "op"]
    assert sorted(boxes) == sorted(str(n.op) for n in f.fgraph.apply_nodes)  # long: wrapped
    assert "update of W" in texts and "update of b" in texts
    assert len(root.findall(f".//{SVG_NS}path")) == len(d.edges) + 1  # + arrow marker
    assert os.listdir(tmp_path) == ["graph.svg"]  # no temporary file left behind
    sg.render(loss, tmp_path / "loss.svg")
    _, _, texts = svg_shapes(ET.parse(tmp_path / "loss.svg").getroot())
    assert {"h", "x", "W", "b", "1.0", "output", "tanh", "dot"} <= set(texts)


def test_layout_points_edges_downwards_without_overlaps():
    *_, f = model()
    d = drawing.drawing_of(drawing.view_of(f, "test"), fold=False)
    size = {n.key: (60.0, 20.0) for n in d.nodes}
    pos, routes = drawing.layout([n.key for n in d.nodes], [e[:2] for e in d.edges],
                                 size)
    for (s, t, *_), route in zip(d.edges, routes, strict=True):
        ys = [pos[s][1]] + [y for _, y in route] + [pos[t][1]]
        assert ys == sorted(ys) and ys[0] < ys[-1]
    rows = {}
    for x, y in pos.values():
        rows.setdefault(y, []).append(x)
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= 60.0 for a, b in zip(xs, xs[1:], strict=False))


def test_render_html_is_the_self_contained_viewer(tmp_path, no_dot):
    *_, loss, f = model()
    path = tmp_path / "graph.html"
    sg.render(loss, path)
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    assert "<script>" in text and "symgraphViewer" in text  # the viewer, inline
    assert "<link" not in text and re.findall(r"\b(?:src|href)=", text) == []
    assert "import(" not in text and "fetch(" not in text and "XMLHttpRequest" not in text
    urls = set(re.findall(r"https?://[^\"' ]+", text))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    assert sg.debugprint(loss, file="str").splitlines()[0] in text  # the listing panel


def test_render_other_formats_need_dot(tmp_path, no_dot):
    x = sg.vector("x")
    with pytest.raises(RuntimeError, match=r"\.png picture needs Graphviz's 'dot' program.*"
                                           r"\.svg and \.html"):
        sg.render(sg.exp(x), tmp_path / "graph.png")
    with pytest.raises(RuntimeError, match="'dot' program is not on PATH"):
        sg.render(sg.exp(x), tmp_path / "graph.svg", engine="dot")
    with pytest.raises(ValueError, match="no file extension"):
        sg.render(sg.exp(x), tmp_path / "graph")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- render with Graphviz


FAKE_DOT = """import sys
fmt = sys.argv[1].removeprefix("-T")
text = sys.stdin.read()
if "FAIL" in text:
    sys.stderr.write("syntax error in line 1")
    sys.exit(1)
out = '<?xml version="1.0"?>\\n<svg xmlns="http://www.w3.org/2000/svg"><!--%s %d--></svg>' \\
    % (fmt, text.count("->"))
sys.stdout.write(out)
"""


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """A stand-in `dot` on PATH that answers with the format and the number of edges."""
    return fake_program(tmp_path, "dot", FAKE_DOT, monkeypatch)


def test_render_uses_dot_when_installed(tmp_path, fake_dot):
    x = sg.vector("x")
    y = sg.exp(x) + x
    n_edges = sg.to_dot(y).count("->")
    sg.render(y, tmp_path / "g.svg")
    assert f"<!--svg {n_edges}-->" in (tmp_path / "g.svg").read_text()
    sg.render(y, tmp_path / "g.png")
    assert f"<!--png {n_edges}-->" in (tmp_path / "g.png").read_text()
    sg.render(y, tmp_path / "g.html")  # the viewer is always laid out by symgraph
    page = (tmp_path / "g.html").read_text()
    assert "<!--svg" not in page and "symgraphViewer" in page
    sg.render(y, tmp_path / "own.svg", engine="python")  # the built-in layout on request
    assert "<rect" in (tmp_path / "own.svg").read_text()


def test_render_failure_keeps_the_old_file(tmp_path, fake_dot):
    path = tmp_path / "g.svg"
    path.write_text("old picture")
    x = sg.vector("FAIL")
    with pytest.raises(RuntimeError, match="dot -Tsvg` failed.*syntax error"):
        sg.render(sg.exp(x), path)
    assert path.read_text() == "old picture"
    assert sorted(os.listdir(tmp_path)) == ["bin", "g.svg"]


def test_write_atomic_cleans_up_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "out.svg"
    path.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(drawing.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        drawing.write_atomic(str(path), b"new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.svg"]
