"""specialize: constant powers become cheaper ops; matrix product + matrix becomes gemm."""

import numpy as np
import pytest
import scipy.special as sp

import symgraph as sg
from symgraph.ops.blas import Gemm

from .helpers import assert_same, compile_both, fired, op_names

X = np.array([[0.5, 1.5, 2.0], [3.0, 0.25, 4.0]])


def spec(inputs, out, **kw):
    return compile_both(inputs, out, rewrites=["canonicalize", "specialize"], **kw)


@pytest.mark.parametrize("power, ops", [
    (2, ["square"]),
    (0.5, ["sqrt"]),
    (-1, ["reciprocal"]),
    (-0.5, ["reciprocal", "sqrt"]),
    (3, ["mul", "square"]),
    (4, ["square", "square"]),
    (5, ["mul", "square", "square"]),
    (-2, ["reciprocal", "square"]),
    (1, []),
    (0, ["alloc"]),
])
def test_constant_powers(power, ops):
    x = sg.dmatrix("x")
    f, g = spec([x], x ** power)
    assert fired(f, "pow_const") == 1
    assert [n for n in op_names(f) if n != "shape_i"] == ops
    assert_same(f, g, X, rtol=1e-14)


def test_float32_power_keeps_its_dtype():
    x = sg.fmatrix("x")
    f, g = spec([x], x ** 3)
    assert f(X.astype("float32")).dtype == np.float32
    assert_same(f, g, X.astype("float32"), rtol=1e-6)


@pytest.mark.parametrize("power", [-1, 0.5, -2])
def test_integer_bases_keep_numpy_semantics(power):
    x = sg.ivector("x")
    f, _ = spec([x], x ** power)
    assert fired(f, "pow_const") == 0 and op_names(f) == ["pow"]


def test_integer_square():
    x = sg.ivector("x")
    f, g = spec([x], x ** 2)
    assert op_names(f) == ["square"]
    assert_same(f, g, np.array([-3, 4], dtype="int32"))


def test_large_or_symbolic_powers_stay():
    x, p = sg.dmatrix("x"), sg.dscalar("p")
    for out in (x ** 9, x ** 2.5, x ** p):
        f, _ = spec([x, p], out)
        assert fired(f, "pow_const") == 0 and "pow" in op_names(f)


def test_one_minus_sigmoid():
    x = sg.dvector("x")
    f, g = spec([x], 1 - sg.sigmoid(x))
    assert fired(f, "one_minus_sigmoid") == 1 and "sub" not in op_names(f)
    np.testing.assert_allclose(f(np.array([40.0])), np.exp(-40.0))
    assert_same(f, g, X[0])


@pytest.mark.parametrize("dtype", ["bool", "uint8"])
def test_one_minus_sigmoid_of_bool_or_unsigned(dtype):
    # Found by the random-graph tests: sigmoid(-x) negated x before converting it to
    # float -- compiling raised for bool x, and uint8 -1 wrapped around to 255.
    x = sg.tensor("x", dtype, (None,))
    f, g = spec([x], 1 - sg.sigmoid(x))
    v = np.array([0, 1, 200]).astype(dtype)
    np.testing.assert_allclose(assert_same(f, g, v, rtol=1e-3), 1 - sp.expit(v), rtol=1e-3)


def gemm_nodes(f):
    return [n for n in f.graph.apply_nodes if isinstance(n.op, Gemm)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sgd_update_becomes_gemm(dtype):
    a, d = sg.matrix("a", dtype), sg.matrix("d", dtype)
    w = sg.shared(np.ones((3, 2), dtype), name="w")
    f, g = compile_both([a, d], w - 0.1 * sg.dot(a.T, d))
    assert fired(f, "gemm") == 1 and len(gemm_nodes(f)) == 1 and "dot" not in op_names(f)
    rng = np.random.default_rng(0)
    args = rng.random((4, 3)).astype(dtype), rng.random((4, 2)).astype(dtype)
    assert_same(f, g, *args, rtol=1e-6 if dtype == "float32" else 1e-12)
    np.testing.assert_array_equal(w.get_value(), np.ones((3, 2)))  # w itself untouched


def test_gemm_from_scaled_sums():
    z, x, y = sg.dmatrix("z"), sg.dmatrix("x"), sg.dmatrix("y")
    lr = sg.dscalar("lr")
    rng = np.random.default_rng(1)
    args = rng.random((2, 4)), rng.random((2, 3)), rng.random((3, 4)), np.float64(0.3)
    for out in (z + sg.dot(x, y), 2.0 * z - lr * sg.dot(x, y), -sg.dot(x, y) + z * lr,
                z - sg.dot(x, y) + 3 * z):
        f, g = compile_both([z, x, y, lr], out)
        assert len(gemm_nodes(f)) == 1, str(f)
        assert_same(f, g, *args, rtol=1e-12)


def test_gemm_in_a_long_sum_of_matrices():
    # _scaled_terms walked the whole sum below every add/sub node (quadratic, and a
    # RecursionError past ~500 terms); the sum is now taken apart once, at its root.
    a, b, z = sg.dmatrix("a"), sg.dmatrix("b"), sg.dmatrix("z")
    acc = 2.0 * sg.dot(a, b) + z
    for k in range(1500):
        acc = acc - z * float(k % 5)
    f, g = spec([a, b, z], acc)
    assert len(gemm_nodes(f)) == 1
    m = np.arange(4.0).reshape(2, 2)
    assert_same(f, g, m, m, m)


def test_no_gemm_when_z_broadcasts():
    x, w, b = sg.dmatrix("x"), sg.dmatrix("w"), sg.dvector("b")
    f, g = compile_both([x, w, b], sg.dot(x, w) + b)  # a dense layer: dot + bias
    assert not gemm_nodes(f) and "dot" in op_names(f)
    assert_same(f, g, X, X.T, np.ones(2))


def test_no_gemm_when_the_product_is_used_twice():
    z, x, y = sg.dmatrix("z"), sg.dmatrix("x"), sg.dmatrix("y")
    p = sg.dot(x, y)
    f, g = compile_both([z, x, y], [z + p, p])
    assert not gemm_nodes(f)
    assert_same(f, g, np.ones((2, 2)), X, X.T)


def test_lone_dot_stays_dot():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    f, _ = compile_both([x, y], sg.dot(x, y))
    assert op_names(f) == ["dot"] and "np.dot" in f.source
