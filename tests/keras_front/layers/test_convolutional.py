"""Convolution layers (keras_front/layers/convolutional.py): every layer through
layer_test + saving + finite-difference gradients, outputs against the direct-loop NumPy
references of tests/keras_front/conv_reference.py for every border mode, ordering, stride
and dilation, Keras 1.2.2's configs and weight layouts, Keras 2's spellings, the
initializer / regularizer / constraint hooks, and errors by message."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import constraints, initializers, regularizers
from keras_front.engine import Input
from keras_front.layers import (
    AtrousConv2D,
    AtrousConvolution1D,
    AtrousConvolution2D,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
    Deconvolution2D,
    SeparableConv2D,
    SeparableConvolution2D,
    convolutional,
)
from keras_front.models import Model, Sequential
from keras_front.utils.np_utils import conv_input_length
from tests.keras_front import conv_reference as ref
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(5)
MODES = ["valid", "same", "full"]


def predict(layer, data):
    x = Input(batch_shape=(None,) + data.shape[1:], dtype=data.dtype.name)
    return Model(x, layer(x)).predict(data)


def layout(x, ordering):
    return ref.to_tf(x) if ordering == "tf" else x


# ---------------------------------------------------------------- Convolution1D


@pytest.mark.parametrize("mode,stride,rate", [(m, s, r) for m, s, r in itertools.product(
    MODES, [1, 2], [1, 2]) if not (s != 1 and r != 1)])
def test_convolution1d(mode, stride, rate):
    cls = AtrousConvolution1D if rate != 1 else Convolution1D
    kwargs = {"nb_filter": 3, "filter_length": 3, "border_mode": mode,
              "subsample_length": stride, "activation": "tanh"}
    if rate != 1:
        kwargs["atrous_rate"] = rate
    layer_test(cls, kwargs, input_shape=(2, 8, 2), gradient_probes=12)
    data = RNG.normal(size=(2, 9, 2)).astype("float32")
    layer = cls(**kwargs)
    out = predict(layer, data)
    w, b = layer.get_weights()
    assert w.shape == (3, 1, 2, 3)               # Keras 1.2.2's (length, 1, in, out)
    th = ref.conv(data.transpose(0, 2, 1)[..., None].astype("float64"),
                  w[:, 0].transpose(2, 1, 0)[..., None], mode, (stride, 1), (rate, 1))
    np.testing.assert_allclose(out, np.tanh(th[..., 0].transpose(0, 2, 1) + b), rtol=1e-5,
                               atol=1e-5)


def test_convolution1d_keras2_spelling_and_causal_padding():
    data = RNG.normal(size=(2, 7, 3)).astype("float32")
    layer = Conv1D(filters=2, kernel_size=3, padding="causal", dilation_rate=2, use_bias=False)
    out = predict(layer, data)
    (w,) = layer.get_weights()
    padded = np.pad(data, ((0, 0), (4, 0), (0, 0))).astype("float64")
    th = ref.conv(padded.transpose(0, 2, 1)[..., None], w[:, 0].transpose(2, 1, 0)[..., None],
                  "valid", dilation=(2, 1))
    np.testing.assert_allclose(out, th[..., 0].transpose(0, 2, 1), rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 2)
    layer_test(Conv1D, {"filters": 2, "kernel_size": 2, "padding": "causal"},
               input_shape=(2, 5, 3), gradient_probes=12)


def test_convolution1d_input_dim_and_length_and_config():
    layer = Convolution1D(4, 3, input_dim=5, input_length=9, border_mode="same")
    model = Sequential([layer])
    assert model.output_shape == (None, 9, 4)
    config = layer.get_config()
    for key, value in {"nb_filter": 4, "filter_length": 3, "border_mode": "same",
                       "subsample_length": 1, "init": "glorot_uniform", "activation": "linear",
                       "bias": True, "input_dim": 5, "input_length": 9}.items():
        assert config[key] == value
    assert "atrous_rate" not in config
    assert AtrousConvolution1D(2, 3, atrous_rate=2).get_config()["atrous_rate"] == 2


# ---------------------------------------------------------------- Convolution2D


CONV2D = [(m, s, o) for m, s, o in itertools.product(MODES, [(1, 1), (2, 2), (1, 3)],
                                                     ["th", "tf"])]


@pytest.mark.parametrize("mode,subsample,ordering", CONV2D, ids=str)
def test_convolution2d_matches_the_direct_loop(mode, subsample, ordering):
    data = RNG.normal(size=(2, 3, 7, 8))
    layer = Convolution2D(4, 3, 2, border_mode=mode, subsample=subsample,
                          dim_ordering=ordering, activation="relu")
    out = predict(layer, layout(data, ordering).astype("float32"))
    w, b = layer.get_weights()
    assert w.shape == ((4, 3, 3, 2) if ordering == "th" else (3, 2, 3, 4))
    w_th = w if ordering == "th" else np.transpose(w, (3, 2, 0, 1))
    expected = np.maximum(ref.conv(data.astype("float32").astype("float64"), w_th, mode,
                                   subsample) + b[:, None, None], 0)
    np.testing.assert_allclose(out, layout(expected, ordering), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode", MODES)
def test_convolution2d_layer_test(mode, ordering):
    shape = (2, 3, 6, 5) if ordering == "th" else (2, 6, 5, 3)
    layer_test(Convolution2D, {"nb_filter": 2, "nb_row": 3, "nb_col": 2,
                               "border_mode": mode, "dim_ordering": ordering,
                               "W_regularizer": "l2", "b_regularizer": "l1",
                               "activity_regularizer": "activity_l2"},
               input_shape=shape, gradient_probes=12)
    layer_test(Convolution2D, {"nb_filter": 2, "nb_row": 2, "nb_col": 2, "bias": False,
                               "subsample": (2, 2), "border_mode": mode,
                               "dim_ordering": ordering}, input_shape=shape,
               expected_trainable=1, gradient_probes=12)


def test_convolution2d_default_ordering_is_the_global_one():
    with_tf = Convolution2D(2, 3, 3)
    assert with_tf.dim_ordering == K.image_dim_ordering() == "tf"
    K.set_image_dim_ordering("th")
    try:
        assert Convolution2D(2, 3, 3).dim_ordering == "th"
        assert Conv2D(2, 3, data_format="channels_last").dim_ordering == "tf"
    finally:
        K.set_image_dim_ordering("tf")


def test_keras2_spellings_build_the_same_layer():
    data = RNG.normal(size=(2, 6, 7, 3)).astype("float32")
    k1 = Convolution2D(4, 3, 2, border_mode="same", subsample=(2, 1), bias=False,
                       init="he_normal")
    k2 = Conv2D(filters=4, kernel_size=(3, 2), padding="same", strides=(2, 1),
                use_bias=False, kernel_initializer="he_normal")
    k2_positional = Conv2D(4, (3, 2), (2, 1), "same", use_bias=False)
    out1 = predict(k1, data)
    for other in (k2, k2_positional):
        other_out = Model(*(lambda x: (x, other(x)))(Input(shape=(6, 7, 3))))
        other.set_weights(k1.get_weights())
        np.testing.assert_allclose(other_out.predict(data), out1, rtol=1e-6)
    assert Conv2D(8, 3).kernel_size == (3, 3)
    assert k2.get_config()["nb_row"] == 3 and k2.get_config()["subsample"] == (2, 1)
    # a Keras 2 config (from a Keras 2 file) builds the layer too
    keras2 = {"filters": 4, "kernel_size": [3, 2], "strides": [2, 1], "padding": "same",
              "data_format": "channels_first", "dilation_rate": [1, 1], "use_bias": True,
              "kernel_initializer": {"class_name": "VarianceScaling",
                                     "config": {"scale": 1.0, "mode": "fan_avg",
                                                "distribution": "uniform", "seed": None}},
              "bias_initializer": {"class_name": "Zeros", "config": {}},
              "activation": "relu", "name": "conv2d_1"}
    layer = Conv2D.from_config(keras2)
    assert (layer.nb_filter, layer.kernel_size, layer.subsample, layer.border_mode,
            layer.dim_ordering) == (4, (3, 2), (2, 1), "same", "th")


def test_dilated_conv2d_keras2_and_atrous():
    data = RNG.normal(size=(1, 9, 8, 2)).astype("float32")
    for layer in (AtrousConvolution2D(3, 3, 3, atrous_rate=(2, 1), border_mode="same"),
                  Conv2D(3, (3, 3), dilation_rate=(2, 1), padding="same")):
        out = predict(layer, data)
        w, b = layer.get_weights()
        expected = ref.conv(ref.from_tf(data).astype("float64"), np.transpose(w, (3, 2, 0, 1)),
                            "same", dilation=(2, 1)) + b[:, None, None]
        np.testing.assert_allclose(out, ref.to_tf(expected), rtol=1e-4, atol=1e-5)
    assert AtrousConv2D(2, 3, 3, atrous_rate=(2, 2)).get_config()["atrous_rate"] == (2, 2)
    assert Conv2D(2, 3, dilation_rate=2).get_config()["dilation_rate"] == (2, 2)
    layer_test(AtrousConvolution2D, {"nb_filter": 2, "nb_row": 3, "nb_col": 3,
                                     "atrous_rate": (2, 2), "border_mode": "full"},
               input_shape=(1, 7, 6, 2), gradient_probes=12)


def test_convolution2d_config_is_keras_122s():
    layer = Convolution2D(8, 3, 3, activation="relu", border_mode="same", subsample=(2, 2),
                          dim_ordering="th", W_regularizer=regularizers.l2(0.01),
                          W_constraint=constraints.maxnorm(2), name="conv")
    config = layer.get_config()
    assert set(config) == {"name", "trainable", "nb_filter", "nb_row", "nb_col", "init",
                           "activation", "border_mode", "subsample", "dim_ordering",
                           "W_regularizer", "b_regularizer", "activity_regularizer",
                           "W_constraint", "b_constraint", "bias"}
    assert (config["nb_filter"], config["nb_row"], config["activation"],
            config["subsample"]) == (8, 3, "relu", (2, 2))
    assert config["W_regularizer"]["l2"] == pytest.approx(0.01)
    assert config["W_constraint"]["m"] == 2
    rebuilt = Convolution2D.from_config(config)
    assert rebuilt.get_config() == config


# ---------------------------------------------------------------- the hooks


def test_initializers_see_the_kernel_layout():
    """Keras 1.2.2 passes dim_ordering to the initializer, so glorot's fans are read from
    the right axes: fan_in = in * taps, fan_out = out * taps in both layouts."""
    for ordering, shape in (("th", (2, 50, 12, 12)), ("tf", (2, 12, 12, 50))):
        layer = Convolution2D(40, 5, 5, dim_ordering=ordering, init="glorot_uniform")
        layer.build(shape)
        bound = np.sqrt(6.0 / (50 * 25 + 40 * 25))
        w = layer.get_weights()[0]
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    zero = Convolution2D(2, 3, 3, init="zero", bias_initializer=initializers.Constant(0.5))
    zero.build((None, 5, 5, 1))
    np.testing.assert_array_equal(zero.get_weights()[0], 0)
    np.testing.assert_array_equal(zero.get_weights()[1], 0.5)
    assert zero.get_config()["bias_initializer"]["class_name"] == "Constant"


def test_regularizers_add_losses_and_constraints_apply_after_updates():
    x = Input(shape=(5, 5, 2))
    layer = Convolution2D(3, 3, 3, W_regularizer=regularizers.l2(0.1),
                          b_regularizer=regularizers.l1(0.2),
                          activity_regularizer=regularizers.activity_l1(0.3),
                          W_constraint=constraints.maxnorm(0.01, axis=[0, 1, 2]),
                          b_constraint=constraints.nonneg())
    model = Model(x, layer(x))
    assert len(model.losses) == 3
    w = RNG.normal(size=(3, 3, 2, 3)).astype("float32")
    b = np.array([-1.0, 2.0, 3.0], "float32")
    layer.set_weights([w, b])
    data = RNG.normal(size=(2, 5, 5, 2)).astype("float32")
    out = model.predict(data)
    f = K.function([x], [sum(model.losses)])
    expected = 0.1 * np.sum(w ** 2) + 0.2 * np.sum(np.abs(b)) + 0.3 * np.sum(np.abs(out)) / 2
    np.testing.assert_allclose(f([data])[0], expected, rtol=1e-4)
    model.compile("sgd", "mse")
    model.train_on_batch(data, np.zeros_like(out))
    w_after, b_after = layer.get_weights()
    assert np.all(np.sqrt(np.sum(w_after ** 2, axis=(0, 1, 2))) <= 0.01 + 1e-6)
    assert np.all(b_after >= 0)


# ---------------------------------------------------------------- Deconvolution2D


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode,subsample", [("valid", (1, 1)), ("valid", (2, 2)),
                                            ("same", (1, 1)), ("full", (1, 1)),
                                            ("full", (2, 2))])
def test_deconvolution2d(mode, subsample, ordering):
    rows = conv_input_length(5, 3, mode, subsample[0])
    cols = conv_input_length(4, 3, mode, subsample[1])
    shape = (None, 2, rows, cols) if ordering == "th" else (None, rows, cols, 2)
    kwargs = {"nb_filter": 2, "nb_row": 3, "nb_col": 3, "output_shape": shape,
              "border_mode": mode, "subsample": subsample, "dim_ordering": ordering}
    data = RNG.normal(size=(2, 3, 5, 4))
    layer = Deconvolution2D(**kwargs)
    out = predict(layer, layout(data, ordering).astype("float32"))
    w, b = layer.get_weights()
    w_th = w if ordering == "th" else np.transpose(w, (3, 2, 0, 1))
    assert w_th.shape == (2, 3, 3, 3)                  # (nb_filter, stack_size, rows, cols)
    expected = ref.deconv(data.astype("float32").astype("float64"), w_th, (rows, cols), mode,
                          subsample) + b[:, None, None]
    np.testing.assert_allclose(out, layout(expected, ordering), rtol=1e-4, atol=1e-5)
    layer_test(Deconvolution2D, kwargs, input_shape=layout(data, ordering).shape,
               fixed_batch_size=True, gradient_probes=12)


def test_conv2d_transpose_computes_its_output_shape():
    layer = Conv2DTranspose(3, (3, 3), (2, 2), "valid", data_format="channels_last")
    x = Input(shape=(4, 5, 2))
    assert K.int_shape(layer(x)) == (None, 9, 11, 3)
    assert layer.get_config()["output_shape"] is None
    with pytest.raises(ValueError, match=r"dilation is not supported"):
        Conv2DTranspose(3, (3, 3), dilation_rate=2)


# ---------------------------------------------------------------- SeparableConvolution2D


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode,subsample,multiplier", [("valid", (1, 1), 1),
                                                       ("same", (1, 1), 2),
                                                       ("valid", (2, 2), 2)])
def test_separable_convolution2d(mode, subsample, multiplier, ordering):
    kwargs = {"nb_filter": 4, "nb_row": 3, "nb_col": 3, "border_mode": mode,
              "subsample": subsample, "depth_multiplier": multiplier,
              "dim_ordering": ordering}
    data = RNG.normal(size=(2, 3, 7, 6))
    layer = SeparableConvolution2D(**kwargs)
    out = predict(layer, layout(data, ordering).astype("float32"))
    depth, point, b = layer.get_weights()
    if ordering == "tf":
        depth, point = depth.transpose(3, 2, 0, 1), point.transpose(3, 2, 0, 1)
    assert depth.shape == (multiplier, 3, 3, 3) and point.shape == (4, 3 * multiplier, 1, 1)
    x64 = data.astype("float32").astype("float64")
    dw = np.concatenate([ref.conv(x64[:, c:c + 1], depth[:, c:c + 1], mode, subsample)
                         for c in range(3)], axis=1)
    expected = ref.conv(dw, point) + b[:, None, None]
    np.testing.assert_allclose(out, layout(expected, ordering), rtol=1e-4, atol=1e-5)
    layer_test(SeparableConvolution2D, {**kwargs, "depthwise_regularizer": "l2",
                                        "pointwise_regularizer": "l1",
                                        "pointwise_constraint": "unitnorm",
                                        "depthwise_constraint": "unitnorm"},
               input_shape=layout(data, ordering).shape, gradient_probes=12)


def test_separable_config_saves_the_pointwise_regularizer_it_was_given():
    config = SeparableConv2D(2, 3, 3, depthwise_regularizer="l2",
                             pointwise_regularizer="l1").get_config()
    assert config["depthwise_regularizer"]["l2"] > 0 and config["pointwise_regularizer"][
        "l1"] > 0
    assert config["depth_multiplier"] == 1
    with pytest.raises(ValueError, match=r"Invalid border mode for SeparableConvolution2D: "
                                         r"'full'"):
        SeparableConvolution2D(2, 3, 3, border_mode="full")


# ---------------------------------------------------------------- Convolution3D


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode,subsample", [("valid", (1, 1, 1)), ("same", (1, 1, 1)),
                                            ("full", (2, 1, 2)), ("valid", (2, 2, 2))])
def test_convolution3d(mode, subsample, ordering):
    kwargs = {"nb_filter": 2, "kernel_dim1": 2, "kernel_dim2": 3, "kernel_dim3": 1,
              "border_mode": mode, "subsample": subsample, "dim_ordering": ordering}
    data = RNG.normal(size=(2, 3, 4, 5, 3))
    layer = Convolution3D(**kwargs)
    out = predict(layer, layout(data, ordering).astype("float32"))
    w, b = layer.get_weights()
    w_th = w if ordering == "th" else np.transpose(w, (4, 3, 0, 1, 2))
    assert w_th.shape == (2, 3, 2, 3, 1)
    expected = ref.conv(data.astype("float32").astype("float64"), w_th, mode, subsample) + \
        b[:, None, None, None]
    np.testing.assert_allclose(out, layout(expected, ordering), rtol=1e-4, atol=1e-5)
    layer_test(Convolution3D, {**kwargs, "W_regularizer": "l2"},
               input_shape=layout(data, ordering).shape, gradient_probes=12)


def test_convolution3d_keras2_spelling():
    layer = Conv3D(2, (2, 2, 2), padding="same", data_format="channels_first")
    assert (layer.kernel_dim1, layer.dim_ordering, layer.border_mode) == (2, "th", "same")
    assert layer.compute_output_shape((None, 3, 4, 5, 6)) == (None, 2, 4, 5, 6)


# ---------------------------------------------------------------- errors


def test_errors_name_the_layer_and_the_argument():
    with pytest.raises(ValueError, match=r"Invalid border mode for Convolution2D: 'half' "
                                         r"\(expected one of 'valid', 'same', 'full'\)"):
        Convolution2D(2, 3, 3, border_mode="half")
    with pytest.raises(TypeError, match=r"Convolution2D: `border_mode` \(Keras 1\) and "
                                        r"`padding` \(Keras 2\) are the same argument"):
        Convolution2D(2, 3, 3, border_mode="same", padding="valid")
    with pytest.raises(ValueError, match=r"Convolution2D: dim_ordering must be 'th' or 'tf' "
                                         r"\(Keras 2: data_format"):
        Convolution2D(2, 3, 3, dim_ordering="nhwc")
    with pytest.raises(ValueError, match=r"Convolution2D: subsample must be a positive int or "
                                         r"2 positive ints, got \(0, 1\)"):
        Convolution2D(2, 3, 3, subsample=(0, 1))
    layer = Convolution2D(2, 3, 3, dim_ordering="th")
    with pytest.raises(ValueError, match=r"the channel axis \(axis 1 for dim_ordering='th'\) "
                                         r"of the input must be known"):
        layer(Input(batch_shape=(None, None, 5, 5)))
    with pytest.raises(TypeError, match=r"Convolution1D: keyword argument not understood: "
                                        r"'dim_ordering'"):
        Convolution1D(2, 3, dim_ordering="th")


def test_keras_122_module_exports():
    for name in ("MaxPooling2D", "AveragePooling1D", "UpSampling2D", "ZeroPadding3D",
                 "Cropping2D", "Conv2D", "Deconv2D", "AtrousConv1D", "SeparableConv2D"):
        assert hasattr(convolutional, name), name


def test_a_keras_122_json_convnet_loads():
    """The architecture JSON Keras 1.2.2 writes for a small convnet (its exact keys)."""
    import json

    from keras_front.models import model_from_json
    conv = {"b_constraint": None, "name": "convolution2d_1", "activity_regularizer": None,
            "trainable": True, "dim_ordering": "th", "nb_col": 3, "subsample": [1, 1],
            "init": "glorot_uniform", "bias": True, "nb_filter": 4, "input_dtype": "float32",
            "border_mode": "same", "batch_input_shape": [None, 1, 6, 6],
            "W_constraint": None, "activation": "relu", "b_regularizer": None,
            "W_regularizer": {"l2": 0.01, "name": "WeightRegularizer", "l1": 0.0},
            "nb_row": 3}
    pool = {"name": "maxpooling2d_1", "trainable": True, "dim_ordering": "th",
            "pool_size": [2, 2], "strides": [2, 2], "border_mode": "valid"}
    config = {"class_name": "Sequential", "config": [
        {"class_name": "Convolution2D", "config": conv},
        {"class_name": "MaxPooling2D", "config": pool},
        {"class_name": "Flatten", "config": {"name": "flatten_1", "trainable": True}}],
        "keras_version": "1.2.2"}
    model = model_from_json(json.dumps(config))
    assert model.output_shape == (None, 36)
    layer = model.layers[0]
    assert (layer.border_mode, layer.subsample, layer.dim_ordering) == ("same", (1, 1), "th")
    assert layer.W_regularizer is not None
    assert model.predict(RNG.normal(size=(2, 1, 6, 6)).astype("float32")).shape == (2, 36)
