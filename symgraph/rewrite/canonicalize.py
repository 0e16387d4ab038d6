"""canonicalize: arithmetic simplifications that make equal things look equal and drop no-ops.

Domain choices (the same as Theano's, so compiled graphs treat floats as real numbers):

- `x - x -> 0`, `x * 0 -> 0` and `zeros * x -> zeros` are applied to floats too, so an
  inf or nan in x gives 0 where the unrewritten graph gives nan.
- `x / x -> 1` is applied to floats only (so 0/0 gives 1, not nan); never to integers,
  where x = 0 is an ordinary value and the division must warn and give nan.
- `exp(log(x)) -> x` assumes x >= 0 (for x < 0 the unrewritten graph gives nan);
  `log(exp(x)) -> x` is exact (and better: log(exp(1000)) would be inf).
- cancelling `a / b * b -> a` assumes b is finite and nonzero; this is what turns the
  gradients of log(softmax) / log(sigmoid) into stable expressions.

The shape rewrites of this pass (dimshuffle, reshape, sums, shape lifting) live in
canonicalize_shape.py.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import dtypes
from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, Variable
from ..ops import elemwise as ew
from ..ops.allocation import Alloc, alloc_like
from ..tensor import constant
from .driver import Rewrite
from .pattern import FAMILIES, P, filled_with, fit_to, rule, scalar_like, single_client
from .shape_info import covers, dims_key, same_shape, zeros_of

x, y = P.var("x"), P.var("y")


# ---------------------------------------------------------------- small predicates


def is_float(v: Variable) -> bool:
    """v holds floats (where the domain choices in the module docstring apply)."""
    return dtypes.is_float(getattr(v.type, "dtype", ""))


def scalar_const(v: Variable) -> np.ndarray | None:
    """The value of a constant whose dims are all 1 (it broadcasts like a scalar)."""
    return v.data if scalar_like(v) else None


def is_zeros(v: Variable) -> bool:
    """v is a constant or an alloc that is zero everywhere."""
    return filled_with(v, 0)


def ones_like(v: Variable) -> Variable:
    """Ones with v's shape and dtype."""
    return alloc_like(1, v)


# ---------------------------------------------------------------- identities
# Each rule's pattern is its math; `fit_to` casts the result to the replaced dtype and
# refuses results whose shape could differ (x * ones((1, 1)) may add a dim).

IDENTITIES = [
    rule("mul_one", x * 1, lambda x: x, doc="x * 1 -> x"),
    rule("add_zero", x + 0, lambda x: x, doc="x + 0 -> x"),
    rule("sub_zero", x - 0, lambda x: x, doc="x - 0 -> x"),
    rule("zero_sub", 0 - x, lambda x, out: ew.neg(ew.cast(x, out.dtype)),
         doc="0 - x -> -x (negated in the result's dtype: bool and int8 x differ)"),
    rule("div_one", x / 1, lambda x: x, doc="x / 1 -> x"),
    rule("neg_neg", P.neg(P.neg(x)), lambda x: x, doc="-(-x) -> x"),
    rule("sub_self", x - x, lambda x: alloc_like(0, x),
         doc="x - x -> 0 (floats too: inf - inf gives 0, as in Theano)"),
    rule("div_self", x / x, lambda x: ones_like(x), when=lambda x: is_float(x),
         doc="x / x -> 1 for floats only (integer x may be 0)"),
    rule("log_exp", P.log(P.exp(x)), lambda x: x, doc="log(exp(x)) -> x"),
    rule("exp_log", P.exp(P.log(x)), lambda x: x, doc="exp(log(x)) -> x (x >= 0)"),
    rule("useless_identity", P.identity(x), lambda x: x, doc="identity(x) -> x"),
    rule("useless_disconnected_grad", P.disconnected_grad(x), lambda x: x,
         doc="disconnected_grad(x) -> x (it only matters to grad(), which already ran)"),
    rule("switch_same", P.switch(P.var("c"), x, x), lambda c, x: x,
         when=lambda c, x: covers_dims(x, c),
         doc="switch(c, x, x) -> x (unless c broadcasts x to a larger shape)"),
]


