"""The interactive viewer: the page's data, and the page itself driven in headless Chromium
(runs wherever Chromium is installed: .ci/run installs it; skipped, saying so, elsewhere)."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

import symgraph as sg
from symgraph.viewer import View, viewer_data, viewer_page
from tests.browser import find_chromium, png_pixels
from tests.symgraph.test_folding import momentum_mlp

CHROMIUM = find_chromium()
# .ci/run installs Chromium and sets this: there, a missing browser fails instead of skipping
REQUIRED = os.environ.get("SYMGRAPH_BROWSER_TESTS") == "required"
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED,
    reason="Chromium is not installed (apt-get install chromium); the viewer's browser "
           "tests need it")


def levels(level, depth=0):
    yield level, depth
    for n in level["nodes"]:
        if "inner" in n:
            yield from levels(n["inner"], depth + 1)


def test_viewer_data_holds_every_level_laid_out():
    f, _ = momentum_mlp()
    data = viewer_data(f)
    assert data["title"] == "train"
    kinds = set()
    for level, _ in levels(data["level"]):
        keys = {n["k"] for n in level["nodes"]}
        for n in level["nodes"]:
            kinds.add(n["kind"])
            assert n["w"] > 0 and n["h"] > 0 and 0 <= n["x"] <= level["w"]
        for e in level["edges"]:
            assert e["s"] in keys and e["t"] in keys and len(e["p"]) >= 2
            for end, port in (("s", "sp"), ("t", "tp")):
                if port in e:  # an edge continuing inside an opened box names a real port
                    inner = next(n for n in level["nodes"] if n["k"] == e[end])["inner"]
                    assert e[port] in {m["k"] for m in inner["nodes"]}
    assert {"group", "fused", "port", "op", "input", "shared"} <= kinds
    assert data["listing"] == str(f)
    assert data["nodes"] == sum(len(lv["nodes"]) for lv, _ in levels(data["level"]))


def test_viewer_page_is_safe_for_any_name():
    x = sg.vector("</script><b>x")
    page = viewer_page(sg.exp(x))
    payload = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>',
                        page, re.S).group(1)
    assert json.loads(payload)["level"]["nodes"][0]["lines"][0] == "</script><b>x"
    assert "</script><b>" not in payload


def test_view_shows_the_page_inline_in_a_sandboxed_frame(tmp_path):
    x = sg.vector("x")
    v = View(sg.exp(x) * 2)
    frame = v._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    assert "&lt;!DOCTYPE html&gt;" in frame
    assert v.save(str(tmp_path / "v.html")) == str(tmp_path / "v.html")
    assert (tmp_path / "v.html").read_text() == v.page


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser():
    from tests.browser import Chromium
    with Chromium(CHROMIUM, width=1200, height=800) as c:
        yield c


def centre(browser, selector):
    """Page coordinates of the centre of the first element matching `selector`."""
    return browser.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
        if (!e) return null; const r = e.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")


def ink(browser):
    """Pixels of the drawing area that are not the white background (a screenshot)."""
    r = browser.js("""(() => { const r = document.getElementById('canvas')
        .getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()""")
    png = browser.screenshot({"x": r[0] + 2, "y": r[1] + 2, "width": r[2] - 4,
                              "height": r[3] - 4, "scale": 0.5})  # inside the borders
    px = png_pixels(png)[..., :3]
    return int(np.count_nonzero(np.any(px < 250, axis=-1))), px.shape


@needs_chromium
def test_the_viewer_in_chromium(browser, tmp_path):
    f, _ = momentum_mlp()
    path = tmp_path / "train.html"
    sg.render(f, path)
    browser.errors.clear()
    browser.open(path.as_uri())
    assert browser.js("window.symgraphViewer && window.symgraphViewer.ready") is True
    assert browser.errors == []  # no console error, no uncaught exception

    # the picture is drawn: a screenshot has ink; an emptied canvas has none
    drawn, shape = ink(browser)
    assert shape[0] > 100 and drawn > 0.01 * shape[0] * shape[1]

    # clicking a fused kernel opens it: a frame with its steps appears
    fused = browser.js("document.querySelector('g.node.fused').getAttribute('data-path')")
    before = browser.js("document.querySelectorAll('g.node').length")
    browser.click(*centre(browser, "g.node.fused"))
    state = browser.js("symgraphViewer.state()")
    assert fused in state["opened"] and state["selected"] == fused
    assert browser.js(f"document.querySelector('g.frame[data-path=\"{fused}\"]') !== null")
    assert browser.js("document.querySelectorAll('g.node').length") > before
    panel = browser.js("document.getElementById('details').innerText")
    assert "expression" in panel and "fusion.fusion" in panel  # the rewrite that made it
    assert "test_folding.py" in panel  # the user's source line
    # clicking the frame's title closes it again
    browser.click(*centre(browser, f"g.frame[data-path='{fused}'] .frame-title"))
    assert fused not in browser.js("symgraphViewer.state().opened")

    # a group opens too
    group = browser.js("document.querySelector('g.node.group').getAttribute('data-path')")
    browser.click(*centre(browser, "g.node.group"))
    assert group in browser.js("symgraphViewer.state().opened")

    # search finds a variable by name, opens what hides it, and shows its details
    browser.js("document.getElementById('closeall').click()")
    browser.type_text("#search", "m1", enter=True)
    state = browser.js("symgraphViewer.state()")
    hit = state["selected"]
    assert hit in state["hits"] and "/" in hit  # m1 lives inside W1's update group
    assert hit.split("/")[0] in state["opened"]
    panel = browser.js("document.getElementById('details').innerText")
    assert "m1" in panel and "float32" in panel and "(5, 2)" in panel
    assert browser.js(f"document.querySelector('g.node.hit[data-path=\"{hit}\"]') !== null")

    # pan and zoom move the world, not the layout
    t0 = browser.js("document.getElementById('world').getAttribute('transform')")
    browser.call("Input.dispatchMouseEvent", type="mouseWheel", x=400, y=300, deltaX=0,
                 deltaY=-300)
    assert browser.js("document.getElementById('world').getAttribute('transform')") != t0
    assert browser.errors == []

    browser.js("document.getElementById('canvas').innerHTML = ''")
    empty, _ = ink(browser)
    assert empty == 0


@needs_chromium
def test_a_variable_graph_in_chromium(browser, tmp_path):
    x = sg.vector("x")
    w = sg.shared(np.ones(3, dtype="float32"), "w")
    loss = sg.sum(sg.exp(x * w + 1.0))
    path = tmp_path / "loss.html"
    sg.render(loss, path)
    browser.errors.clear()
    browser.open(path.as_uri())
    assert browser.errors == []
    labels = browser.js("Array.from(document.querySelectorAll('g.node text'))"
                        ".map(t => t.textContent)")
    assert {"x", "w", "exp", "sum{axis=None}"} <= set(labels)
