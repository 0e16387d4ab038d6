"""The machinery of the recurrent layers: `Recurrent` (Keras 1.2.2's base class: the
loop, masks, initial and stateful states, configs) and the gated layers' weights
(stored per gate or fused, the input projections, dropout masks per gate, loading
weights saved in the other layout). keras_front.layers.recurrent has the layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph.ops import recurrent as fused

from .. import activations, constraints, initializers, regularizers
from .. import backend as K
from ..engine.base_layer import InputSpec, Layer, to_list
from .arguments import renamed, serialize_initializer, serialize_object

_IMPLEMENTATIONS = {0: "cpu", 1: "mem", 2: "gpu"}


def _value(init: Any, shape: tuple[int, ...]) -> np.ndarray:
    """An initializer's array (Keras 1 initializations return variables)."""
    value = init(shape)
    return K.get_value(value) if K.is_variable(value) else np.asarray(value)


def dropout_masks(x: Any, p: float, width: int, count: int, shared: bool) -> list[Any]:
    """`count` dropout masks (samples, width) scaled by 1/(1-p), drawn per call while
    training and all ones at test time; one mask repeated when `shared`; Python ones
    when p is 0 (the masks of Keras 1.2.2's get_constants)."""
    if not 0.0 < p < 1.0:
        return [K.cast_to_floatx(1.0)] * count
    ones = sg.ones([sg.shape_i(x, 0), int(width)], dtype=K.floatx())
    masks = [K.in_train_phase(K.dropout(ones, p), ones) for _ in range(1 if shared else count)]
    return masks * count if shared else masks


def _is_shared(masks: Sequence[Any]) -> bool:
    return all(m is masks[0] for m in masks)


