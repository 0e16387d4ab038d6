"""What Jupyter shows: a computed variable as SVG, a Function as its listing and picture,
and the Picture object pictures are returned as."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import symgraph as sg
from symgraph import display
from symgraph.display import Picture

SVG_NS = "{http://www.w3.org/2000/svg}"


def texts(svg):
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG_NS}text")]


def test_a_computed_variable_shows_its_graph():
    x = sg.vector("x")
    w = sg.shared(np.ones(3, dtype="float32"), "w")
    loss = sg.sum(sg.exp(x * w + 1.0))
    bundle = loss._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["text/plain"] == repr(loss)
    assert {"x", "w", "exp", "sum{axis=None}", "mul", "add"} <= set(texts(bundle["image/svg+xml"]))
    assert x._repr_mimebundle_() is None  # a leaf: its repr says it all


def test_a_function_shows_its_listing_and_its_picture():
    x = sg.vector("x")
    f = sg.function([x], sg.exp(x) * 2.0, name="double_exp")
    bundle = f._repr_mimebundle_()
    assert bundle["text/plain"] == str(f)
    page = bundle["text/html"]
    listing = re.search(r"<pre[^>]*>(.*?)</pre>", page, re.S).group(1)
    assert listing.startswith("double_exp(x:f32[?]) -&gt; (f32[?],)")
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    assert "exp(i0) * 2.0" in texts(svg)  # the fused kernel, labelled with its expression


def test_big_graphs_are_not_drawn_inline(monkeypatch):
    monkeypatch.setattr(display, "INLINE_LIMIT", 5)
    x = sg.vector("x")
    y = x
    for _ in range(6):
        y = sg.exp(y)
    bundle = y._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert "a graph of 6 ops is not drawn inline" in bundle["text/plain"]
    assert "sg.render(obj, 'graph.html')" in bundle["text/plain"]
    f = sg.function([x], y, rewrites="none")
    page = f._repr_mimebundle_()["text/html"]
    assert "<svg" not in page and "not drawn inline" in page


def test_picture_displays_and_saves(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"></svg>'
    p = Picture(svg=svg, title="t")
    assert p._repr_svg_() == svg and p._repr_png_() is None
    assert p.size == (120, 80) and repr(p) == "<Picture t 120x80 svg>"
    assert p.save(tmp_path / "a.svg") == str(tmp_path / "a.svg")
    assert (tmp_path / "a.svg").read_text() == svg
    with pytest.raises(ValueError, match=r"this picture is SVG; save it as \.svg"):
        p.save(tmp_path / "a.png")
    q = Picture(png=b"\x89PNG...")
    assert q._repr_png_() == b"\x89PNG..." and q._repr_svg_() is None
    with pytest.raises(ValueError, match="needs SVG text or PNG bytes"):
        Picture()
