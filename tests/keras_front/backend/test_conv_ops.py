"""K's convolutions, pooling and resizing (keras_front/backend/conv_ops.py) against the
direct-loop NumPy references of tests/keras_front/conv_reference.py: every border mode,
both orderings, strides and dilations; gradients against finite differences; static
shapes; errors by message."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K
from tests.keras_front import conv_reference as ref

RNG = np.random.default_rng(3)
MODES = ["valid", "same", "full"]


def run(outputs, feeds):
    return K.function(list(feeds), outputs)(list(feeds.values()))


def layout(x, ordering):
    return ref.to_tf(x) if ordering == "tf" else x


def kernel_layout(w, ordering):
    return ref.kernel_to_tf(w) if ordering == "tf" else w


def close(got, expected, atol=1e-10):
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=atol)


# ---------------------------------------------------------------- conv2d / conv3d


CONV2D_CASES = [  # input (n, c, h, w), kernel (o, c, kh, kw), strides, dilation
    ((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), (1, 1)),
    ((2, 2, 7, 8), (3, 2, 2, 2), (1, 1), (1, 1)),     # even kernel: 'same' crops
    ((1, 2, 9, 8), (2, 2, 3, 2), (2, 3), (1, 1)),
    ((1, 2, 9, 9), (2, 2, 2, 3), (2, 2), (1, 1)),
    ((2, 1, 9, 10), (2, 1, 3, 2), (1, 1), (2, 3)),    # dilated
]


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CONV2D_CASES, ids=str)
def test_conv2d_matches_the_direct_loop(case, mode, ordering):
    xs, ws, strides, dilation = case
    x, w = RNG.normal(size=xs), RNG.normal(size=ws)
    px = K.placeholder(ndim=4, dtype="float64")
    kw = K.variable(kernel_layout(w, ordering), dtype="float64")
    y = K.conv2d(px, kw, strides=strides, border_mode=mode, dim_ordering=ordering,
                 filter_dilation=dilation)
    (got,) = run([y], {px: layout(x, ordering)})
    expected = ref.conv(x, w, mode, strides, dilation)
    close(got, layout(expected, ordering))
    # the static shape, for a placeholder of known shape
    static = K.placeholder(shape=layout(x, ordering).shape, dtype="float64")
    assert K.int_shape(K.conv2d(static, kw, strides, mode, ordering,
                                filter_dilation=dilation)) == got.shape


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode", MODES)
def test_conv3d_matches_the_direct_loop(mode, ordering):
    x, w = RNG.normal(size=(2, 2, 5, 4, 6)), RNG.normal(size=(3, 2, 2, 3, 1))
    for strides in [(1, 1, 1), (2, 1, 2)]:
        px = K.placeholder(shape=layout(x, ordering).shape, dtype="float64")
        kw = K.variable(kernel_layout(w, ordering), dtype="float64")
        y = K.conv3d(px, kw, strides=strides, border_mode=mode, dim_ordering=ordering)
        (got,) = run([y], {px: layout(x, ordering)})
        close(got, layout(ref.conv(x, w, mode, strides), ordering))
        assert K.int_shape(y) == got.shape


def test_conv3d_dilation_and_keras2_keywords():
    x, w = RNG.normal(size=(1, 1, 6, 5, 5)), RNG.normal(size=(2, 1, 2, 2, 2))
    px = K.placeholder(ndim=5, dtype="float64")
    y = K.conv3d(px, K.variable(w, dtype="float64"), padding="same",
                 data_format="channels_first", dilation_rate=(2, 1, 2))
    (got,) = run([y], {px: x})
    close(got, ref.conv(x, w, "same", dilation=(2, 1, 2)))


def test_conv1d_takes_length_in_out_kernels_and_convolves():
    x, w = RNG.normal(size=(2, 9, 3)), RNG.normal(size=(3, 3, 4))  # (length, in, out)
    px = K.placeholder(ndim=3, dtype="float64")
    for mode, stride in [("valid", 1), ("same", 1), ("full", 2), ("valid", 3)]:
        (got,) = run([K.conv1d(px, K.variable(w, dtype="float64"), stride, mode)], {px: x})
        th = ref.conv(x.transpose(0, 2, 1)[..., None], w.transpose(2, 1, 0)[..., None],
                      mode, (stride, 1))[..., 0]
        close(got, th.transpose(0, 2, 1))


def test_conv2d_is_a_true_convolution_and_convert_kernel_makes_it_a_correlation():
    """Theano's convention: the kernel is flipped. A correlation with the flipped kernel
    (convert_kernel) gives the same result, as Keras's backend test checks."""
    from keras_front.utils.np_utils import convert_kernel
    x, w = RNG.normal(size=(1, 2, 5, 5)), RNG.normal(size=(2, 2, 3, 3))
    px = K.placeholder(ndim=4, dtype="float64")
    (got,) = run([K.conv2d(px, K.variable(w, dtype="float64"), dim_ordering="th")], {px: x})
    close(got, ref.conv(x, w, flip=True))
    close(got, ref.conv(x, convert_kernel(w, "th"), flip=False))
    assert not np.allclose(got, ref.conv(x, w, flip=False))


