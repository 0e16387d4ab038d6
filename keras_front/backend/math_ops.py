"""Arithmetic for K: elementwise math, comparisons, reductions, dot and batch_dot.

Names and defaults follow Keras 1.x's Theano backend: `argmax(x, axis=-1)`, `sqrt`
clips negatives to 0 first, `mean` of ints/bools is a floatx mean, `clip(x, lo, None)`
has no upper bound, and `lesser` is `less`.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph import dtypes
from symgraph.graph import Variable

from .common import floatx

Axis = int | Sequence[int] | None


def _t(x: Any) -> Variable:
    return sg.as_tensor(x)


def _axis(axis: Axis) -> Any:
    """Keras accepts axis as an int, a list or a tuple."""
    return tuple(axis) if isinstance(axis, list) else axis


# ---------------------------------------------------------------- linear algebra


def dot(x: Any, y: Any) -> Variable:
    """Matrix product; for N-d inputs, sums x's last axis with y's second-to-last (np.dot)."""
    return sg.dot(x, y)


def batch_dot(x: Any, y: Any, axes: int | Sequence[int] | None = None) -> Variable:
    """Per-sample dot product over axis axes[0] of x and axes[1] of y (axis 0 is the batch).

    The result has the batch axis, then x's remaining axes, then y's; a result of rank 1
    becomes (batch, 1), as in Keras 1.x.
    """
    x, y = _t(x), _t(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"batch_dot: inputs need at least 2 dims (batch first), got "
                         f"{x.type} and {y.type}")
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2)  # tf.batch_matmul's default
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes), int(axes))
    if len(axes) != 2 or not builtins.all(isinstance(a, (int, np.integer)) for a in axes):
        raise ValueError(f"batch_dot: axes must be an int or a pair of ints, got {axes!r}")
    ax, ay = int(axes[0]) % x.ndim, int(axes[1]) % y.ndim
    if ax == 0 or ay == 0:
        raise ValueError(f"batch_dot: cannot sum over the batch axis (axes={tuple(axes)})")
    kx, ky = x.type.shape[ax], y.type.shape[ay]
    if kx is not None and ky is not None and kx != ky:
        raise ValueError(f"batch_dot: cannot sum axis {ax} of {x.type} with axis {ay} of "
                         f"{y.type}: sizes {kx} and {ky} differ")
    rest_x = [i for i in range(1, x.ndim) if i != ax]
    rest_y = [i for i in range(1, y.ndim) if i != ay]
    # As one batched matrix product: (B, prod(rest_x), K) @ (B, K, prod(rest_y)).
    xm = sg.reshape(sg.transpose(x, [0, *rest_x, ax]),
                    (sg.shape_i(x, 0), _size(x, rest_x), sg.shape_i(x, ax)))
    ym = sg.reshape(sg.transpose(y, [0, ay, *rest_y]),
                    (sg.shape_i(y, 0), sg.shape_i(y, ay), _size(y, rest_y)))
    out_dims = [sg.shape_i(x, 0)] + [sg.shape_i(x, i) for i in rest_x] + \
        [sg.shape_i(y, i) for i in rest_y]
    if len(out_dims) == 1:
        out_dims.append(1)
    return sg.reshape(sg.matmul(xm, ym), out_dims)


def _size(x: Variable, axes: Sequence[int]) -> Any:
    """Product of the sizes of `axes` of x: an int when static, else symbolic."""
    static = [x.type.shape[i] for i in axes]
    if None not in static:
        return int(np.prod(static, dtype=np.int64))
    out: Any = 1
    for i in axes:
        out = out * sg.shape_i(x, i)
    return out


def transpose(x: Any) -> Variable:
    """x with its axes reversed."""
    return sg.transpose(x)


def gather(reference: Any, indices: Any) -> Variable:
    """Rows of `reference` picked by the int tensor `indices` (reference[indices])."""
    return _t(reference)[_t(indices)]


# ---------------------------------------------------------------- reductions


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Maximum over axis (all axes when None)."""
    return sg.max(x, _axis(axis), keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Minimum over axis."""
    return sg.min(x, _axis(axis), keepdims)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Sum over axis."""
    return sg.sum(x, _axis(axis), keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Product over axis."""
    return sg.prod(x, _axis(axis), keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Mean over axis; int and bool tensors average in floatx (accuracy metrics rely on it)."""
    x = _t(x)
    if not dtypes.is_float(x.dtype):
        x = sg.cast(x, floatx())
    return sg.mean(x, _axis(axis), keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Variance (divided by n) over axis."""
    return sg.var(_float(x), _axis(axis), keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Standard deviation (divided by n) over axis."""
    return sg.std(_float(x), _axis(axis), keepdims)


def _float(x: Any) -> Variable:
    x = _t(x)
    return x if dtypes.is_float(x.dtype) else sg.cast(x, floatx())


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Logical OR over axis."""
    return sg.any(x, _axis(axis), keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Logical AND over axis."""
    return sg.all(x, _axis(axis), keepdims)


def argmax(x: Any, axis: int = -1) -> Variable:
    """Index of the maximum along axis (the last by default)."""
    return sg.argmax(x, axis)


def argmin(x: Any, axis: int = -1) -> Variable:
    """Index of the minimum along axis (the last by default)."""
    return sg.argmin(x, axis)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """log(sum(exp(x))) over axis, computed without overflow."""
    return sg.logsumexp(x, _axis(axis), keepdims)


def cumsum(x: Any, axis: int = 0) -> Variable:
    """Running sum along axis (a product with a triangular matrix, so it differentiates)."""
    x = _t(x)
    axis = axis % x.ndim
    n = sg.shape_i(x, axis)
    idx = sg.arange(n)
    # tri[j, i] = 1 where j <= i: output i sums inputs 0..i.
    tri = sg.cast(sg.le(sg.expand_dims(idx, 1), sg.expand_dims(idx, 0)), x.dtype)
    moved = sg.tensordot(x, tri, ([axis], [0]))  # the summed axis ends up last
    order = list(range(x.ndim - 1))
    order.insert(axis, x.ndim - 1)
    return sg.transpose(moved, order)


# ---------------------------------------------------------------- elementwise


def square(x: Any) -> Variable:
    """x ** 2."""
    return sg.square(x)


def abs(x: Any) -> Variable:
    """|x|."""
    return sg.abs(x)


def sqrt(x: Any) -> Variable:
    """Square root, with negative inputs clipped to 0 first (as Keras does)."""
    return sg.sqrt(sg.clip(x, 0.0, np.inf))


def exp(x: Any) -> Variable:
    """e ** x."""
    return sg.exp(x)


def log(x: Any) -> Variable:
    """Natural logarithm."""
    return sg.log(x)


def round(x: Any) -> Variable:
    """Round half to even."""
    return sg.round(x)


def sign(x: Any) -> Variable:
    """-1, 0 or 1 by the sign of x."""
    return sg.sign(x)


def pow(x: Any, a: Any) -> Variable:
    """x ** a."""
    return sg.pow(x, a)


def clip(x: Any, min_value: Any, max_value: Any) -> Variable:
    """x limited to [min_value, max_value]; max_value None means no upper bound."""
    if max_value is None:
        max_value = np.inf
    elif not isinstance(max_value, Variable) and not isinstance(min_value, Variable) and \
            max_value < min_value:
        max_value = min_value  # Keras' rule for an empty interval
    return sg.clip(x, min_value, max_value)


def equal(x: Any, y: Any) -> Variable:
    """Elementwise x == y (bool)."""
    return sg.eq(x, y)


def not_equal(x: Any, y: Any) -> Variable:
    """Elementwise x != y (bool)."""
    return sg.neq(x, y)


def greater(x: Any, y: Any) -> Variable:
    """Elementwise x > y (bool)."""
    return sg.gt(x, y)


def greater_equal(x: Any, y: Any) -> Variable:
    """Elementwise x >= y (bool)."""
    return sg.ge(x, y)


def less(x: Any, y: Any) -> Variable:
    """Elementwise x < y (bool)."""
    return sg.lt(x, y)


def less_equal(x: Any, y: Any) -> Variable:
    """Elementwise x <= y (bool)."""
    return sg.le(x, y)


lesser = less  # the Keras 1.x spellings
lesser_equal = less_equal


def maximum(x: Any, y: Any) -> Variable:
    """Elementwise maximum."""
    return sg.maximum(x, y)


def minimum(x: Any, y: Any) -> Variable:
    """Elementwise minimum."""
    return sg.minimum(x, y)


def sin(x: Any) -> Variable:
    """Sine."""
    return sg.sin(x)


def cos(x: Any) -> Variable:
    """Cosine."""
    return sg.cos(x)
