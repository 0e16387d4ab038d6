"""ConvLSTM2D: an LSTM whose input and recurrent transformations are convolutions
(Shi et al. 2015), Keras 1.2.2's layer.

    model.add(ConvLSTM2D(nb_filter=40, nb_row=3, nb_col=3, border_mode='same',
                         return_sequences=True, input_shape=(None, 40, 40, 1)))

Input (samples, time, channels, rows, cols) with dim_ordering 'th', (samples, time,
rows, cols, channels) with 'tf' (Keras 2's data_format too); output the same with
nb_filter channels (without the time axis unless return_sequences). border_mode 'valid'
or 'same' and subsample apply to the input convolution; the recurrent one is always
'same' with stride 1. Kernels are laid out as Keras 1.2.2's: 'th' (nb_filter, channels,
nb_row, nb_col), 'tf' (nb_row, nb_col, channels, nb_filter); the weights W_i, U_i, b_i,
W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o in that order. The other arguments (init,
inner_init, forget_bias_init, activation, inner_activation, W/U/b_regularizer,
dropout_W, dropout_U, return_sequences, go_backwards, stateful) mean what they mean
for LSTM. As for LSTM, the input convolutions of every timestep are computed at once,
before the loop, with the four gates' kernels side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import symgraph as sg

from .. import activations, initializers
from .. import backend as K
from ..engine.base_layer import InputSpec
from ..utils.np_utils import conv_output_length, flip_kernel, kernels_need_flip
from .arguments import renamed, serialize_initializer
from .recurrent_base import GatedRecurrent

_GATES = ("i", "f", "c", "o")
_ONES = [K.cast_to_floatx(1.0)] * 4  # no dropout: Keras's masks of ones


def _conv2d(x: Any, kernel: Any, ordering: str, border_mode: str,
            strides: tuple[int, int]) -> Any:
    """K.conv2d (Keras 1.2.2's Theano convolution) in the layer's ordering."""
    return K.conv2d(x, kernel, strides=strides, border_mode=border_mode,
                    dim_ordering=ordering)


class ConvLSTM2D(GatedRecurrent):
    """A convolutional LSTM (see the module docstring)."""

    _gates = _GATES
    _order = ("i", "c", "f", "o")
    _n_states = 2

    def __init__(self, nb_filter: int | None = None, nb_row: int | None = None,
                 nb_col: int | None = None, init: Any = "glorot_uniform",
                 inner_init: Any = "orthogonal", forget_bias_init: Any = "one",
                 activation: Any = "tanh", inner_activation: Any = "hard_sigmoid",
                 dim_ordering: str = "default", border_mode: str | None = None,
                 subsample: Sequence[int] | None = None, W_regularizer: Any = None,  # noqa: N803
                 U_regularizer: Any = None, b_regularizer: Any = None,  # noqa: N803
                 dropout_W: float = 0.0, dropout_U: float = 0.0, *,  # noqa: N803
                 filters: int | None = None, kernel_size: Any = None,
                 data_format: str | None = None, padding: str | None = None,
                 strides: Any = None, **kwargs: Any):
        nb_filter = renamed("ConvLSTM2D", ("nb_filter", nb_filter), ("filters", filters))
        if kernel_size is not None:
            size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            nb_row, nb_col = renamed("ConvLSTM2D", ("nb_row", nb_row), ("kernel_size",
                                                                          size[0])), \
                renamed("ConvLSTM2D", ("nb_col", nb_col), ("kernel_size", size[1]))
        if nb_filter is None or nb_row is None or nb_col is None:
            raise TypeError("ConvLSTM2D needs nb_filter, nb_row and nb_col (Keras 2: filters "
                            "and kernel_size)")
        self.nb_filter, self.nb_row, self.nb_col = int(nb_filter), int(nb_row), int(nb_col)
        self.border_mode = renamed("ConvLSTM2D", ("border_mode", border_mode),
                                   ("padding", padding), "valid")
        if self.border_mode not in ("valid", "same"):
            raise ValueError(f"ConvLSTM2D: border_mode must be 'valid' or 'same', got "
                             f"{self.border_mode!r}")
        strides = renamed("ConvLSTM2D", ("subsample", subsample), ("strides", strides),
                          (1, 1))
        self.subsample = tuple(int(s) for s in ((strides, strides) if isinstance(strides, int)
                                                else strides))
        self.dim_ordering = K.normalize_dim_ordering(
            renamed("ConvLSTM2D", ("dim_ordering", None if dim_ordering == "default"
                                   else dim_ordering), ("data_format", data_format)))
        self.forget_bias_init = initializers.get(forget_bias_init)
        self.inner_activation = activations.get(inner_activation)
        kwargs.pop("consume_less", None)
        super().__init__(self.nb_filter, init, inner_init, activation, W_regularizer,
                         U_regularizer, b_regularizer, dropout_W, dropout_U, **kwargs)
        self.input_spec = [InputSpec(ndim=5)]

    # ------------------------------------------------------------ shapes

    def _channel_axis(self, ndim: int) -> int:
        """The channel axis of a frame (ndim 4) or sequence (ndim 5)."""
        return ndim - 3 if self.dim_ordering == "th" else ndim - 1

    def _frame_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """One output frame's shape (without samples and time)."""
        rows, cols = (input_shape[3], input_shape[4]) if self.dim_ordering == "th" else \
            (input_shape[2], input_shape[3])
        rows = conv_output_length(rows, self.nb_row, self.border_mode, self.subsample[0])
        cols = conv_output_length(cols, self.nb_col, self.border_mode, self.subsample[1])
        return (self.nb_filter, rows, cols) if self.dim_ordering == "th" else \
            (rows, cols, self.nb_filter)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """(samples, [time,] frame) with the frame's channels nb_filter."""
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        frame = self._frame_shape(input_shape)
        if self.return_sequences:
            return (input_shape[0], input_shape[1]) + frame
        return (input_shape[0],) + frame

    def _state_shape(self, batch: int) -> tuple[int, ...]:
        return (batch,) + self._frame_shape(self.input_spec[0].shape)

    # ------------------------------------------------------------ weights

    def build(self, input_shape: Any) -> None:
        """W_g (input kernel), U_g (recurrent kernel), b_g per gate, Keras 1.2.2's order."""
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        channels = input_shape[2] if self.dim_ordering == "th" else input_shape[4]
        if channels is None:
            raise ValueError(f"{self.name}: the channel axis of the input must be known, got "
                             f"input shape {tuple(input_shape)}")
        self._build_states(input_shape, self._n_states)
        f, r, c = self.nb_filter, self.nb_row, self.nb_col
        w_shape = (f, channels, r, c) if self.dim_ordering == "th" else (r, c, channels, f)
        u_shape = (f, f, r, c) if self.dim_ordering == "th" else (r, c, f, f)
        for gate in self._order:
            setattr(self, f"W_{gate}", self.add_weight(w_shape, self.init, name=f"W_{gate}",
                                                       regularizer=self.W_regularizer))
            setattr(self, f"U_{gate}", self.add_weight(u_shape, self.inner_init,
                                                       name=f"U_{gate}",
                                                       regularizer=self.U_regularizer))
            setattr(self, f"b_{gate}", self.add_weight((f,), self._bias_init(gate),
                                                       name=f"b_{gate}",
                                                       regularizer=self.b_regularizer))
        # The gates' kernels side by side along the output filters (Keras 2's layout).
        out_axis = 0 if self.dim_ordering == "th" else 3
        self.W = K.concatenate([getattr(self, f"W_{g}") for g in _GATES], axis=out_axis)
        self.U = K.concatenate([getattr(self, f"U_{g}") for g in _GATES], axis=out_axis)
        self.b = K.concatenate([getattr(self, f"b_{g}") for g in _GATES])
        self.built = True

    def _kernel_block(self, kind: str, k0: int, k1: int) -> Any:
        if k1 == k0 + 1:
            return getattr(self, f"{kind}_{_GATES[k0]}")
        whole, f = getattr(self, kind), self.nb_filter
        if kind == "b":
            return whole[k0 * f:k1 * f]
        cols = slice(k0 * f, k1 * f)
        return whole[cols] if self.dim_ordering == "th" else whole[:, :, :, cols]

    def _gate_convs(self, x: Any, masks: Sequence[Any], kind: str, k0: int, k1: int) -> Any:
        """The convolutions of frames x for gates k0..k1-1 (biases added for W), side by
        side along the channel axis: one convolution when the masks are shared."""
        border, strides = (self.border_mode, self.subsample) if kind == "W" else \
            ("same", (1, 1))

        def masked(m: Any) -> Any:
            return x if K.ndim(m) == 0 and float(m) == 1.0 else x * m
        if k1 == k0 + 1 or all(m is masks[k0] for m in masks[k0:k1]):
            out = _conv2d(masked(masks[k0]), self._kernel_block(kind, k0, k1),
                          self.dim_ordering, border, strides)
            if kind == "W":
                bias = self._kernel_block("b", k0, k1)
                out = out + (K.reshape(bias, (1, -1, 1, 1)) if self.dim_ordering == "th"
                             else bias)
            return out
        return K.concatenate([self._gate_convs(x, masks, kind, k, k + 1)
                              for k in range(k0, k1)], axis=self._channel_axis(4))

    # ------------------------------------------------------------ the loop

    def get_initial_states(self, x: Any) -> list[Any]:
        """Zero frames (samples, *frame shape)."""
        frame = self._frame_shape(K.int_shape(x))
        if None in frame:  # unknown sizes: the shape of a convolution of zeros
            zero = _conv2d(K.zeros_like(x[:, 0]), K.zeros_like(self.W_i), self.dim_ordering,
                           self.border_mode, self.subsample)
            return [zero, zero]
        zeros = sg.zeros([sg.shape_i(x, 0), *frame], dtype=K.floatx())
        return [zeros, zeros]

    def get_constants(self, x: Any) -> list[Any]:
        """[B_U, B_W]: recurrent dropout masks (one per gate, on the state frames); input
        masks are applied in preprocess_input."""
        frame = self._frame_shape(K.int_shape(x))
        b_u = [K.cast_to_floatx(1.0)] * 4
        if 0.0 < self.dropout_U < 1.0:
            ones = sg.ones([sg.shape_i(x, 0), *frame], dtype=K.floatx())
            b_u = [K.in_train_phase(K.dropout(ones, self.dropout_U), ones) for _ in range(4)]
        return [b_u, [K.cast_to_floatx(1.0)] * 4]

    def preprocess_input(self, x: Any) -> Any:
        """The input convolutions of every timestep at once: (samples, time, frame with
        4 * nb_filter channels); input dropout masks (one per gate) are constant over
        time."""
        frame = [d if d is not None else sg.shape_i(x, i + 2)
                 for i, d in enumerate(K.int_shape(x)[2:])]
        groups: list[tuple[int, int, Any]] = [(0, 4, None)]
        if 0.0 < self.dropout_W < 1.0:
            ones = sg.ones([sg.shape_i(x, 0), *frame], dtype=K.floatx())
            groups = [(k, k + 1, K.expand_dims(K.in_train_phase(
                K.dropout(ones, self.dropout_W), ones), 1)) for k in range(4)]
        parts = []
        for k0, k1, mask in groups:
            flat = sg.reshape(x if mask is None else x * mask, [-1, *frame])
            out = self._gate_convs(flat, _ONES, "W", k0, k1)
            rest = [d if d is not None else sg.shape_i(out, i + 1)
                    for i, d in enumerate(K.int_shape(out)[1:])]
            parts.append(sg.reshape(out, [sg.shape_i(x, 0), -1, *rest]))
        return parts[0] if len(parts) == 1 else K.concatenate(parts,
                                                              axis=self._channel_axis(5))

    def convert_saved_weights(self, weights: list[Any], keras_version: Any = None,
                              backend: Any = None) -> list[Any]:
        """Keras 2's fused kernels ('tf' layout) split per gate; kernels of files from a
        correlating backend (TensorFlow) flipped, as for every convolution."""
        weights = list(weights)
        if len(weights) == 3 and self.dim_ordering == "tf":
            weights = super().convert_saved_weights(weights)
        if kernels_need_flip(backend):
            spatial = (2, 3) if self.dim_ordering == "th" else (0, 1)
            weights = [flip_kernel(w, spatial) if w.ndim == 4 else w for w in weights]
        return weights

    def step(self, x: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        """One step: gates from the precomputed input convolutions plus one recurrent
        convolution of h (per gate with recurrent dropout)."""
        h_tm1, c_tm1, b_u = states[0], states[1], states[2]
        z = x + self._gate_convs(h_tm1, b_u, "U", 0, 4)
        f, axis = self.nb_filter, self._channel_axis(4)

        def gate(k: int) -> Any:
            index = [slice(None)] * 4
            index[axis] = slice(k * f, (k + 1) * f)
            return z[tuple(index)]
        i = self.inner_activation(gate(0))
        forget = self.inner_activation(gate(1))
        c = forget * c_tm1 + i * self.activation(gate(2))
        o = self.inner_activation(gate(3))
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's keys."""
        config = super().get_config()
        for key in ("output_dim", "consume_less", "input_dim", "input_length"):
            config.pop(key, None)
        if not self.unroll:
            config.pop("unroll")
        return {**config, "nb_filter": self.nb_filter, "nb_row": self.nb_row,
                "nb_col": self.nb_col, "forget_bias_init":
                serialize_initializer(self.forget_bias_init),
                "inner_activation": activations.serialize(self.inner_activation),
                "dim_ordering": self.dim_ordering, "border_mode": self.border_mode,
                "subsample": self.subsample}
