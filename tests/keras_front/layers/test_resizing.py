"""Resizing layers (keras_front/layers/resizing.py): UpSampling, ZeroPadding and Cropping
in 1, 2 and 3 dims through layer_test + saving + gradients, outputs against NumPy
(np.repeat, np.pad, slicing) for both orderings and every argument form Keras 1.2.2 and
Keras 2 accept."""

from __future__ import annotations

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.layers import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from keras_front.models import Model
from tests.keras_front import conv_reference as ref
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(9)


def predict(layer, data):
    x = Input(batch_shape=(None,) + data.shape[1:])
    return Model(x, layer(x)).predict(data)


def layout(x, ordering):
    return ref.to_tf(x) if ordering == "tf" else x


def test_upsampling1d():
    data = RNG.normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_array_equal(predict(UpSampling1D(3), data), np.repeat(data, 3, axis=1))
    assert UpSampling1D(size=4).length == 4 and UpSampling1D().get_config()["length"] == 2
    layer_test(UpSampling1D, {"length": 2}, input_shape=(2, 4, 3), gradient_probes=12)


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("size", [(2, 2), (3, 1), (1, 9)])
def test_upsampling2d(size, ordering):
    data = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
    expected = np.repeat(np.repeat(data, size[0], axis=2), size[1], axis=3)
    out = predict(UpSampling2D(size, dim_ordering=ordering), layout(data, ordering))
    np.testing.assert_array_equal(out, layout(expected, ordering))
    layer_test(UpSampling2D, {"size": size, "dim_ordering": ordering},
               input_shape=layout(data, ordering).shape, gradient_probes=12)


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_upsampling3d(ordering):
    data = RNG.normal(size=(2, 2, 3, 2, 4)).astype("float32")
    expected = data
    for axis, factor in zip((2, 3, 4), (2, 3, 1), strict=True):
        expected = np.repeat(expected, factor, axis=axis)
    out = predict(UpSampling3D((2, 3, 1), dim_ordering=ordering), layout(data, ordering))
    np.testing.assert_array_equal(out, layout(expected, ordering))
    layer_test(UpSampling3D, {"size": 2, "dim_ordering": ordering},
               input_shape=layout(data, ordering).shape, gradient_probes=12)


@pytest.mark.parametrize("padding,pads", [(2, (2, 2)), ((1, 3), (1, 3)),
                                          ({"left_pad": 1}, (1, 0)),
                                          ({"left_pad": 2, "right_pad": 1}, (2, 1))])
def test_zero_padding1d(padding, pads):
    data = RNG.normal(size=(2, 4, 3)).astype("float32")
    out = predict(ZeroPadding1D(padding), data)
    np.testing.assert_array_equal(out, np.pad(data, ((0, 0), pads, (0, 0))))
    assert ZeroPadding1D(padding).get_config()["padding"] == padding
    layer_test(ZeroPadding1D, {"padding": padding}, input_shape=(2, 4, 3), gradient_probes=12)


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("padding,pads", [
    ((2, 2), ((2, 2), (2, 2))), ((1, 2, 3, 4), ((1, 2), (3, 4))),
    ({"top_pad": 1, "bottom_pad": 2, "left_pad": 3, "right_pad": 4}, ((1, 2), (3, 4))),
    ({"bottom_pad": 2}, ((0, 2), (0, 0))), (1, ((1, 1), (1, 1))),
    (((0, 1), (2, 0)), ((0, 1), (2, 0)))])
def test_zero_padding2d(padding, pads, ordering):
    data = RNG.normal(size=(2, 2, 4, 5)).astype("float32")
    out = predict(ZeroPadding2D(padding, dim_ordering=ordering), layout(data, ordering))
    expected = np.pad(data, ((0, 0), (0, 0)) + pads)
    np.testing.assert_array_equal(out, layout(expected, ordering))
    layer_test(ZeroPadding2D, {"padding": padding, "dim_ordering": ordering},
               input_shape=layout(data, ordering).shape, gradient_probes=12)


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_zero_padding3d(ordering):
    data = RNG.normal(size=(2, 2, 3, 4, 2)).astype("float32")
    for padding, pads in [((2, 1, 0), ((2, 2), (1, 1), (0, 0))),
                          (((1, 0), (0, 2), (1, 1)), ((1, 0), (0, 2), (1, 1)))]:
        out = predict(ZeroPadding3D(padding, dim_ordering=ordering), layout(data, ordering))
        expected = np.pad(data, ((0, 0), (0, 0)) + pads)
        np.testing.assert_array_equal(out, layout(expected, ordering))
    layer_test(ZeroPadding3D, {"padding": (1, 1, 1), "dim_ordering": ordering},
               input_shape=layout(data, ordering).shape, gradient_probes=12)