def test_atrous_conv2d_is_a_dilated_conv2d():
    x, w = RNG.normal(size=(1, 6, 7, 2)), RNG.normal(size=(3, 3, 2, 2))
    px = K.placeholder(ndim=4, dtype="float64")
    (got,) = run([K.atrous_conv2d(px, K.variable(w, dtype="float64"), rate=2,
                                  border_mode="same", dim_ordering="tf")], {px: x})
    close(got, ref.to_tf(ref.conv(ref.from_tf(x), np.transpose(w, (3, 2, 0, 1)), "same",
                                  dilation=(2, 2))))


def test_image_shape_and_filter_shape_hints_are_checked():
    px = K.placeholder(ndim=4)
    kw = K.variable(np.zeros((3, 3, 2, 4)))
    y = K.conv2d(px, kw, dim_ordering="tf", image_shape=(None, 5, 5, 2),
                 filter_shape=(3, 3, 2, 4))
    assert K.int_shape(y) == (None, 3, 3, 4)
    f = K.function([px], [y])
    with pytest.raises(ValueError, match=r"input has shape \(1, 2, 6, 6\) but the input "
                                         r"shape given to conv2d is \(None, 2, 5, 5\)"):
        f([np.zeros((1, 6, 6, 2), "float32")])


# ---------------------------------------------------------------- deconv / separable


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode,strides", [("valid", (1, 1)), ("valid", (2, 2)),
                                          ("same", (1, 1)), ("full", (1, 1)),
                                          ("full", (2, 3))])
def test_deconv2d_matches_the_scatter_reference(mode, strides, ordering):
    from keras_front.utils.np_utils import conv_input_length
    n, stack, nb_filter, h, wd = 2, 3, 2, 4, 5
    x = RNG.normal(size=(n, stack, h, wd))
    w = RNG.normal(size=(nb_filter, stack, 3, 3))     # Deconvolution2D's 'th' kernel
    out = (conv_input_length(h, 3, mode, strides[0]), conv_input_length(wd, 3, mode,
                                                                      strides[1]))
    shape = (None, nb_filter, *out) if ordering == "th" else (None, *out, nb_filter)
    px = K.placeholder(ndim=4, dtype="float64")
    y = K.deconv2d(px, K.variable(kernel_layout(w, ordering), dtype="float64"), shape,
                   strides=strides, border_mode=mode, dim_ordering=ordering)
    (got,) = run([y], {px: layout(x, ordering)})
    close(got, layout(ref.deconv(x, w, out, mode, strides), ordering))


def test_deconv2d_is_the_adjoint_of_conv2d():
    """<deconv(y), z> = <y, conv(z)> for the kernel read the other way round."""
    y, z = RNG.normal(size=(2, 3, 4, 4)), RNG.normal(size=(2, 2, 9, 9))
    w = RNG.normal(size=(2, 3, 3, 3))   # (nb_filter, stack, r, c)
    py, pz = K.placeholder(ndim=4, dtype="float64"), K.placeholder(ndim=4, dtype="float64")
    kw = K.variable(w, dtype="float64")
    kt = K.variable(w.transpose(1, 0, 2, 3), dtype="float64")
    d, c = run([K.deconv2d(py, kw, (2, 2, 9, 9), (2, 2), dim_ordering="th"),
                K.conv2d(pz, kt, (2, 2), dim_ordering="th")], {py: y, pz: z})
    close(np.sum(d * z), np.sum(y * c), atol=1e-9)


