"""What the convolution layers share: their arguments under Keras 1.2.2's and Keras 2's
names, the kernel and bias weights with their initializer, penalty and constraint hooks,
bias + activation after the convolution, the common part of their configs, and the
conversion of kernels saved by other Keras versions and backends.

Kernel layouts are Keras 1.2.2's, for both spellings of the arguments: dim_ordering
'th' (Keras 2: data_format='channels_first') keeps (nb_filter, in_channels, *kernel),
'tf' ('channels_last') keeps (*kernel, in_channels, nb_filter). Keras 2 files store
every kernel channels last; `convert_saved_weights` transposes them on loading, and
flips their spatial axes when the file's backend correlates (TensorFlow, CNTK) where
ours convolves (Theano's convention, see keras_front/backend/conv_ops.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from ..engine.base_layer import InputSpec, Layer
from ..utils.generic_utils import has_arg
from ..utils.np_utils import conv_output_length, flip_kernel, kernels_need_flip
from .arguments import is_activation_name, renamed, serialize_initializer, serialize_object

CONV_BORDER_MODES = ("valid", "same", "full")


def ordering(layer: str, dim_ordering: str | None, data_format: str | None) -> str:
    """'th' or 'tf' from Keras 1's dim_ordering or Keras 2's data_format ('default' and
    None: the global K.image_dim_ordering())."""
    value = renamed(layer, ("dim_ordering", None if dim_ordering == "default" else
                            dim_ordering), ("data_format", data_format))
    try:
        return K.normalize_dim_ordering(value)
    except ValueError:
        raise ValueError(f"{layer}: dim_ordering must be 'th' or 'tf' (Keras 2: data_format "
                         f"'channels_first' or 'channels_last'), got {value!r}") from None


def border(layer: str, border_mode: str | None, padding: str | None,
           allowed: Sequence[str]) -> str:
    """The border mode from Keras 1's border_mode or Keras 2's padding (default 'valid')."""
    mode = renamed(layer, ("border_mode", border_mode), ("padding", padding), "valid")
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in allowed:
        names = ", ".join(repr(m) for m in allowed)
        raise ValueError(f"Invalid border mode for {layer}: {mode!r} (expected one of "
                         f"{names})")
    return mode


def int_tuple(layer: str, arg: str, value: Any, n: int) -> tuple[int, ...]:
    """An int or n positive ints -> a tuple of n ints (Keras 2's int shorthand)."""
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        values = tuple(int(v) for v in items)
    except (TypeError, ValueError):
        values = ()
    if len(values) != n or min(values) < 1:
        raise ValueError(f"{layer}: {arg} must be a positive int or {n} positive ints, got "
                         f"{value!r}")
    return values


def spatial_axes(rank: int, dim_ordering: str) -> range:
    """The spatial axes of a (batch, ...) tensor of `rank` spatial dims."""
    return range(1, 1 + rank) if dim_ordering == "tf" else range(2, 2 + rank)


def output_lengths(lengths: Sequence[int | None], kernel: Sequence[int], border_mode: str,
                   strides: Sequence[int], dilation: Sequence[int]) -> list[int | None]:
    """Keras's conv_output_length along each axis ('causal' is 'valid' on a padded input)."""
    mode = "same" if border_mode == "causal" else border_mode
    if border_mode == "causal":
        return [None if n is None else (n + s - 1) // s for n, s in zip(lengths, strides,
                                                                         strict=True)]
    return [conv_output_length(n, k, mode, s, d)
            for n, k, s, d in zip(lengths, kernel, strides, dilation, strict=True)]


def with_dim_ordering(init: Any, dim_ordering: str) -> Any:
    """The initializer with the kernel's layout bound (Keras 1.2.2 passes dim_ordering, so
    fan-in and fan-out are read from the right axes)."""
    if has_arg(init, "dim_ordering"):
        return functools.partial(init, dim_ordering=dim_ordering)
    return init


