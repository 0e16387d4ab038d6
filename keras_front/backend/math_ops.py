"""Arithmetic for K: elementwise math, comparisons, reductions, dot and batch_dot.

Names and defaults follow Keras 1.x's Theano backend: `argmax(x, axis=-1)`, `sqrt`
clips negatives to 0 first, `mean` of ints/bools is a floatx mean, `clip(x, lo, None)`
has no upper bound, and `lesser` is `less`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
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


def unary(fn: Callable[[Any], Variable], name: str, doc: str) -> Callable[[Any], Variable]:
    """K's function `name(x)`: symgraph's `fn` under Keras's name, with its own docstring."""

    def op(x: Any) -> Variable:
        return fn(x)

    return _named(op, name, doc)


def binary(fn: Callable[[Any, Any], Variable], name: str,
           doc: str) -> Callable[[Any, Any], Variable]:
    """K's function `name(x, y)`: symgraph's elementwise `fn` under Keras's name."""

    def op(x: Any, y: Any) -> Variable:
        return fn(x, y)

    return _named(op, name, doc)


def _reduction(fn: Callable[..., Variable], name: str, doc: str) -> Callable[..., Variable]:
    """K's `name(x, axis=None, keepdims=False)`: symgraph's reduction `fn`, with Keras's
    list axes accepted."""

    def op(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
        return fn(x, _axis(axis), keepdims)

    return _named(op, name, doc)


def _named(op: Any, name: str, doc: str) -> Any:
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


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

# One row per reduction that is symgraph's under Keras's name: (x, axis=None, keepdims=False).
max = _reduction(sg.max, "max", "Maximum over axis (all axes when None).")
min = _reduction(sg.min, "min", "Minimum over axis.")
sum = _reduction(sg.sum, "sum", "Sum over axis.")
prod = _reduction(sg.prod, "prod", "Product over axis.")
any = _reduction(sg.any, "any", "Logical OR over axis.")
all = _reduction(sg.all, "all", "Logical AND over axis.")
logsumexp = _reduction(sg.logsumexp, "logsumexp",
                       "log(sum(exp(x))) over axis, computed without overflow.")


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Mean over axis; int and bool tensors average in floatx (accuracy metrics rely on it)."""
    return sg.mean(_float(x), _axis(axis), keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Variance (divided by n) over axis."""
    return sg.var(_float(x), _axis(axis), keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> Variable:
    """Standard deviation (divided by n) over axis."""
    return sg.std(_float(x), _axis(axis), keepdims)


def _float(x: Any) -> Variable:
    x = _t(x)
    return x if dtypes.is_float(x.dtype) else sg.cast(x, floatx())


def argmax(x: Any, axis: int = -1) -> Variable:
    """Index of the maximum along axis (the last by default)."""
    return sg.argmax(x, axis)


def argmin(x: Any, axis: int = -1) -> Variable:
    """Index of the minimum along axis (the last by default)."""
    return sg.argmin(x, axis)


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

# One row per function that is symgraph's elementwise op under Keras's name.
square = unary(sg.square, "square", "x ** 2.")
abs = unary(sg.abs, "abs", "|x|.")
exp = unary(sg.exp, "exp", "e ** x.")
log = unary(sg.log, "log", "Natural logarithm.")
round = unary(sg.round, "round", "Round half to even.")
sign = unary(sg.sign, "sign", "-1, 0 or 1 by the sign of x.")
sin = unary(sg.sin, "sin", "Sine.")
cos = unary(sg.cos, "cos", "Cosine.")
equal = binary(sg.eq, "equal", "Elementwise x == y (bool).")
not_equal = binary(sg.neq, "not_equal", "Elementwise x != y (bool).")
greater = binary(sg.gt, "greater", "Elementwise x > y (bool).")
greater_equal = binary(sg.ge, "greater_equal", "Elementwise x >= y (bool).")
less = binary(sg.lt, "less", "Elementwise x < y (bool).")
less_equal = binary(sg.le, "less_equal", "Elementwise x <= y (bool).")
lesser, lesser_equal = less, less_equal  # the Keras 1.x spellings
maximum = binary(sg.maximum, "maximum", "Elementwise maximum.")
minimum = binary(sg.minimum, "minimum", "Elementwise minimum.")


def sqrt(x: Any) -> Variable:
    """Square root, with negative inputs clipped to 0 first (as Keras does)."""
    return sg.sqrt(sg.clip(x, 0.0, np.inf))


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
