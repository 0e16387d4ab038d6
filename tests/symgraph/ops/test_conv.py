"""conv2d (symgraph/ops/conv.py): values against a nested-loop NumPy reference for every
border mode / stride / dilation / flip combination and against scipy.signal for one
channel; dtypes; static shapes; first and second derivatives against finite differences;
errors by message."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.signal

import symgraph as sg
from symgraph.graph import free_inputs
from symgraph.ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights
from tests.helpers import assert_close, check_grad, check_op, compile_and_run

nn = sg.nnet
RNG = np.random.default_rng(0)


def reference_conv2d(x, w, border_mode="valid", subsample=(1, 1), filter_flip=True,
                     filter_dilation=(1, 1)):
    """Theano's conv2d written out: zero-pad, then one sum of products per output value."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ext = ((kh - 1) * filter_dilation[0] + 1, (kw - 1) * filter_dilation[1] + 1)
    if border_mode == "valid":
        pads = (0, 0)
    elif border_mode == "full":
        pads = (ext[0] - 1, ext[1] - 1)
    elif border_mode == "half":
        pads = (ext[0] // 2, ext[1] // 2)
    elif isinstance(border_mode, int):
        pads = (border_mode, border_mode)
    else:
        pads = border_mode
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[0]), (pads[1], pads[1])))
    oh = (h + 2 * pads[0] - ext[0]) // subsample[0] + 1
    ow = (wd + 2 * pads[1] - ext[1]) // subsample[1] + 1
    kernel = w[:, :, ::-1, ::-1] if filter_flip else w
    out = np.zeros((n, o, oh, ow), dtype=np.result_type(x, w))
    for b, f, r, q in itertools.product(range(n), range(o), range(oh), range(ow)):
        acc = 0.0
        for ch, i, j in itertools.product(range(c), range(kh), range(kw)):
            acc += (xp[b, ch, r * subsample[0] + i * filter_dilation[0],
                       q * subsample[1] + j * filter_dilation[1]] * kernel[f, ch, i, j])
        out[b, f, r, q] = acc
    return out


BORDERS = ["valid", "full", "half", 1, (2, 1)]
STRIDES = [(1, 1), (2, 3)]
DILATIONS = [(1, 1), (2, 1)]
COMBOS = list(itertools.product(BORDERS, STRIDES, DILATIONS, [True, False]))


def _ids(combo):
    return "-".join(str(p).replace(" ", "") for p in combo)


@pytest.mark.parametrize("border,stride,dilation,flip", COMBOS, ids=[_ids(c) for c in COMBOS])
def test_conv2d_matches_loop_reference(border, stride, dilation, flip):
    # a (3, 2) kernel: rows and cols differ, and 'half' meets an even kernel width
    x = RNG.normal(size=(2, 2, 7, 6))
    w = RNG.normal(size=(3, 2, 3, 2))
    expected = reference_conv2d(x, w, border, stride, flip, dilation)
    for static in (True, False):
        check_op(lambda a, b: nn.conv2d(a, b, border_mode=border, subsample=stride,
                                        filter_flip=flip, filter_dilation=dilation),
                 [x, w], expected, static=static)


@pytest.mark.parametrize("border,stride,dilation", [("valid", (1, 1), (1, 1)),
                                                     ("half", (2, 2), (1, 2)),
                                                     ((1, 2), (1, 2), (2, 1))], ids=str)
def test_conv2d_float32_stays_float32(border, stride, dilation):
    x = RNG.normal(size=(2, 3, 6, 7)).astype("float32")
    w = RNG.normal(size=(4, 3, 3, 3)).astype("float32")
    expected = reference_conv2d(x.astype("float64"), w.astype("float64"), border, stride,
                                True, dilation).astype("float32")
    check_op(lambda a, b: nn.conv2d(a, b, border_mode=border, subsample=stride,
                                    filter_dilation=dilation), [x, w], expected, rtol=1e-5,
             atol=1e-5)


@pytest.mark.parametrize("mode,scipy_mode", [("valid", "valid"), ("full", "full"),
                                              ("half", "same")])
