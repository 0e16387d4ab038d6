"""Repeat and tile: np.repeat / np.tile, with gradients that add the copies back up.

Built on shape.py and allocation.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, constant
from .allocation import arange, zeros_like
from .elemwise import cast
from .indexing import getitem, inc_subtensor
from .reduce import sum as sum_
from .registry import Op, RenderContext, normalize_axis
from .shape import INT, _prod, reshape, shape, shape_i, shape_tuple, static_int


@dataclass(frozen=True)
class Repeat(Op):
    """np.repeat(x, repeats, axis) with a scalar or per-element int repeats."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    axis: int | None

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x, r = as_tensor(x), as_tensor(repeats)
        if not dtypes.is_int(r.dtype) or r.ndim > 1:
            raise TypeError(f"repeat: repeats must be an int scalar or vector, got {r.type}")
        if self.axis is None:
            n = _prod(x.type.shape)
            k = static_int(r) if r.ndim == 0 else None
            return Apply(self, [x, r], [TensorType(x.dtype, (None if n is None or k is None
                                                              else n * k,))])
        out_shape = list(x.type.shape)
        k = static_int(r) if r.ndim == 0 else None
        d = out_shape[self.axis]
        out_shape[self.axis] = d * k if d is not None and k is not None else None
        return Apply(self, [x, r], [TensorType(x.dtype, tuple(out_shape))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.repeat({ins[0]}, {ins[1]}, axis={self.axis})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        x, r = inputs
        g = output_grads[0]
        k = static_int(r) if r.ndim == 0 else None
        if k is None:
            return [_repeat_grad_scatter(x, r, g, self.axis), None]
        if self.axis is None:
            return [reshape(sum_(reshape(g, [-1, k]), axis=1), shape(x)), None]
        dims = shape_tuple(x)
        split = dims[:self.axis] + [dims[self.axis], constant(k, INT)] + dims[self.axis + 1:]
        return [sum_(reshape(g, split), axis=self.axis + 1), None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        r = node.inputs[1]
        shp = list(input_shapes[0])
        if self.axis is None:
            n: Any = constant(1, INT)
            for d in shp:
                n = n * d
            shp, axis = [n], 0
        else:
            axis = self.axis
        count = sum_(r) if r.ndim == 1 else shp[axis] * r
        shp[axis] = count if count.dtype == INT else cast(count, INT)
        return [shp]


def _repeat_grad_scatter(x: Variable, r: Variable, g: Variable, axis: int | None) -> Variable:
    """Gradient of repeat for per-element or symbolic repeats: output position j came from
    source index repeat(arange(n), r)[j], so g is added back there (repeats accumulate)."""
    flat = x if axis is not None else reshape(x, [-1])
    ax = 0 if axis is None else axis
    source = Repeat(0)(arange(shape_i(flat, ax), dtype=INT), r)
    gx = inc_subtensor(getitem(zeros_like(flat), (slice(None),) * ax + (source,)), g)
    return gx if axis is not None else reshape(gx, shape(x))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Variable:
    """np.repeat."""
    x = as_tensor(x)
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, "repeat")[0]
    if isinstance(repeats, (int, np.integer)):
        repeats = constant(int(repeats), INT)
    return Repeat(axis)(x, repeats)


@dataclass(frozen=True)
class Tile(Op):
    """np.tile with constant repetitions."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    reps: tuple[int, ...]

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        nd = max(x.ndim, len(self.reps))
        xs = (1,) * (nd - x.ndim) + x.type.shape
        reps = (1,) * (nd - len(self.reps)) + self.reps
        shape = tuple(None if d is None else d * r for d, r in zip(xs, reps, strict=True))
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.tile({ins[0]}, {self.reps})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (x,) = inputs
        g = output_grads[0]
        nd = outputs[0].ndim
        reps = (1,) * (nd - len(self.reps)) + self.reps
        xd = [constant(1, INT)] * (nd - x.ndim) + shape_tuple(x)
        split: list[Any] = []
        for r, d in zip(reps, xd, strict=True):
            split += [constant(r, INT), d]
        summed = sum_(reshape(g, split), axis=tuple(range(0, 2 * nd, 2)))
        return [reshape(summed, shape(x))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        nd = node.outputs[0].ndim
        dims = [constant(1, INT)] * (nd - node.inputs[0].ndim) + list(input_shapes[0])
        reps = (1,) * (nd - len(self.reps)) + self.reps
        return [[d * r for d, r in zip(dims, reps, strict=True)]]


def tile(x: Any, reps: Any) -> Variable:
    """np.tile (reps must be constant ints)."""
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    return Tile(reps)(as_tensor(x))


