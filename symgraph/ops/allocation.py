"""Allocation ops: alloc, zeros, ones, zeros_like, ones_like, arange, eye, broadcast_to.

These build new arrays from a shape rather than reshaping an input (shape.py holds the
shape helpers they use).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, broadcast_shapes
from .registry import Op, RenderContext
from .shape import as_int_scalar, shape_tuple, static_int


@dataclass(frozen=True)
class Alloc(Op):
    """An array of the given shape filled with a scalar value."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    dtype: str

    def make_node(self, value: Any, *dims: Any) -> Apply:
        v = as_tensor(value)
        if v.ndim != 0:
            raise ValueError(f"alloc: the fill value must be a scalar, got {v.type}")
        ds = [as_int_scalar(d, "alloc") for d in dims]
        return Apply(self, [v, *ds], [TensorType(self.dtype, tuple(static_int(d) for d in ds))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        dims = ins[1:]
        shp = f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"
        return f"np.full({shp}, {ins[0]}, dtype=np.{self.dtype})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        from .reduce import sum as sum_  # cycle: reduce builds on allocation
        return [sum_(output_grads[0])] + [None] * (len(inputs) - 1)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [list(node.inputs[1:])]


def alloc(value: Any, *shape: Any, dtype: str | None = None) -> Variable:
    """An array of `shape` filled with `value`."""
    v = as_tensor(value)
    dtype = dtypes.as_dtype(dtype) if dtype is not None else v.dtype
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    if len(shape) == 1 and isinstance(shape[0], Variable) and shape[0].ndim == 1:
        vec = shape[0]
        n = vec.type.shape[0]
        if n is None:
            raise ValueError("alloc: the length of a symbolic shape vector must be known")
        from .indexing import getitem  # cycle: indexing builds on allocation
        shape = tuple(getitem(vec, i) for i in range(n))
    return Alloc(dtype)(v, *shape)


def alloc_like(value: Any, x: Any, dtype: str | None = None) -> Variable:
    """An array shaped like x filled with `value` (dtype of x by default)."""
    x = as_tensor(x)
    return Alloc(dtypes.as_dtype(dtype) if dtype else x.dtype)(value, *shape_tuple(x))


def zeros(shape: Any, dtype: str | None = None) -> Variable:
    """An array of zeros (dtype floatX by default)."""
    shape = (shape,) if isinstance(shape, (int, np.integer, Variable)) and not (
        isinstance(shape, Variable) and shape.ndim == 1) else shape
    return alloc(0, *(shape if isinstance(shape, (list, tuple)) else (shape,)),
                 dtype=dtypes.as_dtype(dtype))


def ones(shape: Any, dtype: str | None = None) -> Variable:
    """An array of ones (dtype floatX by default)."""
    shape = (shape,) if isinstance(shape, (int, np.integer, Variable)) and not (
        isinstance(shape, Variable) and shape.ndim == 1) else shape
    return alloc(1, *(shape if isinstance(shape, (list, tuple)) else (shape,)),
                 dtype=dtypes.as_dtype(dtype))


def zeros_like(x: Any, dtype: str | None = None) -> Variable:
    """Zeros shaped like x (x's dtype unless `dtype` is given)."""
    return alloc_like(0, x, dtype)


def ones_like(x: Any, dtype: str | None = None) -> Variable:
    """Ones shaped like x (x's dtype unless `dtype` is given)."""
    return alloc_like(1, x, dtype)


@dataclass(frozen=True)
class Arange(Op):
    """np.arange(start, stop, step)."""

    dtype: str

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        xs = [as_tensor(v) for v in (start, stop, step)]
        if any(v.ndim for v in xs):
            raise ValueError("arange: start, stop and step must be scalars")
        vals = [static_int(v) for v in xs]
        n = None
        if None not in vals and vals[2] != 0:
            n = max(0, -(-(vals[1] - vals[0]) // vals[2]))
        return Apply(self, xs, [TensorType(self.dtype, (n,))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.arange({ins[0]}, {ins[1]}, {ins[2]}, dtype=np.{self.dtype})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None, None, None]


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str | None = None) -> Variable:
    """np.arange with symbolic or constant bounds."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dt = dtypes.upcast(*(as_tensor(v).dtype for v in (start, stop, step)))
    else:
        dt = dtypes.as_dtype(dtype)
    return Arange(dt)(start, stop, step)


@dataclass(frozen=True)
class Eye(Op):
    """np.eye(n, m, k)."""

    dtype: str

    def make_node(self, n: Any, m: Any, k: Any) -> Apply:
        xs = [as_int_scalar(v, "eye") for v in (n, m, k)]
        return Apply(self, xs, [TensorType(self.dtype, (static_int(xs[0]), static_int(xs[1])))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.eye({ins[0]}, {ins[1]}, {ins[2]}, dtype=np.{self.dtype})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None, None, None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [list(node.inputs[:2])]


def eye(n: Any, m: Any = None, k: Any = 0, dtype: str | None = None) -> Variable:
    """The identity matrix (np.eye)."""
    return Eye(dtypes.as_dtype(dtype))(n, n if m is None else m, k)


def broadcast_to(x: Any, shape: Sequence[Any]) -> Variable:
    """x broadcast to `shape` (as a sum with zeros, so gradients flow back)."""
    x = as_tensor(x)
    z = alloc(0, *shape, dtype=x.dtype)
    broadcast_shapes(x.type.shape, z.type.shape, op="broadcast_to")
    from .elemwise import add  # cycle: elemwise builds on allocation
    return add(x, z)
