"""NumPy protocols: `np.exp(x)`, `np.power(a - b, 4)`, `np.mean(x, axis=-1)` on symbolic
tensors build graph (`__array_ufunc__` / `__array_function__`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import elemwise as ew
from . import indexing, linalg, nnet, reduce, shape

# NumPy ufuncs whose row has a different NumPy function, or that map to a non-row op.
_UFUNC_ALIASES: dict[Any, Callable[..., Any]] = {
    np.divide: ew.true_div,
    np.logical_and: lambda a, b: ew.and_(ew.cast(a, "bool"), ew.cast(b, "bool")),
    np.logical_or: lambda a, b: ew.or_(ew.cast(a, "bool"), ew.cast(b, "bool")),
    np.logical_xor: lambda a, b: ew.xor(ew.cast(a, "bool"), ew.cast(b, "bool")),
    np.matmul: linalg.matmul,
    np.fmax: ew.maximum,
    np.fmin: ew.minimum,
    np.abs: ew.abs,
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
    if kwargs.get("out") is not None:
        raise TypeError(f"np.{ufunc.__name__}(..., out=...) cannot write into a symbolic "
                        f"tensor")
    if method == "reduce" and ufunc in _REDUCE_METHODS:
        axis = kwargs.get("axis", 0)
        return _REDUCE_METHODS[ufunc](inputs[0], axis=axis,
                                      keepdims=kwargs.get("keepdims", False))
    if method != "__call__":
        raise TypeError(f"np.{ufunc.__name__}.{method} is not supported on symbolic tensors")
    op = _ufunc_op(ufunc)
    if op is None:
        raise TypeError(f"np.{ufunc.__name__} is not supported on symbolic tensors")
    extra = {k: v for k, v in kwargs.items() if k not in ("out", "casting")}
    dtype = extra.pop("dtype", None)
    if extra:
        raise TypeError(f"np.{ufunc.__name__}: keyword(s) {sorted(extra)} are not supported "
                        f"on symbolic tensors")
    out = op(*inputs)
    return ew.cast(out, dtype) if dtype is not None else out


def _axis_kw(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        if out is not None:
            raise TypeError(f"np.{fn.__name__}(..., out=...) is not supported on symbolic "
                            f"tensors")
        if kw.get("ddof"):
            return fn(a, axis=axis, keepdims=keepdims, ddof=kw["ddof"])
        res = fn(a, axis=axis, keepdims=bool(keepdims))
        return ew.cast(res, dtype) if dtype is not None else res
    return call


def _minmax(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(a, axis=None, out=None, keepdims=False, **kw):
        return fn(a, axis=axis, keepdims=bool(keepdims))
    return call


_FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: _axis_kw(reduce.sum),
    np.mean: _axis_kw(reduce.mean),
    np.prod: _axis_kw(reduce.prod),
    np.var: _axis_kw(reduce.var),
    np.std: _axis_kw(reduce.std),
    np.max: _minmax(reduce.max),
    np.amax: _minmax(reduce.max),
    np.min: _minmax(reduce.min),
    np.amin: _minmax(reduce.min),
    np.all: _minmax(reduce.all),
    np.any: _minmax(reduce.any),
    np.argmax: lambda a, axis=None, out=None, keepdims=False: reduce.argmax(a, axis, keepdims),
    np.argmin: lambda a, axis=None, out=None, keepdims=False: reduce.argmin(a, axis, keepdims),
    np.dot: lambda a, b, out=None: linalg.dot(a, b),
    np.tensordot: lambda a, b, axes=2: linalg.tensordot(a, b, axes),
    np.outer: lambda a, b, out=None: linalg.outer(a, b),
    np.reshape: lambda a, *args, **kw: shape.reshape(a, kw.get("shape", kw.get(
        "newshape", args[0] if args else None))),
    np.transpose: lambda a, axes=None: shape.transpose(a, axes),
    np.expand_dims: lambda a, axis: shape.expand_dims(a, axis),
    np.squeeze: lambda a, axis=None: shape.squeeze(a, axis),
    np.concatenate: lambda arrays, axis=0, out=None, **kw: shape.concatenate(arrays, axis),
    np.stack: lambda arrays, axis=0, out=None, **kw: shape.stack(arrays, axis),
    np.repeat: lambda a, repeats, axis=None: shape.repeat(a, repeats, axis),
    np.tile: lambda a, reps: shape.tile(a, reps),
    np.where: lambda c, x=None, y=None: ew.switch(c, x, y),
    np.clip: lambda a, a_min=None, a_max=None, out=None, **kw: ew.clip(
        a, -np.inf if a_min is None else a_min, np.inf if a_max is None else a_max),
    np.zeros_like: lambda a, dtype=None, **kw: shape.zeros_like(a, dtype),
    np.ones_like: lambda a, dtype=None, **kw: shape.ones_like(a, dtype),
    np.shape: lambda a: shape.shape(a),
    np.ndim: lambda a: a.ndim,
    np.take: lambda a, indices, axis=None, **kw: indexing.take(
        a if axis is not None else shape.flatten(a), indices, axis or 0),
    np.ravel: lambda a, order="C": shape.flatten(a),
    np.round: lambda a, decimals=0, out=None: ew.round(a) if decimals == 0 else ew.round(
        a * 10.0 ** decimals) / 10.0 ** decimals,
    np.around: lambda a, decimals=0, out=None: ew.round(a),
    np.linalg.inv: linalg.inv,
    np.linalg.solve: linalg.solve,
    np.linalg.det: linalg.det,
    np.trace: lambda a, **kw: reduce.sum(a * shape.eye(shape.shape_i(a, 0),
                                                       shape.shape_i(a, 1), dtype=a.dtype)),
}


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """Dispatch a NumPy function call on symbolic inputs to the matching op."""
    handler = _FUNCTIONS.get(func)
    if handler is None:
        raise TypeError(f"np.{getattr(func, '__name__', func)} is not supported on symbolic "
                        f"tensors (symgraph supports: "
                        f"{', '.join(sorted(f.__name__ for f in _FUNCTIONS))}, and NumPy "
                        f"ufuncs such as np.exp)")
    return handler(*args, **kwargs)


def supported_functions() -> list[str]:
    return sorted(f.__name__ for f in _FUNCTIONS)


_ = nnet
