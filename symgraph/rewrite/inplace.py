"""inplace: ops write their result into an input's buffer when nothing else can see it.

Runs last, on the final graph (after fusion), because only then is it known which values
are still needed. A node may overwrite its input v when, following aliases (view_map,
destroy_map, ifelse passing a branch through: `symgraph/alias.py`):

- the buffer behind v was allocated by an op of this graph (never a function input, a
  shared variable's or a constant's storage: a shared variable's array is never written
  during a call, so a call that fails leaves every shared value as it was);
- no view of the buffer is a function output, and every other node reading the buffer
  (or a view of it) is one the overwriting node depends on, so it has run already;
- v already has the result's dtype and, provably, its shape (no broadcasting into v),
  and is not a 0-d value (NumPy returns those as scalars, which have no buffer).

Variants: elementwise rows become `InplaceElemwise` (`np.add(a, b, out=a)`), Composites
write their result into an input, and gemm overwrites z (ops/blas.py).

A shared variable's new value is written into a private buffer of the function instead
(`ops/buffers.py`: double buffering, the old array is reused on the next call when
nothing else holds it), so updates allocate nothing in steady state and still apply all
at once, after every other node has succeeded.
"""

from __future__ import annotations

from typing import Any

from ..alias import buffer_origin
from ..fgraph import OUTPUT, FunctionGraph
from ..graph import Apply, SharedVariable, Variable
from ..ops.blas import Gemm
from ..ops.buffers import UpdateBuffer
from ..ops.composite import Composite, InplaceElemwise
from ..ops.control import branch_regions
from ..ops.elemwise import Elemwise
from ..ops.registry import alias_sources
from .driver import Rewrite
from .pattern import P, rule
from .shape_info import is_tensor, same_shape


class _Buffer:
    """Who uses one buffer: the variables viewing it, the nodes reading them, and whether
    a function output shows it. Built once per buffer per graph revision."""

    def __init__(self, fgraph: FunctionGraph, root: Variable):
        self.views: set[Variable] = set()
        self.readers: dict[Apply, set[Variable]] = {}  # node -> views of the buffer it reads
        self.visible = False
        stack = [root]
        while stack:
            u = stack.pop()
            if u in self.views:
                continue
            self.views.add(u)
            for client, i in fgraph.clients.get(u, ()):
                if client == OUTPUT:
                    self.visible = True
                    continue
                views = [o for j, o in enumerate(client.outputs)
                         if i in alias_sources(client, j)]
                if views:
                    stack.extend(views)
                else:
                    self.readers.setdefault(client, set()).add(u)
        depths = sorted((_depth(fgraph, n), id(n)) for n in self.readers)
        self.deepest = depths[-2:]  # the two deepest readers (depth, id)


def _buffer(fgraph: FunctionGraph, root: Variable) -> _Buffer:
    memo = fgraph.__dict__.setdefault("_inplace_buffers", {})
    key = (root, fgraph.revision)
    if key not in memo:
        if len(memo) > 4096:
            memo.clear()
        memo[key] = _Buffer(fgraph, root)
    return memo[key]


def _updated_shared(fgraph: FunctionGraph, v: Variable) -> SharedVariable | None:
    """The shared tensor whose new value `v` is (the first, when it is several's)."""
    for client, j in fgraph.clients.get(v, ()):
        shared = fgraph.updates.get(j) if client == OUTPUT else None
        if isinstance(shared, SharedVariable) and is_tensor(shared):
            return shared
    return None


