"""Locally connected layers: LocallyConnected1D and LocallyConnected2D -- convolutions whose
kernels are not shared: every output position has its own. Keras 1.2.2's arguments,
configs and weight layouts (Keras 2's spellings accepted too):

    LocallyConnected1D  W (output_length, filter_length * input_dim, nb_filter),
                        b (output_length, nb_filter)
    LocallyConnected2D  W (output_rows * output_cols, nb_row * nb_col * channels, nb_filter),
                        b (output_rows, output_cols, nb_filter)

Each position's patch is flattened as Keras 1.2.2 flattens it: (steps, input_dim) for 1-d,
(channels, rows, cols) for 'th' images and (rows, cols, channels) for 'tf'. The patches
are gathered with one strided slice per kernel tap (not per output position, as Keras
does), then one batched matrix product computes every position at once. Only
border_mode='valid' exists, as in Keras 1.2.2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import symgraph as sg

from .. import backend as K
from ..engine.base_layer import InputSpec
from .arguments import renamed
from .conv_base import ConvLayer, border, int_tuple, ordering, output_lengths


def _patches(x: Any, kernel: Sequence[int], strides: Sequence[int], out: Sequence[int],
             first_axis: int) -> Any:
    """Stack of the strided views of x, one per kernel tap, on a new axis after the
    spatial axes that start at `first_axis`: (..., *out, taps, ...)."""
    taps = []
    for tap in _taps(kernel):
        index: list[Any] = [slice(None)] * K.ndim(x)
        for a, (t, s, n) in enumerate(zip(tap, strides, out, strict=True)):
            index[first_axis + a] = slice(t, t + s * (n - 1) + 1, s)
        taps.append(x[tuple(index)])
    return sg.stack(taps, axis=first_axis + len(kernel))


def _taps(kernel: Sequence[int]) -> list[tuple[int, ...]]:
    if len(kernel) == 1:
        return [(i,) for i in range(kernel[0])]
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def _per_position(patches: Any, kernel: Any) -> Any:
    """(positions, batch, features) @ (positions, features, filters) -> (positions, batch,
    filters): every position's own product, as one batched matrix product."""
    return sg.matmul(patches, kernel)


class _Local(ConvLayer):
    def _local_setup(self, layer: str, nb_filter: Any, filters: Any, kernel: Any,
                     border_mode: Any, padding: Any, stride: Any, strides: Any,
                     stride_name: str) -> None:
        self.nb_filter = self.filters = int(renamed(layer, ("nb_filter", nb_filter),
                                                    ("filters", filters)))
        self.kernel_size = int_tuple(layer, "kernel_size", kernel, self.rank)
        self.border_mode = self.padding = border(layer, border_mode, padding, ("valid",))
        self.strides = int_tuple(layer, stride_name, renamed(
            layer, (stride_name, stride), ("strides", strides), 1), self.rank)

    def _out(self, lengths: Sequence[int | None]) -> list[int | None]:
        return output_lengths(lengths, self.kernel_size, "valid", self.strides,
                              (1,) * self.rank)

    def _known_out(self, lengths: Sequence[int | None]) -> list[int]:
        out = self._out(lengths)
        if None in out:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the input's steps / rows / "
                             f"cols must be known (each position has its own weights), got "
                             f"input lengths {tuple(lengths)}")
        if min(out) < 1:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the kernel "
                             f"{self.kernel_size} is larger than the input {tuple(lengths)}")
        return out

    def _kernel_indices(self) -> Sequence[int]:
        return ()  # the same layout in every Keras version and backend: nothing to convert


