"""What the rewrites know about shapes: symbolic output dims, and provable equality of dims.

`output_dims(node)` gives a node's output shapes as int64 scalars computed from its
inputs' shapes (each op's `infer_shape`), so
`x.shape` can be computed without computing `x`.

`dim_key(v, k)` names the size of axis k of v: an int when known statically, else a
token such that two dims with equal tokens are equal at run time (the same input's dim,
traced through elementwise ops, dimshuffles, reductions, dot...). Rewrites that need "these
two shapes agree" (x + zeros -> x, removing a sum_to_shape, in-place safety) compare
tokens; unequal tokens only mean "not provably equal".
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Sequence
from typing import Any

from ..graph import Apply, Constant, Variable, trace_as
from ..ops.allocation import Alloc
from ..ops.elemwise import Elemwise, cast
from ..ops.shape import INT, Shape, ShapeI, Stack, shape_i
from ..tensor import TensorType, constant

DimKey = Hashable
_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MAX_DEPTH = 200


def is_tensor(v: Variable) -> bool:
    """v is a tensor (not a random generator or another non-array value)."""
    return isinstance(v.type, TensorType)


def is_elementwise(node: Apply) -> bool:
    """Elemwise rows and the kernels built from them (Composite, in-place variants)."""
    return node.op.elementwise


# ---------------------------------------------------------------- symbolic output dims


def infer_shapes(node: Apply, shapes: Sequence[Sequence[Variable]]) -> list | None:
    """The op's output shapes from input shapes (None when it cannot say)."""
    try:
        return node.op.infer_shape(node, shapes)
    except (NotImplementedError, IndexError, TypeError, ValueError):
        return None


_SHAPE_VARS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_INT_CONSTANTS: dict[int, Variable] = {}


def int_constant(n: int) -> Variable:
    """A shared int64 constant (constants are immutable; merging makes them one anyway)."""
    c = _INT_CONSTANTS.get(n)
    if c is None:
        c = _INT_CONSTANTS[n] = constant(n, INT)
    return c


def shape_vars(v: Variable) -> list[Variable]:
    """shape_i(v, k) for every axis (constants where static), built once per variable.

    Leaves are not cached: inputs and shared variables appear in many functions' graphs,
    and a node must not be shared between two graphs that rewrite it.
    """
    dims = _SHAPE_VARS.get(v)
    if dims is None:
        if not is_tensor(v):
            return []
        dims = [int_constant(d) if d is not None else shape_i(v, k)
                for k, d in enumerate(v.type.shape)]
        if v.owner is not None:
            _SHAPE_VARS[v] = dims
    return dims


def output_dims(node: Apply, index: int = 0) -> list[Variable] | None:
    """Int64 scalars for the shape of `node.outputs[index]`, computed from its inputs."""
    out = node.outputs[index]
    if not is_tensor(out):
        return None
    shapes = [shape_vars(v) for v in node.inputs]
    result = infer_shapes(node, shapes)
    if result is None or result[index] is None or len(result[index]) != out.ndim:
        return None
    dims = []
    for k, d in enumerate(result[index]):
        if out.type.shape[k] is not None:
            d = int_constant(out.type.shape[k])
        elif not isinstance(d, Variable):
            d = constant(int(d), INT)
        if d.ndim != 0 or d.dtype != INT:
            if d.ndim != 0 or not d.dtype.startswith(("int", "uint")):
                return None
            d = cast(d, INT)
        dims.append(d)
    return dims


def zeros_of(node: Apply, index: int = 0) -> Variable | None:
    """An array of zeros shaped like `node.outputs[index]`, not computed from that output."""
    out = node.outputs[index]
    dims = output_dims(node, index)
    if dims is None:
        return None
    return Alloc(out.dtype)(constant(0, out.dtype), *dims)


# ---------------------------------------------------------------- provable equality


def dim_key(v: Variable, k: int) -> DimKey:
    """A token for the size of axis k of v: equal tokens mean equal sizes at run time."""
    return dims_key(v)[k]


def dims_key(v: Variable, depth: int = 0) -> tuple[DimKey, ...]:
    """`dim_key` for every axis of v (memoized: a variable's shape never changes)."""
    keys = _KEYS.get(v)
    if keys is None:
        with trace_as(None):
            keys = _compute_keys(v, depth)
        _KEYS[v] = keys
    return keys


def same_shape(a: Variable, b: Variable) -> bool:
    """True when a and b provably have the same shape at run time."""
    if not (is_tensor(a) and is_tensor(b)) or a.ndim != b.ndim:
        return False
    return dims_key(a) == dims_key(b)


def _compute_keys(v: Variable, depth: int) -> tuple[DimKey, ...]:
    static = v.type.shape if is_tensor(v) else ()
    opaque = tuple(("dim", v.uid, k) for k in range(len(static)))
    if all(d is not None for d in static):
        return tuple(static)
    node = v.owner
    if node is None or depth > _MAX_DEPTH:
        return _merge_static(static, opaque)
    if is_elementwise(node):
        return _merge_static(static, _broadcast_keys(node, v, depth))
    placeholders: dict[Variable, tuple[int, int]] = {}
    shapes = []
    for i, inp in enumerate(node.inputs):
        dims = []
        for k in range(inp.ndim if is_tensor(inp) else 0):
            p = TensorType(INT, ()).make_variable()
            placeholders[p] = (i, k)
            dims.append(p)
        shapes.append(dims)
    result = infer_shapes(node, shapes)
    if result is None or result[v.index] is None or len(result[v.index]) != len(static):
        return _merge_static(static, opaque)
    keys = []
    for k, d in enumerate(result[v.index]):
        key = _scalar_key(d, node, placeholders, depth)
        keys.append(opaque[k] if key is None else key)
    return _merge_static(static, tuple(keys))