def destroy_plan(fgraph: FunctionGraph, node: Apply, k: int) -> set[Apply] | None:
    """May `node` overwrite its input k? None if not; else the other readers of the buffer
    that must be scheduled before it (empty when `node` already depends on them all)."""
    v = node.inputs[k]
    if not is_tensor(v) or v.ndim == 0:
        return None
    root = buffer_origin(v)
    if root is None or root.owner is None:
        return None  # the caller's array, a constant's, or a shared variable's storage
    if not root.owner.op.fresh:
        return None  # a view into storage this graph did not allocate
    buf = _buffer(fgraph, root)
    if buf.visible or buf.readers.get(node) != {v}:
        return None  # an output shows it, or node also reads another view of it
    others = set(buf.readers) - {node}
    if not others:
        return set()
    # Cheap test first: readers at least as deep as `node` cannot be its ancestors.
    mine = (_depth(fgraph, node), id(node))
    others_max = buf.deepest[-1] if buf.deepest[-1] != mine else buf.deepest[0]
    if others_max[0] < mine[0] and others <= _ancestors(fgraph, node, others):
        return set()
    # An update's result goes nowhere but into its shared variable, so it may simply wait
    # for the other readers: order it after them (unless one of them waits for it).
    if _feeds_only_updates(fgraph, node) and _all_top_level(fgraph, others | {node}) and \
            not others & _runs_before(fgraph, node):
        return others
    return None


def destroyable(fgraph: FunctionGraph, node: Apply, k: int) -> bool:
    """True when `node` may overwrite its input k (see destroy_plan)."""
    return destroy_plan(fgraph, node, k) is not None


def _feeds_only_updates(fgraph: FunctionGraph, node: Apply) -> bool:
    uses = [c for o in node.outputs for c in fgraph.clients.get(o, ())]
    return bool(uses) and all(c == OUTPUT and i in fgraph.updates for c, i in uses)


def _all_top_level(fgraph: FunctionGraph, nodes: set[Apply]) -> bool:
    """None of `nodes` sits inside an ifelse branch: an added ordering reaches into the
    code's top level only (the branch's nodes are emitted inside its `if` block)."""
    if "_inplace_lazy" not in fgraph.__dict__:
        # Once per graph, not per revision (that scan was quadratic in the number of
        # in-place updates): rewrites never create ifelse nodes, they only remove them.
        fgraph.__dict__["_inplace_lazy"] = any(n.op.lazy
                                               for n in fgraph.apply_nodes)
    if not fgraph.__dict__["_inplace_lazy"]:
        return True
    memo = fgraph.__dict__.setdefault("_inplace_regions", {})
    if fgraph.revision not in memo:
        memo.clear()
        memo[fgraph.revision] = branch_regions(fgraph.toposort(), fgraph.clients)
    regions = memo[fgraph.revision]
    return all(regions.get(n) is None for n in nodes)


def _runs_before(fgraph: FunctionGraph, node: Apply) -> set[Apply]:
    """Nodes that must run after `node`: its data descendants and ordering dependents."""
    waiting = fgraph.waiting
    found: set[Apply] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        nxt = [c for o in n.outputs for c, _ in fgraph.clients.get(o, ()) if c != OUTPUT]
        for m in nxt + list(waiting.get(n, ())):
            if m not in found:
                found.add(m)
                stack.append(m)
    return found


def _with_plan(fgraph: FunctionGraph, plan: set[Apply], new: Variable) -> list[Variable]:
    """Record the ordering an in-place replacement needs; return it for the driver."""
    if plan and new.owner is not None:
        fgraph.add_ordering(new.owner, plan)
    return [new]


def _depth(fgraph: FunctionGraph, node: Apply) -> int:
    """Longest path from the leaves to `node` (memoized on the graph): an ancestor of a
    node is always shallower than it."""
    memo: dict[Apply, int] = fgraph.__dict__.setdefault("_inplace_depth", {})
    stack = [node]
    while stack:
        n = stack[-1]
        if n in memo:
            stack.pop()
            continue
        todo = [v.owner for v in n.inputs if v.owner is not None and v.owner not in memo]
        if todo:
            stack.extend(todo)
            continue
        memo[n] = 1 + max((memo[v.owner] for v in n.inputs if v.owner is not None),
                          default=0)
        stack.pop()
    return memo[node]


def _ancestors(fgraph: FunctionGraph, node: Apply, wanted: set[Apply]) -> set[Apply]:
    """The nodes of `wanted` that `node` depends on.

    The upward search skips nodes shallower than every wanted node (none of those can
    lie above them), so it only walks the part of the graph between the two.
    """
    floor = min(_depth(fgraph, w) for w in wanted)
    found: set[Apply] = set()
    stack = [v.owner for v in node.inputs if v.owner is not None]
    seen: set[Apply] = set()
    while stack:
        n = stack.pop()
        if n in seen or _depth(fgraph, n) < floor:
            continue
        seen.add(n)
        if n in wanted:
            found.add(n)
            if found == wanted:
                break
        stack.extend(v.owner for v in n.inputs if v.owner is not None)
    return found


