"""Convolution layers: Convolution1D/2D/3D, AtrousConvolution1D/2D, Deconvolution2D,
SeparableConvolution2D -- Keras 1.2.2's names, arguments, defaults, output shapes,
configs and weight order; Keras 2's spellings too (Conv2D(filters, kernel_size,
strides=, padding=, data_format=, dilation_rate=, use_bias=, kernel_initializer= ...),
Conv2DTranspose). The resizing layers (UpSampling, ZeroPadding, Cropping) and the
pooling layers are importable from here too, as in Keras 1.2.2.

    Convolution2D(32, 3, 3, border_mode='same', activation='relu', input_shape=(1, 28, 28),
                  dim_ordering='th')
    Conv2D(32, (3, 3), padding='same', data_format='channels_first')    # the same layer

Weights: [kernel, bias] (bias only with bias=True / use_bias=True), kernels in Keras 1.2.2's
layouts (keras_front/layers/conv_base.py). Convolutions are true convolutions (flipped
kernels), as Keras 1.2.2 computes them on Theano; see keras_front/backend/conv_ops.py for
'same' padding of even kernels and the other conventions. Keras 2 positional calls work
when the kernel size is a tuple: Conv2D(32, (3, 3), (2, 2), 'same') reads the third and
fourth arguments as strides and padding; with ints, Conv2D(32, 3, 3) is Keras 1's
(nb_filter, nb_row, nb_col). Keras 2's Conv1D padding='causal' is supported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend as K
from .. import constraints, initializers, regularizers
from ..engine.base_layer import InputSpec
from ..utils.np_utils import conv_input_length
from .arguments import renamed, serialize_object
from .conv_base import (
    CONV_BORDER_MODES,
    ConvLayer,
    border,
    conv_input_spec,
    int_tuple,
    ordering,
    output_lengths,
)
from .pooling import (  # noqa: F401 (Keras 1.2.2 exports these here too)
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .resizing import (  # noqa: F401 (defined in resizing.py, part of this module's API)
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

_WEIGHT_ARGS = ("init", "kernel_initializer", "activation", "W_regularizer",
                "kernel_regularizer", "b_regularizer", "bias_regularizer",
                "activity_regularizer", "W_constraint", "kernel_constraint", "b_constraint",
                "bias_constraint", "bias", "use_bias", "bias_initializer")


def _kernel_2d(layer: str, nb_row: Any, nb_col: Any, kernel_size: Any) -> Any:
    """The kernel size from Keras 1's (nb_row, nb_col) or Keras 2's kernel_size (given by
    keyword, or positionally in nb_row: a tuple, or one int with no nb_col)."""
    if kernel_size is None and (isinstance(nb_row, (tuple, list)) or nb_col is None):
        kernel_size, nb_row = nb_row, None
    return renamed(layer, ("nb_row, nb_col", None if nb_row is None else (nb_row, nb_col)),
                   ("kernel_size", kernel_size))


def _keras2_positional(kernel: Any, third: Any, fourth: Any) -> tuple[Any, Any, Any, Any]:
    """(third, fourth, strides, padding): after a tuple kernel size, Keras 2 reads the next
    two positional arguments as strides and padding."""
    if not isinstance(kernel, (tuple, list)):
        return third, fourth, None, None
    if isinstance(fourth, str) and fourth.lower() in (*CONV_BORDER_MODES, "causal"):
        return None, None, third, fourth
    return None, fourth, third, None


def _weights(kwargs: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """The weight-related arguments of a constructor call (for ConvLayer._setup_weights)."""
    return {name: local.get(name, kwargs.pop(name, None)) for name in _WEIGHT_ARGS}


class Convolution1D(ConvLayer):
    """1-d convolution over (samples, steps, input_dim) -> (samples, new_steps, nb_filter);
    kernel (filter_length, 1, input_dim, nb_filter), as Keras 1.2.2 keeps it."""

    rank = 1

    def __init__(self, nb_filter: int | None = None, filter_length: Any = None,
                 init: Any = None, activation: Any = None, weights: Any = None,
                 border_mode: str | None = None, subsample_length: int | None = None,
                 W_regularizer: Any = None, b_regularizer: Any = None,  # noqa: N803
                 activity_regularizer: Any = None, W_constraint: Any = None,  # noqa: N803
                 b_constraint: Any = None, bias: bool | None = None,
                 input_dim: int | None = None, input_length: int | None = None, *,
                 filters: int | None = None, kernel_size: Any = None, strides: Any = None,
                 padding: str | None = None, dilation_rate: Any = None,
                 atrous_rate: Any = None, **kwargs: Any):
        layer = type(self).__name__
        self.nb_filter = self.filters = int(renamed(layer, ("nb_filter", nb_filter),
                                                    ("filters", filters)))
        self.filter_length = int_tuple(layer, "filter_length", renamed(
            layer, ("filter_length", filter_length), ("kernel_size", kernel_size)), 1)[0]
        self.border_mode = self.padding = border(layer, border_mode, padding,
                                                 (*CONV_BORDER_MODES, "causal"))
        self.subsample_length = int_tuple(layer, "subsample_length", renamed(
            layer, ("subsample_length", subsample_length), ("strides", strides), 1), 1)[0]
        self.subsample = (self.subsample_length, 1)
        self.atrous_rate = int_tuple(layer, "atrous_rate", renamed(
            layer, ("atrous_rate", atrous_rate), ("dilation_rate", dilation_rate), 1), 1)[0]
        self.kernel_size = (self.filter_length,)
        self.strides, self.dilation_rate = (self.subsample_length,), (self.atrous_rate,)
        self._setup_weights(layer, **_weights(kwargs, locals()))
        self.input_dim, self.input_length = input_dim, input_length
        if input_dim:
            kwargs.setdefault("input_shape", (input_length, input_dim))
        super().__init__(weights=weights, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """The kernel (filter_length, 1, input_dim, nb_filter) and the bias (nb_filter,)."""
        input_dim = input_shape[2]
        if input_dim is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the last axis (input_dim) "
                             f"of the input must be known, got {tuple(input_shape)}")
        self.input_spec = InputSpec(ndim=3, axes={2: input_dim})
        self.W_shape = (self.filter_length, 1, input_dim, self.nb_filter)
        self.kernel = self._add_kernel(self.W_shape, "tf")
        self._add_bias((self.nb_filter,))
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The convolution along the steps (a 'tf' conv2d over one column), bias,
        activation."""
        x, mode = inputs, self.border_mode
        if mode == "causal":
            x, mode = K.asymmetric_temporal_padding(
                x, (self.filter_length - 1) * self.atrous_rate, 0), "valid"
        out = K.conv2d(K.expand_dims(x, 2), self.kernel, strides=self.subsample,
                       border_mode=mode, dim_ordering="tf",
                       filter_dilation=(self.atrous_rate, 1))
        return self._finish(K.squeeze(out, 2), 2)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, new_steps, nb_filter)."""
        (length,) = output_lengths([input_shape[1]], self.kernel_size, self.border_mode,
                                   self.strides, self.dilation_rate)
        return (input_shape[0], length, self.nb_filter)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config (nb_filter, filter_length, border_mode, subsample_length...)."""
        config = {"nb_filter": self.nb_filter, "filter_length": self.filter_length,
                  "border_mode": self.border_mode, "subsample_length": self.subsample_length,
                  **self._weight_config(), "input_dim": self.input_dim,
                  "input_length": self.input_length}
        if self.atrous_rate != 1 or isinstance(self, AtrousConvolution1D):
            config["atrous_rate"] = self.atrous_rate
        return {**super().get_config(), **config}

    def _kernel_from_keras2(self, kernel: Any) -> Any:
        # Keras 2's (length, input_dim, filters) -> (length, 1, input_dim, filters)
        return kernel.reshape(kernel.shape[0], 1, *kernel.shape[1:])

    def convert_saved_weights(self, weights: list[Any], keras_version: str = "1",
                              backend: str | None = None) -> list[Any]:
        """Also reads Keras 1's older (nb_filter, input_dim, filter_length, 1) kernels, as
        Keras 1.2.2's load_weights does."""
        weights = list(weights)
        w = weights[0] if weights else None
        if w is not None and w.ndim == 4 and str(keras_version).startswith("1") and \
                w.shape[:2] != (self.filter_length, 1) and \
                w.shape[0] == self.nb_filter and w.shape[2:] == (self.filter_length, 1):
            weights[0] = w.transpose(2, 3, 1, 0)
        return super().convert_saved_weights(weights, keras_version, backend)