def test_cropping1d():
    data = RNG.normal(size=(2, 6, 3)).astype("float32")
    np.testing.assert_array_equal(predict(Cropping1D((1, 2)), data), data[:, 1:4])
    np.testing.assert_array_equal(predict(Cropping1D((2, 0)), data), data[:, 2:])
    assert predict(Cropping1D((3, 3)), data).shape == (2, 0, 3)   # cropped to nothing
    assert Cropping1D(2).get_config()["cropping"] == (2, 2)
    layer_test(Cropping1D, {"cropping": (1, 1)}, input_shape=(2, 4, 3), gradient_probes=12)
    with pytest.raises(ValueError, match=r"Cropping1D 'c': cropping \(4, 3\) is more than an "
                                         r"input of shape \(None, 6, 3\) holds"):
        Cropping1D((4, 3), name="c")(Input(shape=(6, 3)))


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_cropping2d_and_3d(ordering):
    data = RNG.normal(size=(2, 2, 8, 7)).astype("float32")
    for cropping, index in [(((2, 2), (3, 3)), np.s_[2:-2, 3:-3]),
                            (((0, 0), (0, 0)), np.s_[:, :]), (((1, 0), (0, 2)), np.s_[1:, :-2]),
                            (1, np.s_[1:-1, 1:-1]), ((2, 1), np.s_[2:-2, 1:-1])]:
        out = predict(Cropping2D(cropping, dim_ordering=ordering), layout(data, ordering))
        np.testing.assert_array_equal(out, layout(data[(Ellipsis,) + index], ordering))
    layer_test(Cropping2D, {"cropping": ((1, 2), (0, 1)), "dim_ordering": ordering},
               input_shape=layout(data, ordering).shape, gradient_probes=12)
    volume = RNG.normal(size=(2, 2, 6, 5, 7)).astype("float32")
    cropping = ((2, 1), (0, 2), (3, 0))
    out = predict(Cropping3D(cropping, dim_ordering=ordering), layout(volume, ordering))
    np.testing.assert_array_equal(out, layout(volume[:, :, 2:-1, :-2, 3:], ordering))
    layer_test(Cropping3D, {"cropping": cropping, "dim_ordering": ordering},
               input_shape=layout(volume, ordering).shape, gradient_probes=12)


def test_configs_keep_the_ordering():
    """Keras 1.2.2 leaves dim_ordering out of these configs; rebuilt under another global
    ordering, its layers silently changed layout. Ours keep it."""
    layers = [UpSampling2D(dim_ordering="th"), ZeroPadding2D(dim_ordering="th"),
              Cropping3D(dim_ordering="th"), ZeroPadding3D(dim_ordering="th")]
    for layer in layers:
        config = layer.get_config()
        assert config["dim_ordering"] == "th"
        assert type(layer).from_config(config).dim_ordering == "th"
    assert K.image_dim_ordering() == "tf"


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"ZeroPadding1D: unexpected key\(s\) \['top_pad'\]"):
        ZeroPadding1D({"top_pad": 1})
    with pytest.raises(ValueError, match=r"ZeroPadding2D: `padding` must be an int, 2 ints or "
                                         r"2 \(before, after\) pairs"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"Cropping2D: `cropping` must hold non-negative ints"):
        Cropping2D(((1, -1), (0, 0)))
    with pytest.raises(ValueError, match=r"UpSampling2D: size must be a positive int or 2 "
                                         r"positive ints, got \(2, 0\)"):
        UpSampling2D((2, 0))