def _merge_static(static: Sequence[int | None], keys: Sequence[DimKey]) -> tuple:
    return tuple(s if s is not None else k for s, k in zip(static, keys, strict=True))


def _broadcast_keys(node: Apply, v: Variable, depth: int) -> tuple[DimKey, ...]:
    """Dims of a broadcasting elementwise result: the broadcast of the inputs' dims."""
    nd = v.ndim
    keys: list[DimKey] = []
    for axis in range(nd):
        cands = []
        for x in node.inputs:
            k = axis - nd + x.ndim
            if k >= 0 and x.type.shape[k] != 1:
                cands.append(dims_key(x, depth + 1)[k])
        keys.append(broadcast_key(cands, ("dim", v.uid, axis)))
    return tuple(keys)


def broadcast_key(keys: Sequence[DimKey], fallback: DimKey) -> DimKey:
    """The token of the broadcast of several dims: ('bcast', {their tokens}).

    A broadcast dim is as large as each of its non-1 parts, so a dim whose token is in the
    set can be dropped from a product without shrinking it (see `covers`).
    """
    parts: set[DimKey] = set()
    for k in keys:
        if isinstance(k, tuple) and k and k[0] == "bcast":
            parts.update(k[1])
        elif k != 1:
            parts.add(k)
    ints = {p for p in parts if isinstance(p, int)}
    if len(ints) > 1:
        return fallback
    if ints:
        return ints.pop()
    if not parts:
        return 1
    if len(parts) == 1:
        return parts.pop()
    return ("bcast", frozenset(parts))


def covers(big: DimKey, small: DimKey) -> bool:
    """A dim `big` is at least as large (in the broadcast sense) as the dim `small`."""
    if big == small or small == 1:
        return True
    if isinstance(big, tuple) and big and big[0] == "bcast":
        if isinstance(small, tuple) and small and small[0] == "bcast":
            return small[1] <= big[1]
        return small in big[1]
    return False


def _scalar_key(s: Any, node: Apply, placeholders: dict[Variable, tuple[int, int]],
                depth: int) -> DimKey | None:
    """The token of an int64 scalar expression appearing in a shape."""
    if isinstance(s, (int,)):
        return s
    if not isinstance(s, Variable):
        return None
    if s in placeholders:
        i, k = placeholders[s]
        return dims_key(node.inputs[i], depth + 1)[k]
    return scalar_key(s, depth)


def ew_match_eq_one(c: Variable, a: Variable) -> bool:
    """c is eq(a, 1) (either order)."""
    owner = c.owner
    if owner is None or not isinstance(owner.op, Elemwise) or owner.op.scalar.name != "eq":
        return False
    x, y = owner.inputs
    one = [v for v in (x, y) if isinstance(v, Constant) and v.data.ndim == 0 and v.data == 1]
    return bool(one) and a in (x, y)


def scalar_key(s: Variable, depth: int = 0) -> DimKey | None:
    """The token of an int scalar in the graph (a constant, shape_i(x), shape(x)[k]...)."""
    if isinstance(s, Constant):
        return int(s.data) if s.data.ndim == 0 else None
    owner = s.owner
    if owner is None:
        return ("sym", s.uid)
    op = owner.op
    if isinstance(op, ShapeI):
        return dims_key(owner.inputs[0], depth + 1)[op.i]
    if isinstance(op, Elemwise) and op.scalar.name.startswith("cast{int"):
        return scalar_key(owner.inputs[0], depth + 1)
    if isinstance(op, Elemwise) and op.scalar.name == "switch":
        # the shape rule of a broadcasting op: switch(eq(a, 1), b, a) is the broadcast dim
        c, b, a = owner.inputs
        if ew_match_eq_one(c, a):
            keys = [scalar_key(a, depth + 1), scalar_key(b, depth + 1)]
            if None not in keys:
                return broadcast_key(keys, ("sym", s.uid))
    # No rule for maximum(a, b): it is not the broadcast of a and b (slice lengths are
    # maximum(n - k, 0), whose token would wrongly be 0).
    idx = getattr(op, "idx", None)
    if type(op).__name__ == "Subtensor" and idx is not None and len(idx) == 1 and \
            idx[0][0] == "int" and isinstance(idx[0][1], int):
        k = idx[0][1]
        vec = owner.inputs[0]
        if vec.owner is not None and isinstance(vec.owner.op, Shape):
            x = vec.owner.inputs[0]
            return dims_key(x, depth + 1)[k] if -x.ndim <= k < x.ndim else None
        if vec.owner is not None and isinstance(vec.owner.op, Stack) and \
                vec.owner.op.axis == 0 and k < len(vec.owner.inputs):
            return scalar_key(vec.owner.inputs[k], depth + 1)
        if isinstance(vec, Constant) and vec.data.ndim == 1 and -len(vec.data) <= k < len(
                vec.data):
            return int(vec.data[k])
    return ("sym", s.uid)