def test_deconv2d_with_an_impossible_output_shape_names_the_shapes():
    px = K.placeholder(ndim=4)
    y = K.deconv2d(px, K.variable(np.zeros((2, 3, 3, 3))), (None, 2, 9, 9),
                   dim_ordering="th")
    with pytest.raises(ValueError, match=r"output gradient of shape \(1, 3, 4, 4\) does not "
                                         r"match the convolution of input \(1, 2, 9, 9\)"):
        K.function([px], [y])([np.zeros((1, 3, 4, 4), "float32")])


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode,strides,multiplier", [("valid", (1, 1), 1),
                                                     ("same", (1, 1), 2),
                                                     ("valid", (2, 2), 2)])
def test_separable_conv2d_is_depthwise_then_pointwise(mode, strides, multiplier, ordering):
    c, nb_filter = 3, 4
    x = RNG.normal(size=(2, c, 7, 6))
    depth = RNG.normal(size=(multiplier, c, 3, 2))          # 'th' depthwise layout
    point = RNG.normal(size=(nb_filter, c * multiplier, 1, 1))
    # reference: channel ch's m-th kernel makes depthwise channel ch * multiplier + m
    dw = np.concatenate([ref.conv(x[:, ch:ch + 1], depth[:, ch:ch + 1], mode, strides)
                         for ch in range(c)], axis=1)
    expected = ref.conv(dw, point)
    if ordering == "th":
        dk, pk = depth, point
    else:
        dk, pk = depth.transpose(2, 3, 1, 0), ref.kernel_to_tf(point)
    px = K.placeholder(ndim=4, dtype="float64")
    y = K.separable_conv2d(px, K.variable(dk, dtype="float64"), K.variable(pk, "float64"),
                           strides, mode, ordering)
    (got,) = run([y], {px: layout(x, ordering)})
    close(got, layout(expected, ordering))


# ---------------------------------------------------------------- pooling


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode", ["valid", "same"])
@pytest.mark.parametrize("how", ["max", "avg"])
def test_pool2d_matches_the_window_loop(how, mode, ordering):
    x = RNG.normal(size=(2, 3, 11, 12))
    px = K.placeholder(ndim=4, dtype="float64")
    for ws, strides in itertools.product([(2, 2), (3, 3), (4, 4), (5, 5), (2, 3)],
                                         [(1, 1), (2, 2), (3, 2)]):
        (got,) = run([K.pool2d(px, ws, strides, mode, ordering, how)],
                     {px: layout(x, ordering)})
        close(got, layout(ref.pool(x, ws, strides, mode, how), ordering))


@pytest.mark.parametrize("ordering", ["th", "tf"])
@pytest.mark.parametrize("mode", ["valid", "same"])
@pytest.mark.parametrize("how", ["max", "avg"])
def test_pool3d_matches_the_window_loop(how, mode, ordering):
    x = RNG.normal(size=(2, 2, 5, 6, 7))
    px = K.placeholder(shape=layout(x, ordering).shape, dtype="float64")
    for ws, strides in [((2, 2, 2), (2, 2, 2)), ((3, 2, 3), (1, 2, 2)),
                        ((1, 3, 2), (1, 1, 3))]:
        y = K.pool3d(px, ws, strides, mode, ordering, how)
        (got,) = run([y], {px: layout(x, ordering)})
        close(got, layout(ref.pool(x, ws, strides, mode, how), ordering))
        assert K.int_shape(y) == got.shape


def test_pool2d_keras2_keywords_and_errors():
    x = RNG.normal(size=(1, 6, 6, 2))
    px = K.placeholder(ndim=4, dtype="float64")
    (got,) = run([K.pool2d(px, (2, 2), (2, 2), padding="same", data_format="channels_last",
                           pool_mode="avg")], {px: x})
    close(got, ref.to_tf(ref.pool(ref.from_tf(x), (2, 2), (2, 2), "same", "avg")))
    with pytest.raises(ValueError, match=r"pool2d: pool_mode must be 'max' or 'avg', got "
                                         r"'sum'"):
        K.pool2d(px, (2, 2), pool_mode="sum")
    with pytest.raises(ValueError, match=r"pool2d: border_mode must be one of 'valid', "
                                         r"'same', got 'full'"):
        K.pool2d(px, (2, 2), border_mode="full")
    with pytest.raises(TypeError, match=r"give border_mode or its Keras 2 name padding, not "
                                        r"both"):
        K.pool2d(px, (2, 2), border_mode="same", padding="valid")


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_conv_and_pool_gradients_match_finite_differences(ordering):
    x0, w0 = RNG.normal(size=(1, 2, 5, 6)), RNG.normal(size=(2, 2, 2, 3))

    def graph(x, w):
        y = K.conv2d(x, w, (1, 2), "same", ordering, filter_dilation=(1, 1))
        return K.pool2d(K.relu(y) + y, (2, 2), (1, 1), "same", ordering, "max")

    sg.verify_grad(graph, [layout(x0, ordering), kernel_layout(w0, ordering)])
    sg.verify_grad(lambda x: K.pool3d(x, (2, 2, 2), (1, 1, 1), "same", ordering, "avg"),
                   [RNG.normal(size=(1, 3, 3, 4, 2))])


