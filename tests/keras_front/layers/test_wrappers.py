"""TimeDistributed and Bidirectional (keras_front/layers/wrappers.py): outputs against the
wrapped layers run by hand, weights, losses, updates, configs, statefulness."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.layers import (
    GRU,
    LSTM,
    BatchNormalization,
    Bidirectional,
    Dense,
    Dropout,
    Input,
    SimpleRNN,
    TimeDistributed,
)
from keras_front.models import Model, Sequential, model_from_json
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3, 5)).astype("float32")


def test_time_distributed_dense_is_dense_on_every_step():
    out = layer_test(TimeDistributed, {"layer": Dense(2)}, input_data=X)
    assert out.shape == (4, 3, 2)
    model = Sequential([TimeDistributed(Dense(2, activation="tanh"), input_shape=(3, 5))])
    w, b = model.get_weights()
    np.testing.assert_allclose(model.predict(X), np.tanh(X @ w + b), rtol=1e-5, atol=1e-6)
    assert model.output_shape == (None, 3, 2)


def test_time_distributed_model_losses_updates_and_json():
    inner = Sequential([Dense(3, input_dim=5, W_regularizer="l2"), BatchNormalization()])
    outer = Sequential([TimeDistributed(inner, input_shape=(3, 5))])
    assert len(outer.losses) == 1 and len(outer.updates) == 2
    assert len(outer.trainable_weights) == 4
    outer.compile("sgd", "mse")
    before = outer.layers[0].get_weights()
    outer.fit(X, np.zeros((4, 3, 3)), nb_epoch=1, verbose=0)
    after = outer.layers[0].get_weights()
    assert not np.allclose(before[2], after[2])  # BN's running mean moved
    rebuilt = model_from_json(outer.to_json())
    rebuilt.set_weights(outer.get_weights())
    np.testing.assert_allclose(rebuilt.predict(X), outer.predict(X), rtol=1e-5)


def test_time_distributed_unknown_steps_and_dropout_inside():
    x = Input(shape=(None, 5))
    y = TimeDistributed(Dropout(0.5))(x)
    f = K.function([x, K.learning_phase()], [y])
    np.testing.assert_array_equal(f([X, 0])[0], X)
    assert TimeDistributed(Dropout(0.5)).uses_learning_phase
    with pytest.raises(ValueError, match="TimeDistributed needs an input of at least 3 dims"):
        TimeDistributed(Dense(2))(Input(shape=(5,)))


def _by_hand(cls, weights, x, backwards):
    """A stand-alone layer with the given weights, run forwards or backwards."""
    layer = cls(2, return_sequences=True, go_backwards=backwards, input_shape=x.shape[1:])
    model = Sequential([layer])
    layer.set_weights(weights)
    return model.predict(x)


@pytest.mark.parametrize("mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional_merges_the_two_directions(mode):
    layer = Bidirectional(GRU(2, return_sequences=True), merge_mode=mode)
    x = Input(shape=(3, 5))
    y = layer(x)
    model = Model(x, y)
    weights = layer.get_weights()
    forward = _by_hand(GRU, weights[:len(weights) // 2], X, False)
    backward = _by_hand(GRU, weights[len(weights) // 2:], X, True)[:, ::-1]
    expected = {"concat": np.concatenate([forward, backward], -1), "sum": forward + backward,
                "ave": (forward + backward) / 2, "mul": forward * backward,
                None: [forward, backward]}[mode]
    got = model.predict(X)
    for a, b in zip(got if mode is None else [got], expected if mode is None else [expected],
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    names = [w.name.split("/")[0] for w in layer.weights]
    assert names[0].startswith("forward_") and names[-1].startswith("backward_")


def test_bidirectional_layer_test_last_output_and_config():
    out = layer_test(Bidirectional, {"layer": SimpleRNN(3), "merge_mode": "sum"},
                     input_shape=(2, 4, 5))
    assert out.shape == (2, 3)
    config = Bidirectional(LSTM(3), merge_mode="ave").get_config()
    assert config["merge_mode"] == "ave" and config["layer"]["class_name"] == "LSTM"
    with pytest.raises(ValueError, match="Invalid merge mode 'max' for Bidirectional"):
        Bidirectional(LSTM(3), merge_mode="max")
    with pytest.raises(TypeError, match="Bidirectional wraps a recurrent layer"):
        Bidirectional(Dense(3))


def test_bidirectional_stateful_and_weights_argument():
    layer = Bidirectional(SimpleRNN(2, stateful=True), batch_input_shape=(4, 3, 5))
    model = Sequential([layer])
    first = model.predict(X)
    assert not np.allclose(first, model.predict(X))
    model.reset_states()
    np.testing.assert_allclose(model.predict(X), first, rtol=1e-6)
    weights = [RNG.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
    again = Sequential([Bidirectional(SimpleRNN(2), weights=weights, input_shape=(3, 5))])
    for a, b in zip(again.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
