"""SimpleRNN, GRU and LSTM (keras_front/layers/recurrent.py): outputs against the cells
written out in NumPy here, every consume_less layout, masks, statefulness, initial
states, dropout, configs, weights and the Keras 2 spellings."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import regularizers
from keras_front.layers import GRU, LSTM, Dense, Embedding, Input, Masking, SimpleRNN
from keras_front.models import Model, Sequential
from keras_front.optimizers import Adam
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5, 4)).astype("float32")
LAYERS = [SimpleRNN, GRU, LSTM]


def hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def numpy_rnn(cell, x, weights, units, h0=None, c0=None, mask=None, backwards=False,
              act=np.tanh, inner=hard_sigmoid):
    """The cell's loop in NumPy on fused weights (W, U, b): outputs in step order, states.
    Masked steps keep the previous output (zeros before any) and states."""
    w, u, b = weights
    n = x.shape[0]
    h = np.zeros((n, units)) if h0 is None else h0.astype(float)
    c = np.zeros((n, units)) if c0 is None else c0.astype(float)
    out, outs = np.zeros((n, units)), []
    steps = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
    for t in steps:
        xz = x[:, t] @ w + b
        if cell == "simple":
            h_new, c_new = act(xz + h @ u), c
        elif cell == "gru":
            z = inner(xz[:, :units] + h @ u[:, :units])
            r = inner(xz[:, units:2 * units] + h @ u[:, units:2 * units])
            hh = act(xz[:, 2 * units:] + (r * h) @ u[:, 2 * units:])
            h_new, c_new = z * h + (1 - z) * hh, c
        else:
            zz = xz + h @ u
            i, f = inner(zz[:, :units]), inner(zz[:, units:2 * units])
            c_new = f * c + i * act(zz[:, 2 * units:3 * units])
            h_new = inner(zz[:, 3 * units:]) * act(c_new)
        keep = np.ones((n, 1), bool) if mask is None else mask[:, t:t + 1].astype(bool)
        h, c, out = np.where(keep, h_new, h), np.where(keep, c_new, c), np.where(keep, h_new,
                                                                                 out)
        outs.append(out)
    return np.stack(outs, axis=1), h, c


def fused_weights(layer):
    """(W, U, b) with the gates side by side, whatever the layer's layout."""
    return [K.get_value(v) if K.is_variable(v) else K.eval(v) for v in
            (layer.W, layer.U, layer.b)]


CELL = {SimpleRNN: "simple", GRU: "gru", LSTM: "lstm"}


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("mode", ["cpu", "mem", "gpu"])
def test_outputs_match_the_cell_written_in_numpy(cls, mode):
    layer = cls(3, return_sequences=True, consume_less=mode)
    model = Sequential([layer.__class__.from_config({**layer.get_config(),
                                                     "input_shape": (5, 4)})])
    layer = model.layers[0]
    expected, _, _ = numpy_rnn(CELL[cls], X, fused_weights(layer), 3)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", LAYERS)
def test_layer_test_every_mode_and_keras_2_spelling(cls):
    for mode in ("cpu", "mem", "gpu"):
        layer_test(cls, {"output_dim": 3, "consume_less": mode, "return_sequences": True},
                   input_shape=(2, 5, 4))
    layer_test(cls, {"units": 2, "implementation": 2, "go_backwards": True},
               input_shape=(2, 4, 3))


def test_weights_layouts_follow_keras_1_2_2():
    lstm = LSTM(3, input_shape=(5, 4))
    Sequential([lstm])
    assert [w.name.split("/")[1] for w in lstm.weights] == [
        f"{k}_{g}:0" for g in "icfo" for k in "WUb"]
    gru = GRU(3, input_shape=(5, 4))
    Sequential([gru])
    assert [w.name.split("/")[1] for w in gru.weights] == [
        f"{k}_{g}:0" for g in "zrh" for k in "WUb"]
    fused = LSTM(3, consume_less="gpu", input_shape=(5, 4))
    Sequential([fused])
    assert [K.get_variable_shape(w) for w in fused.weights] == [(4, 12), (3, 12), (12,)]
    # forget gate bias starts at one (forget_bias_init='one'), the others at zero
    np.testing.assert_array_equal(fused.get_weights()[2], [0] * 3 + [1] * 3 + [0] * 6)
    np.testing.assert_array_equal(lstm.get_weights()[8], [1, 1, 1])  # b_f


