"""Recurrent layers: SimpleRNN, GRU and LSTM with Keras 1.2.2's arguments, configs and
weights. They run as one fused loop op (symgraph.ops.recurrent.FusedRNN: the loop and
its backpropagation through time in NumPy) when their activations and dropout masks
allow, else on K.rnn (one sg.scan node, or unrolled with `unroll=True`).

    model.add(Embedding(20000, 128, input_length=80, mask_zero=True))
    model.add(LSTM(128, dropout_W=0.2, dropout_U=0.2))          # Keras 1.2.2
    model.add(LSTM(units=128, dropout=0.2, recurrent_dropout=0.2))  # Keras 2 spelling

Common arguments (the `Recurrent` base): return_sequences, go_backwards, stateful (then
`reset_states()`; the batch size must be known), unroll, consume_less ('cpu', 'mem' or
'gpu'; Keras 2's implementation=0/1/2), input_dim, input_length, weights; Keras 2's
return_state. `layer(x, initial_state=[h0, ...])` starts from given states (they become
inputs of the layer's node). Masks (Masking, Embedding(mask_zero=True)) skip timesteps:
a masked step keeps the previous output and states.

consume_less decides how the weights are stored and, on the K.rnn path, where the input
projections x . W + b are computed, as in Keras 1.2.2 (the fused loop always computes
the projections of all steps at once, before the loop):
- 'cpu' (the default): for all timesteps at once, one matrix product before the loop;
  the loop then does one product h . U per step. Weights are kept per gate (LSTM:
  W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o, U_o, b_o; GRU: z, r, h).
- 'mem': per step inside the loop (less memory); weights per gate.
- 'gpu': per step, with the gates' weights fused into one W, U, b (LSTM gate order
  i, f, c, o; GRU z, r, h) -- Keras 2's layout; one dropout mask shared by the gates.
Whatever the layout, each step multiplies by all gates' weights at once (per gate only
when recurrent dropout gives the gates different masks). Files with the other layout
(Keras 2's fused kernel / recurrent_kernel / bias, or Keras 1's per-gate weights) load
into either (convert_saved_weights).

Deviation from Keras 1.2.2: in the 'cpu'/'mem' layouts Keras 1.2.2 initialized the
recurrent weights U_* with `init` instead of `inner_init` (a bug Keras 2 fixed); here
they use `inner_init`.

Subclassing follows Keras 1.2.2's protocol: `build` creates weights and `self.states`,
`get_initial_states(x)`, `get_constants(x)` (extra step inputs, e.g. dropout masks),
`preprocess_input(x)` and `step(x_t, states)` -> (output, new_states).
"""

from __future__ import annotations

from typing import Any

from .. import activations, initializers
from .arguments import is_activation_name, renamed, serialize_initializer
from .recurrent_base import GatedRecurrent, Recurrent  # noqa: F401 (Keras 1.2.2 path of Recurrent)


def _first_activation(init: Any, activation: Any) -> tuple[Any, Any]:
    """Keras 2's `LSTM(32, 'relu')`: a second positional argument naming an activation."""
    if is_activation_name(init) and activation is None:
        return None, init
    return init, activation