# ---------------------------------------------------------------- zeros


def _broadcast_zeros(fgraph: FunctionGraph, node: Apply) -> Any:
    """f(a + zeros, b) -> f(a, b) when a and b span the zeros' shape anyway.

    Gradients broadcast with `g + zeros_like(x)`; once the sum meets another operand of
    x's shape, the zeros array only costs an allocation and an addition.
    """
    if not isinstance(node.op, ew.Elemwise) or node.op.scalar.nin < 2:
        return None
    out = node.outputs[0]
    for k, u in enumerate(node.inputs):
        if not ew.is_elemwise(u, "add") or not single_client(fgraph, u):
            continue
        a, z = u.owner.inputs
        if is_zeros(a):
            a, z = z, a
        if not is_zeros(z) or a.dtype != u.dtype:
            continue
        others = [a] + [v for j, v in enumerate(node.inputs) if j != k]
        if _covered(z, others, out):
            inputs = list(node.inputs)
            inputs[k] = a
            return [fit_to(node.op(*inputs), out)]
    return None


def _zeros_as(z: Variable, dtype: str) -> Variable:
    """The zeros z (an alloc or a constant) in another dtype."""
    if isinstance(z, Constant):
        return constant(np.zeros(z.data.shape, dtype), dtype)
    return Alloc(dtype)(constant(0, dtype), *z.owner.inputs[1:])


def _sink_zeros(fgraph: FunctionGraph, node: Apply) -> Any:
    """(a + zeros) * b -> a * b + zeros: the broadcasting zeros move toward an operand that
    spans them (where broadcast_zeros drops them), past mul, neg, cast and a numerator."""
    if _broadcast_zeros(fgraph, node) is not None:
        return None  # the zeros can go right here
    op = node.op
    name = op.scalar.name
    positions = {"mul": (0, 1), "neg": (0,), "true_div": (0,)}.get(
        name, (0,) if name.startswith("cast{") else ())
    out = node.outputs[0]
    for k in positions:
        u = node.inputs[k]
        if not ew.is_elemwise(u, "add") or not single_client(fgraph, u):
            continue
        a, z = u.owner.inputs
        if is_zeros(a):
            a, z = z, a
        if not is_zeros(z) or a.dtype != u.dtype or \
                (isinstance(z, Constant) and z.data.ndim > out.ndim):
            continue
        inputs = list(node.inputs)
        inputs[k] = a
        return [fit_to(ew.add(op(*inputs), _zeros_as(z, out.dtype)), out)]
    return None


def _drops(x: Variable, o: Variable) -> bool:
    """The ones o can go from x * o: they broadcast x to no larger shape (a constant with
    dims all 1 is mul_one's and div_one's: excluding those keeps it)."""
    return scalar_const(o) is None and covers_dims(x, o)


ZEROS = [
    rule("mul_zero", P.any * P.zeros(), lambda out: zeros_of(out.owner),
         doc="x * zeros -> zeros (shaped like the product; floats too, as in Theano)"),
    rule("add_zeros", (x + P.zeros()) | (x - P.zeros()), lambda x: x,
         when=lambda x, out: same_shape(x, out), doc="x + zeros(shape of x) -> x"),
    rule("zeros_sub", P.zeros() - x, lambda x, out: ew.neg(ew.cast(x, out.dtype)),
         when=lambda x, out: same_shape(x, out), doc="zeros(shape of x) - x -> -x"),
    rule("mul_ones", x * P.ones("o"), lambda x: x, when=_drops, doc="x * ones -> x (the "
         "ones of x's shape or smaller: a gradient's 1 + zeros_like(y); scalars: mul_one)"),
    rule("div_ones", x / P.ones("o"), lambda x: x, when=_drops, doc="x / ones -> x"),
    Rewrite("broadcast_zeros", _broadcast_zeros, None, "f(a + zeros, b) -> f(a, b)"),
    Rewrite("sink_zeros", _sink_zeros, ("mul", "neg", "true_div", *FAMILIES["cast"]),
            "(a + zeros) * b -> a * b + zeros"),
]


# ---------------------------------------------------------------- casts


