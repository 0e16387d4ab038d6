"""The layered layout: rows packed within a page width, no overlaps, edges downwards, and
the per-row placement solving its least-squares problem exactly."""

import itertools
import re

import networkx as nx
import numpy as np
import pytest

import symgraph as sg
from symgraph import layout as L
from symgraph.examples import build_mlp_sgd, init_mlp


def check_layout(keys, edges, size, pos, routes):
    rows = {}
    for k, (x, y) in pos.items():
        rows.setdefault(y, []).append((x - size[k][0] / 2, x + size[k][0] / 2))
    for spans in rows.values():
        spans.sort()
        for (_, right), (left, _) in zip(spans, spans[1:], strict=False):
            assert left - right >= 2 * L.DUMMY_GAP - 1e-6  # boxes in a row never overlap
    for (s, t), route in zip(edges, routes, strict=True):
        ys = [pos[s][1]] + [y for _, y in route] + [pos[t][1]]
        assert ys == sorted(ys) and ys[0] < ys[-1]  # every edge points down


def random_dag(n, seed):
    rng = np.random.default_rng(seed)
    keys = [f"k{i}" for i in range(n)]
    edges = [(keys[a], keys[b]) for b in range(1, n)
             for a in rng.choice(b, size=min(b, int(rng.integers(1, 3))), replace=False)]
    size = {k: (float(rng.integers(40, 200)), 25.0) for k in keys}
    return keys, edges, size


@pytest.mark.parametrize("seed", range(4))
def test_layout_fits_the_page_width(seed):
    keys, edges, size = random_dag(120, seed)
    wide, _ = L.layout(keys, edges, size)
    assert max(x + size[k][0] / 2 for k, (x, _) in wide.items()) > 600  # it wants more
    pos, routes = L.layout(keys, edges, size, max_width=600)
    check_layout(keys, edges, size, pos, routes)
    assert max(x + size[k][0] / 2 for k, (x, _) in pos.items()) + L.MARGIN <= 600
    # edges still respect the graph's order: a topological order of the rows
    layer_of = {k: y for k, (_, y) in pos.items()}
    for s, t in edges:
        assert layer_of[s] < layer_of[t]
    assert nx.is_directed_acyclic_graph(nx.DiGraph(edges))


def exact_placement(want, gaps, lo, hi):
    """The least-squares placement by brute force: try every set of active constraints
    (x[i+1] - x[i] = gap, x[0] = lo, x[-1] = hi), solve that equality-constrained problem
    with a KKT system, keep the best feasible answer."""
    n = len(want)
    rows = [(np.eye(n)[i + 1] - np.eye(n)[i], g) for i, g in enumerate(gaps)]
    rows += [(np.eye(n)[0], lo), (-np.eye(n)[-1], -hi)]
    best, best_cost = None, np.inf
    for mask in itertools.product([0, 1], repeat=len(rows)):
        active = [r for r, on in zip(rows, mask, strict=True) if on]
        a = np.array([r[0] for r in active]).reshape(len(active), n)
        b = np.array([r[1] for r in active])
        kkt = np.block([[2 * np.eye(n), a.T], [a, np.zeros((len(active), len(active)))]])
        try:
            sol = np.linalg.solve(kkt, np.concatenate([2 * want, b]))
        except np.linalg.LinAlgError:
            continue
        x = sol[:n]
        if all(r @ x >= c - 1e-9 for r, c in rows):
            cost = np.sum((x - want) ** 2)
            if cost < best_cost - 1e-12:
                best, best_cost = x, cost
    return best


@pytest.mark.parametrize("seed", range(6))
def test_fit_row_is_the_least_squares_placement(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    want = list(rng.uniform(0, 300, n))
    widths = list(rng.uniform(10, 80, n))
    limit = float(rng.uniform(sum(widths) + n * L.GAP_X, 500))
    got = L.fit_row(want, widths, limit)
    gaps = [(widths[i] + widths[i + 1]) / 2 + L.GAP_X for i in range(n - 1)]
    best = exact_placement(np.array(want), gaps, widths[0] / 2, limit - widths[-1] / 2)
    for i in range(n - 1):
        assert got[i + 1] - got[i] >= gaps[i] - 1e-9
    assert got[0] - widths[0] / 2 >= -1e-9 and got[-1] + widths[-1] / 2 <= limit + 1e-9
    np.testing.assert_allclose(got, best, atol=1e-6)


def picture_size(obj, **kw):
    m = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', sg.drawing.svg(obj, **kw))
    return int(m.group(1)), int(m.group(2))


def test_the_mlp_train_picture_fits_a_page_when_folded():
    step = build_mlp_sgd(init_mlp((784, 64, 64, 10)))
    w, h = picture_size(step.train)
    assert w <= L.PAGE_WIDTH
    full_w, _ = picture_size(step.train, fold=False, width=None)
    assert full_w > w  # the full graph is one option away, and wider
    narrow_w, _ = picture_size(step.train, width=600)
    assert narrow_w <= 600