class AtrousConvolution1D(Convolution1D):
    """Convolution1D with the kernel's taps atrous_rate steps apart (dilated)."""

    def __init__(self, nb_filter: int | None = None, filter_length: Any = None,
                 init: Any = None, activation: Any = None, weights: Any = None,
                 border_mode: str | None = None, subsample_length: int | None = None,
                 atrous_rate: Any = None, **kwargs: Any):
        super().__init__(nb_filter, filter_length, init, activation, weights, border_mode,
                         subsample_length, atrous_rate=atrous_rate, **kwargs)


class _ConvND(ConvLayer):
    """What the 2-d and 3-d convolutions share (Theano / Keras 1.2.2 semantics)."""

    def _setup(self, layer: str, nb_filter: Any, filters: Any, kernel: Any,
               border_mode: Any, padding: Any, subsample: Any, strides: Any,
               dim_ordering: Any, data_format: Any, dilation: Any,
               modes: Sequence[str] = CONV_BORDER_MODES) -> None:
        n = self.rank
        self.nb_filter = self.filters = int(renamed(layer, ("nb_filter", nb_filter),
                                                    ("filters", filters)))
        self.kernel_size = int_tuple(layer, "kernel_size", kernel, n)
        self.border_mode = self.padding = border(layer, border_mode, padding, modes)
        self.subsample = self.strides = int_tuple(layer, "subsample", renamed(
            layer, ("subsample", subsample), ("strides", strides), 1), n)
        self.dim_ordering = ordering(layer, dim_ordering, data_format)
        self.data_format = "channels_first" if self.dim_ordering == "th" else "channels_last"
        self.dilation_rate = int_tuple(layer, "dilation_rate", dilation or 1, n)

    def _channel_axis(self) -> int:
        return 1 if self.dim_ordering == "th" else self.rank + 1

    def _kernel_shape(self, channels: int) -> tuple[int, ...]:
        if self.dim_ordering == "th":
            return (self.nb_filter, channels, *self.kernel_size)
        return (*self.kernel_size, channels, self.nb_filter)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """The kernel (layout of dim_ordering) and the bias (nb_filter,)."""
        axis = self._channel_axis()
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the channel axis "
                             f"(axis {axis} for dim_ordering={self.dim_ordering!r}) of the "
                             f"input must be known, got {tuple(input_shape)}")
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.W_shape = self._kernel_shape(channels)
        self.kernel = self._add_kernel(self.W_shape, self.dim_ordering)
        self._add_bias((self.nb_filter,))
        self.built = True

    def _convolve(self, inputs: Any) -> Any:
        conv = K.conv2d if self.rank == 2 else K.conv3d
        return conv(inputs, self.kernel, strides=self.subsample,
                    border_mode=self.border_mode, dim_ordering=self.dim_ordering,
                    filter_shape=self.W_shape, filter_dilation=self.dilation_rate)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The convolution, bias, activation."""
        return self._finish(self._convolve(inputs), self._channel_axis())

    def _spatial_out(self, lengths: Sequence[int | None]) -> list[int | None]:
        return output_lengths(lengths, self.kernel_size, self.border_mode, self.subsample,
                              self.dilation_rate)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(batch, nb_filter, *out) for 'th', (batch, *out, nb_filter) for 'tf'."""
        if self.dim_ordering == "th":
            return (input_shape[0], self.nb_filter, *self._spatial_out(input_shape[2:]))
        return (input_shape[0], *self._spatial_out(input_shape[1:-1]), self.nb_filter)

    def _base_config(self) -> dict[str, Any]:
        config = {"nb_filter": self.nb_filter, "border_mode": self.border_mode,
                  "subsample": self.subsample, "dim_ordering": self.dim_ordering,
                  **self._weight_config()}
        if self.dilation_rate != (1,) * self.rank and not isinstance(self,
                                                                    AtrousConvolution2D):
            config["dilation_rate"] = self.dilation_rate
        return config


