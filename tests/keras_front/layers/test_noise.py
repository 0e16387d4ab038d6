"""Noise layers (keras_front/layers/noise.py): identity when testing, noise of the right
statistics when training."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.layers import GaussianDropout, GaussianNoise
from tests.keras_front.helpers import layer_test

DATA = np.random.default_rng(7).standard_normal((4, 3)).astype("float32")


def _train_output(layer, data):
    x = Input(shape=data.shape[1:])
    return K.function([x, K.learning_phase()], [layer(x)])([data, 1])[0]


def test_gaussian_noise():
    layer_test(GaussianNoise, {"sigma": 0.5}, input_data=DATA, expected_output=DATA)
    ones = np.ones((400, 50), "float32")
    noise = _train_output(GaussianNoise(0.5), ones) - 1
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.5) < 0.02
    assert GaussianNoise(stddev=0.1).sigma == 0.1


def test_gaussian_dropout():
    layer_test(GaussianDropout, {"p": 0.2}, input_data=DATA, expected_output=DATA)
    factor = _train_output(GaussianDropout(0.2), np.ones((400, 50), "float32"))
    assert abs(factor.mean() - 1) < 0.02
    assert abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.02
    assert GaussianDropout(rate=0.3).p == 0.3


def test_noise_arguments_are_checked():
    with pytest.raises(ValueError, match=r"GaussianDropout rate must be in \[0, 1\), got 1.0"):
        GaussianDropout(1.0)
    with pytest.raises(TypeError, match=r"GaussianNoise needs the noise's standard deviation"):
        GaussianNoise()
