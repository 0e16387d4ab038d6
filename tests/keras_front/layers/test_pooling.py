"""Pooling layers (keras_front/layers/pooling.py): every layer through layer_test + saving
+ finite-difference gradients, outputs against the window loops of
tests/keras_front/conv_reference.py ('valid' and Keras 1.2.2's Theano 'same', both
orderings), global poolings against NumPy, Keras 1.2.2's configs, Keras 2's spellings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from keras_front.models import Model
from tests.keras_front import conv_reference as ref
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(7)


def predict(layer, data):
    x = Input(batch_shape=(None,) + data.shape[1:])
    return Model(x, layer(x)).predict(data)


def layout(x, ordering):
    return ref.to_tf(x) if ordering == "tf" else x


@pytest.mark.parametrize("cls,how", [(MaxPooling1D, "max"), (AveragePooling1D, "avg")])
@pytest.mark.parametrize("mode,stride", list(itertools.product(["valid", "same"],
                                                               [1, 2, None])))
def test_pooling1d(cls, how, mode, stride):
    data = RNG.normal(size=(3, 7, 4)).astype("float32")
    layer = cls(pool_length=3, stride=stride, border_mode=mode)
    out = predict(layer, data)
    th = ref.pool(data.transpose(0, 2, 1)[..., None].astype("float64"), (3, 1),
                  (stride or 3, 1), mode, how)
    np.testing.assert_allclose(out, th[..., 0].transpose(0, 2, 1), rtol=1e-6, atol=1e-6)
    layer_test(cls, {"pool_length": 2, "stride": stride, "border_mode": mode},
               input_shape=(3, 5, 4), gradient_probes=12)


def test_pooling1d_config_and_keras2_names():
    layer = MaxPooling1D(3)
    assert layer.get_config()["stride"] == 3 and layer.get_config()["pool_length"] == 3
    k2 = MaxPool1D(pool_size=2, strides=1, padding="same")
    assert (k2.pool_length, k2.stride, k2.border_mode) == (2, 1, "same")
    assert k2.compute_output_shape((None, 9, 2)) == (None, 9, 2)


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("cls,how", [(MaxPooling2D, "max"), (AveragePooling2D, "avg")])
@pytest.mark.parametrize("mode", ["valid", "same"])
def test_pooling2d(cls, how, mode, ordering):
    data = RNG.normal(size=(2, 3, 11, 12))
    for pool_size, strides in itertools.product([(2, 2), (3, 3), (4, 4), (5, 5)],
                                                [None, (1, 1), (2, 2)]):
        layer = cls(pool_size, strides, mode, ordering)
        out = predict(layer, layout(data, ordering).astype("float32"))
        expected = ref.pool(data.astype("float32").astype("float64"), pool_size,
                            strides or pool_size, mode, how)
        np.testing.assert_allclose(out, layout(expected, ordering), rtol=1e-5, atol=1e-6)
        assert layer.compute_output_shape(layout(data, ordering).shape) == out.shape
    shape = layout(np.zeros((2, 2, 5, 6)), ordering).shape
    layer_test(cls, {"pool_size": (2, 3), "strides": (1, 2), "border_mode": mode,
                     "dim_ordering": ordering}, input_shape=shape, gradient_probes=12)


def test_pooling2d_config_and_keras2_spellings():
    config = MaxPooling2D(dim_ordering="th").get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "border_mode", "dim_ordering")} == \
        {"pool_size": (2, 2), "strides": (2, 2), "border_mode": "valid", "dim_ordering": "th"}
    k2 = AvgPool2D(3, padding="same", data_format="channels_first")
    assert (k2.pool_size, k2.strides, k2.border_mode, k2.dim_ordering) == \
        ((3, 3), (3, 3), "same", "th")
    with pytest.raises(ValueError, match=r"Invalid border mode for MaxPooling2D: 'full'"):
        MaxPooling2D(border_mode="full")


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("cls,how", [(MaxPooling3D, "max"), (AveragePooling3D, "avg")])
def test_pooling3d(cls, how, ordering):
    data = RNG.normal(size=(2, 2, 5, 6, 4))
    for mode, pool_size, strides in [("valid", (2, 2, 2), None), ("valid", (3, 3, 3),
                                                                  (1, 2, 1)),
                                     ("same", (2, 3, 2), (2, 2, 1))]:
        layer = cls(pool_size, strides, mode, ordering)
        out = predict(layer, layout(data, ordering).astype("float32"))
        expected = ref.pool(data.astype("float32").astype("float64"), pool_size,
                            strides or pool_size, mode, how)
        np.testing.assert_allclose(out, layout(expected, ordering), rtol=1e-5, atol=1e-6)
    layer_test(cls, {"pool_size": (2, 2, 2), "strides": (1, 1, 1),
                     "dim_ordering": ordering},
               input_shape=layout(np.zeros((1, 2, 3, 4, 3)), ordering).shape, gradient_probes=12)


@pytest.mark.parametrize("cls,reduce", [(GlobalMaxPooling1D, np.max),
                                        (GlobalAveragePooling1D, np.mean)])
def test_global_pooling1d(cls, reduce):
    data = RNG.normal(size=(3, 4, 5)).astype("float32")
    np.testing.assert_allclose(predict(cls(), data), reduce(data, axis=1), rtol=1e-6)
    layer_test(cls, {}, input_shape=(3, 4, 5), gradient_probes=12)
    assert "dim_ordering" not in cls().get_config()


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("cls,reduce,rank", [(GlobalMaxPooling2D, np.max, 2),
                                             (GlobalAveragePooling2D, np.mean, 2),
                                             (GlobalMaxPooling3D, np.max, 3),
                                             (GlobalAveragePooling3D, np.mean, 3)])
def test_global_pooling(cls, reduce, rank, ordering):
    data = RNG.normal(size=(3, 4) + (3,) * rank)
    x = layout(data, ordering).astype("float32")
    out = predict(cls(dim_ordering=ordering), x)
    np.testing.assert_allclose(out, reduce(data.astype("float32"),
                                           axis=tuple(range(2, 2 + rank))), rtol=1e-5)
    assert cls(dim_ordering=ordering).get_config()["dim_ordering"] == ordering
    layer_test(cls, {"dim_ordering": ordering}, input_shape=x.shape, gradient_probes=12)


def test_global_pooling_keras2_alias_and_default_ordering():
    assert GlobalMaxPool2D is GlobalMaxPooling2D
    assert GlobalMaxPooling2D().dim_ordering == K.image_dim_ordering()
    assert GlobalMaxPooling2D(data_format="channels_first").compute_output_shape(
        (None, 7, 3, 3)) == (None, 7)