class Convolution2D(_ConvND):
    """2-d convolution of images ('th': (samples, channels, rows, cols), 'tf': (samples,
    rows, cols, channels)) with nb_filter kernels of nb_row x nb_col."""

    rank = 2

    def __init__(self, nb_filter: int | None = None, nb_row: Any = None, nb_col: Any = None,
                 init: Any = None, activation: Any = None, weights: Any = None,
                 border_mode: str | None = None, subsample: Any = None,
                 dim_ordering: str | None = None, W_regularizer: Any = None,  # noqa: N803
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 W_constraint: Any = None, b_constraint: Any = None,  # noqa: N803
                 bias: bool | None = None, *, filters: int | None = None,
                 kernel_size: Any = None, strides: Any = None, padding: str | None = None,
                 data_format: str | None = None, dilation_rate: Any = None, **kwargs: Any):
        layer = type(self).__name__
        nb_col, init, strides_at_3, padding_at_4 = _keras2_positional(nb_row, nb_col, init)
        self._setup(layer, nb_filter, filters, _kernel_2d(layer, nb_row, nb_col, kernel_size),
                    border_mode, padding or padding_at_4, subsample, strides or strides_at_3,
                    dim_ordering, data_format,
                    renamed(layer, ("atrous_rate", kwargs.pop("atrous_rate", None)),
                            ("dilation_rate", dilation_rate)))
        self.nb_row, self.nb_col = self.kernel_size
        self._setup_weights(layer, **_weights(kwargs, locals()))
        super().__init__(weights=weights, **kwargs)
        self.input_spec = conv_input_spec(2)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config (nb_filter, nb_row, nb_col, border_mode, subsample,
        dim_ordering, init, activation, W_/b_ regularizers and constraints, bias)."""
        return {**super().get_config(), "nb_row": self.nb_row, "nb_col": self.nb_col,
                **self._base_config()}


class AtrousConvolution2D(Convolution2D):
    """Convolution2D with the kernel's taps atrous_rate apart (a dilated convolution)."""

    def __init__(self, nb_filter: int | None = None, nb_row: Any = None, nb_col: Any = None,
                 init: Any = None, activation: Any = None, weights: Any = None,
                 border_mode: str | None = None, subsample: Any = None,
                 atrous_rate: Any = None, dim_ordering: str | None = None, **kwargs: Any):
        super().__init__(nb_filter, nb_row, nb_col, init, activation, weights, border_mode,
                         subsample, dim_ordering, atrous_rate=atrous_rate, **kwargs)
        self.atrous_rate = self.dilation_rate

    def get_config(self) -> dict[str, Any]:
        """Convolution2D's config and atrous_rate."""
        return {**super().get_config(), "atrous_rate": self.atrous_rate}


