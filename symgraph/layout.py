"""Layered layout of a DAG (Sugiyama style), in pure Python on networkx, and the geometry
of a nested `Drawing` (folding.py): every level laid out once, so the static SVG shows the
top level and the viewer can open any box without laying anything out in the browser.

Steps: layers (longest path; with a width budget, a node that does not fit in its layer
moves down to the next one with room, so a picture fits a page width); a dummy node per
layer crossed by a long edge, so edges bend around boxes; barycenter ordering sweeping
down and up; then x positions: each node as close as possible to the mean of its
neighbours, keeping order and gaps (isotonic regression per layer, solved exactly by
pool-adjacent-violators).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # folding.py builds the drawings; only its types are needed here
    import networkx as nx

    from .folding import DNode, Drawing

# Text metrics shared with the SVG writer and the viewer (monospace, 12 px).
CHAR_W, LINE_H, PAD = 7.2, 15.0, 10.0
GAP_X, GAP_Y, MARGIN = 24.0, 46.0, 20.0
# Pictures fit this width by default (a notebook's output area, a printed page).
PAGE_WIDTH = 960.0
DUMMY_W = 8.0
DUMMY_GAP = 6.0  # between an edge's bend and its neighbours: bundles of edges stay narrow
LABEL_ROOM = 60.0  # right of the rightmost box, for the labels of edges leaving it
# Space inside an opened group above its content (title) and around it.
FRAME_TOP, FRAME_PAD = 24.0, 12.0

Point = tuple[float, float]


def node_size(n: DNode) -> tuple[float, float]:
    """Width and height of a node's box or ellipse from its label lines."""
    w = max(len(s) for s in n.lines) * CHAR_W + 2 * PAD
    if n.kind not in ("op", "fused", "group"):
        w += 16  # ellipses need room at the sides (more when their top line is long)
        if len(n.lines) > 1:
            w = w * 1.12 + 6
    h = len(n.lines) * LINE_H + PAD
    if n.kind == "group":
        w, h = w + 8, h + 6  # drawn as a stacked box
    return w, h


@dataclass
class Placed:
    """A laid-out drawing: node boxes (centre x, y, width, height), edge polylines, size,
    and the placements of the drawings inside its fused kernels and groups."""

    drawing: Drawing
    boxes: dict[str, tuple[float, float, float, float]]
    routes: list[list[Point]]
    width: float
    height: float
    inner: dict[str, Placed] = field(default_factory=dict)


def place(d: Drawing, max_width: float | None = PAGE_WIDTH, deep: bool = False) -> Placed:
    """Lay out `d` (and, with `deep`, every drawing nested in it) within `max_width`."""
    size = {n.key: node_size(n) for n in d.nodes}
    pos, routes = layout([n.key for n in d.nodes], [(e[0], e[1]) for e in d.edges], size,
                         max_width=None if max_width is None else max_width - LABEL_ROOM)
    boxes = {k: (x, y, *size[k]) for k, (x, y) in pos.items()}
    edge_points = []
    for (src, dst, _, _), points, (k, n) in zip(d.edges, routes, _ports(d), strict=True):
        x0, y0, _, h0 = boxes[src]
        x1, y1, w1, h1 = boxes[dst]
        spread = min(w1 * 0.6 / max(n, 1), 40.0)
        entry = (x1 + (k - (n - 1) / 2) * spread, y1 - h1 / 2)
        edge_points.append([(x0, y0 + h0 / 2), *points, entry])
    all_x = [x + w / 2 for x, _, w, _ in boxes.values()] + \
        [x for pts in edge_points for x, _ in pts]
    width = max(all_x, default=0) + MARGIN + LABEL_ROOM
    height = max((y + h / 2 for _, y, _, h in boxes.values()), default=0) + MARGIN
    placed = Placed(d, boxes, edge_points, width, height)
    if deep:
        for n in d.nodes:
            if n.inner is not None:
                placed.inner[n.key] = place(n.inner, max_width, deep=True)
    return placed


def _ports(d: Drawing) -> list[tuple[int, int]]:
    """Per edge: (its position among the edges into its target, how many there are), so
    inputs enter a box side by side, in input order."""
    count: dict[str, int] = {}
    ports = []
    for e in d.edges:
        ports.append(count.get(e[1], 0))
        count[e[1]] = ports[-1] + 1
    return [(k, count[e[1]]) for k, e in zip(ports, d.edges, strict=True)]