class LocallyConnected1D(_Local):
    """Like Convolution1D over (samples, steps, input_dim), with a different kernel at
    every output step."""

    rank = 1

    def __init__(self, nb_filter: int | None = None, filter_length: Any = None,
                 init: Any = None, activation: Any = None, weights: Any = None,
                 border_mode: str | None = None, subsample_length: int | None = None,
                 W_regularizer: Any = None, b_regularizer: Any = None,  # noqa: N803
                 activity_regularizer: Any = None, W_constraint: Any = None,  # noqa: N803
                 b_constraint: Any = None, bias: bool | None = None,
                 input_dim: int | None = None, input_length: int | None = None, *,
                 filters: int | None = None, kernel_size: Any = None, strides: Any = None,
                 padding: str | None = None, use_bias: bool | None = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        layer = type(self).__name__
        self._local_setup(layer, nb_filter, filters, renamed(
            layer, ("filter_length", filter_length), ("kernel_size", kernel_size)),
            border_mode, padding, subsample_length, strides, "subsample_length")
        (self.filter_length,), (self.subsample_length,) = self.kernel_size, self.strides
        self._setup_weights(layer, init, kernel_initializer, activation, W_regularizer,
                            kernel_regularizer, b_regularizer, bias_regularizer,
                            activity_regularizer, W_constraint, kernel_constraint,
                            b_constraint, bias_constraint, bias, use_bias, bias_initializer)
        self.input_dim, self.input_length = input_dim, input_length
        if input_dim:
            kwargs.setdefault("input_shape", (input_length, input_dim))
        super().__init__(weights=weights, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """W (output_length, filter_length * input_dim, nb_filter), b (output_length,
        nb_filter)."""
        (length,) = self._known_out([input_shape[1]])
        input_dim = input_shape[2]
        self.input_spec = InputSpec(ndim=3, axes={1: input_shape[1], 2: input_dim})
        self.W_shape = (length, self.filter_length * input_dim, self.nb_filter)
        self.kernel = self._add_kernel(self.W_shape, "th")
        self._add_bias((length, self.nb_filter))
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """Each output step's patch times its own kernel, bias, activation."""
        length, features, _ = self.W_shape
        patches = _patches(inputs, self.kernel_size, self.strides, (length,), 1)
        flat = sg.reshape(patches, (K.shape(inputs)[0], length, features))
        out = sg.transpose(_per_position(sg.transpose(flat, (1, 0, 2)), self.kernel),
                           (1, 0, 2))
        if self.use_bias:
            out = out + sg.expand_dims(self.b, 0)
        return self.activation(out)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, output_length, nb_filter)."""
        return (input_shape[0], self._out([input_shape[1]])[0], self.nb_filter)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config (that of Convolution1D)."""
        return {**super().get_config(), "nb_filter": self.nb_filter,
                "filter_length": self.filter_length, "border_mode": self.border_mode,
                "subsample_length": self.subsample_length, **self._weight_config(),
                "input_dim": self.input_dim, "input_length": self.input_length}


class LocallyConnected2D(_Local):
    """Like Convolution2D, with a different kernel at every output position."""

    rank = 2

    def __init__(self, nb_filter: int | None = None, nb_row: Any = None,
                 nb_col: int | None = None, init: Any = None, activation: Any = None,
                 weights: Any = None, border_mode: str | None = None, subsample: Any = None,
                 dim_ordering: str | None = None, W_regularizer: Any = None,  # noqa: N803
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 W_constraint: Any = None, b_constraint: Any = None,  # noqa: N803
                 bias: bool | None = None, *, filters: int | None = None,
                 kernel_size: Any = None, strides: Any = None, padding: str | None = None,
                 data_format: str | None = None, use_bias: bool | None = None,
                 kernel_initializer: Any = None, bias_initializer: Any = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        layer = type(self).__name__
        if kernel_size is None and (isinstance(nb_row, (tuple, list)) or nb_col is None):
            kernel_size, nb_row = nb_row, None
        kernel = renamed(layer, ("nb_row, nb_col", None if nb_row is None else
                                 (nb_row, nb_col)), ("kernel_size", kernel_size))
        self._local_setup(layer, nb_filter, filters, kernel, border_mode, padding, subsample,
                          strides, "subsample")
        (self.nb_row, self.nb_col), self.subsample = self.kernel_size, self.strides
        self.dim_ordering = ordering(layer, dim_ordering, data_format)
        self.data_format = "channels_first" if self.dim_ordering == "th" else "channels_last"
        self._setup_weights(layer, init, kernel_initializer, activation, W_regularizer,
                            kernel_regularizer, b_regularizer, bias_regularizer,
                            activity_regularizer, W_constraint, kernel_constraint,
                            b_constraint, bias_constraint, bias, use_bias, bias_initializer)
        super().__init__(weights=weights, **kwargs)
        self.input_spec = InputSpec(ndim=4)

    def _rows_cols(self, input_shape: Sequence[int | None]) -> list[int | None]:
        return list(input_shape[2:] if self.dim_ordering == "th" else input_shape[1:3])

    def build(self, input_shape: Sequence[int | None]) -> None:
        """W (output_rows * output_cols, nb_row * nb_col * channels, nb_filter),
        b (output_rows, output_cols, nb_filter)."""
        self.output_row, self.output_col = self._known_out(self._rows_cols(input_shape))
        channels = input_shape[1 if self.dim_ordering == "th" else 3]
        axes = {1: channels} if self.dim_ordering == "th" else {3: channels}
        self.input_spec = InputSpec(ndim=4, axes=axes)
        self.W_shape = (self.output_row * self.output_col,
                        self.nb_row * self.nb_col * channels, self.nb_filter)
        self.kernel = self._add_kernel(self.W_shape, self.dim_ordering)
        self._add_bias((self.output_row, self.output_col, self.nb_filter))
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """Each output position's patch times its own kernel, bias, activation."""
        positions, features, nb_filter = self.W_shape
        out_rc = (self.output_row, self.output_col)
        batch = K.shape(inputs)[0]
        if self.dim_ordering == "th":
            # (b, c, rows, cols, taps) -> positions first, patches flattened as (c, taps)
            patches = _patches(inputs, self.kernel_size, self.strides, out_rc, 2)
            patches = sg.transpose(patches, (2, 3, 0, 1, 4))
        else:
            # (b, rows, cols, taps, c) -> positions first, patches flattened as (taps, c)
            patches = _patches(inputs, self.kernel_size, self.strides, out_rc, 1)
            patches = sg.transpose(patches, (1, 2, 0, 3, 4))
        flat = sg.reshape(patches, (positions, batch, features))
        out = sg.reshape(_per_position(flat, self.kernel), (*out_rc, batch, nb_filter))
        if self.use_bias:
            out = out + sg.expand_dims(self.b, 2)
        perm = (2, 3, 0, 1) if self.dim_ordering == "th" else (2, 0, 1, 3)
        return self.activation(sg.transpose(out, perm))

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, nb_filter, rows, cols) for 'th', (samples, rows, cols, nb_filter) for
        'tf'."""
        rows, cols = self._out(self._rows_cols(input_shape))
        if self.dim_ordering == "th":
            return (input_shape[0], self.nb_filter, rows, cols)
        return (input_shape[0], rows, cols, self.nb_filter)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config (that of Convolution2D)."""
        return {**super().get_config(), "nb_filter": self.nb_filter, "nb_row": self.nb_row,
                "nb_col": self.nb_col, "border_mode": self.border_mode,
                "subsample": self.subsample, "dim_ordering": self.dim_ordering,
                **self._weight_config()}
