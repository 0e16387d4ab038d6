"""Noise layers (keras_front/layers/noise.py): identity when testing, noise of the right
statistics when training."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.layers import (
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
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


@pytest.mark.parametrize("cls, shape, kwargs, shared", [
    (SpatialDropout1D, (40, 6, 30), {}, (1,)),
    (SpatialDropout2D, (40, 5, 4, 6), {"dim_ordering": "th"}, (2, 3)),
    (SpatialDropout2D, (40, 4, 6, 5), {"data_format": "channels_last"}, (1, 2)),
    (SpatialDropout3D, (20, 3, 2, 3, 4), {"dim_ordering": "tf"}, (1, 2, 3)),
], ids=["1d", "2d-th", "2d-channels-last", "3d-tf"])
def test_spatial_dropout_drops_whole_feature_maps(cls, shape, kwargs, shared):
    data = np.ones(shape, "float32")
    layer_test(cls, {"p": 0.5, **kwargs}, input_data=data[:2], expected_output=data[:2])
    out = _train_output(cls(0.5, **kwargs), data)
    # every feature map is all zeros or all 2 (1 / (1 - p)), about half of each
    low, high = out.min(axis=shared), out.max(axis=shared)
    np.testing.assert_array_equal(low, high)
    assert set(np.unique(out)) <= {0.0, 2.0}
    dropped = float((low == 0).mean())  # a binomial fraction: within 5 standard deviations
    assert abs(dropped - 0.5) < 5 * np.sqrt(0.25 / low.size)


def test_spatial_dropout_config():
    config = SpatialDropout2D(0.3, dim_ordering="th").get_config()
    assert config["p"] == 0.3 and config["dim_ordering"] == "th"
    assert SpatialDropout3D(rate=0.2).p == 0.2