@pytest.mark.parametrize("cls", [GRU, LSTM])
def test_converting_between_fused_and_per_gate_layouts(cls):
    per_gate = Sequential([cls(3, input_shape=(5, 4))])
    fused = Sequential([cls(3, consume_less="gpu", input_shape=(5, 4))])
    arrays = fused.layers[0].convert_saved_weights(per_gate.get_weights())
    fused.set_weights(arrays)
    np.testing.assert_allclose(fused.predict(X), per_gate.predict(X), rtol=1e-5, atol=1e-6)
    back = per_gate.layers[0].convert_saved_weights(fused.get_weights())
    for a, b in zip(back, per_gate.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_go_backwards_and_unroll():
    for cls in LAYERS:
        layer = cls(3, return_sequences=True, go_backwards=True, input_shape=(5, 4))
        model = Sequential([layer])
        expected, _, _ = numpy_rnn(CELL[cls], X, fused_weights(layer), 3, backwards=True)
        np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
        unrolled = Sequential([cls(3, return_sequences=True, go_backwards=True, unroll=True,
                                   input_shape=(5, 4))])
        unrolled.set_weights(model.get_weights())
        np.testing.assert_allclose(unrolled.predict(X), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="cannot unroll a RNN if the time dimension is "
                                         "undefined"):
        Sequential([LSTM(3, unroll=True, input_shape=(None, 4))])


@pytest.mark.parametrize("cls", LAYERS)
def test_masked_steps_keep_output_and_states(cls):
    data = X.copy()
    data[0, :2] = 0.0   # left padding
    data[1, -2:] = 0.0  # right padding
    data[2, 2] = 0.0    # a hole
    mask = np.any(data != 0, axis=-1)
    layer = cls(3, return_sequences=True)
    model = Sequential([Masking(input_shape=(5, 4)), layer])
    expected, _, _ = numpy_rnn(CELL[cls], data, fused_weights(layer), 3, mask=mask)
    np.testing.assert_allclose(model.predict(data), expected, rtol=1e-5, atol=1e-6)
    last = Sequential([Masking(input_shape=(5, 4)), cls(3)])
    last.set_weights(model.get_weights())
    np.testing.assert_allclose(last.predict(data), expected[:, -1], rtol=1e-5, atol=1e-6)
    assert layer.output_mask is not None and last.layers[1].output_mask is None


def test_embedding_mask_zero_reaches_the_lstm_and_training_runs():
    model = Sequential([Embedding(10, 4, mask_zero=True, input_length=5),
                        LSTM(3, return_sequences=True)])
    ids = np.array([[0, 0, 1, 2, 3], [4, 5, 6, 0, 0]])
    vectors = model.layers[0].get_weights()[0][ids]
    mask = ids != 0
    expected, _, _ = numpy_rnn("lstm", vectors, fused_weights(model.layers[1]), 3, mask=mask)
    np.testing.assert_allclose(model.predict(ids), expected, rtol=1e-5, atol=1e-6)
    model.compile("sgd", "mse")
    before = model.get_weights()
    model.fit(ids, np.ones((2, 5, 3)), nb_epoch=1, verbose=0)
    assert all(not np.array_equal(a, b)
               for a, b in zip(before, model.get_weights(), strict=True))


@pytest.mark.parametrize("cls", LAYERS)
def test_stateful_carries_states_until_reset(cls):
    layer = cls(3, stateful=True, batch_input_shape=(3, 5, 4))
    model = Sequential([layer])
    weights = fused_weights(layer)
    first = model.predict(X)
    _, h, c = numpy_rnn(CELL[cls], X, weights, 3)
    expected, _, _ = numpy_rnn(CELL[cls], X, weights, 3, h0=h, c0=c)
    np.testing.assert_allclose(model.predict(X), expected[:, -1], rtol=1e-5, atol=1e-6)
    model.reset_states()
    np.testing.assert_allclose(model.predict(X), first, rtol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(model.predict(X[:, ::-1]),
                               numpy_rnn(CELL[cls], X[:, ::-1], weights, 3)[0][:, -1],
                               rtol=1e-5, atol=1e-6)
    assert layer.get_config()["batch_input_shape"] == (3, 5, 4)


def test_stateful_errors_and_reset_values():
    with pytest.raises(ValueError, match="needs to know its batch size"):
        Sequential([LSTM(3, stateful=True, input_shape=(5, 4))])
    with pytest.raises(AttributeError, match="must be stateful to reset its states"):
        LSTM(3).reset_states()
    layer = GRU(2, stateful=True, batch_input_shape=(1, 3, 2))
    Sequential([layer])
    layer.reset_states([np.array([[0.5, -0.5]])])
    np.testing.assert_array_equal(K.get_value(layer.states[0]), [[0.5, -0.5]])
    with pytest.raises(ValueError, match=r"state #0 has shape \(1, 2\), got a value of shape"):
        layer.reset_states([np.zeros((2, 2))])


def test_initial_state_and_return_state():
    x = Input(shape=(5, 4))
    h0, c0 = Input(shape=(3,)), Input(shape=(3,))
    layer = LSTM(3, return_sequences=True, return_state=True)
    seq, h, c = layer(x, initial_state=[h0, c0])
    model = Model([x, h0, c0], [seq, h, c])
    a, b = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    expected, eh, ec = numpy_rnn("lstm", X, fused_weights(layer), 3, h0=a, c0=b)
    got = model.predict([X, a.astype("float32"), b.astype("float32")])
    for value, want in zip(got, (expected, eh, ec), strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-6)
    rebuilt = Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict([X, a, b])[0], expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="initial_state needs 2 tensor"):
        LSTM(3)(x, initial_state=[h0])


@pytest.mark.parametrize("mode", ["cpu", "gpu"])
def test_dropout_only_while_training(mode):
    layer = LSTM(4, dropout_W=0.5, dropout_U=0.5, consume_less=mode, return_sequences=True)
    model = Sequential([layer.__class__.from_config({**layer.get_config(),
                                                     "input_shape": (5, 4)})])
    layer = model.layers[0]
    assert layer.uses_learning_phase
    f = K.function([model.inputs[0], K.learning_phase()], [model.outputs[0]])
    expected, _, _ = numpy_rnn("lstm", X, fused_weights(layer), 4)
    np.testing.assert_allclose(f([X, 0])[0], expected, rtol=1e-5, atol=1e-6)
    train = f([X, 1])[0]
    assert not np.allclose(train, expected) and not np.allclose(train, f([X, 1])[0])


def test_regularizers_add_one_penalty_per_weight():
    for cls, count in ((SimpleRNN, 3), (GRU, 9), (LSTM, 12)):
        layer = cls(2, W_regularizer=regularizers.l1(0.01), U_regularizer="l2",
                    b_regularizer=regularizers.l2(0.1))
        layer(Input(shape=(3, 2)))
        assert len(layer.losses) == count
    layer = LSTM(2, consume_less="gpu", kernel_regularizer="l2")
    layer(Input(shape=(3, 2)))
    assert len(layer.losses) == 1


def test_config_is_keras_1_2_2s_and_round_trips():
    config = LSTM(5, dropout_W=0.1, input_dim=4, input_length=7).get_config()
    for key in ("output_dim", "init", "inner_init", "forget_bias_init", "activation",
                "inner_activation", "W_regularizer", "U_regularizer", "b_regularizer",
                "dropout_W", "dropout_U", "return_sequences", "go_backwards", "stateful",
                "unroll", "consume_less", "input_dim", "input_length"):
        assert key in config
    assert config["init"] == "glorot_uniform" and config["inner_activation"] == "hard_sigmoid"
    assert LSTM.from_config(config).get_config() == config
    for layer in (GRU(2, stateful=True), SimpleRNN(2, go_backwards=True)):
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_keras_2_spellings_map_to_keras_1_arguments():
    layer = LSTM(units=4, kernel_initializer="he_normal", recurrent_initializer="identity",
                 recurrent_activation="sigmoid", dropout=0.2, recurrent_dropout=0.1,
                 implementation=1, unit_forget_bias=False)
    assert (layer.output_dim, layer.dropout_W, layer.dropout_U) == (4, 0.2, 0.1)
    assert layer.consume_less == "mem"
    assert layer.get_config()["inner_activation"] == "sigmoid"
    Sequential([layer.__class__.from_config({**layer.get_config(), "input_shape": (2, 3)})])
    with pytest.raises(TypeError, match="`output_dim` \\(Keras 1\\) and `units` \\(Keras 2\\) "
                                        "are the same argument"):
        LSTM(3, units=4)
    with pytest.raises(ValueError, match="unknown consume_less mode 'fast'"):
        GRU(3, consume_less="fast")
    assert SimpleRNN(3, "relu").get_config()["activation"] == "relu"  # Keras 2 positional


def test_training_reduces_the_loss_and_gradients_flow_through_time():
    x = RNG.standard_normal((64, 6, 2)).astype("float32")
    y = (x[:, 0, :1] > 0).astype("float32")  # depends on the FIRST step only
    for cls in LAYERS:
        model = Sequential([cls(8, input_shape=(6, 2)), Dense(1, activation="sigmoid")])
        model.compile(Adam(lr=0.02), "binary_crossentropy")
        history = model.fit(x, y, nb_epoch=40, batch_size=16, verbose=0)
        assert history.history["loss"][-1] < 0.6 * history.history["loss"][0], cls


@pytest.mark.parametrize("cls", [GRU, LSTM])
def test_weights_files_of_the_other_layout_load(cls, tmp_path):
    fused = Sequential([cls(3, consume_less="gpu", input_shape=(5, 4))])
    per_gate = Sequential([cls(3, input_shape=(5, 4))])
    fused.save_weights(tmp_path / "fused.h5")
    per_gate.load_weights(tmp_path / "fused.h5")
    np.testing.assert_allclose(per_gate.predict(X), fused.predict(X), rtol=1e-6)
    per_gate.layers[0].set_weights([w * 0.5 for w in per_gate.layers[0].get_weights()])
    per_gate.save_weights(tmp_path / "per_gate.h5")
    fused.load_weights(tmp_path / "per_gate.h5")
    np.testing.assert_allclose(fused.predict(X), per_gate.predict(X), rtol=1e-6)
