"""Activation functions by name: Dense(64, activation='relu') looks them up here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import symgraph as sg

from . import backend as K
from .utils.generic_utils import deserialize_keras_object, get_identifier

Activation = Callable[..., Any]


def softmax(x: Any, axis: int = -1) -> Any:
    """Softmax along `axis` (the last) for tensors of rank >= 2, such as (batch, classes)."""
    x = sg.as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"Cannot apply softmax to a tensor that is not at least 2D "
                         f"(batch first); here ndim={x.ndim} ({x.type})")
    return sg.nnet.softmax(x, axis=axis)


# The backend's functions are the activations of the same names (one definition each).
elu, selu, softplus, softsign, relu = K.elu, K.selu, K.softplus, K.softsign, K.relu
tanh, sigmoid, hard_sigmoid = K.tanh, K.sigmoid, K.hard_sigmoid


def linear(x: Any) -> Any:
    """The identity (no activation)."""
    return x


def serialize(activation: Activation) -> str:
    """An activation's name, as saved in layer configs."""
    return activation.__name__


def deserialize(name: Any, custom_objects: dict[str, Any] | None = None) -> Activation:
    """The activation of that name (custom objects first)."""
    return deserialize_keras_object(name, _ACTIVATIONS, custom_objects, "activation function")


def get(identifier: Any) -> Activation:
    """None -> linear; a name -> that function; a callable -> itself."""
    if identifier is None:
        return linear
    return get_identifier(identifier, _ACTIVATIONS, "activation function")


_ACTIVATIONS = {f.__name__: f for f in (softmax, elu, selu, softplus, softsign, relu, tanh,
                                        sigmoid, hard_sigmoid, linear)}