# ---------------------------------------------------------------- layers


def _layers(g: nx.DiGraph, keys: list[str], width: dict[str, float],
            budget: float | None) -> dict[str, int]:
    """Layer per node: longest path from the sources; leaves just above their first use;
    with a budget, a layer whose nodes would be wider than it pushes the rest down."""
    layer: dict[str, int] = {}
    import networkx as nx
    for i, gen in enumerate(nx.topological_generations(g)):
        for k in gen:
            layer[k] = i
    leaves = [k for k in keys if g.in_degree(k) == 0 and g.out_degree(k) > 0]
    if budget is None:
        for k in leaves:
            layer[k] = min(layer[s] for s in g.successors(k)) - 1
        return layer
    used: dict[int, float] = {}
    placed: dict[str, int] = {}
    leaf_set = set(leaves)

    def put(k: str, lay: int) -> int:
        """The first layer at or below `lay` with room for k (an empty one always has)."""
        while used.get(lay, 0.0) > 0 and used[lay] + width[k] > budget:
            lay += 1
        placed[k] = lay
        used[lay] = used.get(lay, 0.0) + width[k] + GAP_X
        return lay

    # Ops in longest-path order, each in the first layer below its inputs with room; a
    # leaf goes just above the first op that uses it, pushing that op down if need be.
    rank = {k: i for i, k in enumerate(keys)}
    for k in sorted((k for k in keys if k not in leaf_set), key=lambda k: (layer[k], rank[k])):
        lay = max((placed[p] + 1 for p in g.predecessors(k) if p in placed), default=0)
        new_leaves = [p for p in g.predecessors(k) if p in leaf_set and p not in placed]
        for p in new_leaves:
            lay = max(lay, put(p, max(lay - 1, 0)) + 1)
        put(k, lay)
    low = min(placed.values(), default=0)
    return {k: v - low for k, v in placed.items()}


def layout(keys: list[str], edges: list[tuple[str, str]],
           size: dict[str, tuple[float, float]], sweeps: int | None = None,
           max_width: float | None = None,
           ) -> tuple[dict[str, tuple[float, float]], list[list[Point]]]:
    """Centre (x, y) per node and the bend points of each edge (see the module docstring).

    With `max_width`, layers are filled up to that width (tried again narrower if dummy
    nodes of long edges still make the picture too wide).
    """
    import networkx as nx  # imported when first needed, not by `import symgraph`
    g = nx.DiGraph()
    g.add_nodes_from(keys)
    g.add_edges_from(edges)
    width = {k: size[k][0] for k in keys}
    if sweeps is None:  # more ordering sweeps where they are cheap
        sweeps = 8 if len(keys) < 2000 else 4
    budget = max_width
    for _ in range(4):
        pos, routes = _place(g, keys, edges, size, width, budget, sweeps)
        span = max((x + width[k] / 2 for k, (x, _) in pos.items()), default=0) + MARGIN
        if max_width is None or span <= max_width or budget is None:
            break
        widest = max(width.values(), default=0)
        if budget <= widest:
            break
        budget = max(widest, budget - (span - max_width) - GAP_X)
    return pos, routes


