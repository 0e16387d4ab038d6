"""Keras 1.2.2's `keras.initializations`: the Keras 1 initializer functions, returning
backend variables as Keras 1.2.2's do.

    W = initializations.glorot_uniform((784, 64), name='dense_W')   # a K.variable
    K.get_value(W).shape                                             # (784, 64)

Compatibility decision (issue 10): these functions return variables (`K.variable`), so
Keras 1.2.2 code such as `K.get_value(init(shape))` or a custom initializer returning
`initializations.normal(shape, scale=0.01, name=name)` works unchanged. The draws are
those of `keras_front.initializers`' functions of the same names (NumPy's global
generator, Keras 1.2.2's calls), which return NumPy arrays and whose Keras 2 classes
(`initializers.VarianceScaling(...)`, ...) keep their behaviour. Layers accept either
kind of initializer: a variable returned by an initializer is read back into the new
weight.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from . import backend as K
from . import initializers as _arrays
from .initializers import get_fans  # noqa: F401 (Keras 1.2.2's initializations.get_fans)
from .utils.generic_utils import get_from_module


def _variable_returning(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn(shape, ...) with its array wrapped in a K.variable named by `name`."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def init(shape: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(shape, *args, **kwargs)
        value = fn(shape, *args, **kwargs)
        if not isinstance(shape, (tuple, list)):  # no shape: Keras 2's object, as is
            return value
        return K.variable(value, name=bound.arguments.get("name"))
    return init


uniform = _variable_returning(_arrays.uniform)
normal = _variable_returning(_arrays.normal)
lecun_uniform = _variable_returning(_arrays.lecun_uniform)
lecun_normal = _variable_returning(_arrays.lecun_normal)
glorot_normal = _variable_returning(_arrays.glorot_normal)
glorot_uniform = _variable_returning(_arrays.glorot_uniform)
he_normal = _variable_returning(_arrays.he_normal)
he_uniform = _variable_returning(_arrays.he_uniform)
orthogonal = _variable_returning(_arrays.orthogonal)
identity = _variable_returning(_arrays.identity)
zero = _variable_returning(_arrays.zero)
one = _variable_returning(_arrays.one)

_FUNCTIONS = {fn.__name__: fn for fn in (
    uniform, normal, lecun_uniform, lecun_normal, glorot_normal, glorot_uniform, he_normal,
    he_uniform, orthogonal, identity, zero, one)}


def get(identifier: Any, **kwargs: Any) -> Any:
    """Keras 1.2.2's lookup: a name -> the function of that name here (keyword arguments,
    e.g. dim_ordering=, bound on every call); a callable -> itself."""
    if isinstance(identifier, str):
        fn = get_from_module(identifier, _FUNCTIONS, "initialization")
        if not kwargs:
            return fn

        def bound(shape: Any, *args: Any, **kw: Any) -> Any:
            return fn(shape, *args, **{**kwargs, **kw})
        bound.__name__ = fn.__name__
        bound.__doc__ = fn.__doc__
        return bound
    return _arrays.get(identifier, **kwargs)
