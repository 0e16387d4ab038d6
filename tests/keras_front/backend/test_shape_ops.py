"""K's shape manipulation (keras_front/backend/shape_ops.py) against NumPy."""

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K

RNG = np.random.default_rng(1)


def run(outputs, feeds):
    return K.function(list(feeds), outputs)(list(feeds.values()))


def ph_like(value, static=False):
    value = np.asarray(value)
    if static:
        return K.placeholder(shape=value.shape, dtype=value.dtype.name)
    return K.placeholder(ndim=value.ndim, dtype=value.dtype.name)


def test_concatenate_defaults_to_the_last_axis():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 4))
    pa, pb = ph_like(a), ph_like(b)
    (out,) = run([K.concatenate([pa, pb])], {pa: a, pb: b})
    np.testing.assert_array_equal(out, np.concatenate([a, b], axis=-1))


def test_reshape_permute_flatten():
    x = RNG.normal(size=(2, 3, 4))
    px = ph_like(x)
    r, p, f = run([K.reshape(px, (-1, 4)), K.permute_dimensions(px, (2, 0, 1)), K.flatten(px)],
                  {px: x})
    np.testing.assert_array_equal(r, x.reshape(-1, 4))
    np.testing.assert_array_equal(p, x.transpose(2, 0, 1))
    np.testing.assert_array_equal(f, x.ravel())


def test_batch_flatten_keeps_the_batch_axis_and_static_width():
    x = K.placeholder(shape=(None, 3, 4, 5))
    flat = K.batch_flatten(x)
    assert K.int_shape(flat) == (None, 60)
    value = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
    (out,) = run([flat], {x: value})
    np.testing.assert_array_equal(out, value.reshape(2, 60))
    y = K.placeholder(ndim=3)
    (out,) = run([K.batch_flatten(y)], {y: value[:, :, :, 0]})
    assert out.shape == (2, 12)


def test_repeat_is_repeat_vector():
    x = RNG.normal(size=(2, 3))
    px = ph_like(x)
    (out,) = run([K.repeat(px, 4)], {px: x})
    np.testing.assert_array_equal(out, np.repeat(x[:, None, :], 4, axis=1))
    with pytest.raises(ValueError, match="expected a 2-d tensor"):
        K.repeat(K.placeholder(ndim=3), 2)


def test_repeat_elements_tile_and_resize_images():
    x = RNG.normal(size=(1, 2, 3, 1))
    px = ph_like(x)
    rep, til, up_tf, up_th = run(
        [K.repeat_elements(px, 2, axis=2), K.tile(px, (1, 2, 1, 3)),
         K.resize_images(px, 2, 3, "tf"), K.resize_images(px, 2, 3, "th")], {px: x})
    np.testing.assert_array_equal(rep, np.repeat(x, 2, axis=2))
    np.testing.assert_array_equal(til, np.tile(x, (1, 2, 1, 3)))
    np.testing.assert_array_equal(up_tf, np.repeat(np.repeat(x, 2, axis=1), 3, axis=2))
    np.testing.assert_array_equal(up_th, np.repeat(np.repeat(x, 2, axis=2), 3, axis=3))
    with pytest.raises(TypeError, match="constant repetitions"):
        K.tile(px, K.shape(px))


@pytest.mark.parametrize("dim, expected", [(-1, (2, 3, 1)), (0, (1, 2, 3)), (1, (2, 1, 3)),
                                           (-2, (2, 1, 3))])
def test_expand_dims_and_squeeze(dim, expected):
    x = RNG.normal(size=(2, 3))
    px = ph_like(x)
    expanded = K.expand_dims(px, dim)
    (out, back) = run([expanded, K.squeeze(expanded, dim)], {px: x})
    assert out.shape == expected
    np.testing.assert_array_equal(back, x)


def test_stack_one_hot_reverse():
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    idx = np.array([[0, 2], [1, 0]], "int32")
    pa, pb, pi = ph_like(a), ph_like(b), ph_like(idx)
    st, oh, rv, rv2 = run([K.stack([pa, pb], axis=1), K.one_hot(pi, 3), K.reverse(pa, 1),
                           K.reverse(pa, [0, 1])], {pa: a, pb: b, pi: idx})
    np.testing.assert_array_equal(st, np.stack([a, b], axis=1))
    assert oh.dtype == np.float32
    np.testing.assert_array_equal(oh, np.eye(3)[idx])
    np.testing.assert_array_equal(rv, a[:, ::-1])
    np.testing.assert_array_equal(rv2, a[::-1, ::-1])


@pytest.mark.parametrize("padding, widths", [(1, (1, 1)), (2, (2, 2)), ((0, 3), (0, 3))])
def test_temporal_padding(padding, widths):
    x = RNG.normal(size=(2, 4, 3))
    px = ph_like(x)
    (out,) = run([K.temporal_padding(px, padding)], {px: x})
    np.testing.assert_array_equal(out, np.pad(x, [(0, 0), widths, (0, 0)]))
    (asym,) = run([K.asymmetric_temporal_padding(px, 2, 1)], {px: x})
    np.testing.assert_array_equal(asym, np.pad(x, [(0, 0), (2, 1), (0, 0)]))


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_spatial_2d_padding_symmetric_and_asymmetric(ordering):
    x = RNG.normal(size=(2, 3, 4, 5))
    px = ph_like(x)
    sym, asym, keras2 = run([K.spatial_2d_padding(px, (1, 2), dim_ordering=ordering),
                             K.asymmetric_spatial_2d_padding(px, 1, 0, 2, 3,
                                                             dim_ordering=ordering),
                             K.spatial_2d_padding(px, ((1, 0), (2, 3)), data_format=(
                                 "channels_first" if ordering == "th" else "channels_last"))],
                            {px: x})
    if ordering == "th":
        ref_sym = np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)])
        ref_asym = np.pad(x, [(0, 0), (0, 0), (1, 0), (2, 3)])
    else:
        ref_sym = np.pad(x, [(0, 0), (1, 1), (2, 2), (0, 0)])
        ref_asym = np.pad(x, [(0, 0), (1, 0), (2, 3), (0, 0)])
    np.testing.assert_array_equal(sym, ref_sym)
    np.testing.assert_array_equal(asym, ref_asym)
    np.testing.assert_array_equal(keras2, ref_asym)


def test_spatial_2d_padding_uses_the_global_ordering_and_keeps_static_shapes():
    saved = K.image_dim_ordering()
    try:
        K.set_image_dim_ordering("th")
        x = K.placeholder(shape=(None, 3, 8, 8))
        assert K.int_shape(K.spatial_2d_padding(x)) == (None, 3, 10, 10)
    finally:
        K.set_image_dim_ordering(saved)
    with pytest.raises(ValueError, match="expected a 4-d tensor"):
        K.spatial_2d_padding(K.placeholder(ndim=3))


def test_spatial_3d_padding():
    x = RNG.normal(size=(1, 2, 3, 4, 2))
    px = ph_like(x)
    (out,) = run([K.spatial_3d_padding(px, (1, 0, 2), dim_ordering="tf")], {px: x})
    np.testing.assert_array_equal(out, np.pad(x, [(0, 0), (1, 1), (0, 0), (2, 2), (0, 0)]))


def test_padding_passes_gradients_back_to_the_input():
    x = RNG.normal(size=(2, 3, 2))
    sg.verify_grad(lambda v: K.temporal_padding(v, (1, 2)), [x])
