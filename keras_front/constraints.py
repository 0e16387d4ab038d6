"""Weight constraints: `Dense(64, W_constraint=maxnorm(2))`.

A constraint is called on a weight variable and returns the constrained expression;
the optimizer stores it as the weight's new value after each update.
"""

from __future__ import annotations

from typing import Any

from . import backend as K
from .utils.generic_utils import (
    deserialize_keras_object,
    get_identifier,
    serialize_keras_object,
)


class Constraint:
    """Base class: `c(w)` returns w projected onto the allowed set (w itself here)."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2's config: {'name': class name, **arguments}."""
        return {"name": type(self).__name__}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """The constraint a get_config() dict describes ('name' ignored)."""
        return cls(**{k: v for k, v in config.items() if k != "name"})


def _norms(w: Any, axis: Any) -> Any:
    return K.sqrt(K.sum(K.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescale each weight vector along `axis` to norm at most max_value (`m` in Keras 1.x).

    axis=0 constrains each column of a Dense kernel (input_dim, output_dim): the weights
    into one unit.
    """

    def __init__(self, max_value: float = 2, axis: Any = 0, m: float | None = None):
        self.max_value = m if m is not None else max_value
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        norms = _norms(w, self.axis)
        desired = K.clip(norms, 0, self.max_value)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        """The config with Keras 1.x's name `m` for max_value."""
        return {"name": type(self).__name__, "m": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights become 0."""

    def __call__(self, w: Any) -> Any:
        return w * K.cast(K.greater_equal(w, 0.0), K.dtype(w))


class UnitNorm(Constraint):
    """Each weight vector along `axis` rescaled to norm 1."""

    def __init__(self, axis: Any = 0):
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        """The config: the axis."""
        return {"name": type(self).__name__, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Each weight vector's norm moved into [min_value, max_value], by fraction `rate`."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Any = 0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Any) -> Any:
        norms = _norms(w, self.axis)
        desired = self.rate * K.clip(norms, self.min_value, self.max_value) + \
            (1 - self.rate) * norms
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        """The config: the bounds, the rate and the axis."""
        return {"name": type(self).__name__, "min_value": self.min_value,
                "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras 1.x and Keras 2 lower-case aliases.
maxnorm = max_norm = MaxNorm
nonneg = non_neg = NonNeg
unitnorm = unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_CONSTRAINTS: dict[str, Any] = {
    "Constraint": Constraint, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm, "maxnorm": MaxNorm, "max_norm": MaxNorm, "nonneg": NonNeg,
    "non_neg": NonNeg, "unitnorm": UnitNorm, "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}


def serialize(constraint: Constraint) -> dict[str, Any]:
    """{'class_name', 'config'} for a constraint (what layer configs store)."""
    return serialize_keras_object(constraint)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Constraint:
    """The constraint described by {'class_name', 'config'} (or a name)."""
    return deserialize_keras_object(config, _CONSTRAINTS, custom_objects, "constraint")


def get(identifier: Any, kwargs: dict[str, Any] | None = None) -> Constraint | None:
    """None -> None; a name -> a new constraint with default settings (the name of a
    custom constraint function -> that function); a config dict
    (Keras 1.x {'name': ...} or Keras 2 {'class_name', 'config'}) -> that constraint;
    a callable -> itself."""
    if identifier is None:
        return None
    return get_identifier(identifier, _CONSTRAINTS, "constraint", makes_objects=True,
                          kwargs=kwargs)
