"""keras_front/preprocessing/affine.py against per-channel scipy.ndimage calls (Keras
1.2.2's way) and plain NumPy slicing."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from keras_front.preprocessing import affine


def per_channel(x, matrix, channel_axis, fill_mode, cval):
    """Keras 1.2.2's apply_transform: one 2-d affine_transform per channel."""
    channels = np.moveaxis(x, channel_axis, 0)
    out = [ndi.affine_transform(c, matrix[:2, :2], matrix[:2, 2], order=0, mode=fill_mode,
                                cval=cval) for c in channels]
    return np.moveaxis(np.stack(out), 0, channel_axis)


@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
@pytest.mark.parametrize("channel_axis", [0, 2])
def test_apply_transform_equals_a_per_channel_loop(fill_mode, channel_axis):
    rng = np.random.RandomState(1)
    shape = [9, 7]
    shape.insert(channel_axis, 3)
    x = rng.rand(*shape).astype("float32")
    for _ in range(5):
        matrix = affine.rotation_matrix(rng.uniform(-1, 1)) @ affine.shear_matrix(
            rng.uniform(-0.4, 0.4)) @ affine.zoom_matrix(*rng.uniform(0.7, 1.3, 2))
        matrix = affine.transform_matrix_offset_center(matrix, 9, 7) @ affine.shift_matrix(
            *rng.uniform(-2, 2, 2))
        got = affine.apply_transform(x, matrix, channel_axis, fill_mode, cval=0.25)
        np.testing.assert_array_equal(got, per_channel(x, matrix, channel_axis, fill_mode,
                                                       0.25))


def test_an_integer_shift_moves_rows_and_fills_from_the_edge():
    x = np.arange(30, dtype="float32").reshape(1, 6, 5)
    got = affine.apply_transform(x, affine.shift_matrix(2, -1), channel_axis=0)
    want = np.empty_like(x)
    rows = np.clip(np.arange(6) + 2, 0, 5)
    cols = np.clip(np.arange(5) - 1, 0, 4)
    want[0] = x[0][rows][:, cols]
    np.testing.assert_array_equal(got, want)


def test_offset_center_keeps_the_identity_and_flips_reverse():
    x = np.random.RandomState(0).rand(4, 5, 3)
    same = affine.apply_transform(x, affine.transform_matrix_offset_center(np.eye(3), 4, 5), 2)
    np.testing.assert_array_equal(same, x)
    np.testing.assert_array_equal(affine.flip_axis(x, 1), x[:, ::-1, :])


def test_channel_shift_adds_per_channel_and_clips_to_the_image_range():
    x = np.array([[[0.0, 1.0]], [[0.5, 0.25]]])  # channels first: 2 channels of 1x2
    got = affine.channel_shift(x, [0.5, -0.5], channel_axis=0)
    np.testing.assert_array_equal(got, [[[0.5, 1.0]], [[0.0, 0.0]]])


def test_random_helpers_use_the_global_random_state_as_keras_does():
    x = np.random.RandomState(3).rand(3, 8, 8)
    np.random.seed(4)
    got = affine.random_rotation(x, 30)
    np.random.seed(4)
    theta = np.pi / 180 * np.random.uniform(-30, 30)
    matrix = affine.transform_matrix_offset_center(affine.rotation_matrix(theta), 8, 8)
    np.testing.assert_array_equal(got, per_channel(x, matrix, 0, "nearest", 0.0))
    np.random.seed(4)
    shifted = affine.random_shift(x, 0.2, 0.1)
    np.random.seed(4)
    tx, ty = np.random.uniform(-0.1, 0.1) * 8, np.random.uniform(-0.2, 0.2) * 8
    np.testing.assert_array_equal(shifted, per_channel(x, affine.shift_matrix(tx, ty), 0,
                                                       "nearest", 0.0))
    for fn, arg in ((affine.random_shear, 0.5), (affine.random_zoom, (0.8, 1.2)),
                    (affine.random_channel_shift, 0.1)):
        assert fn(x, arg).shape == x.shape
    with pytest.raises(ValueError, match="zoom_range should be a tuple or list of two"):
        affine.random_zoom(x, (1, 2, 3))
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        affine.check_fill_mode("edge", "ImageDataGenerator")


def test_composed_affine_is_the_product_of_the_four_matrices_about_the_centre():
    rng = np.random.RandomState(7)
    for _ in range(20):
        theta, tx, ty, shear = rng.uniform(-1, 1, 4) * [1, 5, 5, 0.5]
        zx, zy = rng.uniform(0.5, 1.5, 2)
        full = affine.transform_matrix_offset_center(
            affine.rotation_matrix(theta) @ affine.shift_matrix(tx, ty)
            @ affine.shear_matrix(shear) @ affine.zoom_matrix(zx, zy), 13, 9)
        matrix, offset = affine.composed_affine(theta, tx, ty, shear, zx, zy, 13, 9)
        np.testing.assert_allclose(matrix, full[:2, :2], rtol=0, atol=1e-12)
        np.testing.assert_allclose(offset, full[:2, 2], rtol=0, atol=1e-12)