def test_deconv_and_separable_gradients_match_finite_differences():
    y0, w0 = RNG.normal(size=(1, 2, 3, 3)), RNG.normal(size=(3, 2, 3, 3))
    sg.verify_grad(lambda y, w: K.deconv2d(y, w, (1, 3, 7, 7), (2, 2), dim_ordering="th"),
                   [y0, w0])
    # the depthwise kernel's shape must be static (it sets the number of groups): the
    # kernels' gradients are checked through SeparableConvolution2D's weights
    x0 = RNG.normal(size=(1, 5, 4, 2))
    d, p = K.constant(RNG.normal(size=(2, 2, 2, 2))), K.constant(RNG.normal(size=(1, 1, 4, 3)))
    sg.verify_grad(lambda x: K.separable_conv2d(x, d, p, (1, 1), "same", "tf"), [x0])


# ---------------------------------------------------------------- resizing


@pytest.mark.parametrize("ordering", ["th", "tf"])
def test_resize_images_and_volumes_repeat(ordering):
    x4, x5 = RNG.normal(size=(2, 3, 4, 5)), RNG.normal(size=(1, 2, 3, 2, 4))
    p4, p5 = K.placeholder(ndim=4), K.placeholder(ndim=5)
    a, b = run([K.resize_images(p4, 2, 3, ordering), K.resize_volumes(p5, 3, 1, 2, ordering)],
               {p4: layout(x4, ordering).astype("float32"),
                p5: layout(x5, ordering).astype("float32")})
    first = 1 if ordering == "tf" else 2
    e4 = np.repeat(np.repeat(layout(x4, ordering), 2, first), 3, first + 1)
    e5 = layout(x5, ordering)
    for axis, factor in zip(range(first, first + 3), (3, 1, 2), strict=True):
        e5 = np.repeat(e5, factor, axis)
    np.testing.assert_allclose(a, e4, rtol=1e-6)
    np.testing.assert_allclose(b, e5, rtol=1e-6)


# ---------------------------------------------------------------- errors


def test_errors_name_the_function_and_the_layout():
    x4, x3 = K.placeholder(ndim=4), K.placeholder(ndim=3)
    k4 = K.variable(np.zeros((3, 3, 2, 4)))
    with pytest.raises(ValueError, match=r"conv2d: input must be 4-d \(batch, rows, cols, "
                                         r"channels\), got f32\[\?,\?,\?\]"):
        K.conv2d(x3, k4, dim_ordering="tf")
    with pytest.raises(ValueError, match=r"conv2d: border_mode must be one of 'valid', "
                                         r"'same', 'full', got 'half'"):
        K.conv2d(x4, k4, border_mode="half")
    with pytest.raises(ValueError, match=r"Unknown dim_ordering: 'nchw'"):
        K.conv2d(x4, k4, dim_ordering="nchw")
    with pytest.raises(ValueError, match=r"conv2d: strides must be an int or 2 ints, got "
                                         r"\(1, 1, 1\)"):
        K.conv2d(x4, k4, strides=(1, 1, 1))
    with pytest.raises(ValueError, match=r"conv2d: input f32\[\?,3,5,5\] has 3 channels but "
                                         r"filters"):
        K.conv2d(K.placeholder(shape=(None, 5, 5, 3)), k4, dim_ordering="tf")
    with pytest.raises(ValueError, match=r"deconv2d: output_shape must give the rows and cols"):
        K.deconv2d(x4, k4, (None, 4, None, 5), dim_ordering="th")
