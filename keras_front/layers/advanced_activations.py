"""Activations with parameters, as layers: LeakyReLU, PReLU (learned slopes), ELU,
ThresholdedReLU (Keras 1.2's `keras.layers.advanced_activations`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend as K
from .. import constraints, initializers, regularizers
from ..engine.base_layer import InputSpec, Layer
from .arguments import renamed, serialize_initializer, serialize_object


class _Elementwise(Layer):
    """An activation layer: same output shape as input, masks passed through."""

    def __init__(self, **kwargs: Any):
        self.supports_masking = True
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


class LeakyReLU(_Elementwise):
    """x for x > 0, alpha * x otherwise."""

    def __init__(self, alpha: float = 0.3, **kwargs: Any):
        self.alpha = float(alpha)
        super().__init__(**kwargs)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """x for x > 0, alpha * x otherwise."""
        return K.relu(inputs, alpha=self.alpha)

    def get_config(self) -> dict[str, Any]:
        """The config: alpha."""
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(_Elementwise):
    """x for x > 0, alphas * x otherwise, with alphas learned per input unit (shared along
    `shared_axes`, 1-based non-batch axes). Keras 1: init='zero'; Keras 2:
    alpha_initializer, alpha_regularizer, alpha_constraint."""

    def __init__(self, init: Any = None, weights: Any = None,
                 shared_axes: int | Sequence[int] | None = None, *,
                 alpha_initializer: Any = None, alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, **kwargs: Any):
        self.init = self.alpha_initializer = initializers.get(
            renamed("PReLU", ("init", init), ("alpha_initializer", alpha_initializer), "zero"))
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes: list[int] = []
        elif isinstance(shared_axes, int):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = [int(a) for a in shared_axes]
        self.alphas: Any = None
        super().__init__(weights=weights, **kwargs)

    @property
    def alpha(self) -> Any:
        """The learned slopes (Keras 2 name; Keras 1: alphas)."""
        return self.alphas

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Create the slopes, one per input feature (shared along shared_axes)."""
        shape = list(input_shape[1:])
        for axis in self.shared_axes:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {axis} out of range for "
                                 f"input shape {tuple(input_shape)}")
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f"PReLU {self.name!r}: the input's non-batch dims must be known "
                             f"(or shared), got {tuple(input_shape)}")
        self.alphas = self.add_weight(tuple(shape), self.alpha_initializer, name="alpha",
                                      regularizer=self.alpha_regularizer,
                                      constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in self.shared_axes}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """x for x > 0, alphas * x otherwise (learned slopes)."""
        return K.relu(inputs) + self.alphas * (inputs - K.abs(inputs)) * 0.5

    def get_config(self) -> dict[str, Any]:
        """The config: the slopes' init and shared_axes."""
        config = {"init": serialize_initializer(self.alpha_initializer)}
        if self.shared_axes:
            config["shared_axes"] = list(self.shared_axes)
        if self.alpha_regularizer is not None:
            config["alpha_regularizer"] = serialize_object(self.alpha_regularizer)
        if self.alpha_constraint is not None:
            config["alpha_constraint"] = serialize_object(self.alpha_constraint)
        return {**super().get_config(), **config}


class ELU(_Elementwise):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        self.alpha = float(alpha)
        super().__init__(**kwargs)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """x for x > 0, alpha * (exp(x) - 1) otherwise."""
        return K.elu(inputs, self.alpha)

    def get_config(self) -> dict[str, Any]:
        """The config: alpha."""
        return {**super().get_config(), "alpha": self.alpha}


class ThresholdedReLU(_Elementwise):
    """x for x > theta, 0 otherwise."""

    def __init__(self, theta: float = 1.0, **kwargs: Any):
        self.theta = float(theta)
        super().__init__(**kwargs)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """x where x > theta, else 0."""
        return inputs * K.cast(K.greater(inputs, self.theta), K.dtype(inputs))

    def get_config(self) -> dict[str, Any]:
        """The config: theta."""
        return {**super().get_config(), "theta": self.theta}
