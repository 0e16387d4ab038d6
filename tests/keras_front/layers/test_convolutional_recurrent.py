"""ConvLSTM2D (keras_front/layers/convolutional_recurrent.py) against an LSTM written in
NumPy here with a direct-loop (true, kernel-flipping) convolution; both orderings."""

import numpy as np
import pytest

from keras_front.layers import ConvLSTM2D
from keras_front.models import Sequential
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(0)


def conv(x, w, same):
    """(n, c, h, w) * (f, c, kh, kw), true convolution, stride 1, 'same' or 'valid'."""
    f, _, kh, kw = w.shape
    if same:
        x = np.pad(x, ((0, 0), (0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    n, _, h, wd = x.shape
    out = np.zeros((n, f, h - kh + 1, wd - kw + 1))
    flipped = w[:, :, ::-1, ::-1]
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            patch = x[:, :, i:i + kh, j:j + kw]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, flipped)
    return out


def hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0, 1)


def numpy_conv_lstm(x, weights, same):
    """x (n, t, c, h, w) 'th'; weights W_g, U_g, b_g in Keras order i, c, f, o."""
    w = {g: weights[3 * k:3 * k + 3] for k, g in enumerate("icfo")}
    h = c = None
    outs = []
    for t in range(x.shape[1]):
        pre = {g: conv(x[:, t], w[g][0], same) + w[g][2][None, :, None, None] for g in "icfo"}
        if h is None:
            h = c = np.zeros_like(pre["i"])
        for g in "icfo":
            pre[g] = pre[g] + conv(h, w[g][1], True)
        c = hard_sigmoid(pre["f"]) * c + hard_sigmoid(pre["i"]) * np.tanh(pre["c"])
        h = hard_sigmoid(pre["o"]) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1)


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("border", ["same", "valid"])
def test_outputs_match_numpy(ordering, border):
    x = RNG.standard_normal((2, 3, 2, 5, 6)).astype("float32")  # 'th'
    feed = x if ordering == "th" else x.transpose(0, 1, 3, 4, 2)
    model = Sequential([ConvLSTM2D(3, 3, 3, border_mode=border, dim_ordering=ordering,
                                   return_sequences=True, input_shape=feed.shape[1:])])
    weights = model.get_weights()
    if ordering == "tf":  # kernels (rows, cols, in, out) -> (out, in, rows, cols)
        weights = [w.transpose(3, 2, 0, 1) if w.ndim == 4 else w for w in weights]
    expected = numpy_conv_lstm(x.astype(float), weights, border == "same")
    got = model.predict(feed)
    if ordering == "tf":
        got = got.transpose(0, 1, 4, 2, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_layer_test_stateful_and_dropout():
    out = layer_test(ConvLSTM2D, {"nb_filter": 2, "nb_row": 3, "nb_col": 3,
                                  "border_mode": "same", "dim_ordering": "tf"},
                     input_shape=(2, 3, 4, 4, 1))
    assert out.shape == (2, 4, 4, 2)
    layer_test(ConvLSTM2D, {"nb_filter": 2, "nb_row": 2, "nb_col": 2, "dim_ordering": "th",
                            "dropout_W": 0.2, "dropout_U": 0.2, "return_sequences": True},
               input_shape=(2, 3, 1, 4, 4))
    x = RNG.standard_normal((2, 3, 4, 4, 1)).astype("float32")
    model = Sequential([ConvLSTM2D(2, 3, 3, border_mode="same", dim_ordering="tf",
                                   stateful=True, batch_input_shape=x.shape)])
    first = model.predict(x)
    assert not np.allclose(first, model.predict(x))
    model.reset_states()
    np.testing.assert_allclose(model.predict(x), first, rtol=1e-6)


def test_config_keras_2_spellings_and_errors():
    layer = ConvLSTM2D(filters=4, kernel_size=3, padding="same", data_format="channels_last")
    config = layer.get_config()
    assert (config["nb_filter"], config["nb_row"], config["nb_col"]) == (4, 3, 3)
    assert config["border_mode"] == "same" and config["dim_ordering"] == "tf"
    assert "output_dim" not in config and ConvLSTM2D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="border_mode must be 'valid' or 'same'"):
        ConvLSTM2D(2, 3, 3, border_mode="full")
    with pytest.raises(TypeError, match="needs nb_filter, nb_row and nb_col"):
        ConvLSTM2D(2)