def test_single_channel_matches_scipy_convolve_and_correlate(mode, scipy_mode):
    img, k = RNG.normal(size=(9, 8)), RNG.normal(size=(3, 5))
    x, w = img[None, None], k[None, None]
    check_op(lambda a, b: nn.conv2d(a, b, border_mode=mode), [x, w],
             scipy.signal.convolve2d(img, k, mode=scipy_mode)[None, None])
    check_op(lambda a, b: nn.conv2d(a, b, border_mode=mode, filter_flip=False), [x, w],
             scipy.signal.correlate2d(img, k, mode=scipy_mode)[None, None])


def test_dtypes_follow_the_inputs():
    x32 = RNG.normal(size=(1, 2, 4, 4)).astype("float32")
    w32 = RNG.normal(size=(3, 2, 2, 2)).astype("float32")
    assert nn.conv2d(sg.ftensor4("x"), sg.ftensor4("w")).dtype == "float32"
    mixed = nn.conv2d(sg.ftensor4("x"), sg.dtensor4("w"))
    assert mixed.dtype == "float64"
    ints = nn.conv2d(sg.itensor4("x"), sg.itensor4("w"))
    assert ints.dtype == "float64"
    expected = reference_conv2d(x32.astype("float64"), w32.astype("float64"))
    check_op(nn.conv2d, [x32, w32.astype("float64")], expected)
    xi, wi = (x32 * 3).astype("int32"), (w32 * 3).astype("int32")
    check_op(nn.conv2d, [xi, wi], reference_conv2d(xi.astype("float64"),
                                                   wi.astype("float64")))


def test_static_output_shape_from_static_input_and_filter_shapes():
    x = sg.tensor("x", dtype="float32", shape=(None, 3, 28, 28))
    w = sg.tensor("w", dtype="float32", shape=(16, 3, 5, 5))
    assert nn.conv2d(x, w).type.shape == (None, 16, 24, 24)
    assert nn.conv2d(x, w, border_mode="half").type.shape == (None, 16, 28, 28)
    assert nn.conv2d(x, w, border_mode="full").type.shape == (None, 16, 32, 32)
    assert nn.conv2d(x, w, subsample=(2, 3), border_mode=(1, 0)).type.shape == \
        (None, 16, 13, 8)
    assert nn.conv2d(x, w, filter_dilation=2).type.shape == (None, 16, 20, 20)
    unknown = sg.tensor("u", dtype="float32", shape=(None, 3, None, 28))
    assert nn.conv2d(unknown, w).type.shape == (None, 16, None, 24)


def test_shape_hints_refine_the_static_shape_and_are_checked_at_run_time():
    x = sg.tensor("x", dtype="float64", shape=(None,) * 4)
    w = sg.tensor("w", dtype="float64", shape=(None,) * 4)
    y = nn.conv2d(x, w, input_shape=(None, 2, 6, 5), filter_shape=(4, 2, 3, 3))
    assert y.type.shape == (None, 4, 4, 3)
    xv, wv = RNG.normal(size=(3, 2, 6, 5)), RNG.normal(size=(4, 2, 3, 3))
    assert_close(compile_and_run(y, [x, w], [xv, wv]), reference_conv2d(xv, wv))
    with pytest.raises(ValueError, match=r"input has shape \(3, 2, 7, 5\) but the input "
                                         r"shape given to conv2d is \(None, 2, 6, 5\)"):
        compile_and_run(y, [x, w], [RNG.normal(size=(3, 2, 7, 5)), wv])
    with pytest.raises(ValueError, match=r"conv2d: input f64\[\?,3,\?,\?\] does not match "
                                         r"the given input_shape \(None, 2, 6, 5\)"):
        nn.conv2d(sg.tensor("z", dtype="float64", shape=(None, 3, None, None)), w,
                  input_shape=(None, 2, 6, 5))


GRAD_COMBOS = list(itertools.product(BORDERS, [(1, 1), (2, 1)], DILATIONS, [True, False]))


@pytest.mark.parametrize("border,stride,dilation,flip", GRAD_COMBOS,
                         ids=[_ids(c) for c in GRAD_COMBOS])
