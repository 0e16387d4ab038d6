"""Reductions: sum prod max min mean all any argmax argmin, and var std logsumexp built on them."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, constant
from . import elemwise as ew
from .allocation import zeros_like
from .grad_ops import disconnected_grad
from .registry import Op, RenderContext, normalize_axis
from .shape import INT, dimshuffle, expand_dims, shape_i

_NUMPY = {"sum": "np.sum", "prod": "np.prod", "max": "np.max", "min": "np.min",
          "mean": "np.mean", "all": "np.all", "any": "np.any"}


def _reduced_shape(shape: Sequence[int | None], axis: tuple[int, ...] | None,
                   keepdims: bool) -> tuple[int | None, ...]:
    axes = range(len(shape)) if axis is None else axis
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _numpy_dtype(kind: str, dtype: str) -> str:
    fn = getattr(np, kind)
    return np.asarray(fn(np.zeros(1, dtype))).dtype.name


@dataclass(frozen=True)
class Reduce(Op):
    """A NumPy reduction over `axis` (None = all axes); `dtype` sets the accumulator.

    `initial` (max/min only) is the result over an empty axis instead of an error.
    """

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    kind: str
    axis: tuple[int, ...] | None = None
    keepdims: bool = False
    dtype: str | None = None
    initial: float | None = None

    @property
    def name(self) -> str:
        return self.kind

    def __str__(self) -> str:
        parts = [f"axis={'None' if self.axis is None else self.axis}"]
        if self.keepdims:
            parts.append("keepdims")
        if self.dtype:
            parts.append(f"dtype={self.dtype}")
        if self.initial is not None:
            parts.append(f"initial={self.initial}")
        return f"{self.kind}{{{', '.join(parts)}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if self.axis is not None and builtins.any(not 0 <= a < x.ndim for a in self.axis):
            raise ValueError(f"{self.kind}: axis {self.axis} out of range for {x.type}")
        if self.kind in ("all", "any"):
            out_dtype = "bool"
        elif self.dtype is not None:
            out_dtype = self.dtype
        else:
            out_dtype = _numpy_dtype(self.kind, x.dtype)
        if self.initial is not None and self.kind not in ("max", "min"):
            raise ValueError(f"{self.kind}: `initial` is only supported for max and min")
        if self.kind in ("max", "min") and self.initial is None:
            for a in range(x.ndim) if self.axis is None else self.axis:
                if x.type.shape[a] == 0:
                    raise ValueError(f"{self.kind}: cannot reduce over axis {a} of size 0 "
                                     f"({x.type})")
        shape = _reduced_shape(x.type.shape, self.axis, self.keepdims)
        return Apply(self, [x], [TensorType(out_dtype, shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        if node.inputs[0].ndim == 0 and self.initial is None:
            # one element (a metric's mean of a mean): its value in the output dtype, a
            # new array as every reduction's result; np.mean alone costs 5-15 us here.
            # A sum starts from 0, so sum(-0.0) is +0.0 in NumPy: `+ 0` keeps that.
            zero = " + 0" if self.kind in ("sum", "mean") else ""
            return f"np.array({ins[0]}, dtype=np.{node.outputs[0].dtype}){zero}"
        args = [ins[0]]
        if self.axis is not None:
            args.append(f"axis={self.axis}")
        if self.keepdims:
            args.append("keepdims=True")
        if self.dtype is not None:
            args.append(f"dtype=np.{self.dtype}")
        if self.initial is not None:
            args.append(f"initial={_float_literal(self.initial)}")
        expr = f"{_NUMPY[self.kind]}({', '.join(args)})"
        if self.kind in ("max", "min", "all", "any") and self.dtype is None:
            return expr
        out_dtype = node.outputs[0].dtype
        if self.dtype is None and _numpy_dtype(self.kind, node.inputs[0].dtype) != out_dtype:
            return f"{expr}.astype(np.{out_dtype})"
        return expr

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (x,), (out,), (g,) = inputs, outputs, output_grads
        if self.kind in ("all", "any") or not dtypes.is_differentiable(x.dtype):
            return [None]
        g_b = _expand_back(g, x, self.axis, self.keepdims)
        if self.kind == "sum":
            return [ew.cast(g_b + zeros_like(x), x.dtype)]
        if self.kind == "mean":
            return [ew.cast(g_b / _count(x, self.axis) + zeros_like(x), x.dtype)]
        out_b = _expand_back(out, x, self.axis, self.keepdims)
        if self.kind in ("max", "min"):
            return [ew.cast(g_b * ew.eq(x, out_b), x.dtype)]  # ties share, as in Theano
        # prod: d/dx_i = product of the others, exact when x holds zeros.
        is_zero = ew.eq(x, 0)
        n_zero = _expand_back(sum(is_zero, self.axis, self.keepdims), x, self.axis,
                              self.keepdims)
        prod_nz = _expand_back(prod(ew.switch(is_zero, 1, x), self.axis, self.keepdims), x,
                               self.axis, self.keepdims)
        safe_x = ew.switch(is_zero, 1, x)
        others = ew.switch(is_zero, ew.switch(ew.eq(n_zero, 1), prod_nz, 0),
                           ew.switch(ew.eq(n_zero, 0), out_b / safe_x, 0))
        return [ew.cast(g_b * others, x.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        shp = input_shapes[0]
        axes = range(len(shp)) if self.axis is None else self.axis
        if self.keepdims:
            return [[constant(1, INT) if i in axes else d for i, d in enumerate(shp)]]
        return [[d for i, d in enumerate(shp) if i not in axes]]


def _float_literal(v: float) -> str:
    return "np.inf" if v == np.inf else "-np.inf" if v == -np.inf else repr(float(v))


def _expand_back(v: Variable, x: Variable, axis: tuple[int, ...] | None,
                 keepdims: bool) -> Variable:
    """A reduced value with its reduced axes put back as size-1 dims (broadcasts against x)."""
    if keepdims:
        return v
    return expand_dims(v, tuple(range(x.ndim)) if axis is None else axis)


def _count(x: Variable, axis: tuple[int, ...] | None) -> Variable:
    """Number of elements reduced over, as a symbolic float scalar: x's float dtype, but
    float32 for float16 (whose largest value, 65504, is a small count)."""
    axes = range(x.ndim) if axis is None else axis
    n: Variable = constant(1, INT)
    for a in axes:
        n = n * shape_i(x, a)
    dt = "float32" if x.dtype == "float16" else x.dtype if dtypes.is_float(x.dtype) else \
        "float64"
    return ew.cast(n, dt)


def _reduce(kind: str, x: Any, axis: Any, keepdims: bool, dtype: Any = None) -> Variable:
    x = as_tensor(x)
    ax = normalize_axis(axis, x.ndim, kind)
    if ax is not None and len(ax) == x.ndim:
        ax = None
    if x.ndim == 0:
        ax = None
    dt = dtypes.as_dtype(dtype) if dtype is not None else None
    return Reduce(kind, ax, bool(keepdims), dt)(x)


def sum(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Variable:
    """Sum over `axis` (int, tuple or None)."""
    return _reduce("sum", x, axis, keepdims, dtype)


def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Variable:
    """Product over `axis` (its gradient is exact when x holds zeros)."""
    return _reduce("prod", x, axis, keepdims, dtype)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """Maximum over `axis`."""
    return _reduce("max", x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """Minimum over `axis`."""
    return _reduce("min", x, axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Variable:
    """Mean over `axis` (ints average to float64, as in NumPy)."""
    return _reduce("mean", x, axis, keepdims, dtype)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """True where every element along `axis` is nonzero."""
    return _reduce("all", x, axis, keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """True where some element along `axis` is nonzero."""
    return _reduce("any", x, axis, keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Variable:
    """Variance: mean of squared deviations (divided by n - ddof)."""
    x = as_tensor(x)
    if not dtypes.is_float(x.dtype):
        x = ew.cast(x, "float64")
    ax = normalize_axis(axis, x.ndim, "var")
    dev = x - mean(x, ax, keepdims=True)
    ss = sum(ew.square(dev), ax, keepdims)
    return ew.cast(ss / (_count(x, ax) - ddof), x.dtype)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Variable:
    """Standard deviation."""
    return ew.sqrt(var(x, axis, keepdims, ddof))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """log(sum(exp(x))), computed stably by shifting by the max."""
    x = as_tensor(x)
    if not dtypes.is_float(x.dtype):
        x = ew.cast(x, "float64")
    ax = normalize_axis(axis, x.ndim, "logsumexp")
    # initial=-inf: over an empty axis the max is -inf and the result log(0) = -inf.
    m = disconnected_grad(Reduce("max", ax, True, None, -np.inf)(x) if x.ndim else x)
    m_safe = ew.switch(ew.isinf(m), 0, m)
    out = ew.log(sum(ew.exp(x - m_safe), ax, keepdims=True)) + m_safe
    if not keepdims:
        out = _drop(out, x.ndim, ax)
    return out


def _drop(v: Variable, ndim: int, axis: tuple[int, ...] | None) -> Variable:
    axes = range(ndim) if axis is None else axis
    return dimshuffle(v, [i for i in range(ndim) if i not in axes])


@dataclass(frozen=True)
class Argmax(Op):
    """Index of the max (or min) along one axis, or of the flattened array when axis=None."""

    axis: int | None = None
    keepdims: bool = False
    minimum: bool = False

    @property
    def name(self) -> str:
        return "argmin" if self.minimum else "argmax"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if self.axis is None:
            shape = (1,) * x.ndim if self.keepdims else ()
        else:
            shape = _reduced_shape(x.type.shape, (self.axis,), self.keepdims)
        return Apply(self, [x], [TensorType(INT, shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = "np.argmin" if self.minimum else "np.argmax"
        kd = ", keepdims=True" if self.keepdims else ""
        return f"{fn}({ins[0]}, axis={self.axis}{kd})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        shp = input_shapes[0]
        axes = range(len(shp)) if self.axis is None else (self.axis,)
        if self.keepdims:
            return [[constant(1, INT) if i in axes else d for i, d in enumerate(shp)]]
        return [[d for i, d in enumerate(shp) if i not in axes]]


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """Index of the maximum along `axis` (int64)."""
    x = as_tensor(x)
    ax = None if axis is None else normalize_axis(axis, x.ndim, "argmax")
    if ax is not None and len(ax) != 1:
        raise ValueError("argmax: axis must be a single int or None")
    return Argmax(None if ax is None else ax[0], bool(keepdims))(x)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Variable:
    """Index of the minimum along `axis` (int64)."""
    x = as_tensor(x)
    ax = None if axis is None else normalize_axis(axis, x.ndim, "argmin")
    if ax is not None and len(ax) != 1:
        raise ValueError("argmin: axis must be a single int or None")
    return Argmax(None if ax is None else ax[0], bool(keepdims), minimum=True)(x)