def _targets(node: Apply) -> list[int]:
    """Inputs the result could be written into: same dtype, provably the same shape."""
    out = node.outputs[0]
    return [k for k, v in enumerate(node.inputs)
            if is_tensor(v) and v.dtype == out.dtype and same_shape(v, out)]


def _inplace_elemwise(fgraph: FunctionGraph, node: Apply) -> Any:
    """op(a, b) -> op(a, b, out=a) when a is dead after this node."""
    if not isinstance(node.op, Elemwise) or not InplaceElemwise.supports(node.op.scalar):
        return None
    for k in _targets(node):
        plan = destroy_plan(fgraph, node, k)
        if plan is not None:
            return _with_plan(fgraph, plan, InplaceElemwise(node.op.scalar, k)(*node.inputs))
    return None


def _composite_into_input(fgraph: FunctionGraph, out: Variable) -> Variable | None:
    """A fused kernel writing its result into a dead input's buffer."""
    node, op = out.owner, out.owner.op
    for k in _targets(node):
        plan = destroy_plan(fgraph, node, k)
        if plan is not None:
            return _with_plan(fgraph, plan, Composite(op.nin, op.body, k,
                                                      op.full_inputs)(*node.inputs))[0]
    return None


def _gemm_into_z(fgraph: FunctionGraph, z: Variable, args: tuple[Variable, ...],
                 out: Variable) -> Variable | None:
    """gemm(z, ...) -> gemm_inplace(z, ...) when z is dead after it (and not x or y)."""
    if z in args or not same_shape(z, out):
        return None
    plan = destroy_plan(fgraph, out.owner, 0)
    if plan is None:
        return None
    return _with_plan(fgraph, plan, Gemm(inplace=True)(z, *args))[0]


def _update_into_spare(fgraph: FunctionGraph, node: Apply) -> Any:
    """S's new value computed by a kernel -> the kernel writing into a private buffer that
    S's old array becomes after the call (double buffering: no allocation, and S's own
    storage untouched until every node has run)."""
    out = node.outputs[0]
    shared = _updated_shared(fgraph, out)
    if shared is None or out.ndim == 0 or out.dtype != shared.dtype or \
            not same_shape(shared, out):
        return None
    op = node.op
    if isinstance(op, Gemm):
        if op.inplace or node.inputs[0] is not shared:
            return None
        # S <- beta * S + alpha * x @ y: gemm reads z, so the buffer starts as a copy of S
        return [Gemm(inplace=True)(UpdateBuffer(copy=True)(shared), *node.inputs[1:])]
    if isinstance(op, Composite) and op.inplace is None:
        nin, body, full = op.nin, op.body, set(op.full_inputs)
    elif isinstance(op, Elemwise) and InplaceElemwise.supports(op.scalar):
        nin, full = op.scalar.nin, set()
        body = ((op.scalar.name, tuple(("i", k) for k in range(nin))),)
    else:
        return None
    # Inputs proven to have the whole output shape let the kernel write every step that
    # reads them into full-size buffers (the spare among them).
    full |= {k for k, v in enumerate(node.inputs) if v is shared} | {nin}
    kernel = Composite(nin + 1, body, nin, tuple(sorted(full)))
    return [kernel(*node.inputs, UpdateBuffer()(shared))]


IN_PLACE = [
    Rewrite("inplace_elemwise", _inplace_elemwise, None, "op(a, b) -> op(a, b, out=a)"),
    rule("inplace_composite", P.composite(P.rest("ins"), inplace=None),
         _composite_into_input,
         doc="fused(a, b) -> fused(a, b) written into a"),
    rule("gemm_inplace", P.gemm(P.var("z"), P.rest("args"), inplace=False), _gemm_into_z,
         doc="gemm(z, ...) -> gemm writing into z"),
    Rewrite("update_into_spare", _update_into_spare, None,
            "S <- f(...) -> f(...) written into a private buffer S's old array becomes"),
]
