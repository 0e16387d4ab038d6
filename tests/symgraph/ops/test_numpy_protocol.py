"""NumPy functions on symbolic tensors (__array_ufunc__ / __array_function__) build graph
that computes what NumPy computes; what cannot be honoured raises TypeError naming it."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from tests.helpers import assert_close, assert_static_matches, compile_and_run

A = np.arange(1.0, 7.0).reshape(2, 3) / 7.0
B = A[::-1] * 2.0
V = np.array([0.5, -1.0, 2.0])

CALLS = {
    "exp": lambda a, b, v: np.exp(a),
    "power": lambda a, b, v: np.power(a - b, 4),
    "mean_last": lambda a, b, v: np.mean(a, axis=-1),
    "mean_keepdims": lambda a, b, v: np.mean(a, axis=0, keepdims=True),
    "sum_dtype": lambda a, b, v: np.sum(a, axis=1, dtype="float32"),
    "dot": lambda a, b, v: np.dot(a, v),
    "matmul": lambda a, b, v: np.matmul(a, v),
    "concatenate": lambda a, b, v: np.concatenate([a, b], axis=1),
    "concatenate_flat": lambda a, b, v: np.concatenate([a, b], axis=None),
    "stack": lambda a, b, v: np.stack([a, b], axis=-1),
    "maximum": lambda a, b, v: np.maximum(a, 0.3),
    "where": lambda a, b, v: np.where(a > 0.3, a, b),
    "clip": lambda a, b, v: np.clip(a, 0.2, 0.5),
    "clip_one_side": lambda a, b, v: np.clip(a, None, 0.5),
    "abs": lambda a, b, v: np.abs(a - 0.5),
    "sqrt": lambda a, b, v: np.sqrt(a),
    "tanh": lambda a, b, v: np.tanh(a),
    "std": lambda a, b, v: np.std(a, axis=0),
    "var_ddof": lambda a, b, v: np.var(a, axis=1, ddof=1),
    "max": lambda a, b, v: np.max(a, axis=1),
    "amin": lambda a, b, v: np.amin(a, axis=0, keepdims=True),
    "argmax": lambda a, b, v: np.argmax(a, axis=1),
    "prod": lambda a, b, v: np.prod(a, axis=0),
    "all": lambda a, b, v: np.all(a > 0.2, axis=0),
    "add_reduce": lambda a, b, v: np.add.reduce(a, axis=1),
    "maximum_reduce": lambda a, b, v: np.maximum.reduce(a),
    "transpose": lambda a, b, v: np.transpose(a),
    "reshape": lambda a, b, v: np.reshape(a, (3, 2)),
    "reshape_flat": lambda a, b, v: np.reshape(a, -1),
    "ravel": lambda a, b, v: np.ravel(a),
    "expand_squeeze": lambda a, b, v: np.squeeze(np.expand_dims(a, 1)),
    "tile": lambda a, b, v: np.tile(a, 2),
    "repeat": lambda a, b, v: np.repeat(a, 2, axis=0),
    "round": lambda a, b, v: np.round(a * 10, 1),
    "around": lambda a, b, v: np.around(a * 10),
    "take": lambda a, b, v: np.take(a, [0, 2], axis=1),
    "take_flat": lambda a, b, v: np.take(a, [0, 4]),
    "trace": lambda a, b, v: np.trace(a[:, :2]),
    "trace_offset": lambda a, b, v: np.trace(a, offset=1),
    "outer": lambda a, b, v: np.outer(v, v),
    "tensordot": lambda a, b, v: np.tensordot(a, b, axes=([1], [1])),
    "logical_and": lambda a, b, v: np.logical_and(a > 0.3, b > 0.3),
    "sin_dtype": lambda a, b, v: np.sin(a, dtype="float32"),
    "isnan": lambda a, b, v: np.isnan(a),
    "sign": lambda a, b, v: np.sign(a - 0.4),
    "ones_like": lambda a, b, v: np.ones_like(a),
    "zeros_like_dtype": lambda a, b, v: np.zeros_like(a, dtype="int32"),
    "linalg_det": lambda a, b, v: np.linalg.det(a[:, :2]),
    "linalg_inv": lambda a, b, v: np.linalg.inv(a[:, :2]),
    "linalg_solve": lambda a, b, v: np.linalg.solve(a[:, :2], v[:2]),
    "shape": lambda a, b, v: np.shape(a),
    "equal": lambda a, b, v: np.equal(a, b),
    "divide": lambda a, b, v: np.divide(a, b),
    "floor_divide": lambda a, b, v: np.floor_divide(a, b),
    "mod": lambda a, b, v: np.mod(a, b),
    "ndarray_plus_variable": lambda a, b, v: B + a,
    "ndarray_minus_variable": lambda a, b, v: B - a,
    "ndarray_times_variable": lambda a, b, v: B * a,
    "ndarray_over_variable": lambda a, b, v: B / a,
    "ndarray_matmul_variable": lambda a, b, v: B.T @ a,
    "ndarray_greater_variable": lambda a, b, v: B > a,
    "numpy_scalar_plus_variable": lambda a, b, v: np.float64(2.0) + a,
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_numpy_call_on_symbolic_tensors_matches_numpy(name):
    call = CALLS[name]
    a, b, v = sg.dmatrix("a"), sg.dmatrix("b"), sg.dvector("v")
    out = call(a, b, v)
    assert isinstance(out, sg.TensorVariable), f"{name} did not build graph: {out!r}"
    got = np.asarray(compile_and_run(out, [a, b, v], [A, B, V]))
    expected = np.asarray(call(A, B, V))
    assert_static_matches(out, got)
    assert_close(got, expected)


def test_ndim_is_static():
    assert np.ndim(sg.dtensor3("t")) == 3


UNSUPPORTED = {
    "np.fft.fft": lambda x: np.fft.fft(x),
    "np.sort": lambda x: np.sort(x),
    "np.cumsum": lambda x: np.cumsum(x),
    "np.linalg.norm": lambda x: np.linalg.norm(x),
    "np.add.accumulate": lambda x: np.add.accumulate(x),
    "np.hypot": lambda x: np.hypot(x, x),
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_functions_raise_type_error_naming_them(name):
    with pytest.raises(TypeError, match=rf"{name.replace('.', '[.]')} is not supported on "
                                        rf"symbolic tensors"):
        UNSUPPORTED[name](sg.dvector("x"))


OUT_CALLS = {
    "exp": lambda x: np.exp(x, out=np.zeros(3)),
    "sum": lambda x: np.sum(x, out=np.zeros(())),
    "mean": lambda x: np.mean(x, out=np.zeros(())),
    "max": lambda x: np.max(x, out=np.zeros(())),
    "argmax": lambda x: np.argmax(x, out=np.zeros((), "int64")),
    "dot": lambda x: np.dot(x, x, out=np.zeros(())),
    "concatenate": lambda x: np.concatenate([x, x], out=np.zeros(6)),
    "clip": lambda x: np.clip(x, 0, 1, out=np.zeros(3)),
    "round": lambda x: np.round(x, out=np.zeros(3)),
    "add.reduce": lambda x: np.add.reduce(x, out=np.zeros(())),
}


@pytest.mark.parametrize("name", sorted(OUT_CALLS))
def test_out_argument_raises(name):
    """Regression: np.max, np.dot, np.concatenate ... ignored out= silently."""
    with pytest.raises(TypeError, match=rf"np\.{name.split('.')[0]}.*out=.*cannot write into a "
                                        rf"symbolic tensor"):
        OUT_CALLS[name](sg.dvector("x"))


@pytest.mark.parametrize("call,match", [
    (lambda x: np.sum(x, where=x > 0), r"np\.sum: got an unexpected keyword argument 'where'"),
    (lambda x: np.max(x, initial=1.0), r"np\.max: got an unexpected keyword argument 'initial'"),
    (lambda x: np.exp(x, where=True), r"np\.exp: keyword\(s\) \['where'\] are not supported"),
    (lambda x: np.add.reduce(x, initial=1.0), r"np\.add\.reduce: keyword\(s\) \['initial'\]"),
    (lambda x: np.reshape(x, (3,), order="F"), r"np\.reshape: order='F' is not supported"),
    (lambda x: np.take(x, [0], mode="clip"), r"np\.take: mode='clip' is not supported"),
    (lambda x: np.where(x > 0), r"np\.where\(condition\) with one argument"),
], ids=["sum_where", "max_initial", "exp_where", "reduce_initial", "reshape_order", "take_mode",
        "where_one_arg"])
def test_keywords_that_cannot_be_honoured_raise(call, match):
    """Regression: where=, initial= ... were dropped, computing something else silently."""
    with pytest.raises(TypeError, match=match):
        call(sg.dvector("x"))


def test_reciprocal_of_an_int_tensor_follows_the_table():
    """np.reciprocal dispatches to the table's row, whose rule is 1 / x as a float (see
    FLOAT_RULE_DEVIATIONS in test_elemwise) -- not NumPy's integer reciprocal."""
    k = sg.ivector("k")
    got = compile_and_run(np.reciprocal(k), [k], [np.array([1, 2, 4], "int32")])
    np.testing.assert_array_equal(got, [1.0, 0.5, 0.25])
