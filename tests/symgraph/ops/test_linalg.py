"""Linear algebra: dot (every rank combination), matmul (batching, broadcasting, 1-d
operands), tensordot, outer, and sg.linalg inv / solve / det against NumPy and SciPy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.linalg

import symgraph as sg
from tests.helpers import check_op

RNG = np.random.default_rng(0)
SHAPES_A = [(), (3,), (2, 3), (2, 2, 3), (1, 2, 2, 3)]
SHAPES_B = [(), (3,), (3, 2), (2, 3, 4), (1, 3, 2)]


def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


@pytest.mark.parametrize("sa,sb", list(itertools.product(SHAPES_A, SHAPES_B)), ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_dot_matches_numpy_for_every_rank(sa, sb, dtype):
    a, b = _values(sa, dtype), _values(sb, dtype, 1)
    for static in (True, False):
        check_op(sg.dot, [a, b], np.dot(a, b), static=static,
                 rtol=1e-5 if dtype == "float32" else None)


MATMUL = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((3,), (2, 3, 4)), ((2, 3, 4), (4,)),
          ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 2, 3), (2, 3, 1)),
          ((0, 2, 3), (3, 4)), ((2, 0), (0, 3))]


@pytest.mark.parametrize("sa,sb", MATMUL, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_matmul_matches_numpy(sa, sb, dtype):
    a, b = _values(sa, dtype), _values(sb, dtype, 1)
    for static in (True, False):
        check_op(lambda p, q: p @ q, [a, b], np.matmul(a, b), static=static,
                 rtol=1e-5 if dtype == "float32" else None)


def test_matmul_mixed_dtypes_follow_numpy():
    a, b = _values((2, 3), "int32"), _values((3, 2), "float32")
    check_op(sg.matmul, [a, b], np.matmul(a, b), rtol=1e-6)
    check_op(sg.dot, [b, a], np.dot(b, a), rtol=1e-6)


TENSORDOT = [(0, (2, 3), (4,)), (1, (2, 3, 4), (4, 2)), (2, (2, 3, 4), (3, 4, 2)),
             (3, (3, 4, 2), (3, 4, 2)), (([1, 2], [1, 0]), (2, 3, 4), (4, 3, 5)),
             (([2], [0]), (2, 3, 4), (4, 5)), ((-1, 0), (2, 3, 4), (4, 2)),
             (([0, 2], [2, 0]), (2, 3, 4), (4, 5, 2))]


@pytest.mark.parametrize("axes,sa,sb", TENSORDOT, ids=str)
def test_tensordot_matches_numpy(axes, sa, sb):
    a, b = _values(sa, "float64"), _values(sb, "float64", 1)
    for static in (True, False):
        check_op(lambda p, q: sg.tensordot(p, q, axes), [a, b], np.tensordot(a, b, axes),
                 static=static)


def test_outer_matches_numpy():
    u, v, m = _values((3,), "float64"), _values((4,), "float64", 1), _values((2, 2), "float32")
    check_op(sg.outer, [u, v], np.outer(u, v))
    check_op(sg.outer, [m, v], np.outer(m, v))


def _well_conditioned(n, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, n)) + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_inv_solve_det_match_scipy(dtype):
    a = _well_conditioned(4, dtype)
    b, bm = _values((4,), dtype, 2), _values((4, 3), dtype, 3)
    rtol = 1e-4 if dtype == "float32" else 1e-10
    for static in (True, False):
        check_op(sg.linalg.inv, [a], scipy.linalg.inv(a), static=static, rtol=rtol)
        check_op(sg.linalg.solve, [a, b], scipy.linalg.solve(a, b), static=static, rtol=rtol)
        check_op(sg.linalg.solve, [a, bm], scipy.linalg.solve(a, bm), static=static, rtol=rtol)
        # NumPy's det keeps float32 (SciPy's returns float64): the graph follows NumPy
        check_op(sg.linalg.det, [a], np.linalg.det(a), static=static, rtol=rtol)
        np.testing.assert_allclose(np.linalg.det(a), scipy.linalg.det(a), rtol=rtol)


def test_linalg_of_int_matrices_is_float64():
    a = np.array([[2, 1], [1, 3]], dtype="int64")
    check_op(sg.linalg.inv, [a], scipy.linalg.inv(a))
    check_op(sg.linalg.det, [a], np.linalg.det(a))
    check_op(sg.linalg.solve, [a, np.array([1, 2])], scipy.linalg.solve(a, np.array([1, 2])))


# ---------------------------------------------------------------- errors


def test_misaligned_shapes_name_the_op_and_both_shapes():
    a = sg.tensor("a", dtype="float64", shape=(3, 4))
    b = sg.tensor("b", dtype="float64", shape=(5, 4))
    with pytest.raises(ValueError, match=r"dot: shapes \(3, 4\) and \(5, 4\) are not aligned"):
        sg.dot(a, b)
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 4\) are not "
                                         r"aligned"):
        a @ b
    with pytest.raises(ValueError, match=r"tensordot: shapes \(3, 4\) and \(5, 4\) are not "
                                         r"aligned"):
        sg.tensordot(a, b, ([1], [0]))
    with pytest.raises(ValueError, match=r"matmul: the batch dims of shapes \(2, 3, 4\) and "
                                         r"\(4, 4, 2\) cannot be broadcast"):
        sg.matmul(sg.tensor("c", dtype="float64", shape=(2, 3, 4)),
                  sg.tensor("d", dtype="float64", shape=(4, 4, 2)))


def test_misaligned_shapes_at_run_time_name_the_op():
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    f = sg.function([a, b], sg.dot(a, b))
    with pytest.raises(ValueError, match=r"dot.*float64\[3, 4\], float64\[5, 4\].*not aligned"):
        f(np.zeros((3, 4)), np.zeros((5, 4)))


def test_matmul_of_scalars_and_non_square_linalg_are_errors():
    with pytest.raises(ValueError, match="matmul: inputs must have at least 1 dim"):
        sg.matmul(sg.dscalar("s"), sg.dvector("v"))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\) are not aligned"):
        sg.tensor("a", "float64", (3,)) @ sg.tensor("b", "float64", (4,))  # not "dot:"
    rect = sg.tensor("r", dtype="float64", shape=(2, 3))
    for fn in (sg.linalg.inv, sg.linalg.det):
        with pytest.raises(ValueError, match=r"(inv|det): expected a square matrix, got "
                                             r"f64\[2,3\]"):
            fn(rect)
    with pytest.raises(ValueError, match="solve: b must be a vector or matrix"):
        sg.linalg.solve(sg.dmatrix("m"), sg.dtensor3("t"))
    with pytest.raises(TypeError, match="dot: not defined for two bool inputs"):
        sg.dot(sg.bvector("p"), sg.bvector("q"))


def test_singular_matrix_at_run_time_names_the_op():
    m = sg.dmatrix("m")
    f = sg.function([m], sg.linalg.inv(m))
    with pytest.raises(Exception, match=r"inv.*float64\[2, 2\]"):
        f(np.ones((2, 2)))
