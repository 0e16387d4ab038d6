"""NumPy protocols: `np.exp(x)`, `np.power(a - b, 4)`, `np.mean(x, axis=-1)` on symbolic
tensors build graph (`__array_ufunc__` / `__array_function__`).

A NumPy call that symgraph cannot honour exactly raises TypeError naming the function
(and the keyword, for `out=`, `where=` ...) instead of silently computing something else.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from . import elemwise as ew
from . import indexing, linalg, reduce

# The functions, not `from . import shape`: `symgraph.ops.shape` is the shape() function
# (ops/__init__ re-exports it), which shadows the module of the same name.
from .allocation import eye, ones_like, zeros_like
from .shape import concatenate, expand_dims, flatten, reshape, shape_i, squeeze, stack, transpose
from .shape import shape as shape_of
from .tiling import repeat, tile

# NumPy ufuncs whose row has a different NumPy function, or that map to a non-row op.
_UFUNC_ALIASES: dict[Any, Callable[..., Any]] = {
    np.divide: ew.true_div,
    np.logical_and: lambda a, b: ew.and_(ew.cast(a, "bool"), ew.cast(b, "bool")),
    np.logical_or: lambda a, b: ew.or_(ew.cast(a, "bool"), ew.cast(b, "bool")),
    np.logical_xor: lambda a, b: ew.xor(ew.cast(a, "bool"), ew.cast(b, "bool")),
    np.matmul: linalg.matmul,
    np.fmax: ew.maximum,
    np.fmin: ew.minimum,
    np.abs: ew.absolute,
    np.positive: lambda x: x,
    np.conjugate: lambda x: x,
}

_REDUCE_METHODS = {np.add: reduce.sum, np.multiply: reduce.prod, np.maximum: reduce.max,
                   np.minimum: reduce.min, np.logical_and: reduce.all,
                   np.logical_or: reduce.any}


def _ufunc_op(ufunc: np.ufunc) -> Callable[..., Any] | None:
    if ufunc in _UFUNC_ALIASES:
        return _UFUNC_ALIASES[ufunc]
    row = ew.rows_by_ufunc().get(ufunc)
    return ew.Elemwise(row) if row is not None else None


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Dispatch a NumPy ufunc call on symbolic inputs to the matching op."""
    name = f"np.{ufunc.__name__}"
    if kwargs.get("out") is not None:
        raise TypeError(f"{name}(..., out=...) cannot write into a symbolic tensor; use the "
                        f"returned value")
    if method == "reduce" and ufunc in _REDUCE_METHODS:
        extra = sorted(set(kwargs) - {"axis", "keepdims", "dtype", "out"})
        if extra:
            raise TypeError(f"{name}.reduce: keyword(s) {extra} are not supported on symbolic "
                            f"tensors")
        fn = _REDUCE_METHODS[ufunc]
        opts: dict[str, Any] = {"axis": kwargs.get("axis", 0),
                                "keepdims": bool(kwargs.get("keepdims", False))}
        if kwargs.get("dtype") is not None:
            if fn not in (reduce.sum, reduce.prod):
                raise TypeError(f"{name}.reduce: dtype= is not supported on symbolic tensors")
            opts["dtype"] = kwargs["dtype"]
        return fn(inputs[0], **opts)
    if method != "__call__":
        raise TypeError(f"{name}.{method} is not supported on symbolic tensors")
    op = _ufunc_op(ufunc)
    if op is None:
        raise TypeError(f"{name} is not supported on symbolic tensors")
    extra = {k: v for k, v in kwargs.items() if k not in ("out", "casting")}
    dtype = extra.pop("dtype", None)
    if extra:
        raise TypeError(f"{name}: keyword(s) {sorted(extra)} are not supported on symbolic "
                        f"tensors")
    out = op(*inputs)
    return ew.cast(out, dtype) if dtype is not None else out


# ---------------------------------------------------------------- NumPy functions
# Each handler spells out the keywords it honours; anything else (where=, initial=, order=,
# mode=...) fails to bind and is reported by `array_function`.


def _no_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(f"np.{name}(..., out=...) cannot write into a symbolic tensor; use "
                        f"the returned value")