class Recurrent(Layer):
    """Base of the recurrent layers (Keras 1.2.2's `Recurrent`): the loop, masks, states,
    stateful updates, configs. Not a layer by itself: subclasses define `step`."""

    def __init__(self, weights: Any = None, return_sequences: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 consume_less: str | None = None, input_dim: int | None = None,
                 input_length: int | None = None, *, implementation: int | None = None,
                 return_state: bool = False, **kwargs: Any):
        if implementation is not None:
            if implementation not in _IMPLEMENTATIONS:
                raise ValueError(f"{type(self).__name__}: implementation must be 0, 1 or 2, "
                                 f"got {implementation!r}")
            consume_less = renamed(type(self).__name__, ("consume_less", consume_less),
                                   ("implementation", _IMPLEMENTATIONS[implementation]))
        consume_less = consume_less or "cpu"
        if consume_less not in ("cpu", "mem", "gpu"):
            raise ValueError(f"{type(self).__name__}: unknown consume_less mode "
                             f"{consume_less!r} (expected 'cpu', 'mem' or 'gpu')")
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.consume_less = consume_less
        self.supports_masking = True
        self.input_spec = [InputSpec(ndim=3)]
        self.input_dim = input_dim
        self.input_length = input_length
        if input_dim and kwargs.get("input_shape") is None and \
                kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = (input_length, input_dim)
        super().__init__(weights=weights, **kwargs)

    # ------------------------------------------------------------ calling

    def __call__(self, inputs: Any, mask: Any = None, **kwargs: Any) -> Any:
        """Keras 2's `layer(x, initial_state=[...])`: the states join the inputs."""
        initial_state = kwargs.pop("initial_state", None)
        if initial_state is not None:
            inputs = to_list(inputs) + to_list(initial_state)
            if mask is not None:
                mask = to_list(mask) + [None] * len(to_list(initial_state))
        return super().__call__(inputs, mask, **kwargs)

    def assert_input_compatibility(self, inputs: Any) -> None:
        """The sequence input is checked against input_spec (initial states are not)."""
        super().assert_input_compatibility(to_list(inputs)[0])

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The outputs of the loop: the last one, or all of them with return_sequences
        (plus the final states with return_state)."""
        x, given = to_list(inputs)[0], to_list(inputs)[1:]
        if isinstance(mask, list):
            mask = mask[0]
        input_shape = K.int_shape(x)
        if self.unroll and input_shape[1] is None:
            raise ValueError(f"{self.name}: cannot unroll a RNN if the time dimension is "
                             f"undefined (input shape {input_shape}). Give the first layer an "
                             f"input_shape / batch_input_shape (or Embedding an input_length), "
                             f"or Input a shape with the time dimension.")
        if given:
            if len(given) != len(self.states):
                raise ValueError(f"{self.name}: initial_state needs {len(self.states)} "
                                 f"tensor(s), got {len(given)}")
            initial_states = given
        elif self.stateful:
            initial_states = self.states
        else:
            initial_states = self.get_initial_states(x)
        constants = self.get_constants(x)
        loop = self._fused_loop(x, mask, initial_states, constants)
        if loop is None:
            loop = K.rnn(self.step, self.preprocess_input(x), initial_states,
                         go_backwards=self.go_backwards, mask=mask, constants=constants,
                         unroll=self.unroll, input_length=input_shape[1])
        last_output, outputs, states = loop
        if self.stateful:
            self.add_update(list(zip(self.states, states, strict=True)), inputs=inputs)
        output = outputs if self.return_sequences else last_output
        return [output, *states] if self.return_state else output

    def compute_output_shape(self, input_shape: Any) -> Any:
        """(samples, time, output_dim) with return_sequences, else (samples, output_dim)."""
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if self.return_sequences:
            shape = (input_shape[0], input_shape[1], self.output_dim)
        else:
            shape = (input_shape[0], self.output_dim)
        if self.return_state:
            return [shape] + [(input_shape[0], self.output_dim)] * len(self.states)
        return shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask with return_sequences; None otherwise (and for the states)."""
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.states)
        return output_mask

    def _fused_loop(self, x: Any, mask: Any, initial_states: list[Any],
                    constants: list[Any]) -> Any:
        """(last output, outputs, states) by a fused loop op, or None: K.rnn then runs
        `step` (GatedRecurrent fuses its built-in cells)."""
        return None

    # ------------------------------------------------------------ Keras 1.2.2's protocol

    def step(self, x: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        """One timestep: (output, new states) from the input slice and [states, constants]."""
        raise NotImplementedError(f"{type(self).__name__} must define step(x, states)")

    def get_constants(self, x: Any) -> list[Any]:
        """Extra inputs of every step after the states (Keras: dropout masks)."""
        return []

    def preprocess_input(self, x: Any) -> Any:
        """The sequence the loop iterates over (the input projections in 'cpu' mode)."""
        return x

    def get_initial_states(self, x: Any) -> list[Any]:
        """Zeros (samples, output_dim), one per state."""
        zeros = sg.zeros([sg.shape_i(x, 0), int(self.output_dim)], dtype=K.floatx())
        return [zeros for _ in self.states]

    def _build_states(self, input_shape: Sequence[int | None], count: int) -> None:
        """self.states: `count` None placeholders, or variables for a stateful layer."""
        self.input_spec = [InputSpec(shape=tuple(input_shape))]
        if self.stateful:
            self.states = [None] * count
            self.reset_states()
        else:
            self.states = [None] * count

    def reset_states(self, states: Any = None) -> None:
        """Zero the states of a stateful layer (or set them to the given arrays)."""
        if not self.stateful:
            raise AttributeError(f"Layer {self.name} must be stateful to reset its states")
        batch = self.input_spec[0].shape[0] if self.input_spec[0].shape else None
        if not batch:
            raise ValueError(f"{self.name}: if a RNN is stateful, it needs to know its batch "
                             f"size. Specify the batch size of your input tensors: with a "
                             f"Sequential model, pass a `batch_input_shape` argument to your "
                             f"first layer; with the functional API, give your Input layer a "
                             f"`batch_shape` argument.")
        values = [None] * len(self.states) if states is None else to_list(states)
        if len(values) != len(self.states):
            raise ValueError(f"{self.name} expects {len(self.states)} state(s), got "
                             f"{len(values)}")
        for i, value in enumerate(values):
            shape = self._state_shape(batch)
            value = np.zeros(shape) if value is None else np.asarray(value)
            if value.shape != shape:
                raise ValueError(f"{self.name}: state #{i} has shape {shape}, got a value of "
                                 f"shape {value.shape}")
            if self.states[i] is None:
                self.states[i] = K.variable(value, name=f"{self.name}/state_{i}:0")
            else:
                K.set_value(self.states[i], value)

    def _state_shape(self, batch: int) -> tuple[int, ...]:
        return (batch, int(self.output_dim))

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's keys: the loop's flags and input_dim/input_length (the full batch
        input shape for a stateful layer)."""
        config: dict[str, Any] = {"return_sequences": self.return_sequences,
                                  "go_backwards": self.go_backwards,
                                  "stateful": self.stateful, "unroll": self.unroll,
                                  "consume_less": self.consume_less}
        spec = to_list(self.input_spec)[0]
        if self.stateful and spec is not None and spec.shape:
            config["batch_input_shape"] = spec.shape
        else:
            config["input_dim"] = self.input_dim
            config["input_length"] = self.input_length
        if self.return_state:
            config["return_state"] = True
        return {**super().get_config(), **config}


class GatedRecurrent(Recurrent):
    """The arguments, weights and arithmetic shared by SimpleRNN, GRU and LSTM (both
    spellings of every argument they all take); `_gates` names the blocks of the
    projections (the order of the fused weights' columns), `_order` the order of the
    per-gate weights in `weights` (Keras 1.2.2's)."""

    _gates: tuple[str, ...] = ("",)
    _order: tuple[str, ...] = ("",)

    def __init__(self, output_dim: int | None = None, init: Any = None,
                 inner_init: Any = None, activation: Any = None,
                 W_regularizer: Any = None, U_regularizer: Any = None,  # noqa: N803 (Keras 1)
                 b_regularizer: Any = None, dropout_W: float | None = None,  # noqa: N803
                 dropout_U: float | None = None, *, units: int | None = None,  # noqa: N803
                 kernel_initializer: Any = None, recurrent_initializer: Any = None,
                 bias_initializer: Any = None, use_bias: bool | None = None,
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float | None = None,
                 recurrent_dropout: float | None = None, **kwargs: Any):
        """Read both spellings of the arguments every gated layer has."""
        cls = type(self).__name__
        units = renamed(cls, ("output_dim", output_dim), ("units", units))
        if units is None:
            raise TypeError(f"{cls} needs the number of units: {cls}(output_dim) (Keras 2: "
                            f"units)")
        self.output_dim = self.units = int(units)
        self.init = self.kernel_initializer = initializers.get(
            renamed(cls, ("init", init), ("kernel_initializer", kernel_initializer),
                    "glorot_uniform"))
        self.inner_init = self.recurrent_initializer = initializers.get(
            renamed(cls, ("inner_init", inner_init),
                    ("recurrent_initializer", recurrent_initializer), "orthogonal"))
        self.bias_initializer = initializers.get(bias_initializer or "zero")
        self._bias_initializer_given = bias_initializer is not None
        self.activation = activations.get(activation)
        self.W_regularizer = self.kernel_regularizer = regularizers.get(
            renamed(cls, ("W_regularizer", W_regularizer),
                    ("kernel_regularizer", kernel_regularizer)))
        self.U_regularizer = self.recurrent_regularizer = regularizers.get(
            renamed(cls, ("U_regularizer", U_regularizer),
                    ("recurrent_regularizer", recurrent_regularizer)))
        self.b_regularizer = self.bias_regularizer = regularizers.get(
            renamed(cls, ("b_regularizer", b_regularizer), ("bias_regularizer",
                                                            bias_regularizer)))
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout_W = self.dropout = float(renamed(cls, ("dropout_W", dropout_W),
                                                      ("dropout", dropout), 0.0))
        self.dropout_U = self.recurrent_dropout = float(
            renamed(cls, ("dropout_U", dropout_U), ("recurrent_dropout", recurrent_dropout),
                    0.0))
        for name, p in (("dropout_W", self.dropout_W), ("dropout_U", self.dropout_U)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{cls}: {name} must be in [0, 1), got {p}")
        self.use_bias = bool(True if use_bias is None else use_bias)
        if self.dropout_W or self.dropout_U:
            self.uses_learning_phase = True
        super().__init__(**kwargs)

    # ------------------------------------------------------------ weights

    def _fused(self) -> bool:
        """True when the gates' weights are stored together (one W, U, b)."""
        return self.consume_less == "gpu" or len(self._gates) == 1

    def _bias_init(self, gate: str) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        """The weights (fused or per gate, see the module docstring) and the states."""
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        self.input_dim = input_dim = input_shape[2]
        if input_dim is None:
            raise ValueError(f"{self.name}: the feature axis of the input must be known, got "
                             f"input shape {tuple(input_shape)}")
        self._build_states(input_shape, self._n_states)
        units, n = self.output_dim, len(self._gates)
        if self._fused():
            bias = [self._bias_init(g) for g in self._gates]
            self.W = self.add_weight((input_dim, n * units), self.init, name="W",
                                     regularizer=self.W_regularizer,
                                     constraint=self.kernel_constraint)
            self.U = self.add_weight((units, n * units), self.inner_init, name="U",
                                     regularizer=self.U_regularizer,
                                     constraint=self.recurrent_constraint)
            self.b = None
            if self.use_bias:
                self.b = self.add_weight(
                    (n * units,), lambda shape, **kw: np.concatenate(
                        [_value(b, (units,)) for b in bias]),
                    name="b", regularizer=self.b_regularizer, constraint=self.bias_constraint)
        else:
            for gate in self._order:
                setattr(self, f"W_{gate}", self.add_weight(
                    (input_dim, units), self.init, name=f"W_{gate}",
                    regularizer=self.W_regularizer, constraint=self.kernel_constraint))
                setattr(self, f"U_{gate}", self.add_weight(
                    (units, units), self.inner_init, name=f"U_{gate}",
                    regularizer=self.U_regularizer, constraint=self.recurrent_constraint))
                if self.use_bias:
                    setattr(self, f"b_{gate}", self.add_weight(
                        (units,), self._bias_init(gate), name=f"b_{gate}",
                        regularizer=self.b_regularizer, constraint=self.bias_constraint))
            self.W = K.concatenate([getattr(self, f"W_{g}") for g in self._gates], axis=1)
            self.U = K.concatenate([getattr(self, f"U_{g}") for g in self._gates], axis=1)
            self.b = K.concatenate([getattr(self, f"b_{g}") for g in self._gates]) \
                if self.use_bias else None
        self.built = True

    # Keras 2 names of the (fused) weights.
    kernel = property(lambda self: self.W, doc="The input weights, gates side by side.")
    recurrent_kernel = property(lambda self: self.U, doc="The recurrent weights.")
    bias = property(lambda self: self.b, doc="The biases (None without).")

    def _block(self, kind: str, k0: int, k1: int) -> Any:
        """Columns of gates k0..k1-1 of W, U or b (one variable when stored so)."""
        if not self._fused() and k1 == k0 + 1:
            return getattr(self, f"{kind}_{self._gates[k0]}")
        whole = getattr(self, kind)
        if k0 == 0 and k1 == len(self._gates):
            return whole
        cols = slice(k0 * self.output_dim, k1 * self.output_dim)
        return whole[cols] if kind == "b" else whole[:, cols]

    def _project(self, x: Any, masks: Sequence[Any], k0: int, k1: int,
                 weights: str = "W") -> Any:
        """x . W (+ b) for gates k0..k1-1 with each gate's dropout mask on x: one product
        when the masks are shared, else one per gate side by side. x: (samples, [time,]
        features); masks: (samples, features) or Python ones."""
        def masked(m: Any) -> Any:
            if isinstance(m, np.ndarray) and m.ndim == 0:
                return x if m == 1 else x * m
            return x * (K.expand_dims(m, 1) if K.ndim(x) == 3 and K.ndim(m) == 2 else m)
        bias = weights == "W" and self.use_bias
        if _is_shared(masks[k0:k1]) or k1 == k0 + 1:
            out = K.dot(masked(masks[k0]), self._block(weights, k0, k1))
            return out + self._block("b", k0, k1) if bias else out
        parts = [self._project(x, masks, k, k + 1, weights) for k in range(k0, k1)]
        return K.concatenate(parts, axis=-1)

    def _fused_loop(self, x: Any, mask: Any, initial_states: list[Any],
                    constants: list[Any]) -> Any:
        """SimpleRNN / GRU / LSTM as one FusedRNN op (symgraph.ops.recurrent): the input
        projections of all steps first (whatever consume_less says), then the loop in
        NumPy, and backpropagation through time in NumPy. Not for subclasses that
        override the step protocol, unrolled loops, activations the op does not know,
        or recurrent dropout masks that differ per gate ('cpu'/'mem' with dropout_U)."""
        base = next((k for k in type(self).__mro__ if "_cell" in k.__dict__), None)
        if base is None or self.unroll or any(
                getattr(type(self), m) is not getattr(base, m)
                for m in ("step", "get_constants", "preprocess_input", "get_initial_states")):
            return None
        names = (activations.serialize(self.activation),
                 activations.serialize(getattr(self, "inner_activation", activations.linear)))
        b_u, b_w = constants[0], constants[1]
        if not fused.supports(self._cell, *names) or not _is_shared(b_u) or \
                not K.dtype(x).startswith("float"):
            return None
        n = len(self._gates)
        xz = self.preprocess_input(x) if self.consume_less == "cpu" else \
            self._project(x, b_w, 0, n)
        mu = b_u[0] if K.ndim(b_u[0]) else None
        return fused.fused_rnn(self._cell, xz, self.U, initial_states, mask, mu, *names,
                               go_backwards=self.go_backwards)

    def get_constants(self, x: Any) -> list[Any]:
        """[B_U, B_W]: recurrent and input dropout masks, one per gate (shared in 'gpu'
        mode); input masks are applied in preprocess_input instead in 'cpu' mode."""
        n, shared = len(self._gates), self._fused()
        b_u = dropout_masks(x, self.dropout_U, self.output_dim, n, shared)
        p_w = 0.0 if self.consume_less == "cpu" else self.dropout_W
        b_w = dropout_masks(x, p_w, K.int_shape(x)[-1], n, shared)
        return [b_u, b_w]

    def preprocess_input(self, x: Any) -> Any:
        """'cpu' mode: every timestep's x . W + b at once (input dropout masks constant
        over time, one per gate)."""
        if self.consume_less != "cpu":
            return x
        n = len(self._gates)
        masks = dropout_masks(x, self.dropout_W, K.int_shape(x)[-1], n, shared=False)
        return self._project(x, masks, 0, n)

    def _inputs_part(self, x: Any, b_w: Sequence[Any]) -> Any:
        """The step's input projections: precomputed ('cpu') or computed now."""
        return x if self.consume_less == "cpu" else self._project(x, b_w, 0, len(self._gates))

    def convert_saved_weights(self, weights: list[np.ndarray], keras_version: Any = None,
                              backend: Any = None) -> list[np.ndarray]:
        """Arrays saved in the other layout (fused W, U, b <-> per-gate triplets) become
        this layer's; anything else is returned as is (and checked by the loader)."""
        n, per = len(self._gates), 3 if self.use_bias else 2
        if n == 1 or len(weights) not in (per, n * per):
            return weights
        if self._fused() and len(weights) == n * per:
            by_gate = {g: weights[k * per:(k + 1) * per] for k, g in enumerate(self._order)}
            return [np.concatenate([by_gate[g][j] for g in self._gates], axis=-1)
                    for j in range(per)]
        if not self._fused() and len(weights) == per:
            pieces = [np.split(np.asarray(w), n, axis=-1) for w in weights]
            index = {g: k for k, g in enumerate(self._gates)}
            return [pieces[j][index[g]] for g in self._order for j in range(per)]
        return weights

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config (output_dim, init, inner_init, activation, the
        regularizers and dropouts), with Keras 2's extras only when used."""
        config: dict[str, Any] = {
            "output_dim": self.output_dim, "init": serialize_initializer(self.init),
            "inner_init": serialize_initializer(self.inner_init),
            "activation": activations.serialize(self.activation),
            "W_regularizer": serialize_object(self.W_regularizer),
            "U_regularizer": serialize_object(self.U_regularizer),
            "b_regularizer": serialize_object(self.b_regularizer),
            "dropout_W": self.dropout_W, "dropout_U": self.dropout_U}
        extras = {"use_bias": self.use_bias if not self.use_bias else None,
                  "bias_initializer": serialize_initializer(self.bias_initializer)
                  if self._bias_initializer_given else None,
                  "activity_regularizer": serialize_object(self.activity_regularizer),
                  "kernel_constraint": serialize_object(self.kernel_constraint),
                  "recurrent_constraint": serialize_object(self.recurrent_constraint),
                  "bias_constraint": serialize_object(self.bias_constraint)}
        config.update({k: v for k, v in extras.items() if v is not None})
        return {**super().get_config(), **config}
