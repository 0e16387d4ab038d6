"""Shape ops: shape, reshape, dimshuffle/transpose, concatenate/stack (allocation ops are in
allocation.py, repeat/tile in tiling.py; both import this module, never the reverse)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Constant, Variable
from ..tensor import TensorType, as_tensor, constant
from .registry import Op, RenderContext, normalize_axis

INT = "int64"


# ---------------------------------------------------------------- static peeking


def static_int(v: Any) -> int | None:
    """The value of a symbolic int scalar when it is known at graph-build time."""
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, Constant) and v.data.ndim == 0 and v.data.dtype.kind in "iu":
        return int(v.data)
    owner = getattr(v, "owner", None)
    if owner is not None and isinstance(owner.op, ShapeI):
        return owner.inputs[0].type.shape[owner.op.i]
    if owner is not None and isinstance(owner.op, Shape):
        return None
    return None


def static_vector(v: Variable) -> tuple[int | None, ...] | None:
    """Element values of a symbolic int vector of known length (None where unknown)."""
    if isinstance(v, Constant):
        return tuple(int(e) for e in v.data.reshape(-1))
    owner = v.owner
    if owner is not None and isinstance(owner.op, Stack) and owner.op.axis == 0 and \
            all(i.ndim == 0 for i in owner.inputs):
        return tuple(static_int(i) for i in owner.inputs)
    if owner is not None and isinstance(owner.op, Shape):
        return owner.inputs[0].type.shape
    if v.type.shape and v.type.shape[0] is not None:
        return (None,) * v.type.shape[0]
    return None


def as_int_scalar(x: Any, op: str) -> Variable:
    """`x` as a symbolic integer scalar (Python ints become int64 constants)."""
    v = as_tensor(x) if not isinstance(x, (int, np.integer)) else constant(int(x), INT)
    if v.ndim != 0 or not dtypes.is_int(v.dtype):
        raise TypeError(f"{op}: expected an integer scalar, got {v.type}")
    return v


def as_shape_vector(shape: Any, op: str) -> Variable:
    """A shape given as ints, symbolic scalars, or a symbolic vector -> an int64 vector."""
    if isinstance(shape, Variable):
        if shape.ndim != 1 or not dtypes.is_int(shape.dtype):
            raise TypeError(f"{op}: a shape must be an int vector, got {shape.type}")
        return shape
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    items = list(shape)
    if all(isinstance(d, (int, np.integer)) for d in items):
        return constant(np.array(items, dtype=INT))
    return stack([as_int_scalar(d, op) for d in items])


# ---------------------------------------------------------------- shape


@dataclass(frozen=True)
class Shape(Op):
    """x.shape as an int64 vector."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [TensorType(INT, (x.ndim,))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.array(np.shape({ins[0]}), dtype=np.int64)"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [[constant(node.inputs[0].ndim, INT)]]


@dataclass(frozen=True)
class ShapeI(Op):
    """x.shape[i] as an int64 scalar."""

    i: int

    @property
    def name(self) -> str:
        return "shape_i"

    def __str__(self) -> str:
        return f"shape_i{{{self.i}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"shape_i{{{self.i}}}: input {x.type} has only {x.ndim} dims")
        return Apply(self, [x], [TensorType(INT, ())])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.int64(np.shape({ins[0]})[{self.i}])"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [[]]


def shape(x: Any) -> Variable:
    """The runtime shape of x, an int64 vector."""
    return Shape()(as_tensor(x))


def shape_i(x: Any, i: int) -> Variable:
    """x.shape[i]: a constant when the static shape knows it."""
    x = as_tensor(x)
    i = i % x.ndim if x.ndim else i
    d = x.type.shape[i] if 0 <= i < x.ndim else None
    return constant(d, INT) if d is not None else ShapeI(i)(x)


def trailing_dims(x: Variable, n: int = 2) -> Variable:
    """x's last n dims as an int64 vector (constants where static): e.g. an image's rows
    and cols, which convolution and pooling gradients need."""
    return as_shape_vector([shape_i(x, x.ndim - n + k) for k in range(n)], "trailing_dims")


def shape_tuple(x: Variable) -> list[Variable]:
    """Symbolic scalars for each dimension (constants where static)."""
    return [shape_i(x, i) for i in range(x.ndim)]