class SimpleRNN(GatedRecurrent):
    """A fully connected RNN: h_t = activation(x_t . W + b + h_{t-1} . U).

    Keras 1.2.2: SimpleRNN(output_dim, init='glorot_uniform', inner_init='orthogonal',
    activation='tanh', W_regularizer, U_regularizer, b_regularizer, dropout_W, dropout_U).
    Weights: W (input_dim, output_dim), U (output_dim, output_dim), b (output_dim,).
    """

    _n_states = 1
    _cell = "simple"  # FusedRNN's cell (recurrent_base.GatedRecurrent._fused_loop)

    def __init__(self, output_dim: int | None = None, init: Any = None,
                 inner_init: Any = None, activation: Any = None,
                 W_regularizer: Any = None, U_regularizer: Any = None,  # noqa: N803
                 b_regularizer: Any = None, dropout_W: float | None = None,  # noqa: N803
                 dropout_U: float | None = None, **kwargs: Any):  # noqa: N803
        init, activation = _first_activation(init, activation)
        super().__init__(output_dim, init, inner_init, activation or "tanh", W_regularizer,
                         U_regularizer, b_regularizer, dropout_W, dropout_U, **kwargs)

    def step(self, x: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        """activation(x . W + b + (h * B_U) . U)."""
        prev_output, b_u, b_w = states[0], states[1], states[2]
        h = self._inputs_part(x, b_w) + self._project(prev_output, b_u, 0, 1, "U")
        output = self.activation(h)
        return output, [output]


class GRU(GatedRecurrent):
    """Gated Recurrent Unit (Cho et al. 2014), Keras 1.2.2's formulation:
    z = inner_activation(x . W_z + h . U_z + b_z), r likewise,
    hh = activation(x . W_h + (r * h) . U_h + b_h), h' = z * h + (1 - z) * hh.

    Keras 1.2.2: GRU(output_dim, init, inner_init, activation='tanh',
    inner_activation='hard_sigmoid', W/U/b_regularizer, dropout_W, dropout_U).
    """

    _gates = ("z", "r", "h")
    _order = ("z", "r", "h")
    _n_states = 1
    _cell = "gru"

    def __init__(self, output_dim: int | None = None, init: Any = None,
                 inner_init: Any = None, activation: Any = None,
                 inner_activation: Any = None, W_regularizer: Any = None,  # noqa: N803
                 U_regularizer: Any = None, b_regularizer: Any = None,  # noqa: N803
                 dropout_W: float | None = None, dropout_U: float | None = None,  # noqa: N803
                 *, recurrent_activation: Any = None, **kwargs: Any):
        init, activation = _first_activation(init, activation)
        self.inner_activation = self.recurrent_activation = activations.get(
            renamed("GRU", ("inner_activation", inner_activation),
                    ("recurrent_activation", recurrent_activation), "hard_sigmoid"))
        super().__init__(output_dim, init, inner_init, activation or "tanh", W_regularizer,
                         U_regularizer, b_regularizer, dropout_W, dropout_U, **kwargs)

    def step(self, x: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        """One GRU step (update gate z, reset gate r, candidate hh)."""
        h_tm1, b_u, b_w = states[0], states[1], states[2]
        u = self.output_dim
        x_all = self._inputs_part(x, b_w)
        zr = self.inner_activation(x_all[:, :2 * u] + self._project(h_tm1, b_u, 0, 2, "U"))
        z, r = zr[:, :u], zr[:, u:]
        inner_h = self._project(r * h_tm1, b_u, 2, 3, "U")
        hh = self.activation(x_all[:, 2 * u:] + inner_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h]

    def get_config(self) -> dict[str, Any]:
        """The gated config plus inner_activation."""
        return {**super().get_config(),
                "inner_activation": activations.serialize(self.inner_activation)}


class LSTM(GatedRecurrent):
    """Long short-term memory (Hochreiter 1997), Keras 1.2.2's formulation: gates
    i, f, o = inner_activation(...), c' = f * c + i * activation(x . W_c + h . U_c + b_c),
    h' = o * activation(c').

    Keras 1.2.2: LSTM(output_dim, init, inner_init, forget_bias_init='one',
    activation='tanh', inner_activation='hard_sigmoid', W/U/b_regularizer, dropout_W,
    dropout_U); Keras 2: units, recurrent_activation, unit_forget_bias, ... The states
    are [h, c].
    """

    _gates = ("i", "f", "c", "o")
    _order = ("i", "c", "f", "o")
    _n_states = 2
    _cell = "lstm"

    def __init__(self, output_dim: int | None = None, init: Any = None,
                 inner_init: Any = None, forget_bias_init: Any = None, activation: Any = None,
                 inner_activation: Any = None, W_regularizer: Any = None,  # noqa: N803
                 U_regularizer: Any = None, b_regularizer: Any = None,  # noqa: N803
                 dropout_W: float | None = None, dropout_U: float | None = None,  # noqa: N803
                 *, unit_forget_bias: bool | None = None, recurrent_activation: Any = None,
                 **kwargs: Any):
        init, activation = _first_activation(init, activation)
        if forget_bias_init is None:  # Keras 2: ones unless unit_forget_bias=False
            forget_bias_init = "one" if unit_forget_bias is not False else \
                (kwargs.get("bias_initializer") or "zero")
        self.forget_bias_init = initializers.get(forget_bias_init)
        self.inner_activation = self.recurrent_activation = activations.get(
            renamed("LSTM", ("inner_activation", inner_activation),
                    ("recurrent_activation", recurrent_activation), "hard_sigmoid"))
        super().__init__(output_dim, init, inner_init, activation or "tanh", W_regularizer,
                         U_regularizer, b_regularizer, dropout_W, dropout_U, **kwargs)

    def _bias_init(self, gate: str) -> Any:
        return self.forget_bias_init if gate == "f" else self.bias_initializer

    def step(self, x: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        """One LSTM step: all four gates' pre-activations from one product h . U."""
        h_tm1, c_tm1, b_u, b_w = states[0], states[1], states[2], states[3]
        u = self.output_dim
        z = self._inputs_part(x, b_w) + self._project(h_tm1, b_u, 0, 4, "U")
        i = self.inner_activation(z[:, :u])
        f = self.inner_activation(z[:, u:2 * u])
        c = f * c_tm1 + i * self.activation(z[:, 2 * u:3 * u])
        o = self.inner_activation(z[:, 3 * u:])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        """The gated config plus forget_bias_init and inner_activation."""
        return {**super().get_config(),
                "forget_bias_init": serialize_initializer(self.forget_bias_init),
                "inner_activation": activations.serialize(self.inner_activation)}
