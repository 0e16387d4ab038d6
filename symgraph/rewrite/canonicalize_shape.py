"""canonicalize, shape half: dimshuffles, reshapes, sums and shapes.

- dimshuffle(dimshuffle(x)) becomes one dimshuffle; an identity dimshuffle disappears;
- reshape(reshape(x)) becomes one reshape; a reshape to x's own shape disappears;
- sum(sum(x)) becomes one sum; summing an axis of size 1 (one a dimshuffle inserted, or
  a static 1) just drops it; sum(alloc(v, dims)) is v times the number of elements;
- shape(x)[k] is shape_i(x, k), stack(a, b)[0] is a;
- shape lifting: x.shape and shape_i(x) are computed from the shapes of x's inputs (the
  op's shape rule), so computing a shape never needs the value;
- sum_to_shape (the gradient's un-broadcasting) disappears when the shapes provably agree.
"""

from __future__ import annotations

from typing import Any

from ..fgraph import FunctionGraph
from ..graph import Constant, Variable
from ..ops import elemwise as ew
from ..ops.allocation import Alloc
from ..ops.reduce import Reduce
from ..ops.shape import INT, Reshape, Shape, ShapeI, Stack, dimshuffle, shape_i, stack
from ..tensor import constant
from .pattern import P, rule
from .shape_info import dims_key, output_dims, scalar_key

x, s = P.var("x"), P.var("s")


def _compose(x: Variable, p1: tuple, p2: tuple) -> Variable:
    """dimshuffle{p2} after dimshuffle{p1}, as one dimshuffle of x."""
    return dimshuffle(x, tuple("x" if p == "x" else p1[p] for p in p2))


DIMSHUFFLES_AND_RESHAPES = [
    rule("dimshuffle_dimshuffle", P.dimshuffle(P.dimshuffle(x, pattern=P.var("p1")),
                                               pattern=P.var("p2")), _compose,
         doc="dimshuffle{p2}(dimshuffle{p1}(x)) -> dimshuffle{p1 o p2}(x)"),
    rule("useless_dimshuffle", P.dimshuffle(x, pattern=P.var("p")), lambda x, p: x,
         when=lambda x, p: p == tuple(range(x.ndim)), doc="dimshuffle{0,1,..}(x) -> x"),
    rule("reshape_reshape", P.reshape(P.reshape(x, P.any), s, ndim=P.var("n")),
         lambda x, s, n: Reshape(n)(x, s), doc="reshape(reshape(x, s1), s2) -> reshape(x, s2)"),
    rule("useless_reshape", P.reshape(x, P.any), lambda x: x,
         when=lambda x, out: x.ndim == out.ndim and dims_key(x) == dims_key(out),
         doc="reshape(x, shape) -> x when the shape is provably x's own"),
]


# ---------------------------------------------------------------- sums


def _sum_sum(x: Variable, inner: Variable, out: Variable) -> Variable | None:
    """sum{a2}(sum{a1}(x)) -> sum{a1 + a2}(x) (same keepdims and dtype)."""
    iop, op = inner.owner.op, out.owner.op
    if iop.keepdims != op.keepdims or iop.dtype != op.dtype:
        return None
    a1 = set(range(x.ndim)) if iop.axis is None else set(iop.axis)
    kept = list(range(x.ndim)) if iop.keepdims else [i for i in range(x.ndim) if i not in a1]
    a2 = set(range(len(kept))) if op.axis is None else set(op.axis)
    axes = tuple(sorted(a1 | {kept[j] for j in a2}))
    if len(axes) == x.ndim:
        axes = None
    return Reduce("sum", axes, op.keepdims, op.dtype)(x)


def _sum_size1_axes(x: Variable, out: Variable) -> Variable | None:
    """sum over an axis of size 1 (a dimshuffle 'x' axis or a static 1) drops that axis."""
    op = out.owner.op
    axes = tuple(range(x.ndim)) if op.axis is None else op.axis
    ones = [a for a in axes if x.type.shape[a] == 1]
    if not ones or x.ndim == 0:
        return None
    rest = tuple(a for a in axes if a not in ones)
    if op.keepdims:  # a kept size-1 axis is already its own sum
        return Reduce("sum", rest, True, op.dtype)(x) if rest else x
    kept = [i for i in range(x.ndim) if i not in ones]
    squeezed = dimshuffle(x, kept)
    if not rest:
        return squeezed
    new_axes = tuple(kept.index(a) for a in rest)
    if len(new_axes) == squeezed.ndim:
        new_axes = None
    return Reduce("sum", new_axes, False, op.dtype)(squeezed)


def _sum_alloc(value: Variable, dims: tuple[Variable, ...], out: Variable) -> Variable:
    """sum{axes}(alloc(v, d0, d1, ...)) -> alloc(v * prod(d_axes), remaining dims)."""
    op = out.owner.op
    axes = tuple(range(len(dims))) if op.axis is None else op.axis
    count: Variable = constant(1, INT)
    for a in axes:
        count = ew.mul(count, dims[a])
    total = ew.mul(ew.cast(value, out.dtype), ew.cast(count, out.dtype))
    if op.keepdims:
        rest = [constant(1, INT) if i in axes else d for i, d in enumerate(dims)]
    else:
        rest = [d for i, d in enumerate(dims) if i not in axes]
    return Alloc(out.dtype)(total, *rest) if rest else total


