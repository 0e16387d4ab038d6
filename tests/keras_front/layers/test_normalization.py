"""BatchNormalization (keras_front/layers/normalization.py): the three modes against
NumPy, running statistics (updated by training, used at test time, saved and loaded)."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.layers import BatchNormalization, Dense, Input
from keras_front.models import Model, Sequential, load_model
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((16, 3, 4)) * 3 + 5).astype("float32")


def test_layer_test_every_mode():
    for mode in (0, 1, 2):
        layer_test(BatchNormalization, {"mode": mode}, input_shape=(3, 4, 2))
    layer_test(BatchNormalization, {"mode": 0, "axis": 1, "gamma_regularizer": "l2"},
               input_shape=(3, 4, 2))


def test_mode_0_training_normalizes_by_batch_and_updates_running_statistics():
    layer = BatchNormalization(mode=0, axis=1, momentum=0.8, epsilon=1e-3)
    model = Sequential([layer.__class__.from_config({**layer.get_config(),
                                                     "input_shape": (3, 4)})])
    layer = model.layers[0]
    gamma = np.array([1.0, 2.0, 0.5], "float32")
    beta = np.array([0.0, -1.0, 3.0], "float32")
    layer.set_weights([gamma, beta, np.zeros(3), np.ones(3)])
    f = K.function([model.inputs[0], K.learning_phase()], [model.outputs[0]],
                   updates=model.updates)
    mean, var = X.mean(axis=(0, 2)), X.var(axis=(0, 2))
    expected = (X - mean[None, :, None]) / np.sqrt(var[None, :, None] + 1e-3) * \
        gamma[None, :, None] + beta[None, :, None]
    np.testing.assert_allclose(f([X, 1])[0], expected, rtol=1e-4, atol=1e-4)
    running_mean, running_var = layer.get_weights()[2:]
    np.testing.assert_allclose(running_mean, 0.8 * 0 + 0.2 * mean, rtol=1e-5)
    np.testing.assert_allclose(running_var, 0.8 * 1 + 0.2 * var, rtol=1e-5)
    # the test phase uses the running statistics (and the call above moved them once more)
    rm, rv = layer.get_weights()[2:]
    test_expected = (X - rm[None, :, None]) / np.sqrt(rv[None, :, None] + 1e-3) * \
        gamma[None, :, None] + beta[None, :, None]
    np.testing.assert_allclose(model.predict(X), test_expected, rtol=1e-4, atol=1e-4)


def test_mode_2_uses_batch_statistics_at_test_time_too():
    model = Sequential([BatchNormalization(mode=2, input_shape=(3, 4))])
    out = model.predict(X, batch_size=16)
    mean, var = X.mean(axis=(0, 1)), X.var(axis=(0, 1))
    np.testing.assert_allclose(out, (X - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    assert model.layers[0].get_weights()[2].tolist() == [0.0] * 4  # no update
    assert not model.layers[0].uses_learning_phase


def test_mode_1_normalizes_each_sample_over_its_last_axis():
    model = Sequential([BatchNormalization(mode=1, epsilon=1e-3, input_shape=(3, 4))])
    m, s = X.mean(-1, keepdims=True), np.sqrt(X.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(model.predict(X), (X - m) / (s + 1e-3), rtol=1e-4, atol=1e-4)


def test_fit_moves_running_statistics_towards_the_data_and_save_load_keeps_them(tmp_path):
    data = (RNG.standard_normal((512, 5)) * 4 + 10).astype("float32")
    model = Sequential([BatchNormalization(input_shape=(5,), momentum=0.9), Dense(1)])
    model.compile("sgd", "mse")
    model.fit(data, np.zeros((512, 1)), nb_epoch=3, batch_size=32, verbose=0)
    running_mean, running_var = model.layers[0].get_weights()[2:]
    np.testing.assert_allclose(running_mean, data.mean(0), rtol=0.05)
    np.testing.assert_allclose(running_var, data.var(0), rtol=0.25)
    model.save(tmp_path / "bn.h5")
    loaded = load_model(tmp_path / "bn.h5")
    np.testing.assert_array_equal(loaded.layers[0].get_weights()[2], running_mean)
    np.testing.assert_allclose(loaded.predict(data[:8]), model.predict(data[:8]), rtol=1e-6)


def test_shared_layer_has_one_update_pair_per_call():
    bn = BatchNormalization(input_shape=(4,))
    a, b = Input(shape=(4,)), Input(shape=(4,))
    bn(a)
    model = Model(b, bn(b))
    assert len(model.updates) == 2  # only this model's call


def test_weights_config_keras_2_spellings_and_errors():
    layer = BatchNormalization(center=False, gamma_initializer="zeros", axis=1)
    Sequential([layer.__class__.from_config({**layer.get_config(), "input_shape": (2, 3)})])
    assert layer.get_config()["center"] is False and "scale" not in layer.get_config()
    built = BatchNormalization(input_shape=(3,))
    Sequential([built])
    assert [w.name.split("/")[1] for w in built.weights] == [
        "gamma:0", "beta:0", "running_mean:0", "running_std:0"]
    assert built.moving_variance is built.running_std
    with pytest.raises(ValueError, match="mode must be 0, 1 or 2"):
        BatchNormalization(mode=3)
    with pytest.raises(ValueError, match="axis 1 of the input should have a known size"):
        BatchNormalization(axis=1)(Input(shape=(None, 3)))
