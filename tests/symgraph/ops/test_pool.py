"""Pooling (symgraph/ops/pool.py): values against a nested-loop reference of Theano's
pool_2d for every mode with strides, padding and ignore_border=False, on 2-d to 5-d
inputs; the max gradient routes to the first maximum (ties); first and second derivatives
against finite differences; errors by message."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops.pool import AveragePoolGrad, MaxPoolGrad, MaxPoolGradGrad, Pool
from tests.helpers import assert_close, check_grad, check_op, compile_and_run

nn = sg.nnet
RNG = np.random.default_rng(0)
MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]


def out_length(n, ws, st, ignore_border):
    """Theano's pool output length along one (already padded) axis."""
    if ignore_border:
        return max(0, (n - ws) // st + 1)
    if n == 0:
        return 0
    return (n - 1) // st + 1 if st >= ws else max(0, (n - 1 - ws) // st + 1) + 1


def windows(x_shape, ws, st, pad, ignore_border):
    """For each output (r, c): the real input positions of its window, row-major, and the
    window's size within the padded input."""
    h, w = x_shape[-2:]
    ph, pw = h + 2 * pad[0], w + 2 * pad[1]
    oh = out_length(ph, ws[0], st[0], ignore_border)
    ow = out_length(pw, ws[1], st[1], ignore_border)
    result = {}
    for r, c in itertools.product(range(oh), range(ow)):
        r0, c0 = r * st[0], c * st[1]
        r1, c1 = min(r0 + ws[0], ph), min(c0 + ws[1], pw)
        real = [(i - pad[0], j - pad[1]) for i in range(r0, r1) for j in range(c0, c1)
                if pad[0] <= i < pad[0] + h and pad[1] <= j < pad[1] + w]
        result[r, c] = (real, (r1 - r0) * (c1 - c0))
    return (oh, ow), result


def reference_pool(x, ws, st=None, pad=(0, 0), ignore_border=True, mode="max"):
    st = ws if st is None else st
    (oh, ow), wins = windows(x.shape, ws, st, pad, ignore_border)
    dtype = x.dtype if mode in ("max", "sum") else np.result_type(x.dtype, np.float16)
    out = np.zeros(x.shape[:-2] + (oh, ow), dtype=dtype)
    for lead in np.ndindex(*x.shape[:-2]):
        for (r, c), (real, size) in wins.items():
            vals = [x[lead + p] for p in real]
            if mode == "max":
                out[lead + (r, c)] = max(vals)
            elif mode == "sum":
                out[lead + (r, c)] = sum(vals)
            elif mode == "average_exc_pad":
                out[lead + (r, c)] = sum(vals) / len(vals)
            else:
                out[lead + (r, c)] = sum(vals) / size
    return out


def reference_max_pool_grad(x, gz, ws, st=None, pad=(0, 0), ignore_border=True):
    """Each window's gradient to its FIRST maximum (row-major within the window)."""
    st = ws if st is None else st
    _, wins = windows(x.shape, ws, st, pad, ignore_border)
    gx = np.zeros_like(x)
    for lead in np.ndindex(*x.shape[:-2]):
        for (r, c), (real, _) in wins.items():
            vals = [x[lead + p] for p in real]
            gx[lead + real[vals.index(max(vals))]] += gz[lead + (r, c)]
    return gx


CONFIGS = [  # ws, stride, pad, ignore_border
    ((2, 2), None, (0, 0), True),
    ((2, 3), None, (0, 0), False),
    ((3, 2), (1, 2), (0, 0), True),
    ((3, 3), (2, 1), (0, 0), False),
    ((3, 3), (1, 2), (1, 2), True),
    ((2, 2), (2, 2), (1, 1), True),   # Keras 1's 'same' padding for a 2x2 window
    ((2, 1), (3, 3), (0, 0), False),  # stride larger than the window
]


def _id(cfg):
    ws, st, pad, ib = cfg
    return f"ws{ws}-st{st}-pad{pad}-{'ignore' if ib else 'keep'}".replace(" ", "")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_pool_2d_matches_loop_reference(cfg, mode):
    ws, st, pad, ib = cfg
    x = RNG.normal(size=(2, 3, 7, 8))
    expected = reference_pool(x, ws, st, pad, ib, mode)
    for static in (True, False):
        check_op(lambda v: nn.pool_2d(v, ws, ignore_border=ib, stride=st, pad=pad, mode=mode),
                 [x], expected, static=static)


@pytest.mark.parametrize("shape", [(6, 7), (2, 6, 7), (1, 2, 2, 5, 6)], ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_pools_the_last_two_dims_of_any_rank(shape, mode):
    x = RNG.normal(size=shape).astype("float32")
    expected = reference_pool(x, (2, 3), (2, 2), (1, 1), True, mode)
    check_op(lambda v: nn.pool_2d(v, (2, 3), stride=(2, 2), pad=(1, 1), mode=mode), [x],
             expected, rtol=1e-5)


def test_integer_inputs():
    x = RNG.integers(-9, 9, size=(2, 5, 5)).astype("int32")
    check_op(lambda v: nn.max_pool2d(v, (2, 2), ignore_border=False), [x],
             reference_pool(x, (2, 2), ignore_border=False))
    check_op(lambda v: nn.pool_2d(v, (2, 2), mode="sum", pad=(1, 1)), [x],
             reference_pool(x, (2, 2), pad=(1, 1), mode="sum"))
    # averages of ints are float64, like NumPy's mean
    check_op(lambda v: nn.avg_pool2d(v, (2, 2)), [x],
             reference_pool(x.astype("float64"), (2, 2), mode="average_exc_pad"))


def test_max_pool_with_padding_never_picks_the_padding():
    x = -np.ones((1, 1, 3, 3)) * np.arange(1, 10).reshape(3, 3)  # all negative
    check_op(lambda v: nn.max_pool2d(v, (2, 2), pad=(1, 1)), [x],
             reference_pool(x, (2, 2), pad=(1, 1)))


def test_named_helpers_and_keras_average_convention():
    x = RNG.normal(size=(2, 2, 6, 5))
    check_op(lambda v: nn.max_pool2d(v, 2, stride=(1, 2)), [x],
             reference_pool(x, (2, 2), (1, 2)))
    # Keras 1.x's Theano backend averages with 'average_exc_pad' for 'valid' and 'same'
    # ('same' = pad ws - 1 for even windows, then crop): padding is not counted.
    ones = np.ones((1, 1, 4, 4))
    o = sg.dtensor4("o")
    exc = compile_and_run(nn.avg_pool2d(o, (2, 2), pad=(1, 1)), [o], [ones])
    assert_close(exc, np.ones((1, 1, 3, 3)))
    inc = compile_and_run(nn.avg_pool2d(o, (2, 2), pad=(1, 1), include_pad=True), [o], [ones])
    assert_close(inc, np.array([[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]]))


def test_theano_old_argument_names():
    x = RNG.normal(size=(1, 1, 6, 6))
    check_op(lambda v: nn.pool_2d(v, ds=(3, 2), st=(1, 1), padding=(1, 1), mode="sum"), [x],
             reference_pool(x, (3, 2), (1, 1), (1, 1), True, "sum"))
    with pytest.raises(TypeError, match="give ws or its old name ds, not both"):
        nn.pool_2d(sg.dtensor4("x"), (2, 2), ds=(2, 2))


def test_window_larger_than_the_input_gives_an_empty_output():
    x = RNG.normal(size=(2, 3, 2, 5))
    got = check_op(lambda v: nn.max_pool2d(v, (3, 2)), [x], np.zeros((2, 3, 0, 2)))
    assert got.shape == (2, 3, 0, 2)
    check_op(lambda v: nn.max_pool2d(v, (3, 2), ignore_border=False), [x],
             reference_pool(x, (3, 2), ignore_border=False))
    # an empty axis has no window, partial or not (Theano's formula would give it one)
    empty = np.zeros((1, 0, 4))
    for static in (True, False):
        check_op(lambda v: nn.max_pool2d(v, (2, 2), stride=(1, 1), ignore_border=False),
                 [empty], np.zeros((1, 0, 3)), static=static)


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_max_pool_gradient_goes_to_the_first_maximum_on_ties(cfg):
    ws, st, pad, ib = cfg
    x = RNG.integers(0, 3, size=(2, 2, 7, 6)).astype("float64")  # many ties
    gz_shape = reference_pool(x, ws, st, pad, ib).shape
    gz = RNG.normal(size=gz_shape)
    xs, gs = sg.dtensor4("x"), sg.dtensor4("g")
    y = nn.max_pool2d(xs, ws, ignore_border=ib, stride=st, pad=pad)
    gx = sg.grad(sg.sum(y * gs), xs)
    assert_close(compile_and_run(gx, [xs, gs], [x, gz]),
                 reference_max_pool_grad(x, gz, ws, st, pad, ib))


def test_padding_never_receives_the_gradient_even_against_minus_infinity():
    x = np.array([[[[-np.inf, 1.0, -np.inf], [-np.inf, -np.inf, -np.inf]]]])
    xs, gs = sg.dtensor4("x"), sg.dtensor4("g")
    for pad in ((1, 1), (1, 0)):
        gz = RNG.normal(size=reference_pool(x, (2, 2), pad=pad).shape)
        y = nn.max_pool2d(xs, (2, 2), pad=pad)
        got = compile_and_run(sg.grad(sg.sum(y * gs), xs), [xs, gs], [x, gz])
        assert_close(got, reference_max_pool_grad(x, gz, (2, 2), pad=pad))
        assert np.count_nonzero(got) == gz.size  # every window's gradient landed


def test_a_window_of_equal_values_passes_its_gradient_on_once():
    x = sg.dmatrix("x")
    g = compile_and_run(sg.grad(sg.sum(nn.max_pool2d(x, (2, 2))), x), [x], [np.ones((2, 4))])
    assert_close(g, np.array([[1.0, 0, 1, 0], [0, 0, 0, 0]]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_gradients_match_finite_differences(cfg, mode):
    ws, st, pad, ib = cfg
    x = RNG.normal(size=(2, 1, 6, 5))  # distinct values: max pooling is differentiable
    sg.verify_grad(lambda v: nn.pool_2d(v, ws, ignore_border=ib, stride=st, pad=pad,
                                        mode=mode), [x])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cfg", [CONFIGS[1], CONFIGS[4]], ids=[_id(CONFIGS[1]),
                                                               _id(CONFIGS[4])])
def test_second_derivatives_match_finite_differences(cfg, mode):
    """Differentiating the gradient exercises MaxPoolGrad's / AveragePoolGrad's gradients
    (for max pooling: the recorded argmax, read back by MaxPoolGradGrad)."""
    ws, st, pad, ib = cfg
    x = RNG.normal(size=(1, 2, 6, 5))

    def pool(v):
        return nn.pool_2d(v, ws, ignore_border=ib, stride=st, pad=pad, mode=mode)

    check_grad(lambda v: sg.grad(sg.sum(pool(v) ** 2), v), [x])
    check_grad(lambda v: sg.grad(sg.sum(pool(sg.tanh(v)) ** 3), v) * v, [x])


def test_hessian_of_a_max_pooled_square_is_diagonal_on_the_maxima():
    x = sg.dvector("x")
    xv = np.array([3.0, 1.0, -2.0, 5.0, 0.5, 0.25])
    y = nn.max_pool2d(x.reshape((2, 3)), (1, 3))       # picks 3.0 and 5.0
    h = compile_and_run(sg.hessian(sg.sum(y ** 2), x), [x], [xv])
    assert_close(h, np.diag([2.0, 0, 0, 2.0, 0, 0]))


def test_max_pool_gradients_of_all_orders_reuse_the_forward_output():
    """No argmax is recorded: MaxPoolGrad and MaxPoolGradGrad compare the input with the
    pooled output, which the forward computed once."""
    x = sg.dtensor4("x")
    y = nn.max_pool2d(x, (2, 2))
    g = sg.grad(sg.sum(y ** 2), x)
    gg = sg.grad(sg.sum(g ** 2), x)
    f = sg.function([x], [g, gg])
    kinds = [type(n.op) for n in sg.toposort(f.graph.outputs)]
    assert kinds.count(Pool) == 1
    assert kinds.count(MaxPoolGrad) >= 2 and kinds.count(MaxPoolGradGrad) >= 1


def test_average_pool_gradient_op_of_the_sum_spreads_evenly():
    gz = sg.dtensor4("g")
    gx = AveragePoolGrad((2, 2), (1, 1), (0, 0), True, "sum")(gz, [3, 3])
    got = compile_and_run(gx, [gz], [np.ones((1, 1, 2, 2))])
    assert_close(got, np.array([[[[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]]]))


def test_static_shapes():
    x = sg.tensor("x", dtype="float32", shape=(None, 8, 28, 27))
    assert nn.max_pool2d(x, (2, 2)).type.shape == (None, 8, 14, 13)
    assert nn.max_pool2d(x, (2, 2), ignore_border=False).type.shape == (None, 8, 14, 14)
    assert nn.avg_pool2d(x, (3, 3), stride=(2, 1), pad=(1, 1)).type.shape == (None, 8, 14, 27)
    assert nn.avg_pool2d(x, (2, 2)).dtype == "float32"
    assert Pool((2, 2), (2, 2))(sg.tensor("u", shape=(3, None, 5))).type.shape == (3, None, 2)


# ---------------------------------------------------------------- errors


def test_errors():
    x = sg.dtensor4("x")
    with pytest.raises(ValueError, match=r"pool_2d: input must have at least 2 dims \(pooling "
                                         r"is over the last two\), got f64\[\?\]"):
        nn.max_pool2d(sg.dvector("v"), (2, 2))
    with pytest.raises(ValueError, match=r"pool_2d: mode must be one of 'max', 'sum', "
                                         r"'average_inc_pad', 'average_exc_pad', got 'avg'"):
        nn.pool_2d(x, (2, 2), mode="avg")
    with pytest.raises(ValueError, match=r"pool_2d: pad \(2, 0\) must be smaller than the "
                                         r"window ws \(2, 2\)"):
        nn.max_pool2d(x, (2, 2), pad=(2, 0))
    with pytest.raises(ValueError, match=r"padding works only with ignore_border=True"):
        nn.avg_pool2d(x, (2, 2), ignore_border=False, pad=(1, 1))
    with pytest.raises(ValueError, match=r"pool_2d: ws must be >= 1, got \(0, 2\)"):
        nn.max_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match=r"pool_2d: stride must be an int or a pair of ints"):
        nn.max_pool2d(x, (2, 2), stride=(1, 2, 3))
    with pytest.raises(TypeError, match=r"pool_2d: input must be real numbers, got bool"):
        nn.max_pool2d(sg.tensor("b", dtype="bool", shape=(2, 2)), (2, 2))
    g = sg.dtensor4("g")
    bad = MaxPoolGrad((2, 2), (2, 2))(x, g, g)
    with pytest.raises(ValueError, match=r"max_pool_grad: gradient of shape \(1, 1, 3, 3\) "
                                         r"\(pooled output \(1, 1, 3, 3\)\) does not match "
                                         r"pooling an input of shape \(1, 1, 4, 4\) "
                                         r"\(trailing 4x4; ws=\(2, 2\)"):
        compile_and_run(bad, [x, g], [np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3))])
    with pytest.raises(TypeError, match=r"max_pool_grad: the input, the pooled output and the "
                                        r"gradient must have one rank"):
        MaxPoolGrad((2, 2), (2, 2))(x, sg.dmatrix("y"), g)
    with pytest.raises(ValueError, match=r"pool_3d: input must have at least 3 dims \(pooling "
                                         r"is over the last three\)"):
        nn.pool_3d(sg.dmatrix("m"), (2, 2, 2))
    with pytest.raises(ValueError, match=r"pool_3d: ws must be an int or a tuple of 3 ints"):
        nn.pool_3d(x, (2, 2))