class Deconvolution2D(Convolution2D):
    """The transposed convolution (Keras 2: Conv2DTranspose): maps images shaped like a
    Convolution2D's output to images shaped like its input, `output_shape` (batch,
    nb_filter, rows, cols in the ordering's layout). Without output_shape (Keras 2 style)
    the rows and cols are the input lengths the matching convolution would take
    (keras_front.utils.np_utils.conv_input_length)."""

    def __init__(self, nb_filter: int | None = None, nb_row: Any = None, nb_col: Any = None,
                 output_shape: Sequence[int | None] | None = None, init: Any = None,
                 activation: Any = None, weights: Any = None, border_mode: str | None = None,
                 subsample: Any = None, dim_ordering: str | None = None, **kwargs: Any):
        if isinstance(nb_row, (tuple, list)) and isinstance(output_shape, str):
            # Keras 2's Conv2DTranspose(filters, kernel_size, strides, padding)
            output_shape, kwargs["padding"] = None, output_shape
        super().__init__(nb_filter, nb_row, nb_col, init, activation, weights, border_mode,
                         subsample, dim_ordering, **kwargs)
        if self.dilation_rate != (1, 1):
            raise ValueError(f"{type(self).__name__}: dilation is not supported, got "
                             f"dilation_rate={self.dilation_rate}")
        self.output_shape_ = None if output_shape is None else tuple(output_shape)
        if self.output_shape_ is not None and len(self.output_shape_) != 4:
            raise ValueError(f"{type(self).__name__}: output_shape must have 4 entries "
                             f"(batch, then the image's three dims), got {output_shape!r}")

    def _out_rows_cols(self, input_shape: Sequence[int | None]) -> list[int | None]:
        if self.output_shape_ is not None:
            shape = self.output_shape_
            return list(shape[2:] if self.dim_ordering == "th" else shape[1:3])
        lengths = input_shape[2:] if self.dim_ordering == "th" else input_shape[1:3]
        return [conv_input_length(n, k, self.border_mode, s) for n, k, s in
                zip(lengths, self.kernel_size, self.subsample, strict=True)]

    def _convolve(self, inputs: Any) -> Any:
        rows, cols = self._out_rows_cols(K.int_shape(inputs))
        if rows is None or cols is None:
            raise ValueError(f"Deconvolution2D {self.name!r}: the output's rows and cols must "
                             f"be known (give output_shape, or an input of known size)")
        batch = None if self.output_shape_ is None else self.output_shape_[0]
        shape = (batch, self.nb_filter, rows, cols) if self.dim_ordering == "th" else \
            (batch, rows, cols, self.nb_filter)
        return K.deconv2d(inputs, self.kernel, shape, strides=self.subsample,
                          border_mode=self.border_mode, dim_ordering=self.dim_ordering,
                          filter_shape=self.W_shape)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """The input's batch with output_shape's image dims."""
        rows, cols = self._out_rows_cols(input_shape)
        if self.dim_ordering == "th":
            return (input_shape[0], self.nb_filter, rows, cols)
        return (input_shape[0], rows, cols, self.nb_filter)

    def get_config(self) -> dict[str, Any]:
        """Convolution2D's config and output_shape."""
        return {**super().get_config(), "output_shape": self.output_shape_}

    def _kernel_from_keras2(self, kernel: Any) -> Any:
        # Keras 2's Conv2DTranspose kernel is (rows, cols, filters, in_channels).
        return super()._kernel_from_keras2(kernel.transpose(0, 1, 3, 2))


