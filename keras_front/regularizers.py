"""Weight and activity penalties: `Dense(64, W_regularizer=l2(0.01))`.

A regularizer is called on a weight variable (or a layer output) and returns a symbolic
scalar penalty that the engine adds to the loss: `penalty = reg(W)` (Keras 2's
contract). Keras 1.x's classes keep their names and configs: `WeightRegularizer(l1, l2)`
(also `set_param(W)`, after which `reg()` penalizes W) and `ActivityRegularizer(l1, l2)`,
whose penalty averages over the batch axis as Keras 1.x did.
"""

from __future__ import annotations

from typing import Any

from . import backend as K
from .utils.generic_utils import (
    deserialize_keras_object,
    get_identifier,
    serialize_keras_object,
)


class Regularizer:
    """Base class: `reg(x)` returns a symbolic scalar penalty (0 for the base class)."""

    def __call__(self, x: Any) -> Any:
        return 0.0

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2's config: {'name': class name, **arguments}."""
        return {"name": type(self).__name__}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """The regularizer a get_config() dict describes ('name' ignored)."""
        return cls(**{k: v for k, v in config.items() if k != "name"})


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x ** 2)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = float(K.cast_to_floatx(l1))
        self.l2 = float(K.cast_to_floatx(l2))

    def __call__(self, x: Any) -> Any:
        penalty: Any = 0.0
        if self.l1:
            penalty = penalty + K.sum(self.l1 * K.abs(x))
        if self.l2:
            penalty = penalty + K.sum(self.l2 * K.square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        """The config: the two strengths."""
        return {"name": type(self).__name__, "l1": self.l1, "l2": self.l2}


class WeightRegularizer(L1L2):
    """Keras 1.x's weight penalty: L1L2 that can also be bound to its weight (set_param)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        super().__init__(l1, l2)
        self.p: Any = None

    def set_param(self, p: Any) -> None:
        """Bind the weight this regularizer penalizes (once: regularizers are not shared)."""
        if self.p is not None:
            raise ValueError("Regularizers cannot be reused. Instantiate one regularizer per "
                             "layer.")
        self.p = p

    def __call__(self, x: Any = None) -> Any:
        if x is None:
            if self.p is None:
                raise ValueError("WeightRegularizer: call it on a weight, or call set_param() "
                                 "first")
            x = self.p
        return super().__call__(x)


class ActivityRegularizer(Regularizer):
    """Keras 1.x's output penalty: l1 * sum(mean(|y|, axis=0)) + l2 * sum(mean(y**2, axis=0))."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = float(K.cast_to_floatx(l1))
        self.l2 = float(K.cast_to_floatx(l2))
        self.layer: Any = None

    def set_layer(self, layer: Any) -> None:
        """Bind the layer whose outputs are penalized (Keras 1.x bookkeeping)."""
        if self.layer is not None:
            raise ValueError("Regularizers cannot be reused. Instantiate one regularizer per "
                             "layer.")
        self.layer = layer

    def __call__(self, output: Any) -> Any:
        penalty: Any = 0.0
        if self.l1:
            penalty = penalty + K.sum(self.l1 * K.mean(K.abs(output), axis=0))
        if self.l2:
            penalty = penalty + K.sum(self.l2 * K.mean(K.square(output), axis=0))
        return penalty

    def get_config(self) -> dict[str, Any]:
        """The config: the two strengths."""
        return {"name": type(self).__name__, "l1": self.l1, "l2": self.l2}


def l1(l: float = 0.01) -> WeightRegularizer:  # noqa: E741 (Keras' argument name)
    """An L1 weight penalty."""
    return WeightRegularizer(l1=l)


def l2(l: float = 0.01) -> WeightRegularizer:  # noqa: E741
    """An L2 weight penalty (weight decay)."""
    return WeightRegularizer(l2=l)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> WeightRegularizer:
    """L1 and L2 weight penalties together."""
    return WeightRegularizer(l1=l1, l2=l2)


l1l2 = l1_l2  # the Keras 1.x spelling


def activity_l1(l: float = 0.01) -> ActivityRegularizer:  # noqa: E741
    """An L1 penalty on a layer's output."""
    return ActivityRegularizer(l1=l)


def activity_l2(l: float = 0.01) -> ActivityRegularizer:  # noqa: E741
    """An L2 penalty on a layer's output."""
    return ActivityRegularizer(l2=l)


def activity_l1l2(l1: float = 0.01, l2: float = 0.01) -> ActivityRegularizer:
    """L1 and L2 penalties on a layer's output."""
    return ActivityRegularizer(l1=l1, l2=l2)


_REGULARIZERS: dict[str, Any] = {
    "Regularizer": Regularizer, "L1L2": L1L2, "WeightRegularizer": WeightRegularizer,
    "ActivityRegularizer": ActivityRegularizer, "l1": l1, "l2": l2, "l1_l2": l1_l2,
    "l1l2": l1l2, "activity_l1": activity_l1, "activity_l2": activity_l2,
    "activity_l1l2": activity_l1l2,
}


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    """{'class_name', 'config'} for a regularizer (what layer configs store)."""
    return serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Regularizer:
    """The regularizer described by {'class_name', 'config'} (or a name)."""
    return deserialize_keras_object(config, _REGULARIZERS, custom_objects, "regularizer")


def get(identifier: Any, kwargs: dict[str, Any] | None = None) -> Regularizer | None:
    """None -> None; a name ('l2', 'l1l2', 'activity_l2', ...) -> a new regularizer with
    default strength; the name of a custom penalty function (custom objects) -> that
    function; a config dict (Keras 1.x {'name': ...} or Keras 2 {'class_name', 'config'})
    -> that regularizer; a callable -> itself."""
    if identifier is None:
        return None
    return get_identifier(identifier, _REGULARIZERS, "regularizer", makes_objects=True,
                          kwargs=kwargs)
