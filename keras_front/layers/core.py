"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector,
Lambda, ActivityRegularization, Masking — Keras 1.2's arguments and configs, with the
Keras 2 spellings accepted too (Dense(units=..., kernel_initializer=..., use_bias=...),
Dropout(rate=...)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np  # (also in the globals Keras 1.2.2's saved Lambda functions run with)

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from ..engine.base_layer import InputSpec, Layer
from ..utils.generic_utils import SafeModeScope, has_arg
from .arguments import (
    input_dim_to_shape,
    is_activation_name,
    renamed,
    serialize_initializer,
    serialize_object,
)

# Keras 1.2.2 has these in keras.layers.core too (F401: imported for that path).
from .legacy import Highway, MaxoutDense, TimeDistributedDense  # noqa: F401
from .merge import Merge, merge  # noqa: F401 (Keras 1.2.2 has them in keras.layers.core)
from .noise import RateDropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D  # noqa: F401
from .saved_functions import dump_function, load_functions, register_bytecode_globals


class Dense(Layer):
    """A fully connected layer: activation(dot(x, kernel) + bias) over the last axis.

    Keras 1: Dense(output_dim, init='glorot_uniform', activation=None, weights=None,
    W_regularizer, b_regularizer, activity_regularizer, W_constraint, b_constraint,
    bias=True, input_dim=None). Keras 2: units, kernel_initializer, bias_initializer,
    kernel_/bias_regularizer, kernel_/bias_constraint, use_bias. The weights are
    `.kernel`/`.bias`, also reachable as Keras 1's `.W`/`.b`.
    """

    def __init__(self, units: int | None = None, init: Any = None, activation: Any = None,
                 weights: Any = None, W_regularizer: Any = None,  # noqa: N803 (Keras 1)
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 W_constraint: Any = None, b_constraint: Any = None,  # noqa: N803
                 bias: bool | None = None, input_dim: int | None = None, *,
                 output_dim: int | None = None, use_bias: bool | None = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        if is_activation_name(init) and activation is None:
            init, activation = None, init  # Keras 2's Dense(10, 'relu')
        units = renamed("Dense", ("output_dim", output_dim), ("units", units))
        if units is None:
            raise TypeError("Dense needs the number of units: Dense(units) (Keras 1: "
                            "output_dim)")
        self.units = self.output_dim = int(units)
        self.init = self.kernel_initializer = initializers.get(
            renamed("Dense", ("init", init), ("kernel_initializer", kernel_initializer),
                    "glorot_uniform"))
        self.bias_initializer = initializers.get(bias_initializer or "zero")
        self._bias_initializer_given = bias_initializer is not None
        self.activation = activations.get(activation)
        self.kernel_regularizer = self.W_regularizer = regularizers.get(
            renamed("Dense", ("W_regularizer", W_regularizer),
                    ("kernel_regularizer", kernel_regularizer)))
        self.bias_regularizer = self.b_regularizer = regularizers.get(
            renamed("Dense", ("b_regularizer", b_regularizer),
                    ("bias_regularizer", bias_regularizer)))
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = self.W_constraint = constraints.get(
            renamed("Dense", ("W_constraint", W_constraint),
                    ("kernel_constraint", kernel_constraint)))
        self.bias_constraint = self.b_constraint = constraints.get(
            renamed("Dense", ("b_constraint", b_constraint), ("bias_constraint", bias_constraint)))
        self.use_bias = bool(renamed("Dense", ("bias", bias), ("use_bias", use_bias), True))
        self.input_dim = input_dim
        input_dim_to_shape(kwargs, input_dim)
        self.supports_masking = True
        self.kernel: Any = None
        self.bias: Any = None
        super().__init__(weights=weights, **kwargs)
        self.input_spec = InputSpec(min_ndim=2)

    # Keras 1 names of the weights.
    W = property(lambda self: self.kernel, doc="The kernel (Keras 1 name).")
    b = property(lambda self: self.bias, doc="The bias vector (Keras 1 name); None without.")

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Create the kernel (input_dim, units) and the bias, with penalties and constraints."""
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense {self.name!r}: the last axis of the input must be known, "
                             f"got input shape {tuple(input_shape)}")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.kernel = self.add_weight((input_dim, self.units), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """activation(inputs . kernel + bias)."""
        output = K.dot(inputs, self.kernel)
        if self.use_bias:
            output = output + self.bias
        return self.activation(output)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """The input shape with its last axis replaced by `units`."""
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2's config (output_dim, init, W_regularizer ...), read back by both spellings."""
        config = {"output_dim": self.units, "init": serialize_initializer(self.init),
                  "activation": activations.serialize(self.activation),
                  "W_regularizer": serialize_object(self.kernel_regularizer),
                  "b_regularizer": serialize_object(self.bias_regularizer),
                  "activity_regularizer": serialize_object(self.activity_regularizer),
                  "W_constraint": serialize_object(self.kernel_constraint),
                  "b_constraint": serialize_object(self.bias_constraint),
                  "bias": self.use_bias, "input_dim": self.input_dim}
        if self._bias_initializer_given:
            config["bias_initializer"] = serialize_initializer(self.bias_initializer)
        return {**super().get_config(), **config}


class Activation(Layer):
    """Applies an activation function (a name such as 'relu', or a function of a tensor)."""

    def __init__(self, activation: Any, **kwargs: Any):
        self.supports_masking = True
        self.activation = activations.get(activation)
        super().__init__(**kwargs)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The activation applied to the inputs."""
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape (elementwise)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The config: the activation's name."""
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(RateDropout):
    """Sets a fraction p (Keras 2: rate) of inputs to 0 while training, scaling the rest by
    1/(1-p); the identity at test time."""

    def __init__(self, p: float | None = None, noise_shape: Sequence[int | None] | None = None,
                 seed: int | None = None, *, rate: float | None = None, **kwargs: Any):
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        super().__init__(p, rate=rate, **kwargs)

    def noised(self, inputs: Any) -> Any:
        """The inputs with a fraction p zeroed (along noise_shape), the rest scaled by 1/(1-p)."""
        return K.dropout(inputs, self.p, self.noise_shape, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        """The config: p, and noise_shape and seed when set."""
        config = super().get_config()
        if self.noise_shape is not None:
            config["noise_shape"] = self.noise_shape
        if self.seed is not None:
            config["seed"] = self.seed
        return config


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); needs the non-batch dims known."""

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        self.data_format = data_format
        super().__init__(**kwargs)
        self.input_spec = InputSpec(min_ndim=3)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs as (batch, product of the other dims)."""
        if self.data_format == "channels_first" and K.ndim(inputs) >= 3:
            # Channels last before flattening, so the order matches a channels_last model.
            inputs = K.permute_dimensions(inputs, (0, *range(2, K.ndim(inputs)), 1))
        return K.batch_flatten(inputs)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(batch, product of the other dims); they must be known."""
        rest = tuple(input_shape[1:])
        if None in rest:
            raise ValueError(f'The shape of the input to "Flatten" is not fully defined (got '
                             f'{rest}). Make sure to pass a complete "input_shape" or '
                             f'"batch_input_shape" argument to the first layer in your model '
                             f'(layer {self.name!r}, input shape {tuple(input_shape)}).')
        return (input_shape[0], int(np.prod(rest, dtype=np.int64)))

    def get_config(self) -> dict[str, Any]:
        """The config, with data_format when set."""
        config = super().get_config()
        if self.data_format is not None:
            config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshapes each sample to target_shape (one entry may be -1: inferred)."""

    def __init__(self, target_shape: Sequence[int], **kwargs: Any):
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d < 0 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape: can only specify one unknown dimension, got "
                             f"{self.target_shape}")
        super().__init__(**kwargs)

    def _fix_unknown_dimension(self, input_shape: tuple, output_shape: tuple) -> tuple:
        output = list(output_shape)
        known = int(np.prod([d for d in output if d >= 0], dtype=np.int64))
        original = int(np.prod(input_shape, dtype=np.int64))
        unknown = [i for i, d in enumerate(output) if d < 0]
        msg = (f"Reshape {self.name!r}: total size of new array must be unchanged (input "
               f"{input_shape} has {original} values per sample, target {output_shape})")
        if unknown:
            if known == 0 or original % known != 0:
                raise ValueError(msg)
            output[unknown[0]] = original // known
        elif original != known:
            raise ValueError(msg)
        return tuple(output)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(batch, *target_shape), a -1 resolved from the input's size when known."""
        rest = tuple(input_shape[1:])
        if None in rest:
            return (input_shape[0],) + tuple(None if d < 0 else d for d in self.target_shape)
        return (input_shape[0],) + self._fix_unknown_dimension(rest, self.target_shape)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs reshaped to (batch, *target_shape)."""
        target = self.compute_output_shape(K.int_shape(inputs))[1:]
        if None in target:
            target = self.target_shape
        return K.reshape(inputs, (K.shape(inputs)[0],) + tuple(target))

    def get_config(self) -> dict[str, Any]:
        """The config: the target shape."""
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Reorders the non-batch axes: dims is a permutation of 1..ndim-1 (1-based)."""

    def __init__(self, dims: Sequence[int], **kwargs: Any):
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation `dims` for Permute layer: {self.dims}. The "
                             f"set of indices in `dims` must be consecutive and start from 1.")
        super().__init__(**kwargs)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs with their non-batch axes permuted by `dims` (1-based)."""
        return K.permute_dimensions(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """The input shape permuted by `dims`."""
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> dict[str, Any]:
        """The config: dims."""
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the input repeated n times."""

    def __init__(self, n: int, **kwargs: Any):
        self.n = int(n)
        super().__init__(**kwargs)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """(batch, features) repeated to (batch, n, features)."""
        return K.repeat(inputs, self.n)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(batch, n, features)."""
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        """The config: n."""
        return {**super().get_config(), "n": self.n}


class Lambda(Layer):
    """Wraps a function of tensors: Lambda(lambda x: x ** 2). output_shape: a tuple (without
    the batch axis) or a function of the input shape; by default the shape symgraph infers.
    `arguments` are extra keyword arguments of the function; `mask` (a value or a function
    of (inputs, mask)) is the output mask."""

    def __init__(self, function: Callable[..., Any], output_shape: Any = None,
                 arguments: dict[str, Any] | None = None, mask: Any = None, **kwargs: Any):
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) \
            else output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        super().__init__(**kwargs)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The function applied to the inputs (with `mask` and `arguments` when it takes them)."""
        arguments = dict(self.arguments)
        if has_arg(self.function, "mask"):
            arguments["mask"] = mask
        return self.function(inputs, **arguments)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask given to the layer (a function of inputs and mask, or a fixed one)."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        """output_shape as given (a tuple, or a function of the input shape), else inferred."""
        if self._output_shape is None:
            return self._infer_output_shape(input_shape)
        if isinstance(self._output_shape, tuple):
            batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
            return (batch,) + self._output_shape
        shape = self._output_shape(input_shape)
        if not isinstance(shape, (list, tuple)):
            raise ValueError(f"Lambda {self.name!r}: the output_shape function must return a "
                             f"tuple, got {shape!r}")
        return [tuple(s) for s in shape] if shape and isinstance(shape[0], (list, tuple)) \
            else tuple(shape)

    def _output_shapes(self, input_shape: Any, outputs: list[Any]) -> list[tuple]:
        if self._output_shape is None:  # the shapes of the outputs just computed
            return [tuple(K.int_shape(o)) for o in outputs]
        return super()._output_shapes(input_shape, outputs)

    def _infer_output_shape(self, input_shape: Any) -> Any:
        """Run the function on placeholders of input_shape and read the static shape."""
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        xs = [K.placeholder(shape=s) for s in shapes]
        out = self.call(xs if isinstance(input_shape, list) else xs[0])
        outs = out if isinstance(out, list) else [out]
        result = [tuple(K.int_shape(o)) for o in outs]
        return result if isinstance(out, list) else result[0]

    def get_config(self) -> dict[str, Any]:
        """The config: the function by name (or as code), output_shape and arguments."""
        function, function_type = dump_function(self.function)
        output_shape, output_shape_type = dump_function(self._output_shape)
        config = {**super().get_config(), "function": function, "function_type": function_type,
                  "output_shape": output_shape, "output_shape_type": output_shape_type,
                  "arguments": self.arguments}
        if self.mask is not None:
            config["mask"], config["mask_type"] = dump_function(self.mask)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool | None = None) -> Lambda:
        """A Lambda from its config; functions saved as bytecode are found as
        keras_front.layers.saved_functions says (never run unless safe_mode=False)."""
        with SafeModeScope(safe_mode):
            return cls(**load_functions(config, ("function", "output_shape", "mask"),
                                        "Lambda", custom_objects))


class ActivityRegularization(Layer):
    """The identity, adding l1 * sum(mean|y|) + l2 * sum(mean y**2) (means over the batch)
    to the training loss."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        self.supports_masking = True
        self.l1, self.l2 = float(l1), float(l2)
        super().__init__(**kwargs)
        self.activity_regularizer = regularizers.ActivityRegularizer(l1=self.l1, l2=self.l2)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape (the layer only adds a penalty)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The config: the two strengths."""
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


class Masking(Layer):
    """Masks timesteps whose features all equal mask_value (and zeroes them)."""

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        self.supports_masking = True
        self.mask_value = mask_value
        super().__init__(**kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """True at timesteps where some feature differs from mask_value."""
        return K.any(K.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs with masked timesteps set to 0."""
        keep = K.any(K.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * K.cast(keep, K.dtype(inputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The config: mask_value."""
        return {**super().get_config(), "mask_value": self.mask_value}


# Loaded bytecode (safe_mode=False) runs in this module's globals, as in Keras 1.2.2.
register_bytecode_globals(globals())