def test_conv2d_gradients_match_finite_differences(border, stride, dilation, flip):
    x, w = RNG.normal(size=(2, 2, 5, 4)), RNG.normal(size=(2, 2, 2, 3))
    sg.verify_grad(lambda a, b: nn.conv2d(a, b, border_mode=border, subsample=stride,
                                          filter_flip=flip, filter_dilation=dilation), [x, w])


def test_gradient_graphs_have_the_static_types_they_claim():
    x, w = RNG.normal(size=(2, 2, 6, 5)), RNG.normal(size=(3, 2, 3, 2))
    check_grad(lambda a, b: nn.conv2d(a, b, border_mode="half", subsample=(2, 2),
                                      filter_dilation=(1, 2)), [x, w])


SECOND_ORDER = [("valid", (1, 1), (1, 1), True), ("full", (2, 1), (1, 1), False),
                ("half", (1, 2), (2, 1), True), ((1, 2), (2, 2), (1, 1), False)]


@pytest.mark.parametrize("border,stride,dilation,flip", SECOND_ORDER,
                         ids=[_ids(c) for c in SECOND_ORDER])
def test_second_derivatives_match_finite_differences(border, stride, dilation, flip):
    """grad(cost) is built from the gradient ops; differentiating it again exercises their
    own gradients (which are convolutions again)."""
    x, w = RNG.normal(size=(2, 2, 5, 5)), RNG.normal(size=(2, 2, 2, 3))

    def conv(a, b):
        return nn.conv2d(a, b, border_mode=border, subsample=stride, filter_flip=flip,
                         filter_dilation=dilation)

    check_grad(lambda a, b: sg.grad(sg.sum(conv(a, b) ** 2), a), [x, w])
    check_grad(lambda a, b: sg.grad(sg.sum(conv(a, b) ** 2), b), [x, w])
    check_grad(lambda a, b: sg.grad(sg.sum(sg.tanh(conv(a, b))), [a, b])[0]
               * sg.grad(sg.sum(conv(a, b)), b).sum(), [x, w])


def test_gradients_are_adjoint_to_the_convolution():
    """<gy, conv(x, w)> = <grad_inputs(w, gy), x> = <grad_weights(x, gy), w>, checked on
    values computed independently of the gradient rules."""
    x, w = RNG.normal(size=(2, 3, 7, 6)), RNG.normal(size=(4, 3, 3, 2))
    geom = ((1, 0), (2, 2), True, (1, 2))
    y = reference_conv2d(x, w, *geom[:2], geom[2], geom[3])
    gy = RNG.normal(size=y.shape)
    xs, ws, gs = (sg.tensor(n, dtype="float64", shape=(None,) * 4) for n in "xwg")
    gx = Conv2dGradInputs(*geom)(ws, gs, [7, 6])
    gw = Conv2dGradWeights(*geom)(xs, gs, [3, 2])
    gx_v, gw_v = compile_and_run([gx, gw], [xs, ws, gs], [x, w, gy])
    np.testing.assert_allclose(np.sum(gx_v * x), np.sum(gy * y), rtol=1e-10)
    np.testing.assert_allclose(np.sum(gw_v * w), np.sum(gy * y), rtol=1e-10)


def test_strided_gradient_reaches_only_the_inputs_the_output_used():
    # rows 0..4 with a 2-row kernel at stride 2: row 4 is never read, so it gets no gradient
    x, w = sg.dtensor4("x"), sg.dtensor4("w")
    g = sg.grad(sg.sum(nn.conv2d(x, w, subsample=(2, 2))), x)
    gv = compile_and_run(g, [x, w], [np.ones((1, 1, 5, 5)), np.ones((1, 1, 2, 2))])
    expected = np.ones((1, 1, 5, 5))
    expected[:, :, 4, :] = expected[:, :, :, 4] = 0
    assert_close(gv, expected)