def _accumulating(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def call(a, axis=None, dtype=None, out=None, keepdims=False):
        _no_out(name, out)
        return fn(a, axis=axis, keepdims=bool(keepdims), dtype=dtype)
    return call


def _spread(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def call(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        _no_out(name, out)
        res = fn(a, axis=axis, keepdims=bool(keepdims), ddof=ddof)
        return ew.cast(res, dtype) if dtype is not None else res
    return call


def _extreme(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def call(a, axis=None, out=None, keepdims=False):
        _no_out(name, out)
        return fn(a, axis=axis, keepdims=bool(keepdims))
    return call


def _argext(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def call(a, axis=None, out=None, *, keepdims=False):
        _no_out(name, out)
        return fn(a, axis, bool(keepdims))
    return call


def _np_dot(a, b, out=None):
    _no_out("dot", out)
    return linalg.dot(a, b)


def _np_outer(a, b, out=None):
    _no_out("outer", out)
    return linalg.outer(a, b)


def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TypeError(f"np.reshape: order={order!r} is not supported on symbolic tensors "
                        f"(only 'C')")
    target = shape if shape is not None else newshape
    if target is None:
        raise TypeError("np.reshape: give the new shape")
    return reshape(a, target)


def _np_join(join: Callable[..., Any], name: str) -> Callable[..., Any]:
    def call(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
        _no_out(name, out)
        arrays = list(arrays)
        if axis is None:  # NumPy flattens every input first
            arrays, axis = [flatten(x) for x in arrays], 0
        res = join(arrays, axis)
        return ew.cast(res, dtype) if dtype is not None else res
    return call


def _np_where(condition, x=None, y=None):
    if x is None or y is None:
        raise TypeError("np.where(condition) with one argument (nonzero indices) is not "
                        "supported on symbolic tensors; pass both x and y")
    return ew.switch(condition, x, y)


_MISSING: Any = np._NoValue


def _np_clip(a, a_min=_MISSING, a_max=_MISSING, out=None, *, min=_MISSING, max=_MISSING):
    _no_out("clip", out)
    lo = a_min if a_min is not _MISSING else min
    hi = a_max if a_max is not _MISSING else max
    lo = -np.inf if lo is _MISSING or lo is None else lo
    hi = np.inf if hi is _MISSING or hi is None else hi
    return ew.clip(a, lo, hi)


def _like(fill: Callable[..., Any], name: str) -> Callable[..., Any]:
    def call(a, dtype=None, order="K", subok=True, shape=None):
        if shape is not None:
            raise TypeError(f"np.{name}: shape= is not supported on symbolic tensors")
        return fill(a, dtype)
    return call


def _np_take(a, indices, axis=None, out=None, mode="raise"):
    _no_out("take", out)
    if mode != "raise":
        raise TypeError(f"np.take: mode={mode!r} is not supported on symbolic tensors")
    if axis is None:
        return indexing.take(flatten(a), indices, 0)
    return indexing.take(a, indices, axis)


def _np_ravel(a, order="C"):
    if order != "C":
        raise TypeError(f"np.ravel: order={order!r} is not supported on symbolic tensors")
    return flatten(a)


def _np_round(a, decimals=0, out=None):
    _no_out("round", out)
    if decimals == 0:
        return ew.rint(a)
    scale = 10.0 ** decimals  # what NumPy does: multiply, round half to even, divide
    return ew.rint(a * scale) / scale


def _np_trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _no_out("trace", out)
    if a.ndim != 2 or (axis1, axis2) != (0, 1):
        raise TypeError(f"np.trace: only the trace of a matrix is supported on symbolic "
                        f"tensors, got {a.type} with axis1={axis1}, axis2={axis2}")
    mask = eye(shape_i(a, 0), shape_i(a, 1), offset, dtype=a.dtype)
    return reduce.sum(a * mask, dtype=dtype)


_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: _accumulating(reduce.sum, "sum"),
    np.mean: _accumulating(reduce.mean, "mean"),
    np.prod: _accumulating(reduce.prod, "prod"),
    np.var: _spread(reduce.var, "var"),
    np.std: _spread(reduce.std, "std"),
    np.max: _extreme(reduce.max, "max"),
    np.amax: _extreme(reduce.max, "amax"),
    np.min: _extreme(reduce.min, "min"),
    np.amin: _extreme(reduce.min, "amin"),
    np.all: _extreme(reduce.all, "all"),
    np.any: _extreme(reduce.any, "any"),
    np.argmax: _argext(reduce.argmax, "argmax"),
    np.argmin: _argext(reduce.argmin, "argmin"),
    np.dot: _np_dot,
    np.tensordot: lambda a, b, axes=2: linalg.tensordot(a, b, axes),
    np.outer: _np_outer,
    np.reshape: _np_reshape,
    np.transpose: lambda a, axes=None: transpose(a, axes),
    np.expand_dims: lambda a, axis: expand_dims(a, axis),
    np.squeeze: lambda a, axis=None: squeeze(a, axis),
    np.concatenate: _np_join(concatenate, "concatenate"),
    np.stack: _np_join(stack, "stack"),
    np.repeat: lambda a, repeats, axis=None: repeat(a, repeats, axis),
    np.tile: lambda A, reps: tile(A, reps),
    np.where: _np_where,
    np.clip: _np_clip,
    np.zeros_like: _like(zeros_like, "zeros_like"),
    np.ones_like: _like(ones_like, "ones_like"),
    np.shape: lambda a: shape_of(a),
    np.ndim: lambda a: a.ndim,
    np.take: _np_take,
    np.ravel: _np_ravel,
    np.round: _np_round,
    np.around: _np_round,
    np.linalg.inv: lambda a: linalg.inv(a),
    np.linalg.solve: lambda a, b: linalg.solve(a, b),
    np.linalg.det: lambda a: linalg.det(a),
    np.trace: _np_trace,
}


def _numpy_name(func: Any) -> str:
    """`np.linalg.inv`, `np.fft.fft`, `np.sum`: the spelling a user typed."""
    name = getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", "") or ""
    if module.startswith("numpy."):
        sub = module.split(".")[1]
        if sub not in ("core", "_core", "lib") and not sub.startswith("_"):
            return f"np.{sub}.{name}"
    return f"np.{name}"


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """Dispatch a NumPy function call on symbolic inputs to the matching op."""
    handler = _FUNCTIONS.get(func)
    name = _numpy_name(func)
    if handler is None:
        raise TypeError(f"{name} is not supported on symbolic tensors (supported: "
                        f"{', '.join(supported_functions())}, and NumPy ufuncs such as "
                        f"np.exp)")
    try:
        inspect.signature(handler).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{name}: {e} (on symbolic tensors)") from None
    return handler(*args, **kwargs)


def supported_functions() -> list[str]:
    """The NumPy functions (besides ufuncs) that accept symbolic tensors."""
    return sorted(_numpy_name(f) for f in _FUNCTIONS)