def _place(g: nx.DiGraph, keys: list[str], edges: list[tuple[str, str]],
           size: dict[str, tuple[float, float]], width: dict[str, float],
           budget: float | None, sweeps: int,
           ) -> tuple[dict[str, tuple[float, float]], list[list[Point]]]:
    layer = _layers(g, keys, width, None if budget is None else budget - 2 * MARGIN)
    # Dummy chains for long edges; `up`/`down` are the per-layer neighbour lists.
    up: dict[str, list[str]] = {k: [] for k in keys}
    down: dict[str, list[str]] = {k: [] for k in keys}
    # Dummies grow with edge length; a budget linear in the graph keeps big pictures
    # linear too (the longest edges beyond it are drawn straight).
    dummies = 4 * len(keys) + 400
    spans = sorted(range(len(edges)), key=lambda e: layer[edges[e][1]] - layer[edges[e][0]])
    routed: set[int] = set()
    for e in spans:
        dummies -= layer[edges[e][1]] - layer[edges[e][0]] - 1
        if dummies < 0:
            break
        routed.add(e)
    chains: list[list[str]] = []
    for e, (s, t) in enumerate(edges):
        chain, prev = [], s
        if e in routed:
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
    _order(rows, up, down, sweeps)
    w = {k: width.get(k, DUMMY_W) for k in layer}
    xs = _x_positions(rows, up, down, w, sweeps,
                      None if budget is None else budget - 2 * MARGIN)
    left = min((xs[k] - w[k] / 2 for k in xs), default=0.0)
    heights = [max((size[k][1] for k in row if k in size), default=0.0) for row in rows]
    ys, y = [], MARGIN
    for h in heights:
        ys.append(y + h / 2)
        y += h + GAP_Y
    pos = {k: (xs[k] - left + MARGIN, ys[layer[k]]) for k in xs}
    routes = [[pos[k] for k in chain] for chain in chains]
    return {k: pos[k] for k in keys}, routes


def _order(rows: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]],
           sweeps: int) -> None:
    """Order each layer by the barycenter of its neighbours, sweeping down and up."""
    index = {k: i for row in rows for i, k in enumerate(row)}
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        nbrs = up if downward else down
        seq = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for li in seq:

            def bary(k: str, nbrs: dict[str, list[str]] = nbrs) -> float:
                ns = nbrs[k]
                return sum(index[n] for n in ns) / len(ns) if ns else index[k]

            rows[li].sort(key=bary)
            for i, k in enumerate(rows[li]):
                index[k] = i


def _x_positions(rows: list[list[str]], up: dict[str, list[str]],
                 down: dict[str, list[str]], w: dict[str, float], sweeps: int,
                 limit: float | None) -> dict[str, float]:
    """x per node: near its neighbours' mean, in order, gaps kept (see `fit_row`)."""
    xs: dict[str, float] = {}
    w_real = {k for k in w if not k.startswith("\x00")}
    for row in rows:
        x = 0.0
        for k in row:
            xs[k] = x + w[k] / 2
            x += w[k] + GAP_X
    for sweep in range(sweeps):
        nbrs = up if sweep % 2 == 0 else down
        for row in rows if sweep % 2 == 0 else reversed(rows):
            want = [sum(xs[n] for n in nbrs[k]) / len(nbrs[k]) if nbrs[k] else xs[k]
                    for k in row]
            gaps = [GAP_X if a in w_real and b in w_real else DUMMY_GAP
                    for a, b in zip(row, row[1:], strict=False)]
            for k, x in zip(row, fit_row(want, [w[k] for k in row], limit, gaps),
                            strict=True):
                xs[k] = x
    return xs


def fit_row(want: list[float], widths: list[float], limit: float | None,
            gaps: list[float] | None = None) -> list[float]:
    """Centres closest (least squares) to `want`, in the same order, with `gaps` (default
    GAP_X) between neighbours and everything within [0, limit]: isotonic regression on
    x_i - offset_i, solved by pool-adjacent-violators."""
    n = len(want)
    if n == 0:
        return []
    offset = [widths[0] / 2]
    for i in range(1, n):
        gap = GAP_X if gaps is None else gaps[i - 1]
        offset.append(offset[-1] + (widths[i - 1] + widths[i]) / 2 + gap)
    target = [want[i] - offset[i] for i in range(n)]
    # Pool adjacent violators: blocks of (sum, count), merged while means decrease.
    sums: list[float] = []
    counts: list[int] = []
    for t in target:
        sums.append(t)
        counts.append(1)
        while len(sums) > 1 and sums[-2] / counts[-2] > sums[-1] / counts[-1]:
            s, c = sums.pop(), counts.pop()
            sums[-1] += s
            counts[-1] += c
    y: list[float] = []
    for s, c in zip(sums, counts, strict=True):
        y += [s / c] * c
    hi = None if limit is None else max(0.0, limit - offset[-1] - widths[-1] / 2)
    lo = 0.0
    if hi is not None and hi < lo:
        hi = lo
    return [min(max(v, lo), hi if hi is not None else v) + offset[i]
            for i, v in enumerate(y)]