# ---------------------------------------------------------------- 3-d


def reference_pool_3d(x, ws, st, pad, ignore_border, mode):
    """Theano's pool_3d written out: per window, the real inputs (and the window's size in
    the padded input, for average_inc_pad)."""
    dims = x.shape[-3:]
    padded = [d + 2 * p for d, p in zip(dims, pad, strict=True)]
    out_dims = [out_length(n, w, s, ignore_border) for n, w, s in zip(padded, ws, st, strict=True)]
    out = np.zeros(x.shape[:-3] + tuple(out_dims))
    for pos in itertools.product(*(range(d) for d in out_dims)):
        spans = [(p * s, min(p * s + w, n))
                 for p, s, w, n in zip(pos, st, ws, padded, strict=True)]
        real = [range(max(lo, p), min(hi, p + d))
                for (lo, hi), p, d in zip(spans, pad, dims, strict=True)]
        window = x[(Ellipsis,) + np.ix_(*[np.array(r, dtype=int) - p
                                          for r, p in zip(real, pad, strict=True)])]
        flat = window.reshape(x.shape[:-3] + (-1,))
        size = np.prod([hi - lo for lo, hi in spans])
        value = {"max": flat.max(-1), "sum": flat.sum(-1), "average_exc_pad": flat.mean(-1),
                 "average_inc_pad": flat.sum(-1) / size}[mode]
        out[(Ellipsis,) + pos] = value
    return out


