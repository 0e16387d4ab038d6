"""The ops gradients are built from: undoing broadcasting (`sum_to_shape_of`, the one
helper every broadcasting op's gradient calls) and blocking a gradient
(`disconnected_grad`). Here, below the ops whose gradients use them, so those ops import
this module rather than `symgraph.grad` (which is built on the ops)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor
from .allocation import zeros_like
from .registry import Op, RenderContext, keep_input_shape
from .shape import shape


@dataclass(frozen=True)
class DisconnectedGrad(Op):
    """Identity in the forward pass; blocks the gradient (stop_gradient)."""

    view_map = {0: 0}

    @property
    def name(self) -> str:
        return "disconnected_grad"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return ins[0]

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None]

    infer_shape = keep_input_shape


def _sum_to(g: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Sum g down to `target` shape (the dims NumPy broadcast)."""
    target = tuple(target.tolist()) if isinstance(target, np.ndarray) else \
        tuple(int(d) for d in target)
    if g.shape == target:
        return g
    lead = g.ndim - len(target)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target)
                                      if d == 1 and g.shape[lead + i] != 1)
    return np.sum(g, axis=axes, keepdims=True).reshape(target) if axes else g.reshape(target)


@dataclass(frozen=True)
class SumToShape(Op):
    """g summed over the dims where it was broadcast to reach its shape from `shape`."""

    static: tuple
    view_map = {0: 0}  # returns g itself when nothing was broadcast

    @property
    def name(self) -> str:
        return "sum_to_shape"

    def make_node(self, g: Any, shp: Any) -> Apply:
        g = as_tensor(g)
        return Apply(self, [g, as_tensor(shp)], [TensorType(g.dtype, self.static)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"{ctx.ref(_sum_to, 'sum_to')}({ins[0]}, {ins[1]})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        g, _ = inputs
        return [output_grads[0] + zeros_like(g), None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [[node.inputs[1][i] for i in range(len(self.static))]]


def sum_to_shape_of(g: Variable, x: Variable, peers: Sequence[Variable] | None = None
                    ) -> Variable:
    """Undo broadcasting: sum g (shaped like a broadcast result) down to x's shape.

    Leading dims and dims where x is statically 1 are summed statically. A dim of x that
    is unknown could have been broadcast from size 1 at run time -- unless no peer (the
    other operands of the broadcasting op) has that dim, in which case x's size is the
    result's. Undecidable dims are left to a run-time SumToShape, which is a no-op check
    when nothing was broadcast.
    """
    from .reduce import sum as sum_  # cycle: reduce -> elemwise -> this module
    g = as_tensor(g)
    lead = g.ndim - x.ndim
    if lead < 0:
        raise ValueError(f"sum_to_shape: gradient {g.type} has fewer dims than {x.type}")
    if lead:
        g = sum_(g, axis=tuple(range(lead)))
    keep_axes = []
    dynamic = False
    for i, (xd, gd) in enumerate(zip(x.type.shape, g.type.shape, strict=True)):
        if xd == 1 and gd != 1:
            keep_axes.append(i)
        elif xd is None and gd != 1:
            if peers is None:
                dynamic = True
                continue
            for p in peers:
                k = i - x.ndim + p.ndim
                if p is not x and k >= 0 and p.type.shape[k] != 1:
                    dynamic = True
    if keep_axes:
        g = sum_(g, axis=tuple(keep_axes), keepdims=True)
    if dynamic:
        return SumToShape(x.type.shape)(g, shape(x))
    if g.type.shape != x.type.shape and any(
            a is not None and b is not None and a != b
            for a, b in zip(g.type.shape, x.type.shape, strict=True)):
        raise ValueError(f"sum_to_shape: cannot reduce {g.type} to {x.type}")
    return g


def disconnected_grad(x: Any) -> Variable:
    """x, through which no gradient flows."""
    return DisconnectedGrad()(x)


stop_gradient = disconnected_grad
