"""The recurrent machinery (keras_front/layers/recurrent_base.py): Keras 1.2.2's subclass
protocol on K.rnn, and the fused loop agreeing with the scan path it replaces (values
and gradients, with masks, directions, dropout and initial states)."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import InputSpec
from keras_front.layers import GRU, LSTM, Input, SimpleRNN
from keras_front.layers.recurrent_base import GatedRecurrent, Recurrent
from keras_front.models import Model, Sequential

RNG = np.random.default_rng(1)
X = RNG.standard_normal((3, 6, 4))
MASK = np.ones((3, 6))
MASK[0, :2] = MASK[1, -2:] = MASK[2, 3] = 0


class RunningSum(Recurrent):
    """A Keras 1.2.2-style custom recurrent layer: h_t = h_{t-1} + x_t . W * scale, where
    `scale` comes in through get_constants."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.input_spec = [InputSpec(shape=input_shape)]
        self.states = [None]
        self.W = self.add_weight((input_shape[2], self.output_dim), "one", name="W")

    def get_constants(self, x):
        return [K.cast_to_floatx(0.5)]

    def step(self, x, states):
        h = states[0] + K.dot(x, self.W) * states[1]
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "output_dim": self.output_dim}


def test_a_keras_1_subclass_runs_its_step_on_the_loop():
    model = Sequential([RunningSum(2, return_sequences=True, input_shape=(6, 4))])
    expected = np.cumsum(X.sum(-1, keepdims=True) * 0.5, axis=1) * np.ones((1, 1, 2))
    np.testing.assert_allclose(model.predict(X.astype("float32")), expected, rtol=1e-5)
    back = Sequential([RunningSum(2, go_backwards=True, input_shape=(6, 4))])
    np.testing.assert_allclose(back.predict(X.astype("float32")), expected[:, -1], rtol=1e-5)


def _run(cls, kwargs, masked, fused, monkeypatch, with_states=False):
    """Outputs and gradients (inputs, weights, initial states) in float64, test phase."""
    if not fused:
        monkeypatch.setattr(GatedRecurrent, "_fused_loop", lambda *args: None)
    else:
        monkeypatch.undo()
    np.random.seed(3)
    layer = cls(5, **kwargs)
    x = K.placeholder(shape=(None, 6, 4))
    m = K.placeholder(shape=(None, 6))
    n_states = 2 if cls is LSTM else 1
    states = [K.placeholder(shape=(None, 5)) for _ in range(n_states)] if with_states else []
    layer.build((None, 6, 4))
    y = layer.call([x, *states] if states else x, mask=m if masked else None)
    probe = np.random.default_rng(5).standard_normal(
        (3, 6, 5) if kwargs.get("return_sequences") else (3, 5))
    wrt = [x] + layer.trainable_weights + states
    grads = K.gradients(K.sum(y * K.variable(probe)), wrt)
    f = K.function([x, m, *states, K.learning_phase()], [y] + grads)
    values = [np.random.default_rng(7 + k).standard_normal((3, 5)) for k in range(len(states))]
    return f([X, MASK, *values, 0])


@pytest.mark.parametrize("cls", [SimpleRNN, GRU, LSTM])
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True},
                                    {"go_backwards": True, "return_sequences": True},
                                    {"consume_less": "gpu", "activation": "relu"},
                                    {"consume_less": "mem", "dropout_W": 0.3,
                                     "dropout_U": 0.3},
                                    {"consume_less": "gpu", "dropout_W": 0.3,
                                     "dropout_U": 0.3}],
                         ids=["last", "sequences", "backwards", "gpu-relu", "mem-dropout",
                              "gpu-dropout"])
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
def test_fused_loop_matches_the_scan_path(cls, kwargs, masked, monkeypatch):
    saved = K.floatx()
    K.set_floatx("float64")
    try:
        fused = _run(cls, kwargs, masked, True, monkeypatch)
        scanned = _run(cls, kwargs, masked, False, monkeypatch)
    finally:
        K.set_floatx(saved)
    for a, b in zip(fused, scanned, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [GRU, LSTM])
def test_fused_loop_gradients_reach_initial_states(cls, monkeypatch):
    saved = K.floatx()
    K.set_floatx("float64")
    try:
        fused = _run(cls, {"return_sequences": True}, True, True, monkeypatch, True)
        scanned = _run(cls, {"return_sequences": True}, True, False, monkeypatch, True)
    finally:
        K.set_floatx(saved)
    for a, b in zip(fused, scanned, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_which_layers_take_the_fused_path():
    def ops_of(layer):
        x = Input(shape=(6, 4))
        y = layer(x)
        f = K.function([x, K.learning_phase()], [y])
        return {type(node.op).__name__ for node in f.function.graph.toposort()}
    assert "FusedRNN" in ops_of(LSTM(3))
    assert "FusedRNN" in ops_of(GRU(3, consume_less="gpu", dropout_U=0.2))  # one mask
    assert "FusedRNN" not in ops_of(LSTM(3, dropout_U=0.2))  # a mask per gate: scan
    assert "FusedRNN" not in ops_of(LSTM(3, activation="softsign"))  # unknown to the op
    assert "FusedRNN" not in ops_of(LSTM(3, unroll=True, input_length=6))

    class Peephole(LSTM):
        def step(self, x, states):
            return super().step(x, states)
    assert "FusedRNN" not in ops_of(Peephole(3))  # an overridden step is honoured


def test_stateful_fused_loop_updates_states_in_predict():
    layer = LSTM(2, stateful=True, batch_input_shape=(3, 6, 4))
    model = Model(*(lambda x: (x, layer(x)))(Input(batch_shape=(3, 6, 4))))
    first = model.predict(X.astype("float32"))
    second = model.predict(X.astype("float32"))
    assert not np.allclose(first, second)
    layer.reset_states()
    np.testing.assert_allclose(model.predict(X.astype("float32")), first, rtol=1e-6)
