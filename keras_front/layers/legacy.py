"""Keras 1.2.2's deprecated dense-family layers: Highway, MaxoutDense and
TimeDistributedDense (importable from keras_front.layers.core, where Keras 1.2.2 had
them). Each takes Keras 1.2.2's arguments: init, activation, weights, W_/b_regularizer,
activity_regularizer, W_/b_constraint, bias, input_dim.

    Highway():                y = act(x . W + b) * T + x * (1 - T),
                              T = sigmoid(x . W_carry + b_carry)
    MaxoutDense(output_dim):  y = max over nb_feature of (x . W[k] + b[k])
    TimeDistributedDense(d):  y = act(x . W + b) on every timestep of (samples, time, features)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from ..engine.base_layer import InputSpec, Layer
from .arguments import input_dim_to_shape, serialize_initializer, serialize_object


class _Keras1Dense(Layer):
    """The arguments and config keys the three layers share."""

    def __init__(self, init: Any = "glorot_uniform", activation: Any = None, weights: Any = None,
                 W_regularizer: Any = None, b_regularizer: Any = None,  # noqa: N803 (Keras 1)
                 activity_regularizer: Any = None, W_constraint: Any = None,  # noqa: N803
                 b_constraint: Any = None, bias: bool = True, input_dim: int | None = None,
                 **kwargs: Any):
        self.init = initializers.get(init)
        self.activation = activations.get(activation)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bool(bias)
        self.input_dim = input_dim
        self.b: Any = None
        super().__init__(weights=weights, **kwargs)

    def _weight(self, shape: tuple[int, ...], init: Any, name: str,
                penalized: bool = True) -> Any:
        """A kernel ('W*') or bias ('b*'), with the layer's penalty and constraint when
        `penalized` (Highway's carry weights have none, as in Keras 1.2.2)."""
        kind = name[0]
        return self.add_weight(shape, init, name=name,
                               regularizer=getattr(self, f"{kind}_regularizer")
                               if penalized else None,
                               constraint=getattr(self, f"{kind}_constraint")
                               if penalized else None)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's keys."""
        config = {"init": serialize_initializer(self.init),
                  "activation": activations.serialize(self.activation),
                  "W_regularizer": serialize_object(self.W_regularizer),
                  "b_regularizer": serialize_object(self.b_regularizer),
                  "activity_regularizer": serialize_object(self.activity_regularizer),
                  "W_constraint": serialize_object(self.W_constraint),
                  "b_constraint": serialize_object(self.b_constraint),
                  "bias": self.bias, "input_dim": self.input_dim}
        return {**super().get_config(), **config}


class Highway(_Keras1Dense):
    """A densely connected highway layer (Srivastava et al. 2015): the transform gate T
    mixes act(x . W + b) with the input itself; output shape = input shape (2D).
    Weights: W, W_carry, b, b_carry (b_carry starts at 1)."""

    def __init__(self, init: Any = "glorot_uniform", activation: Any = None, weights: Any = None,
                 W_regularizer: Any = None, b_regularizer: Any = None,  # noqa: N803
                 activity_regularizer: Any = None, W_constraint: Any = None,  # noqa: N803
                 b_constraint: Any = None, bias: bool = True, input_dim: int | None = None,
                 **kwargs: Any):
        kwargs.pop("transform_bias", None)  # deprecated in Keras 1.2.2, ignored there too
        input_dim_to_shape(kwargs, input_dim)
        super().__init__(init, activation, weights, W_regularizer, b_regularizer,
                         activity_regularizer, W_constraint, b_constraint, bias, input_dim,
                         **kwargs)
        self.input_spec = [InputSpec(ndim=2)]

    def build(self, input_shape: Sequence[int | None]) -> None:
        """W and W_carry (d, d), b and b_carry (d,)."""
        dim = input_shape[1]
        self.input_spec = [InputSpec(shape=(None, dim))]
        self.W = self._weight((dim, dim), self.init, "W")
        self.W_carry = self._weight((dim, dim), self.init, "W_carry", penalized=False)
        self.b = self.b_carry = None
        if self.bias:
            self.b = self._weight((dim,), "zero", "b")
            self.b_carry = self._weight((dim,), "one", "b_carry", penalized=False)
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """act(x . W + b) * T + (1 - T) * x."""
        carry = K.dot(inputs, self.W_carry)
        transformed = K.dot(inputs, self.W)
        if self.bias:
            carry, transformed = carry + self.b_carry, transformed + self.b
        gate = K.sigmoid(carry)
        return self.activation(transformed) * gate + (1 - gate) * inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape


class MaxoutDense(_Keras1Dense):
    """nb_feature dense layers side by side, the elementwise max of their outputs
    (Goodfellow et al. 2013). Weights: W (nb_feature, input_dim, output_dim), b
    (nb_feature, output_dim)."""

    def __init__(self, output_dim: int, nb_feature: int = 4, init: Any = "glorot_uniform",
                 weights: Any = None, W_regularizer: Any = None,  # noqa: N803
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 W_constraint: Any = None, b_constraint: Any = None,  # noqa: N803
                 bias: bool = True, input_dim: int | None = None, **kwargs: Any):
        self.output_dim = int(output_dim)
        self.nb_feature = int(nb_feature)
        input_dim_to_shape(kwargs, input_dim)
        super().__init__(init, None, weights, W_regularizer, b_regularizer,
                         activity_regularizer, W_constraint, b_constraint, bias, input_dim,
                         **kwargs)
        self.input_spec = [InputSpec(ndim=2)]

    def build(self, input_shape: Sequence[int | None]) -> None:
        """W (nb_feature, input_dim, output_dim) and b (nb_feature, output_dim)."""
        dim = input_shape[1]
        self.input_spec = [InputSpec(shape=(None, dim))]
        self.W = self._weight((self.nb_feature, dim, self.output_dim), self.init, "W")
        if self.bias:
            self.b = self._weight((self.nb_feature, self.output_dim), "zero", "b")
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """max over the features of x . W[k] + b[k]."""
        output = K.dot(inputs, self.W)  # (samples, nb_feature, output_dim)
        if self.bias:
            output = output + self.b
        return K.max(output, axis=1)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, output_dim)."""
        return (input_shape[0], self.output_dim)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's keys (no activation)."""
        config = super().get_config()
        del config["activation"]
        return {**config, "output_dim": self.output_dim, "nb_feature": self.nb_feature}