class SeparableConvolution2D(_ConvND):
    """A depthwise convolution (depth_multiplier kernels per input channel) followed by a
    1x1 pointwise convolution to nb_filter channels. Weights: depthwise kernel ('th':
    (depth_multiplier, channels, rows, cols), 'tf': (rows, cols, channels,
    depth_multiplier)), pointwise kernel ('th': (nb_filter, channels * depth_multiplier,
    1, 1), 'tf': (1, 1, channels * depth_multiplier, nb_filter)), bias."""

    rank = 2

    def __init__(self, nb_filter: int | None = None, nb_row: Any = None, nb_col: Any = None,
                 init: Any = None, activation: Any = None, weights: Any = None,
                 border_mode: str | None = None, subsample: Any = None,
                 depth_multiplier: int = 1, dim_ordering: str | None = None,
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 b_constraint: Any = None, bias: bool | None = None, *,
                 filters: int | None = None, kernel_size: Any = None, strides: Any = None,
                 padding: str | None = None, data_format: str | None = None,
                 depthwise_initializer: Any = None, pointwise_initializer: Any = None,
                 **kwargs: Any):
        layer = type(self).__name__
        nb_col, init, strides_at_3, padding_at_4 = _keras2_positional(nb_row, nb_col, init)
        self._setup(layer, nb_filter, filters, _kernel_2d(layer, nb_row, nb_col, kernel_size),
                    border_mode, padding or padding_at_4, subsample, strides or strides_at_3,
                    dim_ordering, data_format, None, ("valid", "same"))
        self.nb_row, self.nb_col = self.kernel_size
        self.depth_multiplier = int(depth_multiplier)
        self._setup_weights(layer, **_weights(kwargs, locals()))
        self.depthwise_initializer = initializers.get(depthwise_initializer or self.init)
        self.pointwise_initializer = initializers.get(pointwise_initializer or self.init)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        super().__init__(weights=weights, **kwargs)
        self.input_spec = conv_input_spec(2)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """The depthwise and pointwise kernels and the bias."""
        axis = self._channel_axis()
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"SeparableConvolution2D {self.name!r}: the channel axis of the "
                             f"input must be known, got {tuple(input_shape)}")
        self.input_spec = InputSpec(ndim=4, axes={axis: channels})
        m, inner = self.depth_multiplier, channels * self.depth_multiplier
        th = self.dim_ordering == "th"
        depthwise = (m, channels, *self.kernel_size) if th else (*self.kernel_size, channels,
                                                                  m)
        pointwise = (self.nb_filter, inner, 1, 1) if th else (1, 1, inner, self.nb_filter)
        self.depthwise_kernel = self._add_kernel(
            depthwise, self.dim_ordering, "depthwise_kernel", self.depthwise_initializer,
            self.depthwise_regularizer, self.depthwise_constraint)
        self.pointwise_kernel = self._add_kernel(
            pointwise, self.dim_ordering, "pointwise_kernel", self.pointwise_initializer,
            self.pointwise_regularizer, self.pointwise_constraint)
        self._add_bias((self.nb_filter,))
        self.built = True

    def _convolve(self, inputs: Any) -> Any:
        return K.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                  strides=self.subsample, border_mode=self.border_mode,
                                  dim_ordering=self.dim_ordering)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config: nb_filter, nb_row, nb_col, depth_multiplier, the depthwise
        and pointwise penalties and constraints, and the rest of Convolution2D's."""
        penalties = {
            "depthwise_regularizer": serialize_object(self.depthwise_regularizer),
            "pointwise_regularizer": serialize_object(self.pointwise_regularizer),
            "b_regularizer": serialize_object(self.bias_regularizer),
            "activity_regularizer": serialize_object(self.activity_regularizer),
            "depthwise_constraint": serialize_object(self.depthwise_constraint),
            "pointwise_constraint": serialize_object(self.pointwise_constraint),
            "b_constraint": serialize_object(self.bias_constraint)}
        return {**super().get_config(), "nb_filter": self.nb_filter, "nb_row": self.nb_row,
                "nb_col": self.nb_col, "border_mode": self.border_mode,
                "subsample": self.subsample, "depth_multiplier": self.depth_multiplier,
                "dim_ordering": self.dim_ordering, **self._weight_config(penalties)}

    def _kernel_indices(self) -> Sequence[int]:
        return (0, 1)


