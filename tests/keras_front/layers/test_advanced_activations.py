"""Advanced activation layers (keras_front/layers/advanced_activations.py) against NumPy."""

import numpy as np
import pytest

from keras_front.engine import Input
from keras_front.layers import ELU, Dense, LeakyReLU, PReLU, ThresholdedReLU
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