class ConvLayer(Layer):
    """A layer whose kernel and bias are set up like a convolution's: the Keras 1 / Keras 2
    arguments for initializers, penalties, constraints, bias and activation."""

    # Filled by each subclass: how many spatial dims, and Keras 1's name for this class.
    rank: ClassVar[int]

    def _setup_weights(self, layer: str, init: Any, kernel_initializer: Any,
                       activation: Any, W_regularizer: Any, kernel_regularizer: Any,  # noqa: N803
                       b_regularizer: Any, bias_regularizer: Any, activity_regularizer: Any,
                       W_constraint: Any, kernel_constraint: Any,  # noqa: N803
                       b_constraint: Any, bias_constraint: Any, bias: Any, use_bias: Any,
                       bias_initializer: Any) -> None:
        """Resolve and store the weight-related arguments under both spellings."""
        if is_activation_name(init) and activation is None:
            init, activation = None, init
        self.init = self.kernel_initializer = initializers.get(
            renamed(layer, ("init", init), ("kernel_initializer", kernel_initializer),
                    "glorot_uniform"))
        self.bias_initializer = initializers.get(bias_initializer or "zero")
        self._bias_initializer_given = bias_initializer is not None
        self.activation = activations.get(activation)
        self.W_regularizer = self.kernel_regularizer = regularizers.get(
            renamed(layer, ("W_regularizer", W_regularizer),
                    ("kernel_regularizer", kernel_regularizer)))
        self.b_regularizer = self.bias_regularizer = regularizers.get(
            renamed(layer, ("b_regularizer", b_regularizer),
                    ("bias_regularizer", bias_regularizer)))
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.W_constraint = self.kernel_constraint = constraints.get(
            renamed(layer, ("W_constraint", W_constraint),
                    ("kernel_constraint", kernel_constraint)))
        self.b_constraint = self.bias_constraint = constraints.get(
            renamed(layer, ("b_constraint", b_constraint), ("bias_constraint",
                                                            bias_constraint)))
        self.bias = self.use_bias = bool(renamed(layer, ("bias", bias), ("use_bias", use_bias),
                                                 True))
        self.kernel: Any = None
        self.b: Any = None

    # Keras 1's name of the kernel; `bias` is the flag (Keras 1) and `b` the weight.
    W = property(lambda self: self.kernel, doc="The kernel (Keras 1 name).")

    def _add_kernel(self, shape: Sequence[int], dim_ordering: str, name: str = "kernel",
                    initializer: Any = None, regularizer: Any = None,
                    constraint: Any = None) -> Any:
        init = self.kernel_initializer if initializer is None else initializer
        return self.add_weight(tuple(shape), with_dim_ordering(init, dim_ordering),
                               name=name,
                               regularizer=regularizer if name != "kernel" else
                               self.kernel_regularizer,
                               constraint=constraint if name != "kernel" else
                               self.kernel_constraint)

    def _add_bias(self, shape: Sequence[int]) -> None:
        if self.use_bias:
            self.b = self.add_weight(tuple(shape), self.bias_initializer, name="bias",
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)

    def _finish(self, output: Any, channel_axis: int) -> Any:
        """activation(output + bias), the bias broadcast along `channel_axis`."""
        if self.use_bias:
            shape = [1] * K.ndim(output)
            shape[channel_axis] = -1
            output = output + K.reshape(self.b, tuple(shape))
        return self.activation(output)

    def _weight_config(self, penalties: dict[str, Any] | None = None) -> dict[str, Any]:
        """Keras 1.2.2's keys for the initializer, activation, penalties and bias."""
        config = {"init": serialize_initializer(self.init),
                  "activation": activations.serialize(self.activation),
                  **(penalties if penalties is not None else {
                      "W_regularizer": serialize_object(self.kernel_regularizer),
                      "b_regularizer": serialize_object(self.bias_regularizer),
                      "activity_regularizer": serialize_object(self.activity_regularizer),
                      "W_constraint": serialize_object(self.kernel_constraint),
                      "b_constraint": serialize_object(self.bias_constraint)}),
                  "bias": self.use_bias}
        if self._bias_initializer_given:
            config["bias_initializer"] = serialize_initializer(self.bias_initializer)
        return config

    # ------------------------------------------------------------ files of other versions

    def _kernel_from_keras2(self, kernel: np.ndarray) -> np.ndarray:
        """A Keras 2 kernel (*kernel, in, out) in this layer's layout."""
        if getattr(self, "dim_ordering", "tf") == "th":
            return np.transpose(kernel, (kernel.ndim - 1, kernel.ndim - 2,
                                         *range(kernel.ndim - 2)))
        return kernel

    def _spatial_kernel_axes(self, kernel: np.ndarray) -> range:
        n = kernel.ndim - 2
        return range(2, 2 + n) if getattr(self, "dim_ordering", "tf") == "th" else range(n)

    def _kernel_indices(self) -> Sequence[int]:
        """Which of the layer's weights are convolution kernels (flipped across backends)."""
        return (0,)

    def convert_saved_weights(self, weights: list[np.ndarray], keras_version: str = "1",
                              backend: str | None = None) -> list[np.ndarray]:
        """The file's arrays for this layer, in this layer's layout (the saving hook).

        Keras 2 files store kernels channels last; kernels from a correlating backend
        (TensorFlow, CNTK) get their spatial axes reversed."""
        weights = [np.asarray(w) for w in weights]
        keras2 = not str(keras_version).startswith("1")
        flip = kernels_need_flip(backend)
        for i in self._kernel_indices():
            if i >= len(weights):
                continue
            kernel = weights[i]
            if keras2:
                kernel = self._kernel_from_keras2(kernel)
            if flip:
                kernel = flip_kernel(kernel, self._spatial_kernel_axes(kernel))
            weights[i] = kernel
        return weights


def conv_input_spec(rank: int) -> InputSpec:
    """The input spec of a layer over `rank` spatial dims (plus batch and channels)."""
    return InputSpec(ndim=rank + 2)
