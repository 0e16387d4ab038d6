"""NumPy helpers (keras_front/utils/np_utils.py)."""

import numpy as np
import pytest

from keras_front.utils import np_utils, to_categorical


def test_to_categorical_one_hot_rows():
    y = np.array([0, 2, 1, 2])
    out = to_categorical(y)
    np.testing.assert_array_equal(out, np.eye(3)[y])
    assert out.dtype == np.float32


def test_to_categorical_both_spellings_of_the_class_count():
    y = [1, 0]
    np.testing.assert_array_equal(np_utils.to_categorical(y, num_classes=4), np.eye(4)[y])
    np.testing.assert_array_equal(np_utils.to_categorical(y, nb_classes=4), np.eye(4)[y])
    np.testing.assert_array_equal(np_utils.to_categorical(y, 4), np.eye(4)[y])
    with pytest.raises(ValueError, match="num_classes=3 and nb_classes=4 disagree"):
        to_categorical(y, num_classes=3, nb_classes=4)


def test_to_categorical_shapes():
    assert to_categorical(np.array([[1], [0], [2]])).shape == (3, 3)  # (n, 1) -> (n, classes)
    seq = np.array([[0, 1, 2], [2, 2, 0]])
    out = to_categorical(seq, 3)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.argmax(-1), seq)
    assert to_categorical([1.0, 0.0], dtype="float64").dtype == np.float64


def test_to_categorical_rejects_bad_labels():
    with pytest.raises(ValueError, match="label 5 is out of range for 3 classes"):
        to_categorical([0, 5], 3)
    with pytest.raises(ValueError, match="labels must be >= 0"):
        to_categorical([-1, 0])
    with pytest.raises(ValueError, match="whole numbers"):
        to_categorical([0.5, 1])


def test_normalize():
    a = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(np_utils.normalize(a), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(np_utils.normalize(a, axis=0, order=1), [[1.0, 1.0], [0, 0]])


def test_probas_to_classes():
    np.testing.assert_array_equal(np_utils.probas_to_classes([[0.2, 0.8], [0.9, 0.1]]), [1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes([[0.7], [0.2]]), [1, 0])


@pytest.mark.parametrize("mode, stride, dilation, expected", [
    ("valid", 1, 1, 8), ("same", 1, 1, 10), ("full", 1, 1, 12), ("valid", 2, 1, 4),
    ("same", 3, 1, 4), ("valid", 1, 2, 6)])
def test_conv_output_length(mode, stride, dilation, expected):
    assert np_utils.conv_output_length(10, 3, mode, stride, dilation) == expected
    assert np_utils.conv_output_length(None, 3, mode, stride) is None


def test_conv_input_length_inverts_output_length():
    for mode in ("valid", "same", "full"):
        out = np_utils.conv_output_length(9, 3, mode, 2)
        assert np_utils.conv_output_length(
            np_utils.conv_input_length(out, 3, mode, 2), 3, mode, 2) == out
    with pytest.raises(ValueError, match="Invalid border mode: 'causal'"):
        np_utils.conv_output_length(5, 3, "causal", 1)


def test_convert_kernel_flips_the_spatial_axes():
    k = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)
    np.testing.assert_array_equal(np_utils.convert_kernel(k, "th"), k[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(np_utils.convert_kernel(k, "tf"), k[::-1, ::-1])


def test_kernels_need_a_flip_only_between_convolving_and_correlating_backends():
    assert np_utils.kernels_need_flip("tensorflow") and np_utils.kernels_need_flip("cntk")
    assert not np_utils.kernels_need_flip("theano")
    # unknown or unsaid backends: no flip, as Keras
    assert not np_utils.kernels_need_flip(None) and not np_utils.kernels_need_flip("mxnet")


def test_flip_kernel_reverses_the_given_axes_and_copies():
    kernel = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    flipped = np_utils.flip_kernel(kernel, spatial_axes=(2, 3))
    np.testing.assert_array_equal(flipped, kernel[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(np_utils.flip_kernel(flipped, (2, 3)), kernel)
    np.testing.assert_array_equal(np_utils.flip_kernel(kernel, (0,)), kernel[::-1])
    flipped[0, 0, 0, 0] = -1
    assert kernel[0, 0, 3, 4] == 19  # a copy, not a view
