"""What folded pictures show: fused kernels as one box, a train function's per-weight
update and shared gradient groups, leaves beside each use, ports where edges cross."""

import re

import numpy as np

import symgraph as sg
from symgraph.folding import drawing_of, fit_label, update_groups
from symgraph.graph import toposort
from symgraph.graph_view import view_of
from symgraph.ops.composite import Composite


def momentum_mlp():
    """Two dense layers trained by SGD with momentum: two weights, two accumulators."""
    x = sg.fmatrix("x")
    y = sg.fmatrix("y")
    rng = np.random.default_rng(0)
    W0 = sg.shared(rng.normal(size=(4, 5)).astype("float32"), "W0")
    W1 = sg.shared(rng.normal(size=(5, 2)).astype("float32"), "W1")
    m0 = sg.shared(np.zeros((4, 5), "float32"), "m0")
    m1 = sg.shared(np.zeros((5, 2), "float32"), "m1")
    h = sg.tanh(sg.dot(x, W0) + 0.5)
    h.name = "h"
    loss = sg.mean(sg.square(sg.dot(h, W1) - y))
    g0, g1 = sg.grad(loss, [W0, W1])
    updates = []
    for W, m, g in ((W0, m0, g0), (W1, m1, g1)):
        v = 0.9 * m - 0.1 * g
        updates += [(m, v), (W, W + v)]
    return sg.function([x, y], loss, updates=updates, name="train"), (W0, W1, m0, m1)


def test_update_groups_follow_the_weights_and_their_accumulators():
    f, _ = momentum_mlp()
    view = view_of(f, "test")
    order = toposort(view.roots)
    member, groups = update_groups(view, order)
    labels = {g["label"][0]: g for g in groups}
    # m's new value is needed by W's update only: m joins W's family (one box per weight)
    assert "update of W0" in labels and "update of W1" in labels
    assert labels["update of W0"]["label"][1] == "with m0"
    assert not any(lab.startswith("update of m") for lab in labels)
    # a node belongs to a group exactly when no output needs it
    needed = set(toposort(view.roots[:1]))
    assert set(member) == set(order) - needed
    # the backward pass shared by both weights is its own group
    assert [g["label"][0] for g in groups] == ["update of W0", "gradient for W0, W1",
                                               "update of W1"]
    shared = {n for n, g in member.items() if groups[g]["label"][0].startswith("gradient")}
    w0 = {n for n, g in member.items() if groups[g]["label"][0] == "update of W0"}
    w1 = {n for n, g in member.items() if groups[g]["label"][0] == "update of W1"}
    up0, up1 = set(toposort(view.roots[1:3])), set(toposort(view.roots[3:5]))
    assert shared == (up0 & up1) - needed
    assert w0 == up0 - up1 - needed and w1 == up1 - up0 - needed
    for g in groups:
        assert g["label"][-1] == f"{g['ops']} ops"


def test_folded_function_hides_groups_behind_boxes_with_ports():
    f, _ = momentum_mlp()
    top = drawing_of(view_of(f, "test"))
    boxes = [n for n in top.nodes if n.kind == "group"]
    assert {n.lines[0] for n in boxes} >= {"update of W0", "update of W1"}
    for b in boxes:
        inner = b.inner
        assert inner is not None and b.key.startswith("g")
        ops = [n for n in inner.nodes if n.kind in ("op", "fused")]
        assert int(b.lines[-1].split()[0]) == len(ops)
        # every top-level edge into the box continues at one of its input ports
        ports = {n.key for n in inner.nodes if n.kind == "port"}
        for i, (src, dst, _, _) in enumerate(top.edges):
            if dst == b.key:
                assert top.links[i][1] in ports
            if src == b.key:
                assert top.links[i][0] in ports
    # the updates' results are inside their groups: no "update of" ellipse on top
    assert not any(n.kind == "output" and "update of" in " ".join(n.lines) for n in top.nodes)
    # all ops are somewhere: top, a group, or (as a fused kernel) one box
    n_ops = sum(n.kind in ("op", "fused") for n in top.nodes) + \
        sum(n.kind in ("op", "fused") for b in boxes for n in b.inner.nodes)
    assert n_ops == len(f.fgraph.apply_nodes)