def broadcast_shape_symbolic(inputs: Sequence[Variable], input_shapes: Sequence[Sequence[Any]],
                             out: Variable) -> list[Variable]:
    """Symbolic output shape of a broadcasting op (for shape inference)."""
    return broadcast_dims([x.type.shape for x in inputs], input_shapes, out.type.shape)


def broadcast_dims(static: Sequence[Sequence[int | None]], dims: Sequence[Sequence[Any]],
                   out_static: Sequence[int | None]) -> list[Variable]:
    """Symbolic broadcast of several shapes, given their static and symbolic dims.

    Two compatible dims a, b broadcast to `b if a == 1 else a` -- not max(a, b), which is
    wrong when the other dim is 0.
    """
    from .elemwise import eq, switch  # cycle: elemwise builds on shape
    nd = len(out_static)
    result = []
    for axis in range(nd):
        if out_static[axis] is not None:
            result.append(constant(out_static[axis], INT))
            continue
        cands = []
        for st, shp in zip(static, dims, strict=True):
            k = axis - nd + len(st)
            if k >= 0 and st[k] != 1:
                cands.append(shp[k])
        dim = cands[0]
        for c in cands[1:]:
            dim = switch(eq(dim, 1), c, dim)
        result.append(dim)
    return result


# ---------------------------------------------------------------- reshape


