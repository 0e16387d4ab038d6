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


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit."""
    return K.elu(x, alpha)


def selu(x: Any) -> Any:
    """Scaled exponential linear unit."""
    return K.selu(x)


def softplus(x: Any) -> Any:
    """log(1 + exp(x))."""
    return K.softplus(x)


def softsign(x: Any) -> Any:
    """x / (1 + |x|)."""
    return K.softsign(x)


def relu(x: Any, alpha: float = 0.0, max_value: float | None = None) -> Any:
    """Rectified linear unit (leaky with alpha, capped with max_value)."""
    return K.relu(x, alpha=alpha, max_value=max_value)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return K.tanh(x)


def sigmoid(x: Any) -> Any:
    """Logistic sigmoid."""
    return K.sigmoid(x)


def hard_sigmoid(x: Any) -> Any:
    """clip(0.2 * x + 0.5, 0, 1)."""
    return K.hard_sigmoid(x)


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
