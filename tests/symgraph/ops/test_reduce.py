"""Reductions: sum prod max min mean all any var std logsumexp argmax argmin, against NumPy
and SciPy for every axis form (None, int, negative, tuple, empty tuple) and keepdims, on
floats, ints and bools; static dtype and shape must equal the runtime ones."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import symgraph as sg
from tests.helpers import check_op, compile_and_run

AXES = [None, 0, 1, -1, -3, (0, 2), (-1, 0), (0, 1, 2), ()]
DTYPES = ["float64", "float32", "float16", "int32", "int64", "int8", "uint8", "bool"]


def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.4
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0 if dtype.startswith("u") else -3, 4, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def reducer(kind, **kwargs):
    """`lambda v: sg.<kind>(v, **kwargs)`, with the arguments bound now."""
    return lambda v: getattr(sg, kind)(v, **kwargs)


NUMPY = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "mean": np.mean,
         "all": np.all, "any": np.any}


@pytest.mark.parametrize("kind", sorted(NUMPY))
@pytest.mark.parametrize("dtype", DTYPES)
def test_reduction_matches_numpy(kind, dtype):
    x = _values((2, 3, 4), dtype)
    for k, axis in enumerate(AXES):
        for keepdims in (False, True):
            expected = NUMPY[kind](x, axis=axis, keepdims=keepdims)
            check_op(reducer(kind, axis=axis, keepdims=keepdims), [x],
                     expected, static=k % 2 == 0, rtol=1e-5 if dtype == "float32" else None)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the mean of nothing is nan
@pytest.mark.parametrize("kind", ["sum", "prod", "mean", "all", "any"])
def test_reductions_of_empty_arrays(kind):
    x = np.zeros((0, 3))
    for axis in (None, 0, 1):
        check_op(reducer(kind, axis=axis), [x], NUMPY[kind](x, axis=axis),
                 static=False)


@pytest.mark.parametrize("kind", ["max", "min"])
def test_max_of_an_empty_axis_is_an_error_naming_the_op(kind):
    x = sg.tensor("x", dtype="float64", shape=(0, 3))
    with pytest.raises(ValueError, match=rf"{kind}: cannot reduce over axis 0 of size 0"):
        getattr(sg, kind)(x, axis=0)
    with pytest.raises(ValueError, match=rf"{kind}: cannot reduce over axis 0 of size 0"):
        getattr(sg, kind)(x)  # all axes: NumPy would fail at run time
    check_op(lambda v: getattr(sg, kind)(v, axis=1), [np.zeros((0, 3))], np.zeros((0,)))


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_sum_and_prod_accumulator_dtype(dtype):
    x = _values((3, 4), dtype)
    for kind in ("sum", "prod", "mean"):
        expected = NUMPY[kind](x, axis=1, dtype="float64")
        check_op(reducer(kind, axis=1, dtype="float64"), [x], expected)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int32", "bool"])
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_and_std_match_numpy(dtype, ddof):
    x = _values((3, 4, 2), dtype, seed=1)
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            for kind, fn in (("var", np.var), ("std", np.std)):
                expected = fn(x, axis=axis, keepdims=keepdims, ddof=ddof)
                check_op(reducer(kind, axis=axis, keepdims=keepdims, ddof=ddof), [x], expected,
                         rtol={"float32": 1e-5, "float16": 1e-2}.get(dtype, 1e-10))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_logsumexp_matches_scipy(dtype):
    x = _values((3, 4, 2), dtype, seed=2)
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            expected = scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)
            got = check_op(reducer("logsumexp", axis=axis, keepdims=keepdims), [x],
                           expected.astype("float32" if dtype == "float32" else "float64"),
                           rtol=1e-5 if dtype == "float32" else 1e-10)
            assert got.dtype == ("float32" if dtype == "float32" else "float64")


def test_logsumexp_is_stable_at_plus_minus_1000():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -np.inf]])
    check_op(lambda v: sg.logsumexp(v, axis=1), [x],
             scipy.special.logsumexp(x, axis=1))


def test_logsumexp_of_an_empty_axis_is_minus_inf():
    """Regression: it failed in the max; log(sum(exp([]))) = log(0) = -inf, as in SciPy."""
    x = np.zeros((0, 3))
    with np.errstate(divide="ignore"):
        check_op(lambda v: sg.logsumexp(v, axis=0), [x],
                 scipy.special.logsumexp(x, axis=0), static=False)
        check_op(lambda v: sg.logsumexp(v, axis=0), [x],
                 scipy.special.logsumexp(x, axis=0), static=True)


@pytest.mark.parametrize("kind", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_argmax_argmin_match_numpy(kind, dtype):
    x = _values((3, 4, 2), dtype, seed=3)
    for axis in (None, 0, 1, -1):
        for keepdims in (False, True):
            expected = getattr(np, kind)(x, axis=axis, keepdims=keepdims)
            check_op(reducer(kind, axis=axis, keepdims=keepdims), [x],
                     expected, static=axis is None)


def test_argmax_first_occurrence_on_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check_op(lambda v: sg.argmax(v, axis=1), [x], np.argmax(x, axis=1))


def test_methods_match_the_functions():
    x = _values((3, 4), "float64", seed=4)
    v = sg.dmatrix("v")
    outs = [v.sum(axis=0), v.mean(axis=1, keepdims=True), v.max(), v.min(axis=-1),
            v.prod(axis=0), v.var(axis=1), v.std(), v.argmax(axis=1), v.argmin(),
            (v > 0).all(axis=0), (v > 0).any()]
    expected = [x.sum(axis=0), x.mean(axis=1, keepdims=True), x.max(), x.min(axis=-1),
                x.prod(axis=0), x.var(axis=1), x.std(), x.argmax(axis=1), x.argmin(),
                (x > 0).all(axis=0), (x > 0).any()]
    for o, got, e in zip(outs, compile_and_run(outs, [v], [x]), expected, strict=True):
        np.testing.assert_allclose(got, e)
        assert got.dtype == np.asarray(e).dtype and o.dtype == got.dtype.name


def test_bad_axes_are_errors_naming_the_op():
    x = sg.dmatrix("x")
    with pytest.raises(ValueError, match="sum: axis 2 is out of range for a 2-d input"):
        sg.sum(x, axis=2)
    with pytest.raises(ValueError, match="mean: repeated axis"):
        sg.mean(x, axis=(0, -2))
    with pytest.raises(TypeError, match="max: axis must be an int or tuple of ints"):
        sg.max(x, axis=(1.5,))
    with pytest.raises(ValueError, match="argmax: axis must be a single int or None"):
        sg.argmax(x, axis=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reducing_a_0d_input_gives_numpys_value_and_dtype_in_a_new_array(dtype):
    x = sg.tensor("x", dtype=dtype, shape=())
    fns = [sg.sum, sg.mean, sg.prod, sg.max, sg.min, sg.all, sg.any]
    refs = [np.sum, np.mean, np.prod, np.max, np.min, np.all, np.any]
    outs = [fn(x) for fn in fns] + [sg.sum(x, dtype="float64")]
    f = sg.function([x], outs, rewrites="none")
    assert "np.mean(" not in f.source  # one element: its value, without NumPy's reduction
    specials = [np.nan, -0.0, -2.5, np.inf] if dtype.startswith("float") else []
    for v in [3, 0, *specials]:
        a = np.array(v, dtype=dtype)
        got = f(a)
        want = [ref(a) for ref in refs] + [np.sum(a, dtype="float64")]
        for g, w, o in zip(got, want, outs, strict=True):
            w = np.asarray(w)
            assert g.dtype == w.dtype and o.dtype == w.dtype.name, (o, v)
            np.testing.assert_array_equal(g, w, err_msg=f"{o.owner.op} of {v!r}")
            if w.dtype.kind == "f":
                assert np.signbit(g) == np.signbit(w), (o, v)
        got[0][...] = 1  # each result is its own array, not the argument
        assert a.tobytes() == np.array(v, dtype=dtype).tobytes()