def _lossless(src: str, dst: str) -> bool:
    """Every `src` value survives a trip through `dst` (ints through float: mantissa)."""
    if src == dst:
        return True
    if dtypes.is_int(src) or src == "bool":
        if dtypes.is_float(dst):
            bits = np.iinfo(src).bits if src != "bool" else 1
            return bits < np.finfo(dst).nmant + 1
        return dtypes.is_int(dst) and np.can_cast(src, dst, casting="safe")
    return dtypes.is_float(src) and dtypes.is_float(dst) and \
        np.can_cast(src, dst, casting="safe")




CASTS = [
    rule("useless_cast", P.cast(x), lambda x: x, when=lambda x, out: x.dtype == out.dtype,
         doc="cast{d}(x: d) -> x"),
    rule("cast_cast", P.cast(P.cast(x).named("mid")), lambda x, out: ew.cast(x, out.dtype),
         when=lambda x, mid: _lossless(x.dtype, mid.dtype),
         doc="cast{a}(cast{b}(x)) -> cast{a}(x) when the trip through b loses nothing"),
]


# ---------------------------------------------------------------- constant conditions


def _pick(c: Constant, x: Variable, y: Variable, out: Variable) -> Variable | None:
    """x where c is true everywhere, y where false everywhere (None: mixed, or the
    condition or the other branch broadcasts the result larger)."""
    pick = x if c.data.size and np.all(c.data) else \
        y if c.data.size and not np.any(c.data) else None
    return pick if pick is not None and same_shape(pick, out) else None


def _branch(c: Constant, branches: Sequence[Variable]) -> list[Variable]:
    """The `then` half of ifelse's branches when c is true, else the `else` half."""
    n = len(branches) // 2
    return list(branches[:n] if bool(c.data) else branches[n:])


CONDITIONS = [
    rule("switch_const_cond", P.switch(P.const("c", scalar=False), x, y), _pick,
         doc="switch(True, a, b) -> a; switch(False, a, b) -> b"),
    rule("ifelse_const_cond", P.ifelse(P.const("c", scalar=False), P.rest("branches")),
         _branch, doc="ifelse(True, a, b) -> a; ifelse(False, a, b) -> b"),
]


# ---------------------------------------------------------------- products and sums


def absorbed_by_client(fgraph: FunctionGraph, v: Variable, rows: tuple[str, ...],
                       ndim: int | None = None) -> bool:
    """v's only use is a node of one of `rows` with v's dtype (and rank `ndim`): the
    rewrites that gather a whole tree of such nodes run at its root, which covers v, so
    each node of a long chain is not gathered again (that was quadratic in its length)."""
    uses = fgraph.clients.get(v, ())
    if len(uses) != 1:
        return False
    ((client, _),) = uses
    if not isinstance(client, Apply) or not isinstance(client.op, ew.Elemwise) or \
            client.op.scalar.name not in rows:
        return False
    out = client.outputs[0]
    return out.dtype == v.dtype and (ndim is None or out.ndim == ndim)


def _flatten(fgraph: FunctionGraph, v: Variable, row: str, dtype: str,
             leaves: list[Variable], consts: list[np.ndarray]) -> bool:
    """Gather the operands of a tree of `row` nodes (used once each); False if mixed.

    Iterative (a chain of thousands of additions is an ordinary graph), depth first and
    left to right.
    """
    stack: list[tuple[Variable, bool]] = [(v, True)]
    while stack:
        v, top = stack.pop()
        owner = v.owner
        if top or (owner is not None and ew.is_elemwise(owner, row) and v.dtype == dtype and
                   single_client(fgraph, v)):
            stack.extend((i, False) for i in reversed(owner.inputs))
            continue
        c = scalar_const(v)
        if c is not None and np.can_cast(c.dtype, dtype, casting="same_kind"):
            consts.append(c)
            continue
        leaves.append(v)
        if v.dtype != dtype:
            return False
    return True


