"""Locally connected layers (keras_front/layers/local.py) through layer_test + saving +
finite-difference gradients, outputs against a loop over output positions written from
Keras 1.2.2's weight layouts, configs, Keras 2 spellings, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from keras_front.engine import Input
from keras_front.layers import LocallyConnected1D, LocallyConnected2D
from keras_front.models import Model
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(13)


def predict(layer, data):
    x = Input(batch_shape=(None,) + data.shape[1:])
    return Model(x, layer(x)).predict(data)


@pytest.mark.parametrize("stride", [1, 2])
def test_locally_connected1d_matches_the_position_loop(stride):
    data = RNG.normal(size=(3, 9, 2)).astype("float32")
    layer = LocallyConnected1D(4, 3, subsample_length=stride, activation="tanh")
    out = predict(layer, data)
    w, b = layer.get_weights()
    length = (9 - 3) // stride + 1
    assert w.shape == (length, 3 * 2, 4) and b.shape == (length, 4)
    expected = np.zeros((3, length, 4))
    for i in range(length):
        patch = data[:, i * stride:i * stride + 3, :].reshape(3, -1)   # (steps, input_dim)
        expected[:, i] = patch @ w[i] + b[i]
    np.testing.assert_allclose(out, np.tanh(expected), rtol=1e-5, atol=1e-6)
    layer_test(LocallyConnected1D, {"nb_filter": 2, "filter_length": 3,
                                    "subsample_length": stride, "W_regularizer": "l2",
                                    "b_regularizer": "l2",
                                    "activity_regularizer": "activity_l2"},
               input_shape=(2, 7, 3), gradient_probes=12)


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("subsample", [(1, 1), (2, 2), (1, 3)])
def test_locally_connected2d_matches_the_position_loop(subsample, ordering):
    data = RNG.normal(size=(2, 3, 6, 8)).astype("float32")          # channels first
    x = data if ordering == "th" else data.transpose(0, 2, 3, 1)
    layer = LocallyConnected2D(2, 3, 2, subsample=subsample, dim_ordering=ordering)
    out = predict(layer, x)
    w, b = layer.get_weights()
    rows, cols = (6 - 3) // subsample[0] + 1, (8 - 2) // subsample[1] + 1
    assert w.shape == (rows * cols, 3 * 2 * 3, 2) and b.shape == (rows, cols, 2)
    expected = np.zeros((2, 2, rows, cols))
    for i, j in itertools.product(range(rows), range(cols)):
        r, c = i * subsample[0], j * subsample[1]
        patch = data[:, :, r:r + 3, c:c + 2]                         # (b, channels, 3, 2)
        if ordering == "tf":
            patch = patch.transpose(0, 2, 3, 1)                      # (rows, cols, channels)
        expected[:, :, i, j] = patch.reshape(2, -1) @ w[i * cols + j] + b[i, j]
    if ordering == "tf":
        expected = expected.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    layer_test(LocallyConnected2D, {"nb_filter": 2, "nb_row": 2, "nb_col": 2,
                                    "subsample": subsample, "dim_ordering": ordering,
                                    "W_regularizer": "l2"},
               input_shape=(2, 5, 6, 3) if ordering == "tf" else (2, 3, 5, 6), gradient_probes=12)


def test_configs_and_keras2_spellings():
    config = LocallyConnected2D(3, 2, 2, dim_ordering="th", bias=False).get_config()
    assert {k: config[k] for k in ("nb_filter", "nb_row", "nb_col", "border_mode",
                                   "subsample", "dim_ordering", "bias")} == \
        {"nb_filter": 3, "nb_row": 2, "nb_col": 2, "border_mode": "valid",
         "subsample": (1, 1), "dim_ordering": "th", "bias": False}
    k2 = LocallyConnected2D(filters=3, kernel_size=(2, 3), strides=2,
                            data_format="channels_last", use_bias=False)
    assert (k2.nb_row, k2.nb_col, k2.subsample, k2.dim_ordering, k2.use_bias) == \
        (2, 3, (2, 2), "tf", False)
    k1 = LocallyConnected1D(filters=2, kernel_size=3, strides=2)
    assert (k1.filter_length, k1.subsample_length) == (3, 2)
    assert LocallyConnected1D(2, 3, input_dim=4, input_length=6).get_config()[
        "input_length"] == 6


def test_errors():
    with pytest.raises(ValueError, match=r"Invalid border mode for LocallyConnected2D: 'same' "
                                         r"\(expected one of 'valid'\)"):
        LocallyConnected2D(2, 3, 3, border_mode="same")
    with pytest.raises(ValueError, match=r"the input's steps / rows / cols must be known"):
        LocallyConnected1D(2, 3)(Input(shape=(None, 4)))
    with pytest.raises(ValueError, match=r"the kernel \(3, 3\) is larger than the input "
                                         r"\(2, 5\)"):
        LocallyConnected2D(2, 3, 3, dim_ordering="tf")(Input(shape=(2, 5, 1)))