class TimeDistributedDense(_Keras1Dense):
    """The same dense layer on every timestep: (samples, time, input_dim) ->
    (samples, time, output_dim). Weights W (input_dim, output_dim), b (output_dim,).
    Deprecated in Keras 1.2.2 in favour of Dense (which takes 3D inputs) or
    TimeDistributed(Dense(...))."""

    def __init__(self, output_dim: int, init: Any = "glorot_uniform", activation: Any = None,
                 weights: Any = None, W_regularizer: Any = None,  # noqa: N803
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 W_constraint: Any = None, b_constraint: Any = None,  # noqa: N803
                 bias: bool = True, input_dim: int | None = None,
                 input_length: int | None = None, **kwargs: Any):
        self.output_dim = int(output_dim)
        self.input_length = input_length
        if input_dim and kwargs.get("input_shape") is None and \
                kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = (input_length, input_dim)
        self.supports_masking = True
        super().__init__(init, activation, weights, W_regularizer, b_regularizer,
                         activity_regularizer, W_constraint, b_constraint, bias, input_dim,
                         **kwargs)
        self.input_spec = [InputSpec(ndim=3)]

    def build(self, input_shape: Sequence[int | None]) -> None:
        """W (input_dim, output_dim) and b (output_dim,)."""
        dim = input_shape[2]
        self.input_spec = [InputSpec(shape=(None,) + tuple(input_shape[1:]))]
        self.W = self._weight((dim, self.output_dim), self.init, "W")
        if self.bias:
            self.b = self._weight((self.output_dim,), "zero", "b")
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """act(x . W + b) on every timestep (one matrix product for all of them)."""
        y = K.dot(inputs, self.W)
        if self.bias:
            y = y + self.b
        return self.activation(y)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, time, output_dim)."""
        return (input_shape[0], input_shape[1], self.output_dim)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's keys (output_dim and input_length too)."""
        return {**super().get_config(), "output_dim": self.output_dim,
                "input_length": self.input_length}