def _collect_constants(fgraph: FunctionGraph, node: Apply) -> Any:
    """2 * x * 3 -> 6 * x; 1 + x + 2 -> 3 + x (constants of a mul/add tree combined)."""
    row = node.op.scalar.name
    out = node.outputs[0]
    if absorbed_by_client(fgraph, out, (row,)):
        return None  # the root of the tree gathers this node's operands too
    leaves: list[Variable] = []
    consts: list[np.ndarray] = []
    if not _flatten(fgraph, out, row, out.dtype, leaves, consts) or len(consts) < 2:
        return None
    ufunc = np.multiply if row == "mul" else np.add
    with np.errstate(all="ignore"):
        value = functools.reduce(ufunc, [c.astype(out.dtype) for c in consts])
    fn = ew.mul if row == "mul" else ew.add
    acc: Variable = constant(value, out.dtype)
    for leaf in leaves:
        acc = fn(acc, leaf)
    return [fit_to(acc, out)]


def product_factors(fgraph: FunctionGraph, v: Variable, num: list[Variable],
             den: list[Variable]) -> int:
    """Split a product tree into numerator and denominator factors; returns the sign.

    Iterative, depth first and left to right (the order the factors are multiplied back).
    """
    sign = 1
    stack: list[tuple[Variable, bool]] = [(v, True)]
    while stack:
        v, top = stack.pop()
        owner = v.owner
        expandable = top or (owner is not None and single_client(fgraph, v) and is_float(v))
        if not top and ew.is_elemwise(owner, "true_div") and is_float(v):
            # Expanded even when a/b has other uses: cancelling b removes work, and the
            # gradients of log(softmax) and log(sigmoid) reuse a/b, which is what makes
            # them unstable.
            a, b = owner.inputs
            den.append(b)
            stack.append((a, False))
        elif expandable and ew.is_elemwise(owner, "mul"):
            stack.append((owner.inputs[1], False))
            stack.append((owner.inputs[0], False))
        elif expandable and ew.is_elemwise(owner, "neg"):
            sign = -sign
            stack.append((owner.inputs[0], False))
        else:
            num.append(v)
    return sign


def covers_dims(x: Variable, c: Variable) -> bool:
    """Broadcasting c against x cannot enlarge x (every dim of c is 1 or x's own)."""
    return _covered(c, [x], x)


def _covered(v: Variable, others: Sequence[Variable], out: Variable) -> bool:
    """Removing factor v cannot shrink the product's shape (others span v's dims)."""
    if v.ndim > out.ndim:
        return False
    vk = dims_key(v)
    for k in range(v.ndim):
        axis = k - v.ndim
        if v.type.shape[k] == 1:
            continue
        if not any(o.ndim >= -axis and covers(dims_key(o)[axis], vk[k]) for o in others):
            return False
    return True


def root_product(fgraph: FunctionGraph, node: Apply
                 ) -> tuple[list[Variable], list[Variable], int] | None:
    """(numerator, denominator, sign) of the float product tree rooted at `node` (None
    when a product above it gathers this one: tree rewrites run at the root only)."""
    out = node.outputs[0]
    if not is_float(out) or absorbed_by_client(fgraph, out, ("mul",)):
        return None
    num: list[Variable] = []
    den: list[Variable] = []
    sign = product_factors(fgraph, out, num, den)
    return num, den, sign


def _cancel_div(fgraph: FunctionGraph, node: Apply) -> Any:
    """a / b * b -> a, -(a / b) * c * b -> -(a * c): a product's divisors cancelled."""
    out = node.outputs[0]
    found = root_product(fgraph, node)
    if found is None:
        return None
    num, den, sign = found
    cancelled = False
    for d in list(den):
        if d in num:
            rest = list(num)
            rest.remove(d)
            if not _covered(d, rest + [v for v in den if v is not d], out) or not rest:
                continue
            num.remove(d)
            den.remove(d)
            cancelled = True
    if not cancelled:
        return None
    acc = functools.reduce(ew.mul, num)
    for d in den:
        acc = ew.true_div(acc, d)
    if sign < 0:
        acc = ew.neg(acc)
    return [fit_to(acc, out)]


PRODUCTS = [
    Rewrite("collect_constants", _collect_constants, ("mul", "add"), "2 * x * 3 -> 6 * x"),
    Rewrite("cancel_div", _cancel_div, ("mul",), "a / b * b -> a"),
]
