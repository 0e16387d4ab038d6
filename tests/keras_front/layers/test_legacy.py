"""Highway, MaxoutDense, TimeDistributedDense (keras_front/layers/legacy.py) against
NumPy, with Keras 1.2.2's weights, configs and penalty hooks."""

import numpy as np

from keras_front import constraints, regularizers
from keras_front.layers import Highway, Input, MaxoutDense, TimeDistributedDense
from keras_front.layers.core import Highway as CoreHighway
from keras_front.models import Sequential
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)).astype("float32")
HOOKS = {"W_regularizer": regularizers.l2(0.01), "b_regularizer": regularizers.l1(0.01),
         "activity_regularizer": regularizers.activity_l2(0.01),
         "W_constraint": constraints.MaxNorm(1), "b_constraint": constraints.MaxNorm(1)}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_highway_mixes_transform_and_carry():
    out = layer_test(Highway, {"activation": "tanh"}, input_data=X)
    model = Sequential([Highway(activation="relu", input_dim=3)])
    w, w_carry, b, b_carry = model.get_weights()
    np.testing.assert_array_equal(b_carry, np.ones(3))
    gate = sigmoid(X @ w_carry + b_carry)
    expected = np.maximum(X @ w + b, 0) * gate + (1 - gate) * X
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
    assert out.shape == (4, 3) and CoreHighway is Highway
    layer_test(Highway, HOOKS, input_shape=(2, 3))
    no_bias = Highway(bias=False)
    no_bias(Input(shape=(3,)))
    assert len(no_bias.weights) == 2


def test_maxout_dense_takes_the_max_of_its_features():
    layer_test(MaxoutDense, {"output_dim": 2, "nb_feature": 3}, input_data=X)
    model = Sequential([MaxoutDense(2, nb_feature=3, input_dim=3)])
    w, b = model.get_weights()
    assert w.shape == (3, 3, 2) and b.shape == (3, 2)
    expected = (np.einsum("ni,kio->nko", X, w) + b).max(axis=1)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-6)
    layer_test(MaxoutDense, {"output_dim": 3, **HOOKS}, input_shape=(2, 3))
    assert "activation" not in model.layers[0].get_config()


def test_time_distributed_dense_on_every_step():
    x3 = RNG.standard_normal((2, 4, 3)).astype("float32")
    layer_test(TimeDistributedDense, {"output_dim": 2, "input_length": 4}, input_data=x3)
    layer_test(TimeDistributedDense, {"output_dim": 2, **HOOKS}, input_data=x3)
    model = Sequential([TimeDistributedDense(2, activation="tanh", input_dim=3,
                                             input_length=4)])
    w, b = model.get_weights()
    np.testing.assert_allclose(model.predict(x3), np.tanh(x3 @ w + b), rtol=1e-5, atol=1e-6)
    config = model.layers[0].get_config()
    assert config["input_length"] == 4 and config["output_dim"] == 2
