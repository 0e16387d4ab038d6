"""Linear algebra: dot, matmul, tensordot, outer; `sg.linalg.inv / solve / det` via SciPy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, broadcast_shapes
from . import elemwise as ew
from .grad_ops import sum_to_shape_of
from .registry import Op, RenderContext, keep_input_shape
from .shape import broadcast_dims, dimshuffle, flatten, transpose


def _inner(a: int | None, b: int | None, op: str, ta: TensorType, tb: TensorType) -> None:
    if a is not None and b is not None and a != b:
        raise ValueError(f"{op}: shapes {ta.shape} and {tb.shape} are not aligned "
                         f"({a} != {b}); inputs {ta} and {tb}")


def _matrix_dtype(a: Variable, b: Variable, op: str) -> str:
    dt = dtypes.upcast(a.dtype, b.dtype)
    if dt == "bool":
        raise TypeError(f"{op}: not defined for two bool inputs")
    return dt


@dataclass(frozen=True)
class Dot(Op):
    """np.dot: matrix product for 1-d and 2-d; for N-d, sums a's last axis with b's
    second-to-last."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("dot: use multiplication for scalars")
        sa, sb = a.type.shape, b.type.shape
        kb = sb[0] if b.ndim == 1 else sb[-2]
        _inner(sa[-1], kb, "dot", a.type, b.type)
        shape = sa[:-1] + (sb[:-2] + sb[-1:] if b.ndim >= 2 else ())
        return Apply(self, [a, b], [TensorType(_matrix_dtype(a, b, "dot"), shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        a, b = node.inputs
        if a.ndim > 2 and b.ndim == 2:
            # np.dot of an N-d array loops in C without BLAS (20x slower): one GEMM on
            # the leading axes flattened instead.
            return f"{ctx.ref(_dot_flat, 'dot_flat')}({ins[0]}, {ins[1]})"
        return f"np.dot({ins[0]}, {ins[1]})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        a, b = inputs
        (g,) = output_grads
        if a.ndim <= 2 and b.ndim <= 2:
            if a.ndim == 1 and b.ndim == 1:
                ga, gb = g * b, g * a
            elif a.ndim == 2 and b.ndim == 1:
                ga, gb = outer(g, b), dot(transpose(a), g)
            elif a.ndim == 1 and b.ndim == 2:
                ga, gb = dot(b, g), outer(a, g)
            else:
                ga, gb = dot(g, transpose(b)), dot(transpose(a), g)
        else:
            bk = b.ndim - 2 if b.ndim >= 2 else 0
            return Tensordot((a.ndim - 1,), (bk,)).grad(inputs, outputs, output_grads)
        return [_like(ga, a), _like(gb, b)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        sa, sb = input_shapes
        return [list(sa[:-1]) + (list(sb[:-2]) + list(sb[-1:]) if len(sb) >= 2 else [])]


def _dot_flat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.dot(a, b) for an N-d a and a matrix b, as one matrix product."""
    return np.dot(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[-1:])


def _like(g: Variable, x: Variable) -> Variable | None:
    if not dtypes.is_differentiable(x.dtype):
        return None
    return ew.cast(g, x.dtype)


@dataclass(frozen=True)
class Tensordot(Op):
    """np.tensordot over the paired axes of a and b."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    axes_a: tuple[int, ...]
    axes_b: tuple[int, ...]

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        if len(self.axes_a) != len(self.axes_b):
            raise ValueError(f"tensordot: axes {self.axes_a} and {self.axes_b} differ in length")
        for i, j in zip(self.axes_a, self.axes_b, strict=True):
            _inner(a.type.shape[i], b.type.shape[j], "tensordot", a.type, b.type)
        free_a = [d for i, d in enumerate(a.type.shape) if i not in self.axes_a]
        free_b = [d for i, d in enumerate(b.type.shape) if i not in self.axes_b]
        return Apply(self, [a, b],
                     [TensorType(_matrix_dtype(a, b, "tensordot"), tuple(free_a + free_b))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.tensordot({ins[0]}, {ins[1]}, axes=({self.axes_a}, {self.axes_b}))"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        a, b = inputs
        (g,) = output_grads
        free_a = [i for i in range(a.ndim) if i not in self.axes_a]
        free_b = [i for i in range(b.ndim) if i not in self.axes_b]
        na = len(free_a)
        g_a_dims = tuple(range(na))
        g_b_dims = tuple(range(na, na + len(free_b)))
        # ga = g . b over b's free dims: its dims are a's free dims, then b's summed dims in
        # b's own (sorted) order -- each of which pairs with one summed dim of a.
        ga = tensordot(g, b, (g_b_dims, tuple(free_b)))
        order_a = free_a + [self.axes_a[self.axes_b.index(j)] for j in sorted(self.axes_b)]
        ga = transpose(ga, [order_a.index(i) for i in range(a.ndim)])
        # gb = a . g over a's free dims: a's summed dims in a's order, then b's free dims.
        gb = tensordot(a, g, (tuple(free_a), g_a_dims))
        order_b = [self.axes_b[self.axes_a.index(i)] for i in sorted(self.axes_a)] + free_b
        gb = transpose(gb, [order_b.index(i) for i in range(b.ndim)])
        return [_like(ga, a), _like(gb, b)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        sa, sb = input_shapes
        return [[d for i, d in enumerate(sa) if i not in self.axes_a] +
                [d for i, d in enumerate(sb) if i not in self.axes_b]]


@dataclass(frozen=True)
class Matmul(Op):
    """np.matmul on inputs of 2+ dims: batched matrix product, batch dims broadcast.

    (`matmul()` turns 1-d operands into matrices first, so this op never sees them.)
    """

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(f"matmul op: inputs need 2+ dims, got {a.type} and {b.type}")
        sa, sb = a.type.shape, b.type.shape
        _inner(sa[-1], sb[-2], "matmul", a.type, b.type)
        try:
            batch = broadcast_shapes(sa[:-2], sb[:-2], op="matmul")
        except ValueError:
            raise ValueError(f"matmul: the batch dims of shapes {sa} and {sb} cannot be "
                             f"broadcast together; inputs {a.type} and {b.type}") from None
        shape = batch + (sa[-2], sb[-1])
        return Apply(self, [a, b], [TensorType(_matrix_dtype(a, b, "matmul"), shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.matmul({ins[0]}, {ins[1]})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        a, b = inputs
        (g,) = output_grads
        ga = sum_to_shape_of(matmul(g, _swap(b)), a)
        gb = sum_to_shape_of(matmul(_swap(a), g), b)
        return [_like(ga, a), _like(gb, b)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        (a, b), (sa, sb) = node.inputs, input_shapes
        batch = broadcast_dims([a.type.shape[:-2], b.type.shape[:-2]], [sa[:-2], sb[:-2]],
                               node.outputs[0].type.shape[:-2])
        return [batch + [sa[-2], sb[-1]]]


def _swap(x: Variable) -> Variable:
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return transpose(x, axes)


def dot(a: Any, b: Any) -> Variable:
    """np.dot (multiplication when either side is a scalar)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.mul(a, b)
    return Dot()(a, b)


def matmul(a: Any, b: Any) -> Variable:
    """np.matmul (`a @ b`); a 1-d operand is a row (left) or column (right) vector."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: inputs must have at least 1 dim, got {a.type} and {b.type} "
                         f"(use * for scalars)")
    if a.ndim == 1 and b.ndim == 1:
        _inner(a.type.shape[0], b.type.shape[0], "matmul", a.type, b.type)
        return Dot()(a, b)
    if a.ndim == 1:
        out = Matmul()(dimshuffle(a, ("x", 0)), b)
        return dimshuffle(out, [i for i in range(out.ndim) if i != out.ndim - 2])
    if b.ndim == 1:
        out = Matmul()(a, dimshuffle(b, (0, "x")))
        return dimshuffle(out, list(range(out.ndim - 1)))
    return Matmul()(a, b)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Variable:
    """np.tensordot: `axes` an int (last n of a with first n of b) or a pair of lists."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        ax_a, ax_b = tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    else:
        ax_a, ax_b = axes
        ax_a = (ax_a,) if isinstance(ax_a, (int, np.integer)) else tuple(ax_a)
        ax_b = (ax_b,) if isinstance(ax_b, (int, np.integer)) else tuple(ax_b)
    ax_a = tuple(int(i) % a.ndim for i in ax_a)
    ax_b = tuple(int(i) % b.ndim for i in ax_b)
    return Tensordot(ax_a, ax_b)(a, b)


def outer(a: Any, b: Any) -> Variable:
    """Outer product of two vectors (inputs are flattened, as np.outer does)."""
    a, b = as_tensor(a), as_tensor(b)
    a1 = flatten(a, 1) if a.ndim != 1 else a
    b1 = flatten(b, 1) if b.ndim != 1 else b
    return dimshuffle(a1, (0, "x")) * dimshuffle(b1, ("x", 0))


# ---------------------------------------------------------------- sg.linalg (SciPy)


def _square(a: Variable, op: str) -> None:
    if a.ndim != 2:
        raise ValueError(f"{op}: expected a matrix, got {a.type}")
    n, m = a.type.shape
    if n is not None and m is not None and n != m:
        raise ValueError(f"{op}: expected a square matrix, got {a.type}")


def _float(a: Variable) -> Variable:
    return a if dtypes.is_float(a.dtype) else ew.cast(a, "float64")


@dataclass(frozen=True)
class MatrixInverse(Op):
    """scipy.linalg.inv."""

    @property
    def name(self) -> str:
        return "inv"

    def make_node(self, a: Any) -> Apply:
        a = _float(as_tensor(a))
        _square(a, "inv")
        return Apply(self, [a], [a.type])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"sla.inv({ins[0]}).astype(np.{node.outputs[0].dtype}, copy=False)"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (ai,), (g,) = outputs, output_grads
        ait = transpose(ai)
        return [-dot(dot(ait, g), ait)]

    infer_shape = keep_input_shape


@dataclass(frozen=True)
class Solve(Op):
    """scipy.linalg.solve(a, b): x with a @ x = b."""

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = _float(as_tensor(a)), _float(as_tensor(b))
        _square(a, "solve")
        if b.ndim not in (1, 2):
            raise ValueError(f"solve: b must be a vector or matrix, got {b.type}")
        _inner(a.type.shape[1], b.type.shape[0], "solve", a.type, b.type)
        dt = dtypes.upcast(a.dtype, b.dtype)
        return Apply(self, [a, b], [TensorType(dt, (a.type.shape[1],) + b.type.shape[1:])])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"sla.solve({ins[0]}, {ins[1]}).astype(np.{node.outputs[0].dtype}, copy=False)"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        a, b = inputs
        (x,), (g,) = outputs, output_grads
        gb = solve(transpose(a), g)
        ga = -(outer(gb, x) if x.ndim == 1 else dot(gb, transpose(x)))
        return [_like(ga, a), _like(gb, b)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        sa, sb = input_shapes
        return [[sa[1]] + list(sb[1:])]


@dataclass(frozen=True)
class Det(Op):
    """scipy.linalg.det."""

    def make_node(self, a: Any) -> Apply:
        a = _float(as_tensor(a))
        _square(a, "det")
        return Apply(self, [a], [TensorType(a.dtype, ())])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"np.asarray(sla.det({ins[0]}), dtype=np.{node.outputs[0].dtype})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (a,), (d,), (g,) = inputs, outputs, output_grads
        return [g * d * transpose(inv(a))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [[]]


def inv(a: Any) -> Variable:
    """Matrix inverse."""
    return MatrixInverse()(a)


def solve(a: Any, b: Any) -> Variable:
    """Solve a @ x = b."""
    return Solve()(a, b)


def det(a: Any) -> Variable:
    """Determinant."""
    return Det()(a)
