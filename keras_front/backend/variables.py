"""Variables, placeholders and constants; their shapes and values; Keras metadata.

Keras 1.x hangs bookkeeping on tensors (`x._keras_shape`, `x._keras_history`,
`x._uses_learning_phase`). symgraph variables are slotted graph nodes that take no new
attributes, so K keeps that metadata in a side table keyed weakly by variable:
`set_keras_attr(x, '_keras_shape', shape)` / `get_keras_attr(x, '_keras_shape')`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph.graph import Constant, SharedVariable, Variable
from symgraph.tensor import register_attribute

from .common import floatx

_KERAS_ATTRS: weakref.WeakKeyDictionary[Variable, dict[str, Any]] = weakref.WeakKeyDictionary()


# ---------------------------------------------------------------- Keras metadata


def set_keras_attr(x: Variable, name: str, value: Any) -> None:
    """Attach Keras bookkeeping (e.g. '_keras_history') to a symbolic tensor."""
    _check_symbolic(x, "set_keras_attr")
    _KERAS_ATTRS.setdefault(x, {})[name] = value


def get_keras_attr(x: Any, name: str, default: Any = None) -> Any:
    """The bookkeeping value `name` of x, or `default` when it was never set."""
    if not isinstance(x, Variable):
        return default
    return _KERAS_ATTRS.get(x, {}).get(name, default)


def has_keras_attr(x: Any, name: str) -> bool:
    """True when set_keras_attr(x, name, ...) was called."""
    return isinstance(x, Variable) and name in _KERAS_ATTRS.get(x, {})


def _keras_attribute(name: str) -> tuple[Any, Any]:
    """(getter, setter) exposing one bookkeeping value as an attribute of tensors."""
    def getter(x: Variable) -> Any:
        values = _KERAS_ATTRS.get(x)
        if values is None or name not in values:
            raise AttributeError(f"{type(x).__name__} {x!r} has no attribute {name!r} (not "
                                 f"a tensor made by a Keras layer)")
        return values[name]

    def setter(x: Variable, value: Any) -> None:
        set_keras_attr(x, name, value)
    return getter, setter


# Keras 1 code reads (and sometimes sets) these as attributes of tensors.
for _name in ("_keras_shape", "_keras_history", "_uses_learning_phase"):
    register_attribute(_name, *_keras_attribute(_name))


def _check_symbolic(x: Any, what: str) -> None:
    if not isinstance(x, sg.TensorVariable):
        raise TypeError(f"{what}: expected a symbolic tensor, got {type(x).__name__}")


def is_keras_tensor(x: Any) -> bool:
    """True for tensors produced by a Keras layer or Input (they carry '_keras_history')."""
    if not isinstance(x, sg.TensorVariable):
        raise ValueError(f"Unexpectedly found an instance of type `{type(x).__name__}`. "
                         f"Expected a symbolic tensor instance.")
    return has_keras_attr(x, "_keras_history")


def is_placeholder(x: Any) -> bool:
    """True for a symbolic input (a leaf that is neither a variable nor a constant)."""
    return isinstance(x, sg.TensorVariable) and x.owner is None and not isinstance(
        x, (SharedVariable, Constant))


def is_variable(x: Any) -> bool:
    """True for a K.variable (a symgraph shared tensor)."""
    return isinstance(x, sg.TensorSharedVariable)


# ---------------------------------------------------------------- creation


def variable(value: Any, dtype: str | None = None, name: str | None = None) -> Variable:
    """A variable (sg.shared) holding `value`; symbolic values are evaluated first."""
    dtype = dtype or floatx()
    if isinstance(value, SharedVariable):
        value = value.get_value()
    elif isinstance(value, Variable):
        value = value.eval()
    arr = np.asarray(value, dtype=dtype)
    var = sg.shared(arr, name=name)
    set_keras_attr(var, "_keras_shape", arr.shape)
    set_keras_attr(var, "_uses_learning_phase", False)
    return var


def placeholder(shape: Sequence[int | None] | None = None, ndim: int | None = None,
                dtype: str | None = None, sparse: bool = False,
                name: str | None = None) -> Variable:
    """A symbolic input; `shape` may hold None for sizes known only at run time."""
    if sparse:
        raise NotImplementedError("placeholder(sparse=True): symgraph has no sparse tensors; "
                                  "feed dense arrays")
    if shape is None and ndim is None:
        raise ValueError("Specify either a shape or ndim value.")
    shape = tuple(shape) if shape is not None else (None,) * int(ndim)
    x = sg.tensor(name, dtype=dtype or floatx(), shape=shape)
    set_keras_attr(x, "_keras_shape", shape)
    set_keras_attr(x, "_uses_learning_phase", False)
    return x


def constant(value: Any, dtype: str | None = None, shape: Sequence[int] | None = None,
             name: str | None = None) -> Variable:
    """A constant tensor; with `shape`, a scalar `value` is broadcast to it."""
    arr = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        arr = arr * np.ones(tuple(shape), dtype=arr.dtype)
    return sg.constant(arr, name=name)


def zeros(shape: Sequence[int], dtype: str | None = None, name: str | None = None) -> Variable:
    """A variable of zeros."""
    return variable(np.zeros(shape), dtype, name)


def ones(shape: Sequence[int], dtype: str | None = None, name: str | None = None) -> Variable:
    """A variable of ones."""
    return variable(np.ones(shape), dtype, name)


def eye(size: int, dtype: str | None = None, name: str | None = None) -> Variable:
    """A variable holding the size x size identity matrix."""
    return variable(np.eye(size), dtype, name)


def zeros_like(x: Any, dtype: str | None = None, name: str | None = None) -> Variable:
    """Symbolic zeros shaped like x (x's dtype unless `dtype` is given)."""
    return sg.zeros_like(x, dtype)


def ones_like(x: Any, dtype: str | None = None, name: str | None = None) -> Variable:
    """Symbolic ones shaped like x (x's dtype unless `dtype` is given)."""
    return sg.ones_like(x, dtype)


def identity(x: Any) -> Variable:
    """A new tensor with the same value as x."""
    return sg.as_tensor(x).copy()


def _rng(seed: int | None) -> Any:
    """np.random itself when unseeded (so np.random.seed reproduces), else a seeded state."""
    return np.random if seed is None else np.random.RandomState(seed)


def random_uniform_variable(shape: Sequence[int], low: float, high: float,
                            dtype: str | None = None, name: str | None = None,
                            seed: int | None = None) -> Variable:
    """A variable drawn once from U(low, high)."""
    return variable(_rng(seed).uniform(low=low, high=high, size=shape), dtype, name)


def random_normal_variable(shape: Sequence[int], mean: float, scale: float,
                           dtype: str | None = None, name: str | None = None,
                           seed: int | None = None) -> Variable:
    """A variable drawn once from N(mean, scale**2)."""
    return variable(_rng(seed).normal(loc=mean, scale=scale, size=shape), dtype, name)


# ---------------------------------------------------------------- facts and values


def shape(x: Any) -> Variable:
    """The runtime shape of x as a symbolic int vector (`K.shape(x)[0]` is the batch size)."""
    return sg.as_tensor(x).shape


def int_shape(x: Any) -> tuple[int | None, ...]:
    """The static shape of x as a tuple of ints and None (unknown) entries."""
    if has_keras_attr(x, "_keras_shape"):
        return tuple(get_keras_attr(x, "_keras_shape"))
    if isinstance(x, sg.TensorVariable):
        return tuple(x.type.shape)
    return tuple(np.shape(x))


def ndim(x: Any) -> int:
    """Number of dimensions of x."""
    return x.ndim if isinstance(x, Variable) else np.ndim(x)


def dtype(x: Any) -> str:
    """The dtype name of x, e.g. 'float32'."""
    return x.dtype if isinstance(x, Variable) else np.asarray(x).dtype.name


def eval(x: Any) -> np.ndarray:
    """The value of a tensor that depends on no placeholders (variables and constants only)."""
    if isinstance(x, SharedVariable):
        return x.get_value()
    if isinstance(x, Constant):
        return np.array(x.data)
    if isinstance(x, Variable):
        return x.eval()
    return np.asarray(x)


def get_value(x: Any) -> np.ndarray:
    """The current value of a variable."""
    if not isinstance(x, SharedVariable):
        raise TypeError("get_value() can only be called on a variable. If you have an "
                        "expression instead, use eval().")
    return x.get_value()


def batch_get_value(xs: Iterable[Any]) -> list[np.ndarray]:
    """get_value for each variable of a list."""
    return [get_value(x) for x in xs]


def set_value(x: Any, value: Any) -> None:
    """Store `value` (an array or a Python number) in the variable x, cast to x's dtype."""
    if not isinstance(x, SharedVariable):
        raise TypeError(f"set_value() needs a variable created with K.variable, got {x!r}")
    x.set_value(np.asarray(value, dtype=x.dtype))


def batch_set_value(tuples: Iterable[tuple[Any, Any]]) -> None:
    """set_value for each (variable, value) pair."""
    for x, value in tuples:
        set_value(x, value)


def get_variable_shape(x: Any) -> tuple[int, ...]:
    """The shape of a variable's current value."""
    return tuple(get_value(x).shape)


def count_params(x: Any) -> int:
    """Number of scalars in x (its static shape when fully known, else its value's)."""
    static = int_shape(x)
    if None not in static:
        return int(np.prod(static, dtype=np.int64))
    return int(np.prod(eval(shape(x)), dtype=np.int64))


def cast(x: Any, dtype: str) -> Variable:
    """x converted to `dtype`."""
    return sg.cast(x, dtype)


# ---------------------------------------------------------------- updates


def update(x: Variable, new_x: Any) -> tuple[Variable, Any]:
    """The update pair x <- new_x, for K.function(updates=...)."""
    return (x, new_x)


def update_add(x: Variable, increment: Any) -> tuple[Variable, Any]:
    """The update pair x <- x + increment."""
    return (x, x + increment)


def update_sub(x: Variable, decrement: Any) -> tuple[Variable, Any]:
    """The update pair x <- x - decrement."""
    return (x, x - decrement)


def moving_average_update(variable: Variable, value: Any,
                          momentum: float) -> tuple[Variable, Any]:
    """The update pair variable <- variable * momentum + value * (1 - momentum)."""
    return (variable, variable * momentum + value * (1.0 - momentum))