def test_conv1d_matches_numpy_convolve():
    sig, k = RNG.normal(size=11), RNG.normal(size=4)
    x, w = sig[None, None], k[None, None]
    for mode, np_mode in (("valid", "valid"), ("full", "full")):
        check_op(lambda a, b, m=mode: nn.conv1d(a, b, border_mode=m), [x, w],
                 np.convolve(sig, k, mode=np_mode)[None, None])
    padded = np.convolve(np.pad(sig, 2), k, mode="valid")[::3]
    check_op(lambda a, b: nn.conv1d(a, b, border_mode=2, subsample=3), [x, w],
             padded[None, None])


def test_json_round_trip_keeps_the_parameters():
    x, w = sg.dtensor4("x"), sg.dtensor4("w")
    y = nn.conv2d(x, w, border_mode=(1, 2), subsample=(2, 1), filter_flip=False,
                  filter_dilation=(2, 1), input_shape=(None, 2, None, None))
    cost = sg.sum(y ** 2)
    outs = [y, *sg.grad(cost, [x, w])]
    rebuilt = sg.from_json(sg.to_json(outs))
    ops = {type(n.op) for n in sg.toposort(rebuilt)}
    assert {Conv2d, Conv2dGradInputs, Conv2dGradWeights} <= ops
    xv, wv = RNG.normal(size=(2, 2, 6, 5)), RNG.normal(size=(3, 2, 2, 2))
    by_name = {v.name: v for v in free_inputs(rebuilt)}
    got = compile_and_run(rebuilt, [by_name["x"], by_name["w"]], [xv, wv])
    for a, b in zip(compile_and_run(outs, [x, w], [xv, wv]), got, strict=True):
        assert_close(b, a)


# ---------------------------------------------------------------- errors


def test_channel_mismatch_names_both_shapes():
    x = sg.tensor("x", dtype="float32", shape=(None, 3, 8, 8))
    w = sg.tensor("w", dtype="float32", shape=(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: input f32\[\?,3,8,8\] has 3 channels but "
                                         r"filters f32\[4,2,3,3\] expect 2 input channels"):
        nn.conv2d(x, w)
    xd, wd = sg.dtensor4("x"), sg.dtensor4("w")
    with pytest.raises(ValueError, match=r"input of shape \(1, 3, 5, 5\) has 3 channels but "
                                         r"filters of shape \(4, 2, 3, 3\) expect 2"):
        compile_and_run(nn.conv2d(xd, wd), [xd, wd],
                        [np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3))])


def test_inputs_must_be_4d():
    with pytest.raises(ValueError, match=r"conv2d: input must be 4-d \(batch, channels, rows, "
                                         r"cols\), got f64\[\?,\?,\?\]"):
        nn.conv2d(sg.dtensor3("x"), sg.dtensor4("w"))
    with pytest.raises(ValueError, match=r"conv2d: filters must be 4-d \(out_channels, "
                                         r"in_channels, rows, cols\), got f64\[\?,\?\]"):
        nn.conv2d(sg.dtensor4("x"), sg.dmatrix("w"))


def test_kernel_larger_than_the_padded_input():
    x = sg.tensor("x", dtype="float64", shape=(1, 1, 4, 4))
    w = sg.tensor("w", dtype="float64", shape=(1, 1, 5, 3))
    with pytest.raises(ValueError, match=r"conv2d: the kernel \(filters \(1, 1, 5, 3\), "
                                         r"extent 5x3 .*larger than the padded input 4x4"):
        nn.conv2d(x, w)
    assert nn.conv2d(x, w, border_mode=(1, 0)).type.shape == (1, 1, 2, 2)
    k3 = sg.tensor("k", dtype="float64", shape=(1, 1, 3, 3))
    assert nn.conv2d(x, k3, border_mode=1, filter_dilation=2).type.shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match=r"extent 7x7 with dilation \(3, 3\)\) is larger "
                                         r"than the padded input 6x6"):
        nn.conv2d(x, k3, border_mode=1, filter_dilation=3)
    xd, wd = sg.dtensor4("x"), sg.dtensor4("w")
    with pytest.raises(ValueError, match=r"is larger than the padded input 2x6"):
        compile_and_run(nn.conv2d(xd, wd, border_mode=(0, 1)), [xd, wd],
                        [np.zeros((1, 1, 2, 4)), np.zeros((1, 1, 3, 3))])


