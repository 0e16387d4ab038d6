"""keras_front/preprocessing/image.py: ImageDataGenerator's statistics against NumPy and
an SVD written here, and its augmentation against Keras 1.2.2's formulas."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from keras_front.preprocessing.image import ImageDataGenerator

from .test_affine import per_channel


def _images(n=40, shape=(6, 5, 3), seed=0):
    return np.random.RandomState(seed).rand(n, *shape).astype("float32") * 255


def test_featurewise_statistics_are_per_channel_over_the_dataset():
    x = _images()
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True,
                             dim_ordering="tf")
    gen.fit(x)
    np.testing.assert_allclose(gen.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(gen.std.ravel(), (x - gen.mean).std(axis=(0, 1, 2)), rtol=1e-4)
    out = np.stack([gen.standardize(img) for img in x])
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, rtol=1e-4)
    th = ImageDataGenerator(featurewise_center=True, dim_ordering="th")
    th.fit(x.transpose(0, 3, 1, 2))
    assert th.mean.shape == (3, 1, 1)
    np.testing.assert_allclose(th.mean.ravel(), gen.mean.ravel(), rtol=1e-5)


def test_zca_whitening_matches_an_svd_and_whitens():
    rng = np.random.RandomState(1)
    mix = np.eye(12) + 0.3 * rng.randn(12, 12)  # correlated, well conditioned for float32
    x = (rng.randn(500, 12) @ mix).reshape(500, 2, 2, 3).astype("float64")
    gen = ImageDataGenerator(featurewise_center=True, zca_whitening=True, dim_ordering="tf")
    gen.fit(x)
    flat = (x - x.mean(axis=(0, 1, 2))).reshape(500, -1)
    u, s, _ = np.linalg.svd(flat.T @ flat / 500)
    expected = u @ np.diag(1 / np.sqrt(s + 1e-6)) @ u.T
    np.testing.assert_allclose(gen.principal_components, expected, rtol=1e-3, atol=1e-4)
    white = np.stack([gen.standardize(img.astype("float32")) for img in x]).reshape(500, -1)
    # Keras centres per channel, so it is the second moment that becomes the identity.
    np.testing.assert_allclose(white.T @ white / 500, np.eye(12), atol=1e-3)


def test_samplewise_normalization_rescale_and_preprocessing_function_order():
    calls = []
    def pre(img):
        calls.append(img.copy())
        return img + 1
    gen = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True,
                             rescale=0.5, preprocessing_function=pre, dim_ordering="tf")
    x = _images(1)[0]
    out = gen.standardize(x)
    np.testing.assert_array_equal(calls[0], x)  # preprocessing_function first of all
    want = (x + 1) * 0.5
    want = want - want.mean()
    want = want / (want.std() + 1e-7)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32


def test_unfitted_featurewise_options_warn():
    for option in ("featurewise_center", "featurewise_std_normalization", "zca_whitening"):
        gen = ImageDataGenerator(**{option: True})
        with pytest.warns(UserWarning, match=f"{option}`, but it hasn't been fit"):
            gen.standardize(_images(1)[0])


def _keras122_transform(x, gen, rng):
    """Keras 1.2.2's random_transform for a 'tf' image, drawing from rng."""
    theta = np.pi / 180 * rng.uniform(-gen.rotation_range, gen.rotation_range)
    tx = rng.uniform(-gen.height_shift_range, gen.height_shift_range) * x.shape[0]
    ty = rng.uniform(-gen.width_shift_range, gen.width_shift_range) * x.shape[1]
    shear = rng.uniform(-gen.shear_range, gen.shear_range)
    zx, zy = rng.uniform(gen.zoom_range[0], gen.zoom_range[1], 2)
    rot = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0],
                    [0, 0, 1]])
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    shr = np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
    zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    m = rot @ shift @ shr @ zoom
    ox, oy = x.shape[0] / 2 + 0.5, x.shape[1] / 2 + 0.5
    m = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]]) @ m @ np.array(
        [[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    x = per_channel(x, m, 2, gen.fill_mode, gen.cval)
    lo, hi = x.min(), x.max()
    x = np.stack([np.clip(x[..., c] + rng.uniform(-gen.channel_shift_range,
                                                  gen.channel_shift_range), lo, hi)
                  for c in range(x.shape[2])], axis=2)
    if rng.random_sample() < 0.5:
        x = x[:, ::-1]
    if rng.random_sample() < 0.5:
        x = x[::-1]
    return x


ALL_ON = dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.15,
              shear_range=0.4, zoom_range=0.3, channel_shift_range=20.0, fill_mode="constant",
              cval=7.0, horizontal_flip=True, vertical_flip=True, dim_ordering="tf")


def test_random_transform_is_keras122s_for_the_same_random_draws():
    gen = ImageDataGenerator(**ALL_ON)
    x = _images(1, (11, 9, 3))[0]
    for seed in range(6):
        got = gen.random_transform(x, seed=seed)
        want = _keras122_transform(x, gen, np.random.RandomState(seed))
        np.testing.assert_allclose(got, want, rtol=1e-6)
    np.random.seed(3)
    global_draw = gen.random_transform(x)
    np.testing.assert_allclose(global_draw, gen.random_transform(x, seed=3), rtol=1e-6)


def test_no_augmentation_leaves_the_image_alone():
    x = _images(1)[0]
    np.testing.assert_array_equal(ImageDataGenerator().random_transform(x), x)


def test_fit_with_augmentation_is_repeatable_with_a_seed():
    x = _images(10)
    stats = []
    for _ in range(2):
        gen = ImageDataGenerator(featurewise_center=True, rotation_range=30, dim_ordering="tf")
        gen.fit(x, augment=True, rounds=3, seed=11)
        stats.append(gen.mean)
    np.testing.assert_array_equal(stats[0], stats[1])
    assert not np.allclose(stats[0].ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-7)


def test_bad_arguments_and_data_are_named():
    gen = ImageDataGenerator(featurewise_center=True, dim_ordering="tf")
    with pytest.raises(ValueError, match=r"fit: x: expected a rank-4 array.*\(3, 10, 10\)"):
        gen.fit(np.zeros((3, 10, 10)))
    with pytest.raises(ValueError, match=r"channels are on axis 3.*\(32, 10, 10, 5\)"):
        gen.fit(np.zeros((32, 10, 10, 5)))
    with pytest.raises(ValueError, match="zoom_range should be a float or a tuple"):
        ImageDataGenerator(zoom_range=(0.5, 1, 2))
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        ImageDataGenerator(fill_mode="edge")
    with pytest.raises(ValueError, match="Unknown dim_ordering: 'xy'"):
        ImageDataGenerator(dim_ordering="xy")
    assert ImageDataGenerator(data_format="channels_first").dim_ordering == "th"


def test_a_subclass_overriding_random_transform_is_used_by_flow():
    class Negate(ImageDataGenerator):
        def random_transform(self, x, seed=None):
            return -x
    x = _images(4)
    batch = next(Negate(dim_ordering="tf").flow(x, shuffle=False))
    np.testing.assert_array_equal(batch, -x)
    assert ndi is not None
