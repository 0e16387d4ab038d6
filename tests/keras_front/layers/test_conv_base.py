"""Loading convolution kernels saved by other Keras versions and backends
(keras_front/layers/conv_base.py, ConvLayer.convert_saved_weights, through
keras_front.saving's load_weights): Keras 2 files store kernels channels last and, from
TensorFlow, as correlations; Keras 1.2.2 files store the layer's own layout, Conv1D
kernels sometimes in the older (nb_filter, input_dim, length, 1) one. Each case checks
the loaded model's predictions against NumPy computing what the saving backend computed."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from keras_front.engine import Input
from keras_front.layers import (
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution3D,
    LocallyConnected2D,
    SeparableConvolution2D,
)
from keras_front.models import Model
from tests.keras_front import conv_reference as ref
from tests.keras_front.saving.reference_files import s, s_list

RNG = np.random.default_rng(17)


def write_weights(path, layer_name, arrays, keras_version=None, backend=None):
    """A save_weights file holding one layer's arrays, as Keras 2 (or 1) writes it."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = s_list([layer_name])
        if keras_version:
            f.attrs["keras_version"] = s(keras_version)
        if backend:
            f.attrs["backend"] = s(backend)
        group = f.create_group(layer_name)
        names = [f"{layer_name}/w{i}:0" for i in range(len(arrays))]
        group.attrs["weight_names"] = s_list(names)
        for name, value in zip(names, arrays, strict=True):
            group.create_dataset(name, data=value)


def model_of(layer, shape):
    x = Input(shape=shape)
    return Model(x, layer(x))


def correlate_tf(x, kernel):
    """What TensorFlow computes for channels-last x and a (rows, cols, in, out) kernel."""
    return ref.to_tf(ref.conv(ref.from_tf(x), np.transpose(kernel, (3, 2, 0, 1)), flip=False))


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("backend", ["tensorflow", "theano"])
def test_keras2_conv2d_kernels_are_transposed_and_flipped_from_correlating_backends(
        tmp_path, backend, ordering):
    kernel = RNG.normal(size=(3, 2, 2, 4)).astype("float32")     # Keras 2: (r, c, in, out)
    bias = RNG.normal(size=4).astype("float32")
    path = str(tmp_path / "w.h5")
    write_weights(path, "convolution2d_1", [kernel, bias], "2.1.6", backend)
    layer = Convolution2D(4, 3, 2, dim_ordering=ordering, name="convolution2d_1")
    shape = (5, 6, 2) if ordering == "tf" else (2, 5, 6)
    model = model_of(layer, shape)
    model.load_weights(path)
    x = RNG.normal(size=(2, 5, 6, 2)).astype("float32")
    got = model.predict(x if ordering == "tf" else ref.from_tf(x))
    flipped = kernel if backend == "tensorflow" else kernel[::-1, ::-1]
    expected = correlate_tf(x.astype("float64"), flipped) + bias
    np.testing.assert_allclose(got, expected if ordering == "tf" else ref.from_tf(expected),
                               rtol=1e-4, atol=1e-5)


def test_keras1_files_load_as_they_are_and_old_conv1d_kernels_are_reordered(tmp_path):
    w = RNG.normal(size=(2, 3, 3, 3)).astype("float32")          # 'th' (out, in, r, c)
    path = str(tmp_path / "k1.h5")
    write_weights(path, "conv", [w, np.zeros(2, "float32")])     # Keras 1: no version
    layer = Convolution2D(2, 3, 3, dim_ordering="th", name="conv")
    model_of(layer, (3, 5, 5)).load_weights(path)
    np.testing.assert_array_equal(layer.get_weights()[0], w)
    old = RNG.normal(size=(4, 3, 5, 1)).astype("float32")        # (nb_filter, in, length, 1)
    write_weights(path, "c1", [old, np.zeros(4, "float32")])
    conv1 = Convolution1D(4, 5, name="c1")
    model_of(conv1, (9, 3)).load_weights(path)
    np.testing.assert_array_equal(conv1.get_weights()[0], old.transpose(2, 3, 1, 0))


def test_keras2_conv1d_conv3d_separable_and_transposed_kernels(tmp_path):
    path = str(tmp_path / "k2.h5")
    k1 = RNG.normal(size=(3, 2, 4)).astype("float32")             # Keras 2 Conv1D
    write_weights(path, "c1", [k1, np.zeros(4, "float32")], "2.1.6", "tensorflow")
    conv1 = Convolution1D(4, 3, name="c1")
    model_of(conv1, (7, 2)).load_weights(path)
    np.testing.assert_array_equal(conv1.get_weights()[0], k1[::-1, None])

    k3 = RNG.normal(size=(2, 3, 1, 2, 5)).astype("float32")       # Keras 2 Conv3D
    write_weights(path, "c3", [k3, np.zeros(5, "float32")], "2.1.6", "tensorflow")
    conv3 = Convolution3D(5, 2, 3, 1, dim_ordering="th", name="c3")
    model_of(conv3, (2, 4, 5, 3)).load_weights(path)
    np.testing.assert_array_equal(conv3.get_weights()[0],
                                  np.transpose(k3[::-1, ::-1, ::-1], (4, 3, 0, 1, 2)))

    depth = RNG.normal(size=(3, 3, 2, 2)).astype("float32")
    point = RNG.normal(size=(1, 1, 4, 3)).astype("float32")
    write_weights(path, "sep", [depth, point, np.zeros(3, "float32")], "2.1.6", "tensorflow")
    sep = SeparableConvolution2D(3, 3, 3, depth_multiplier=2, dim_ordering="tf", name="sep")
    model_of(sep, (6, 6, 2)).load_weights(path)
    got_depth, got_point, _ = sep.get_weights()
    np.testing.assert_array_equal(got_depth, depth[::-1, ::-1])
    np.testing.assert_array_equal(got_point, point)

    kt = RNG.normal(size=(3, 3, 5, 2)).astype("float32")          # (r, c, filters, in)
    write_weights(path, "tr", [kt, np.zeros(5, "float32")], "2.1.6", "theano")
    tr = Conv2DTranspose(5, (3, 3), data_format="channels_first", name="tr")
    model_of(tr, (2, 4, 4)).load_weights(path)
    np.testing.assert_array_equal(tr.get_weights()[0], np.transpose(kt, (2, 3, 0, 1)))


def test_locally_connected_kernels_load_unchanged_from_any_backend(tmp_path):
    path = str(tmp_path / "lc.h5")
    w = RNG.normal(size=(9, 8, 3)).astype("float32")
    b = RNG.normal(size=(3, 3, 3)).astype("float32")
    write_weights(path, "lc", [w, b], "2.1.6", "tensorflow")
    layer = LocallyConnected2D(3, 2, 2, dim_ordering="tf", name="lc")
    model_of(layer, (4, 4, 2)).load_weights(path)
    np.testing.assert_array_equal(layer.get_weights()[0], w)
    np.testing.assert_array_equal(layer.get_weights()[1], b)