SUMS = [
    rule("sum_sum", P.sum(P.sum(x).named("inner").once()), _sum_sum,
         doc="sum(sum(x, a1), a2) -> sum(x, a1 + a2) (the inner sum used once)"),
    rule("sum_size1_axes", P.sum(x), _sum_size1_axes,
         doc="sum over a size-1 (broadcast) axis -> drop the axis"),
    rule("sum_alloc", P.sum(P.alloc(P.var("value"), P.rest("dims"))), _sum_alloc,
         doc="sum(alloc(v, dims)) -> v * prod(dims)"),
]


# ---------------------------------------------------------------- shapes


def _computed(v: Variable) -> bool:
    """v is computed by a node (not a leaf)."""
    return v.owner is not None


def _alive(fgraph: FunctionGraph, v: Variable) -> bool:
    return v.owner is None or v.owner in fgraph.apply_nodes


def lifted_dim(fgraph: FunctionGraph, x: Variable, k: int) -> Variable | None:
    """Dim k of x from its op's shape rule, followed down while the rule gives another
    dim of a computed value (shape_i(tanh(a), 0) -> shape_i(a, 0) -> ...).

    Every dim lifted is remembered for the graph: in a chain of n layers the gradient asks
    for the shape of every layer, and lifting each one step by step took n + (n - 1) + ...
    steps. A remembered dim is used while its nodes are in the graph.
    """
    memo: dict[tuple[Variable, int], Variable] = fgraph.__dict__.setdefault(
        "_lifted_dims", {})
    path: list[tuple[Variable, int]] = []
    d: Variable | None = None
    while True:
        hit = memo.get((x, k))
        if hit is not None and _alive(fgraph, hit):
            d = hit
            break
        dims = output_dims(x.owner, x.index) if x.owner is not None else None
        if dims is None:
            break
        path.append((x, k))
        d = dims[k]
        if d.owner is None or not isinstance(d.owner.op, ShapeI) or \
                d.owner.inputs[0].owner is None:
            break
        x, k = d.owner.inputs[0], d.owner.op.i
    if not path:
        return d
    for key in path:
        memo[key] = d
    return d
def _shape_lift(fgraph: FunctionGraph, x: Variable, out: Variable) -> Variable | None:
    """shape_i(f(a, b), k) -> the k-th dim of f's shape rule on a's and b's shapes."""
    if isinstance(out.owner.op, ShapeI):
        return lifted_dim(fgraph, x, out.owner.op.i)
    dims = [lifted_dim(fgraph, x, k) for k in range(x.ndim)]
    if any(d is None for d in dims):
        return None
    return stack(dims) if dims else constant([], INT)


def _index_of_shape(vec: Variable, idx: tuple) -> Variable | None:
    """shape(x)[k] -> shape_i(x, k); stack(s0, s1, ...)[k] -> s_k (scalars)."""
    if len(idx) != 1 or idx[0][0] != "int" or not isinstance(idx[0][1], int):
        return None
    owner = vec.owner
    n = vec.type.shape[0]
    if owner is None or n is None or not -n <= idx[0][1] < n:
        return None
    k = idx[0][1] % n
    if isinstance(owner.op, Shape):
        return shape_i(owner.inputs[0], k)
    if isinstance(owner.op, Stack) and owner.op.axis == 0 and owner.inputs[k].ndim == 0:
        return owner.inputs[k]
    return None


def _vector_key(vec: Variable, k: int) -> Any:
    """The token of element k of an int shape vector (see shape_info.dim_key)."""
    owner = vec.owner
    if owner is not None and isinstance(owner.op, Shape):
        return dims_key(owner.inputs[0])[k]
    if owner is not None and isinstance(owner.op, Stack) and owner.op.axis == 0:
        return scalar_key(owner.inputs[k])
    if isinstance(vec, Constant):
        return int(vec.data[k])
    return None


def _useless_sum_to_shape(fgraph: FunctionGraph, g: Variable, shp: Variable,
                          n: int) -> Variable | None:
    """sum_to_shape(g, shape) -> g when g provably has that shape already.

    Through a chain of such no-ops at once (the gradient of a long sum is one: each
    term's gradient is sum_to_shape of the next one's): collapsing it one link at a time
    from the top moved every user gathered so far down each link (quadratic).
    """
    if g.ndim != n:
        return None
    keys = [_vector_key(shp, k) for k in range(n)]
    if None in keys or list(dims_key(g)) != keys:
        return None
    memo: dict[Variable, Variable] = fgraph.__dict__.setdefault("_useless_sts", {})
    path = []
    while g.owner is not None and g.owner.op.name == "sum_to_shape":
        hit = memo.get(g)
        if hit is not None and _alive(fgraph, hit):
            g = hit
            break
        inner = g.owner.inputs[0]
        if inner.ndim != n or list(dims_key(inner)) != keys:
            break
        path.append(g)
        g = inner
    for v in path:
        memo[v] = g
    return g


SHAPES = [
    rule("shape_lift", P.op(("shape", "shape_i"), P.var("x", when=_computed)), _shape_lift,
         doc="shape_i(f(a), k) -> f's shape rule on a's shape"),
    rule("index_of_shape", P.subtensor(P.var("vec"), idx=P.var("idx")), _index_of_shape,
         doc="shape(x)[k] -> shape_i(x, k), stack(a, b)[0] -> a"),
    rule("useless_sum_to_shape", P.sum_to_shape(P.var("g"), s, static=P.var("static")),
         lambda fgraph, g, s, static: _useless_sum_to_shape(fgraph, g, s, len(static)),
         doc="sum_to_shape(g, shape(x)) -> g when g has x's shape"),
]
