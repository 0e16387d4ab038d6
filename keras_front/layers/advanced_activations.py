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


def _shared_axes(shared_axes: int | Sequence[int] | None) -> list[int]:
    """Keras's shared_axes argument as a list of 1-based axes."""
    if shared_axes is None:
        return []
    if isinstance(shared_axes, int):
        return [shared_axes]
    return [int(a) for a in shared_axes if a is not None]


def _parameter_shape(layer: Any, input_shape: Sequence[int | None]) -> tuple[int, ...]:
    """The shape of a per-feature parameter: the input's non-batch dims, 1 along the
    layer's shared_axes; also sets the layer's input_spec to those dims."""
    shape = list(input_shape[1:])
    for axis in layer.shared_axes:
        if not 1 <= axis < len(input_shape):
            raise ValueError(f"{type(layer).__name__} {layer.name!r}: shared axis {axis} out "
                             f"of range for input shape {tuple(input_shape)}")
        shape[axis - 1] = 1
    if None in shape:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: the input's non-batch dims "
                         f"must be known (or shared), got {tuple(input_shape)}")
    axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in layer.shared_axes}
    layer.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
    return tuple(shape)


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
        self.shared_axes = _shared_axes(shared_axes)
        self.alphas: Any = None
        super().__init__(weights=weights, **kwargs)

    @property
    def alpha(self) -> Any:
        """The learned slopes (Keras 2 name; Keras 1: alphas)."""
        return self.alphas

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Create the slopes, one per input feature (shared along shared_axes)."""
        shape = _parameter_shape(self, input_shape)
        self.alphas = self.add_weight(shape, self.alpha_initializer, name="alpha",
                                      regularizer=self.alpha_regularizer,
                                      constraint=self.alpha_constraint)
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


class ParametricSoftplus(_Elementwise):
    """alpha * softplus(beta * x), with alpha and beta learned per input unit (shared
    along `shared_axes`); they start at alpha_init and beta_init (Keras 1.2.2).
    Weights: alphas, betas."""

    def __init__(self, alpha_init: float = 0.2, beta_init: float = 5.0, weights: Any = None,
                 shared_axes: int | Sequence[int] | None = None, **kwargs: Any):
        self.alpha_init = float(alpha_init)
        self.beta_init = float(beta_init)
        self.shared_axes = _shared_axes(shared_axes)
        super().__init__(weights=weights, **kwargs)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """alphas and betas, one per input unit (shared along shared_axes)."""
        shape = _parameter_shape(self, input_shape)
        self.alphas = self.add_weight(shape, initializers.Constant(self.alpha_init),
                                      name="alphas")
        self.betas = self.add_weight(shape, initializers.Constant(self.beta_init),
                                     name="betas")
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """alphas * softplus(betas * x)."""
        return K.softplus(self.betas * inputs) * self.alphas

    def get_config(self) -> dict[str, Any]:
        """The config: alpha_init, beta_init (and shared_axes when set)."""
        config: dict[str, Any] = {"alpha_init": self.alpha_init, "beta_init": self.beta_init}
        if self.shared_axes:
            config["shared_axes"] = list(self.shared_axes)
        return {**super().get_config(), **config}


class SReLU(_Elementwise):
    """S-shaped ReLU (Jin et al. 2015): slope a_left below t_left, identity between
    t_left and t_right, slope a_right above t_right (t_right = t_left + |t_right|, so
    it stays on the right). Four parameters per input unit (shared along shared_axes);
    weights t_left, a_left, t_right, a_right."""

    def __init__(self, t_left_init: Any = "zero", a_left_init: Any = "glorot_uniform",
                 t_right_init: Any = "glorot_uniform", a_right_init: Any = "one",
                 shared_axes: int | Sequence[int] | None = None, **kwargs: Any):
        self.t_left_init, self.a_left_init = t_left_init, a_left_init
        self.t_right_init, self.a_right_init = t_right_init, a_right_init
        self.shared_axes = _shared_axes(shared_axes)
        super().__init__(**kwargs)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """The four parameter arrays."""
        shape = _parameter_shape(self, input_shape)
        for name in ("t_left", "a_left", "t_right", "a_right"):
            init = initializers.get(getattr(self, f"{name}_init"))
            setattr(self, name, self.add_weight(shape, init, name=name))
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The three linear pieces."""
        t_right = self.t_left + K.abs(self.t_right)
        left_and_center = self.t_left + K.relu(inputs - self.t_left, self.a_left,
                                               t_right - self.t_left)
        return left_and_center + K.relu(inputs - t_right) * self.a_right

    def get_config(self) -> dict[str, Any]:
        """The four initializers (as given) and shared_axes when set."""
        config: dict[str, Any] = {f"{name}_init": serialize_initializer(
            getattr(self, f"{name}_init")) for name in ("t_left", "a_left", "t_right", "a_right")}
        if self.shared_axes:
            config["shared_axes"] = list(self.shared_axes)
        return {**super().get_config(), **config}
