"""The C backend's reductions and softmax family against the NumPy backend: values on
every axis choice (keepdims or not), NaN propagation, non-contiguous inputs, empty
reductions, and gradients through them. One compiled function holds every case."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

import symgraph as sg
from tests.helpers import needs_cc

pytestmark = needs_cc

REDUCTIONS = [sg.sum, sg.mean, sg.prod, sg.max, sg.min]
AXES = [None, 0, 2, (0, 2), (1, 2)]


@functools.cache
def _functions():
    x = sg.dtensor3("x")
    xf = sg.ftensor3("xf")
    xi = sg.itensor3("xi")
    m = sg.dmatrix("m")
    outs, labels = [], []
    for fn, ax, kd, v in itertools.product(REDUCTIONS, AXES, (False, True), (x, xf, xi)):
        outs.append(fn(v, axis=ax, keepdims=kd))
        labels.append(f"{fn.__name__}(axis={ax}, keepdims={kd}) of {v.dtype}")
    for ax, kd in itertools.product([None, 0, 2], (False, True)):
        outs += [sg.argmax(x, axis=ax, keepdims=kd), sg.argmin(xi, axis=ax, keepdims=kd)]
        labels += [f"argmax({ax}, {kd})", f"argmin({ax}, {kd}) of int32"]
    for ax in (0, 1, -1):
        outs += [sg.nnet.softmax(x, axis=ax), sg.nnet.log_softmax(xf, axis=ax)]
        labels += [f"softmax({ax})", f"log_softmax({ax}) of float32"]
    outs.append(sg.sum(sg.exp(m) ** 2, axis=1))
    labels.append("sum of a fused kernel")
    ins = [x, xf, xi, m]
    c = sg.function(ins, outs, backend="c", rewrites="none", on_unused_input="ignore")
    ref = sg.function(ins, outs, backend="numpy", rewrites="none", on_unused_input="ignore")
    return labels, c, ref


def _args(layout: str):
    r = np.random.default_rng(3)
    x = r.normal(size=(4, 5, 6))
    xi = r.integers(-9, 9, (4, 5, 6)).astype("int32")
    m = r.normal(size=(3, 7))
    if layout == "nan":
        x[1, 2, 3] = np.nan
        x[0, 0, 0] = np.inf
    if layout == "strided":
        x = np.ascontiguousarray(np.transpose(r.normal(size=(6, 5, 8)), (2, 1, 0)))[::2]
        x = x[:, ::-1]
        xi = xi[:, :, ::-1]
        m = m.T.copy().T
    return x, x.astype("float32"), xi, m


@pytest.mark.parametrize("layout", ["contiguous", "nan", "strided"])
def test_reductions_and_softmax_match_numpy(layout: str) -> None:
    labels, c, ref = _functions()
    args = _args(layout)
    with np.errstate(all="ignore"):
        got, want = c(*args), ref(*args)
    assert c.source.count("SG_KERNEL PyObject *k") >= len(labels) - 10
    for label, g, w in zip(labels, got, want, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, label
        rtol = 1e-5 if w.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-300, equal_nan=True,
                                   err_msg=label)


def test_max_of_an_empty_axis_is_an_error_and_sum_is_zero() -> None:
    x = sg.dmatrix("x")
    f = sg.function([x], [sg.sum(x, axis=0), sg.mean(x, axis=1)], backend="c",
                    rewrites="none")
    with np.errstate(all="ignore"):
        s, mean = f(np.zeros((0, 3)))
    np.testing.assert_array_equal(s, np.zeros(3))
    assert mean.shape == (0,)
    g = sg.function([x], sg.max(x, axis=0), backend="c", rewrites="none")
    with pytest.raises(ValueError, match="zero-size array"):
        g(np.zeros((0, 3)))


def test_gradients_through_c_reductions_and_softmax() -> None:
    x = sg.dmatrix("x")
    t = sg.dmatrix("t")
    cost = sg.mean(sg.nnet.categorical_crossentropy(sg.nnet.softmax(x), t)) + \
        sg.sum(sg.max(x, axis=1) ** 2) + sg.sum(sg.nnet.log_softmax(x * 2, axis=0) * t)
    gx = sg.grad(cost, x)
    r = np.random.default_rng(0)
    a, b = r.normal(size=(5, 4)), r.dirichlet(np.ones(4), size=5)
    fc = sg.function([x, t], [cost, gx], backend="c")
    fn = sg.function([x, t], [cost, gx], backend="numpy")
    assert "SG_KERNEL PyObject *k" in fc.source
    for g, w in zip(fc(a, b), fn(a, b), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    eps, num = 1e-6, np.zeros_like(a)
    f_cost = sg.function([x, t], cost, backend="c")
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += eps
        down[i] -= eps
        num[i] = (f_cost(up, b) - f_cost(down, b)) / (2 * eps)
    np.testing.assert_allclose(fc(a, b)[1], num, rtol=1e-5, atol=1e-7)


def test_reduction_reads_its_elementwise_producer_once() -> None:
    """sum(x ** 2), a loss's mean over a fused kernel, a bias gradient's sum: the
    reduction computes the producer per element; its result is never stored."""
    x, b = sg.dmatrix("x"), sg.dvector("b")
    outs = [sg.sum(x ** 2), sg.mean(sg.exp(x + b) * 2, axis=0),
            sg.max(sg.tanh(x), axis=1, keepdims=True), sg.sum((x - b) ** 2, axis=(0, 1))]
    fc = sg.function([x, b], outs, backend="c")
    fn = sg.function([x, b], outs, backend="numpy")
    driver = fc.source.split("# Python driver")[1]
    assert driver.count(" = None") == len(outs)  # every producer fused into its reduction
    r = np.random.default_rng(4)
    bb = r.normal(size=3)
    for a in (r.normal(size=(6, 3)), r.normal(size=(3, 6)).T[::-1]):  # strided too
        for g, w in zip(fc(a, bb), fn(a, bb), strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12)


@pytest.mark.parametrize("shape", [(128, 10), (7, 1), (0, 10), (3, 40), (5, 3)])
def test_softmax_of_short_rows_against_numpy(shape):
    """Rows of up to 32 along the last axis take the block path (one exp loop over the
    whole input); longer rows and transposed inputs the row path. Both give NumPy's values,
    NaN rows and infinities included."""
    x = sg.fmatrix("x")
    f = sg.function([x], sg.nnet.softmax(x), backend="c")
    a = (np.random.default_rng(1).standard_normal(shape) * 30).astype("float32")
    if shape[0] >= 3 and shape[1] >= 3:
        a[0, 1] = np.nan
        a[1, 2] = np.inf
        a[2, :2] = -np.inf
    for arr in (a, np.asarray(a.T.copy().T, order="F")):
        with np.errstate(invalid="ignore"):
            e = np.exp(arr.astype("float64") - arr.max(axis=1, keepdims=True))
            want = e / e.sum(axis=1, keepdims=True)
        got = f(arr)
        assert got.dtype == np.float32 and got.shape == shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