def test_full_picture_is_flat():
    f, _ = momentum_mlp()
    d = drawing_of(view_of(f, "test"), fold=False)
    assert {n.kind for n in d.nodes} <= {"op", "input", "shared", "constant", "output",
                                         "variable"}
    assert sum(n.kind == "op" for n in d.nodes) == len(f.fgraph.apply_nodes)
    assert d.count() == len(d.nodes)


def test_fused_kernel_is_one_box_that_opens_into_its_steps():
    x = sg.vector("x")
    w = sg.vector("w")
    f = sg.function([x, w], sg.exp(x * w + 1.0))
    (node,) = f.fgraph.apply_nodes
    assert isinstance(node.op, Composite)
    d = drawing_of(view_of(f, "test"))
    (box,) = [n for n in d.nodes if n.kind == "fused"]
    assert box.lines[0] == node.op.expression() == "exp(i0 * i1 + 1.0)"
    assert box.lines[1] == "fused · 3 ops"
    assert node.op.expression() in box.tooltip  # the whole expression on hover
    steps = [n.lines[0] for n in box.inner.nodes if n.kind == "op"]
    assert steps == ["mul", "add", "exp"]
    ports = [n.lines[0] for n in box.inner.nodes if n.kind == "port"]
    assert ports == ["i0", "i1", "result"]
    consts = [n.lines[0] for n in box.inner.nodes if n.kind == "constant"]
    assert consts == ["1.0"]
    # edges into the box continue at the matching input port
    into = sorted(d.links[i][1] for i, e in enumerate(d.edges) if e[1] == box.key)
    assert into == ["i0", "i1"]


def test_long_expressions_are_cut_when_folded_and_wrapped_when_full():
    text = "a" * 95
    assert fit_label(text, True) == ["a" * 39 + "…"]
    assert fit_label(text, False) == ["a" * 40, "a" * 40, "a" * 15]
    assert fit_label("short", True) == ["short"]


def test_leaves_are_drawn_beside_each_use_when_folded():
    x = sg.vector("x")
    lr = sg.shared(np.float32(0.1), "lr")
    y = sg.exp(x * lr) + sg.log(x + lr) * sg.sin(x - lr)
    folded = drawing_of(view_of(y, "test"))
    full = drawing_of(view_of(y, "test"), fold=False)
    assert [n.lines[0] for n in full.nodes].count("lr") == 1
    copies = [n for n in folded.nodes if n.lines[0] == "lr"]
    assert len(copies) == 3 and all(n.named for n in copies)
    assert all("used by 3 ops" in n.tooltip for n in copies)
    # each copy feeds exactly one op
    for n in copies:
        assert sum(e[0] == n.key for e in folded.edges) == 1


def test_named_values_are_emphasized_in_the_svg():
    f, _ = momentum_mlp()
    svg = sg.drawing.svg(f)
    # the user's name 'h' is a bold ellipse; constants are not
    assert re.search(r'stroke-width="2.5"/>\s*<text[^>]*font-weight="bold">h</text>', svg)
    assert 'font-weight="bold">0.9<' not in svg


def test_node_info_names_the_user_line_and_the_rewrites():
    x = sg.vector("x")
    y = sg.exp(x) + sg.exp(x) * (sg.constant(2.0) * 3.0)  # line L
    line = y.owner.trace[1]
    f = sg.function([x], y)
    d = drawing_of(view_of(f, "test"))
    (box,) = [n for n in d.nodes if n.kind == "fused"]
    assert box.info["source"] == f"{__file__}:{line}"
    assert "sg.exp(x) + sg.exp(x)" in box.info["line"]
    assert any(r.startswith("fusion.fusion:") for r in box.info["rewrites"])
    for r in box.info["rewrites"]:
        assert r in [str(rec) for rec in f.rewrite_log]