class Convolution3D(_ConvND):
    """3-d convolution of volumes ('th': (samples, channels, d1, d2, d3), 'tf': (samples,
    d1, d2, d3, channels)) with nb_filter kernels of kernel_dim1 x kernel_dim2 x
    kernel_dim3."""

    rank = 3

    def __init__(self, nb_filter: int | None = None, kernel_dim1: Any = None,
                 kernel_dim2: int | None = None, kernel_dim3: int | None = None,
                 init: Any = None, activation: Any = None, weights: Any = None,
                 border_mode: str | None = None, subsample: Any = None,
                 dim_ordering: str | None = None, W_regularizer: Any = None,  # noqa: N803
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 W_constraint: Any = None, b_constraint: Any = None,  # noqa: N803
                 bias: bool | None = None, *, filters: int | None = None,
                 kernel_size: Any = None, strides: Any = None, padding: str | None = None,
                 data_format: str | None = None, dilation_rate: Any = None, **kwargs: Any):
        layer = type(self).__name__
        if isinstance(kernel_dim1, (tuple, list)) or (kernel_dim1 is not None and
                                                     kernel_dim2 is None):
            kernel_size, kernel_dim1 = kernel_dim1, None
        kernel = renamed(layer, ("kernel_dim1..3", None if kernel_dim1 is None else
                                 (kernel_dim1, kernel_dim2, kernel_dim3)),
                         ("kernel_size", kernel_size))
        self._setup(layer, nb_filter, filters, kernel, border_mode, padding, subsample,
                    strides, dim_ordering, data_format, dilation_rate)
        self.kernel_dim1, self.kernel_dim2, self.kernel_dim3 = self.kernel_size
        self._setup_weights(layer, **_weights(kwargs, locals()))
        super().__init__(weights=weights, **kwargs)
        self.input_spec = conv_input_spec(3)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config (nb_filter, kernel_dim1..3, dim_ordering, border_mode,
        subsample, init, activation, penalties, constraints, bias)."""
        return {**super().get_config(), "kernel_dim1": self.kernel_dim1,
                "kernel_dim2": self.kernel_dim2, "kernel_dim3": self.kernel_dim3,
                **self._base_config()}


# Keras 1.2.2's short names and Keras 2's names.
Conv1D = Convolution1D
Conv2D = Convolution2D
Conv3D = Convolution3D
AtrousConv1D = AtrousConvolution1D
AtrousConv2D = AtrousConvolution2D
Deconv2D = Deconvolution2D
Conv2DTranspose = Deconvolution2D
SeparableConv2D = SeparableConvolution2D