@pytest.mark.parametrize("mode,message", [
    ("same", r"got 'same' \('same' is Keras's name: use 'half'"),
    ("foo", r"border_mode must be 'valid', 'full', 'half', an int or a pair of ints, "
            r"got 'foo'"),
    (-1, r"pair of non-negative ints, got -1"),
    ((1, 2, 3), r"got \(1, 2, 3\)"),
    (1.5, r"got 1.5")])
def test_bad_border_mode(mode, message):
    with pytest.raises(ValueError, match=message):
        nn.conv2d(sg.dtensor4("x"), sg.dtensor4("w"), border_mode=mode)


def test_bad_stride_and_dilation():
    with pytest.raises(ValueError, match=r"conv2d: subsample must be >= 1, got \(0, 1\)"):
        nn.conv2d(sg.dtensor4("x"), sg.dtensor4("w"), subsample=(0, 1))
    with pytest.raises(ValueError, match=r"conv2d: filter_dilation must be an int or a pair "
                                         r"of ints, got 'x'"):
        nn.conv2d(sg.dtensor4("x"), sg.dtensor4("w"), filter_dilation="x")


# ---------------------------------------------------------------- 3-d and groups


def reference_conv(x, w, border_mode="valid", subsample=None, filter_flip=True,
                   filter_dilation=None, groups=1):
    """Any number of spatial dims, grouped: out channel f of group g sums the products of
    the group's input channels with its kernel, one output position at a time."""
    nd = x.ndim - 2
    subsample = subsample or (1,) * nd
    filter_dilation = filter_dilation or (1,) * nd
    kdims = w.shape[2:]
    ext = [(k - 1) * d + 1 for k, d in zip(kdims, filter_dilation, strict=True)]
    pads = [{"valid": 0, "full": e - 1, "half": e // 2}[border_mode]
            if isinstance(border_mode, str) else
            (border_mode if isinstance(border_mode, int) else border_mode[a])
            for a, e in enumerate(ext)]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pads])
    out_dims = [(xp.shape[2 + a] - ext[a]) // subsample[a] + 1 for a in range(nd)]
    kernel = w[(slice(None), slice(None)) + (slice(None, None, -1),) * nd] if filter_flip \
        else w
    per_in, per_out = w.shape[1], w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0], *out_dims))
    for f in range(w.shape[0]):
        chans = range((f // per_out) * per_in, (f // per_out + 1) * per_in)
        for pos in itertools.product(*(range(d) for d in out_dims)):
            for ci, ch in enumerate(chans):
                for tap in itertools.product(*(range(k) for k in kdims)):
                    idx = tuple(p * s + t * d for p, s, t, d in
                                zip(pos, subsample, tap, filter_dilation, strict=True))
                    out[(slice(None), f) + pos] += xp[(slice(None), ch) + idx] * \
                        kernel[(f, ci) + tap]
    return out


CONV3D = [("valid", (1, 1, 1), (1, 1, 1), True), ("half", (2, 1, 2), (1, 1, 1), True),
          ("full", (1, 2, 1), (1, 2, 1), False), ((1, 0, 2), (1, 1, 2), (2, 1, 1), True)]


@pytest.mark.parametrize("border,stride,dilation,flip", CONV3D, ids=[_ids(c) for c in CONV3D])
def test_conv3d_matches_loop_reference(border, stride, dilation, flip):
    x, w = RNG.normal(size=(2, 2, 5, 6, 4)), RNG.normal(size=(3, 2, 2, 3, 2))
    expected = reference_conv(x, w, border, stride, flip, dilation)
    for static in (True, False):
        check_op(lambda a, b: nn.conv3d(a, b, border_mode=border, subsample=stride,
                                        filter_flip=flip, filter_dilation=dilation),
                 [x, w], expected, static=static)


@pytest.mark.parametrize("border,stride,dilation,flip", CONV3D[:3],
                         ids=[_ids(c) for c in CONV3D[:3]])
def test_conv3d_first_and_second_derivatives(border, stride, dilation, flip):
    x, w = RNG.normal(size=(1, 2, 4, 4, 3)), RNG.normal(size=(2, 2, 2, 2, 2))

    def conv(a, b):
        return nn.conv3d(a, b, border_mode=border, subsample=stride, filter_flip=flip,
                         filter_dilation=dilation)

    sg.verify_grad(conv, [x, w])
    check_grad(lambda a, b: sg.grad(sg.sum(conv(a, b) ** 2), [a, b])[1], [x, w])


@pytest.mark.parametrize("groups,w_shape", [(2, (4, 2, 3, 2)), (4, (8, 1, 2, 3)),
                                            (4, (4, 1, 3, 3))], ids=str)
def test_grouped_and_depthwise_conv2d_match_the_loop_reference(groups, w_shape):
    x, w = RNG.normal(size=(2, 4, 6, 5)), RNG.normal(size=w_shape)
    for border, stride in (("valid", (1, 1)), ("half", (2, 1))):
        expected = reference_conv(x, w, border, stride, groups=groups)
        check_op(lambda a, b, m=border, s=stride: nn.conv2d(a, b, border_mode=m, subsample=s,
                                                            num_groups=groups), [x, w],
                 expected)
    sg.verify_grad(lambda a, b: nn.conv2d(a, b, border_mode="half", num_groups=groups),
                   [x[:1], w])
    check_grad(lambda a, b: sg.grad(sg.sum(nn.conv2d(a, b, num_groups=groups) ** 2), a),
               [x[:1], w])


def test_conv2d_grad_wrt_inputs_is_the_transposed_convolution():
    """Theano's transposed convolution: the adjoint of conv2d for the given input shape,
    which strides leave ambiguous (7 or 8 rows both give 3 at stride 2)."""
    w, gy = RNG.normal(size=(3, 2, 3, 3)), RNG.normal(size=(2, 3, 3, 4))
    for rows in (7, 8):
        xv = RNG.normal(size=(2, 2, rows, 9))
        ws, gs = sg.dtensor4("w"), sg.dtensor4("g")
        gx = nn.conv2d_grad_wrt_inputs(gs, ws, (None, 2, rows, 9), subsample=(2, 2))
        assert gx.type.shape == (None, None, rows, 9)
        got = compile_and_run(gx, [ws, gs], [w, gy])
        y = reference_conv(xv, w, subsample=(2, 2))
        np.testing.assert_allclose(np.sum(got * xv), np.sum(gy * y), rtol=1e-10)
    with pytest.raises(ValueError, match=r"conv2d_grad_wrt_inputs: the input's spatial lengths "
                                         r"must be known"):
        nn.conv2d_grad_wrt_inputs(gs, ws, (None, 2, None, 9))
    v = sg.dtensor4("v")
    gx3 = nn.conv3d_grad_wrt_inputs(sg.tensor("g3", dtype="float64", shape=(None,) * 5),
                                    sg.tensor("w3", dtype="float64", shape=(None,) * 5),
                                    sg.shape(v)[1:], border_mode="half")
    assert gx3.ndim == 5


def test_groups_errors_name_the_channels():
    x = sg.tensor("x", dtype="float64", shape=(None, 4, 5, 5))
    with pytest.raises(ValueError, match=r"conv2d: input f64\[\?,4,5,5\] has 4 channels but "
                                         r"filters f64\[6,1,3,3\] expect 3 input channels \(1 "
                                         r"in each of 3 groups\)"):
        nn.conv2d(x, sg.tensor("w", dtype="float64", shape=(6, 1, 3, 3)), num_groups=3)
    with pytest.raises(ValueError, match=r"conv2d: 6 filters do not split into num_groups=4"):
        nn.conv2d(x, sg.tensor("w", dtype="float64", shape=(6, 1, 3, 3)), num_groups=4)
    with pytest.raises(ValueError, match=r"conv2d: num_groups must be a positive int, got 0"):
        nn.conv2d(x, sg.dtensor4("w"), num_groups=0)
    with pytest.raises(ValueError, match=r"conv3d: input must be 5-d \(batch, channels, d1, "
                                         r"d2, d3\)"):
        nn.conv3d(x, sg.dtensor4("w"))
