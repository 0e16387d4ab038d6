"""Advanced activation layers (keras_front/layers/advanced_activations.py) against NumPy."""

import numpy as np
import pytest

from keras_front.engine import Input
from keras_front.layers import (
    ELU,
    Dense,
    LeakyReLU,
    ParametricSoftplus,
    PReLU,
    SReLU,
    ThresholdedReLU,
)
from keras_front.models import Sequential
from tests.keras_front.helpers import layer_test

DATA = np.random.default_rng(6).standard_normal((3, 4, 5)).astype("float32")


def test_leaky_relu():
    for alpha in (0.3, 0.01):
        layer_test(LeakyReLU, {"alpha": alpha}, input_data=DATA,
                   expected_output=np.where(DATA > 0, DATA, alpha * DATA))


def test_elu():
    layer_test(ELU, {"alpha": 0.5}, input_data=DATA,
               expected_output=np.where(DATA > 0, DATA, 0.5 * np.expm1(DATA)), rtol=1e-5)


def test_thresholded_relu():
    layer_test(ThresholdedReLU, {"theta": 0.5}, input_data=DATA,
               expected_output=np.where(DATA > 0.5, DATA, 0.0))


def test_prelu_starts_as_relu_and_learns_per_unit_slopes():
    layer_test(PReLU, {}, input_data=DATA, expected_output=np.maximum(DATA, 0),
               expected_trainable=1)
    slopes = np.random.default_rng(1).random((4, 5)).astype("float32")
    layer = PReLU(weights=[slopes])
    layer(Input(shape=(4, 5)))
    assert layer.alpha is layer.alphas and layer.alphas.name == f"{layer.name}/alpha:0"
    out = layer_test(PReLU, {"alpha_initializer": "ones"}, input_data=DATA)
    np.testing.assert_allclose(out, DATA, rtol=1e-6)


def test_prelu_shared_axes():
    layer = PReLU(shared_axes=[1])
    layer(Input(shape=(4, 5)))
    assert layer.get_weights()[0].shape == (1, 5)
    layer_test(PReLU, {"shared_axes": [1, 2], "init": "one"}, input_data=DATA,
               expected_output=DATA, rtol=1e-6)


def test_prelu_trains():
    model = Sequential([PReLU(input_shape=(5,)), Dense(1)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(2).standard_normal((32, 5)).astype("float32")
    before = model.layers[0].get_weights()[0].copy()
    model.fit(x, x.sum(1), nb_epoch=1, verbose=0)
    assert not np.allclose(before, model.layers[0].get_weights()[0])


def test_prelu_needs_known_dims():
    with pytest.raises(ValueError, match=r"PReLU 'prelu_\d+': the input's non-batch dims must be "
                                         r"known"):
        PReLU()(Input(shape=(None, 3)))


def test_parametric_softplus():
    expected = 0.2 * np.log1p(np.exp(5.0 * DATA))
    layer_test(ParametricSoftplus, {}, input_data=DATA, expected_output=expected, rtol=1e-5)
    layer_test(ParametricSoftplus, {"alpha_init": 0.5, "beta_init": 2.0, "shared_axes": [1]},
               input_data=DATA, expected_output=0.5 * np.log1p(np.exp(2.0 * DATA)), rtol=1e-5)
    model = Sequential([ParametricSoftplus(shared_axes=2, input_shape=(4, 5))])
    assert [w.shape for w in model.get_weights()] == [(4, 1), (4, 1)]


def srelu(x, t_left, a_left, t_right, a_right):
    """Keras 1.2.2's definition: t_left + relu(x - t_left, a_left, capped at t_right -
    t_left) + a_right * relu(x - t_right), with t_right = t_left + |t_right|."""
    t_right = t_left + np.abs(t_right)
    d = x - t_left
    left_and_center = t_left + np.minimum(np.where(d > 0, d, a_left * d), t_right - t_left)
    return left_and_center + a_right * np.maximum(x - t_right, 0)


def test_srelu():
    layer_test(SReLU, {}, input_data=DATA)
    layer_test(SReLU, {"shared_axes": [1, 2]}, input_data=DATA)
    model = Sequential([SReLU(t_left_init="normal", a_left_init="normal",
                              t_right_init="normal", a_right_init="normal",
                              input_shape=(4, 5))])
    params = model.get_weights()
    assert [p.shape for p in params] == [(4, 5)] * 4
    np.testing.assert_allclose(model.predict(DATA), srelu(DATA, *params), rtol=1e-5, atol=1e-6)
    assert SReLU().get_config()["t_right_init"] == "glorot_uniform"