@dataclass(frozen=True)
class Reshape(Op):
    """x reshaped to the int64 vector `shape` (-1 allowed once, NumPy's rule)."""

    ndim: int
    view_map = {0: 0}  # np.reshape returns a view when it can

    def make_node(self, x: Any, shp: Any) -> Apply:
        x = as_tensor(x)
        shp = as_shape_vector(shp, "reshape")
        if shp.type.shape[0] is not None and shp.type.shape[0] != self.ndim:
            raise ValueError(f"reshape: shape vector has {shp.type.shape[0]} entries, "
                             f"expected {self.ndim}")
        static = list(static_vector(shp) or (None,) * self.ndim)
        if static.count(-1) > 1:
            raise ValueError(f"reshape: at most one -1 in the shape, got {tuple(static)}")
        total = _prod(x.type.shape)
        if -1 in static:
            rest = _prod([d for d in static if d != -1])
            k = static.index(-1)
            static[k] = None if total is None or rest is None or rest == 0 else total // rest
            if total is not None and rest not in (None, 0) and total % rest:
                raise ValueError(f"reshape: cannot reshape {x.type} to {tuple(static)}")
        known = _prod(static)
        if total is not None and known is not None and total != known:
            raise ValueError(f"reshape: cannot reshape an array of static shape "
                             f"{x.type.shape} ({total} elements) into shape {tuple(static)}")
        return Apply(self, [x, shp], [TensorType(x.dtype, tuple(static))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        # the shape vector as a list: NumPy reads it 2x faster than an int64 array
        return f"np.reshape({ins[0]}, {ins[1]}.tolist())"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        x, _ = inputs
        return [reshape(output_grads[0], shape(x)), None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        out = node.outputs[0]
        shp = node.inputs[1]
        return [[constant(d, INT) if d is not None else shp[i]
                 for i, d in enumerate(out.type.shape)]] if -1 not in (
            static_vector(shp) or ()) else None


def _prod(dims: Sequence[int | None]) -> int | None:
    total = 1
    for d in dims:
        if d is None:
            return None
        total *= d
    return total


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> Variable:
    """x with a new shape; entries may be ints, symbolic scalars, or one -1."""
    x = as_tensor(x)
    shp = as_shape_vector(newshape, "reshape")
    n = shp.type.shape[0] if ndim is None else ndim
    if n is None:
        raise ValueError("reshape: the length of a symbolic shape vector must be known; "
                         "pass ndim=")
    if isinstance(newshape, (tuple, list)) and tuple(newshape) == x.type.shape and \
            None not in x.type.shape:
        return x
    return Reshape(n)(x, shp)


def flatten(x: Any, ndim: int = 1) -> Variable:
    """Keep the first ndim-1 dimensions, collapse the rest (Theano's flatten)."""
    x = as_tensor(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} is out of range for a {x.ndim}-d input")
    if ndim == x.ndim:
        return x
    return reshape(x, [shape_i(x, i) for i in range(ndim - 1)] + [-1])


# ---------------------------------------------------------------- dimshuffle


@dataclass(frozen=True)
class DimShuffle(Op):
    """Permute, drop (size-1) and insert ('x') dimensions: Theano's dimshuffle."""

    pattern: tuple
    view_map = {0: 0}

    @property
    def name(self) -> str:
        return "dimshuffle"

    def __str__(self) -> str:
        return "dimshuffle{" + ",".join(str(p) for p in self.pattern) + "}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        kept = [p for p in self.pattern if p != "x"]
        if sorted(kept) != sorted(set(kept)) or any(
                not isinstance(p, int) or not 0 <= p < x.ndim for p in kept):
            raise ValueError(f"dimshuffle: pattern {self.pattern} is invalid for a "
                             f"{x.ndim}-d input")
        for d in range(x.ndim):
            if d not in kept and x.type.shape[d] not in (1, None):
                raise ValueError(f"dimshuffle: cannot drop dimension {d} of {x.type}: "
                                 f"its size is {x.type.shape[d]}, not 1")
        shape = tuple(1 if p == "x" else x.type.shape[p] for p in self.pattern)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def parts(self, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(dropped dims, permutation of kept dims, positions of new axes)."""
        kept = [p for p in self.pattern if p != "x"]
        dropped = tuple(d for d in range(ndim) if d not in kept)
        order = sorted(kept)
        perm = tuple(order.index(p) for p in kept)
        new = tuple(i for i, p in enumerate(self.pattern) if p == "x")
        return dropped, perm, new

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        expr = ins[0]
        dropped, perm, new = self.parts(node.inputs[0].ndim)
        if dropped:
            expr = f"np.squeeze({expr}, axis={dropped})"
        if perm != tuple(range(len(perm))):  # (2+ dims: an ndarray) the method, 5x faster
            expr = f"{expr}.transpose({perm})"
        if new:
            idx = ", ".join("None" if p == "x" else ":" for p in self.pattern)
            expr = f"{expr}[{idx}]"
        return expr

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (x,) = inputs
        g = output_grads[0]
        dropped, perm, new = self.parts(x.ndim)
        # Undo: drop the inserted axes, invert the permutation, re-insert the dropped ones.
        kept_pattern = [i for i, p in enumerate(self.pattern) if p != "x"]
        g = dimshuffle(g, tuple(kept_pattern)) if new else g
        inv = tuple(int(i) for i in np.argsort(perm))
        g = dimshuffle(g, inv) if inv != tuple(range(len(inv))) else g
        if dropped:
            g = expand_dims(g, dropped)
        return [g]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        shp = input_shapes[0]
        return [[constant(1, INT) if p == "x" else shp[p] for p in self.pattern]]


def dimshuffle(x: Any, pattern: Sequence[Any]) -> Variable:
    """Theano's dimshuffle: ints pick dimensions, 'x' inserts a broadcastable one."""
    x = as_tensor(x)
    pattern = tuple(p if p == "x" else int(p) for p in pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(pattern)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Variable:
    """Permute dimensions (reverse them by default)."""
    x = as_tensor(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    if any(not -x.ndim <= int(a) < x.ndim for a in axes):
        raise ValueError(f"transpose: axes {tuple(axes)} are out of range for {x.type}")
    axes = tuple(int(a) % x.ndim for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of {x.ndim} dims")
    return dimshuffle(x, axes)


def expand_dims(x: Any, axis: int | Sequence[int]) -> Variable:
    """Insert size-1 dimensions at `axis` (NumPy's rule for negatives)."""
    x = as_tensor(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = x.ndim + len(axes)
    axes = normalize_axis(axes, nd, "expand_dims") or ()  # in range of the result, as NumPy
    pattern: list[Any] = []
    k = 0
    for i in range(nd):
        if i in axes:
            pattern.append("x")
        else:
            pattern.append(k)
            k += 1
    return dimshuffle(x, pattern)


def squeeze(x: Any, axis: Any = None) -> Variable:
    """Drop size-1 dimensions (all statically-1 ones when axis is None)."""
    x = as_tensor(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.type.shape) if d == 1)
    else:
        axes = normalize_axis(axis, x.ndim, "squeeze") or ()
    return dimshuffle(x, [i for i in range(x.ndim) if i not in axes])


# ---------------------------------------------------------------- joining


def _join_types(xs: Sequence[Variable], axis: int, op: str, new_axis: bool) -> TensorType:
    nd = xs[0].ndim
    if any(x.ndim != nd for x in xs):
        raise ValueError(f"{op}: all inputs need the same number of dims, got "
                         f"{', '.join(str(x.type) for x in xs)}")
    dtype = dtypes.upcast(*(x.dtype for x in xs))
    shape: list[int | None] = []
    for d in range(nd):
        dims = [x.type.shape[d] for x in xs]
        if d == axis and not new_axis:
            shape.append(None if None in dims else sum(dims))
            continue
        known = {v for v in dims if v is not None}
        if len(known) > 1:
            raise ValueError(f"{op}: input shapes {', '.join(str(x.type) for x in xs)} "
                             f"differ along axis {d}")
        shape.append(known.pop() if known else None)
    if new_axis:
        shape.insert(axis, len(xs))
    return TensorType(dtype, tuple(shape))


@dataclass(frozen=True)
class Concatenate(Op):
    """Join tensors along an existing axis."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    axis: int

    def make_node(self, *xs: Any) -> Apply:
        xs = [as_tensor(x) for x in xs]
        return Apply(self, xs, [_join_types(xs, self.axis, "concatenate", False)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        dt = node.outputs[0].dtype
        return f"np.concatenate([{', '.join(ins)}], axis={self.axis}, dtype=np.{dt})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        from .indexing import getitem  # cycle: indexing builds on shape
        g = output_grads[0]
        result, start = [], constant(0, INT)
        for x in inputs:
            stop = start + shape_i(x, self.axis)
            key = (slice(None),) * self.axis + (slice(start, stop),)
            result.append(getitem(g, key))
            start = stop
        return result

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        out = list(input_shapes[0])
        for shp in input_shapes[1:]:
            out[self.axis] = out[self.axis] + shp[self.axis]
        return [out]


@dataclass(frozen=True)
class Stack(Op):
    """Join tensors along a new axis (stack of scalars makes a vector)."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    axis: int

    def make_node(self, *xs: Any) -> Apply:
        xs = [as_tensor(x) for x in xs]
        return Apply(self, xs, [_join_types(xs, self.axis, "stack", True)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        dt = node.outputs[0].dtype
        if node.inputs[0].ndim == 0 and self.axis == 0:
            return f"np.array([{', '.join(ins)}], dtype=np.{dt})"
        return f"np.stack([{', '.join(ins)}], axis={self.axis}, dtype=np.{dt})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        from .indexing import getitem  # cycle: indexing builds on shape
        g = output_grads[0]
        return [getitem(g, (slice(None),) * self.axis + (i,)) for i in range(len(inputs))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        shp = list(input_shapes[0])
        shp.insert(self.axis, constant(len(node.inputs), INT))
        return [shp]


def concatenate(xs: Sequence[Any], axis: int = 0) -> Variable:
    """Join along an existing axis (np.concatenate)."""
    xs = [as_tensor(x) for x in xs]
    if not xs:
        raise ValueError("concatenate: need at least one input")
    if len(xs) == 1:
        return xs[0]
    axis = normalize_axis(axis, xs[0].ndim, "concatenate")[0]
    return Concatenate(axis)(*xs)


def stack(xs: Sequence[Any], axis: int = 0) -> Variable:
    """Join along a new axis (np.stack)."""
    xs = [as_tensor(x) for x in xs]
    if not xs:
        raise ValueError("stack: need at least one input")
    axis = normalize_axis(axis, xs[0].ndim + 1, "stack")[0]
    return Stack(axis)(*xs)



__all__ = ["INT", "Concatenate", "DimShuffle", "Reshape", "Shape", "ShapeI", "Stack",
           "as_int_scalar", "as_shape_vector", "broadcast_dims", "broadcast_shape_symbolic",
           "concatenate", "dimshuffle", "expand_dims", "flatten", "reshape", "shape",
           "shape_i", "shape_tuple", "squeeze", "stack", "static_int", "static_vector",
           "transpose"]