CONFIGS_3D = [  # ws, stride, pad, ignore_border
    ((2, 2, 2), None, (0, 0, 0), True),
    ((2, 3, 1), (1, 2, 1), (1, 1, 0), True),
    ((3, 2, 2), (2, 1, 3), (0, 0, 0), False),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cfg", CONFIGS_3D, ids=str)
def test_pool_3d_matches_loop_reference(cfg, mode):
    ws, st, pad, ib = cfg
    x = RNG.normal(size=(2, 3, 5, 6, 4))
    expected = reference_pool_3d(x, ws, st or ws, pad, ib, mode)
    for static in (True, False):
        check_op(lambda v: nn.pool_3d(v, ws, ignore_border=ib, stride=st, pad=pad, mode=mode),
                 [x], expected, static=static)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cfg", CONFIGS_3D, ids=str)
def test_pool_3d_gradients_match_finite_differences(cfg, mode):
    ws, st, pad, ib = cfg
    x = RNG.normal(size=(1, 2, 4, 5, 3))
    sg.verify_grad(lambda v: nn.pool_3d(v, ws, ignore_border=ib, stride=st, pad=pad,
                                        mode=mode), [x])


def test_pool_3d_max_gradient_ties_and_second_derivative():
    x = np.zeros((1, 1, 2, 2, 4))
    x[..., 3] = 1.0      # the second window's maximum, tied four times
    xs = sg.tensor("x", dtype="float64", shape=(None,) * 5)
    g = compile_and_run(sg.grad(sg.sum(nn.pool_3d(xs, (2, 2, 2))), xs), [xs], [x])
    expected = np.zeros_like(x)
    expected[0, 0, 0, 0, 0] = 1.0   # the all-zero first window: its first element
    expected[0, 0, 0, 0, 3] = 1.0   # the first of the four ties, in row-major order
    assert_close(g, expected)
    check_grad(lambda v: sg.grad(sg.sum(nn.pool_3d(v, (2, 1, 2), stride=(1, 1, 1),
                                                   pad=(1, 0, 0)) ** 2), v),
               [RNG.normal(size=(1, 1, 3, 2, 3))])
