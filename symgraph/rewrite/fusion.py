"""fusion: maximal groups of elementwise nodes become one Composite node (ops/composite.py).

Grouping starts at an elementwise node (visiting the graph from the outputs back) and
absorbs the elementwise nodes that produce its inputs, as long as:

- the absorbed value has no use outside the group and is not a function output: each
  Composite has ONE output, and nothing is computed twice (a value needed by two groups
  ends one group and starts or feeds another);
- the group reads at most `config.fusion_max_inputs` distinct inputs (scalar constants
  are written into the kernel and do not count).

Broadcasting ops and casts fuse like any other row. Groups of one node stay as they are
(the plain NumPy call reads better than a one-step kernel).
"""

from __future__ import annotations

import heapq

from ..config import config
from ..fgraph import OUTPUT, FunctionGraph
from ..graph import Apply, Constant, Variable, format_trace
from ..ops.composite import Composite, Ref
from ..ops.elemwise import Elemwise
from ..tensor import TensorType
from .driver import Pass, RewriteLog, RewriteRecord, expr_str
from .shape_info import same_shape


def fusable(node: Apply) -> bool:
    """An elementwise row (not the identity, which canonicalize removes) on arrays.

    0-d values (shape arithmetic, scalar losses) are NumPy scalars: plain operators on
    them cost less than a kernel call.
    """
    out = node.outputs[0]
    return isinstance(node.op, Elemwise) and node.op.scalar.name != "identity" and \
        isinstance(out.type, TensorType) and out.ndim > 0


def _inlined(v: Variable) -> bool:
    """Scalar constants are written into the kernel instead of passed in."""
    return isinstance(v, Constant) and v.data.ndim == 0


def _group(fgraph: FunctionGraph, root: Apply, rank: dict[Apply, int],
           taken: set[Apply]) -> list[Apply]:
    """The elementwise nodes to fuse with `root`, in topological order."""
    group = {root}
    externals = {v for v in root.inputs if not _inlined(v)}
    heap = [(-rank[v.owner], id(v), v) for v in root.inputs
            if v.owner is not None and v.owner in rank]
    heapq.heapify(heap)
    while heap:  # latest producer first, so all of a value's users are decided before it
        _, _, v = heapq.heappop(heap)
        n = v.owner
        if n in group or n in taken or not fusable(n):
            continue
        if any(c == OUTPUT or c not in group for c, _ in fgraph.clients.get(v, ())):
            continue
        grown = (externals - {v}) | {i for i in n.inputs if not _inlined(i)}
        if len(grown) > config.fusion_max_inputs:
            continue
        group.add(n)
        externals = grown
        for i in n.inputs:
            if i.owner is not None and i.owner in rank and i.owner not in group:
                heapq.heappush(heap, (-rank[i.owner], id(i), i))
    return sorted(group, key=rank.__getitem__)


def _composite(nodes: list[Apply]) -> tuple[Composite, list[Variable]]:
    """The Composite op computing the last of `nodes`, and its inputs."""
    produced: dict[Variable, int] = {}
    inputs: list[Variable] = []
    index: dict[Variable, int] = {}
    body = []
    for j, node in enumerate(nodes):
        refs = []
        for v in node.inputs:
            if v in produced:
                refs.append(Ref.step(produced[v]))
            elif _inlined(v):
                # the shortest text that reads back as the same value of its dtype
                refs.append(Ref.const(v.dtype, str(v.data[()])))
            else:
                if v not in index:
                    index[v] = len(inputs)
                    inputs.append(v)
                refs.append(Ref.input(index[v]))
        body.append((node.op.scalar.name, tuple(refs)))
        produced[node.outputs[0]] = j
    out = nodes[-1].outputs[0]
    full = tuple(k for k, v in enumerate(inputs) if same_shape(v, out))
    return Composite(len(inputs), tuple(body), full_inputs=full), inputs


def fuse_graph(fgraph: FunctionGraph, log: RewriteLog, pass_: Pass) -> None:
    """Replace every fusable group of two or more elementwise nodes by one Composite."""
    order = fgraph.toposort()
    rank = {node: i for i, node in enumerate(order)}
    taken: set[Apply] = set()
    for root in reversed(order):
        if root in taken or root not in fgraph.apply_nodes or not fusable(root):
            continue
        nodes = _group(fgraph, root, rank, taken)
        taken.update(nodes)
        if len(nodes) < 2:
            continue
        op, inputs = _composite(nodes)
        old = root.outputs[0]
        before = expr_str(old)
        new = op.make_node(*inputs).outputs[0]
        new.owner.trace = root.trace
        new.trace = root.trace
        new.name = old.name
        fgraph.replace(old, new, reason="fusion")
        log.append(RewriteRecord(pass_.name, "fusion", before, f"{op} ({len(nodes)} ops)",
                                 format_trace(root.trace)))


PASS = Pass("fusion", transform=fuse_graph,
            doc="groups of elementwise ops become one fused kernel (Composite)")
