"""Indexing: basic (slices with negative steps and symbolic bounds, ints, None, Ellipsis),
advanced (integer arrays, adjacent or not, boolean masks) and set_subtensor/inc_subtensor,
against NumPy with static and unknown shapes."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from tests.helpers import check_op, compile_and_run

A = np.arange(120.0).reshape(4, 5, 6)
MASK4 = np.array([True, False, True, True])
MASK45 = (np.arange(20).reshape(4, 5) % 3) == 0

BASIC = {
    "reverse": lambda a: a[::-1],
    "negative_step": lambda a: a[3:0:-2, ::-2],
    "negative_bounds": lambda a: a[-3:-1, :, -1],
    "out_of_range_bounds": lambda a: a[1:100, -100:2],
    "empty_slice": lambda a: a[3:1],
    "int": lambda a: a[2],
    "negative_int": lambda a: a[-1, -2],
    "none": lambda a: a[None, 1, None, :, 2],
    "ellipsis": lambda a: a[..., 1],
    "ellipsis_middle": lambda a: a[1, ..., None, 2],
    "empty_tuple": lambda a: a[()],
    "full": lambda a: a[:],
}
ADVANCED = {
    "list": lambda a: a[[0, 2, 2]],
    "negative_list": lambda a: a[:, [-1, 0]],
    "adjacent_arrays": lambda a: a[:, [0, 1], [2, 3]],
    "non_adjacent_arrays": lambda a: a[[0, 1], :, [2, 3]],
    "int_and_array_non_adjacent": lambda a: a[1, :, [2, 3]],
    "int_and_array_adjacent": lambda a: a[:, 1, [2, 3]],
    "2d_index": lambda a: a[np.array([[0, 1], [2, 3]])],
    "broadcast_indices": lambda a: a[np.array([[0], [1]]), :, np.array([0, 1, 2])],
    "with_slice_and_none": lambda a: a[None, [0, 1], 1:3],
    "empty_index": lambda a: a[np.array([], dtype=np.int64)],
    "mask": lambda a: a[MASK4],
    "mask_2d": lambda a: a[MASK45],
    "mask_and_int": lambda a: a[MASK4, 1],
    "mask_on_axis_1": lambda a: a[:, np.array([True, False, True, True, False])],
    "mask_from_values": lambda a: a[a > 50],
}


@pytest.mark.parametrize("name", sorted(BASIC) + sorted(ADVANCED))
@pytest.mark.parametrize("static", [True, False], ids=["static", "unknown_shape"])
def test_indexing_matches_numpy(name, static):
    fn = BASIC.get(name) or ADVANCED[name]
    check_op(fn, [A], fn(A), static=static)


SYMBOLIC = {
    "bounds": (lambda x, n: x[n:, :n], np.int64(2)),
    "step": (lambda x, n: x[::n], np.int64(-2)),
    "negative_index": (lambda x, n: x[n], np.int64(-1)),
    "int32_index": (lambda x, n: x[1, n], np.int32(3)),
    "shape_bound": (lambda x, n: x[x.shape[0] - n:], np.int64(3)),
    "index_array": (lambda x, i: x[i], np.array([3, 0, 0])),
    "index_array_axis1": (lambda x, i: x[:, i], np.array([-1, 0])),
    "mask": (lambda x, m: x[m], MASK4),
    "mask_2d": (lambda x, m: x[m], MASK45),
    "mask_axis1": (lambda x, m: x[:, m], np.array([True, False, True, True, False])),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
@pytest.mark.parametrize("static", [True, False], ids=["static", "unknown_shape"])
def test_symbolic_indices(name, static):
    fn, idx = SYMBOLIC[name]
    check_op(fn, [A, idx], fn(A, idx), static=static)


@pytest.mark.parametrize("dtype", ["int32", "bool", "float32"])
def test_indexing_keeps_the_dtype(dtype):
    a = (np.arange(12) % 3).astype(dtype).reshape(3, 4)
    check_op(lambda v: v[::-1, [0, 0, 2]], [a], a[::-1, [0, 0, 2]])


# ---------------------------------------------------------------- set / inc


def _np_set(a, idx, y):
    out = a.copy()
    out[idx] = y
    return out


def _np_inc(a, idx, y):
    out = a.copy()
    np.add.at(out, idx, y)  # repeated indices accumulate
    return out


B = np.arange(12.0).reshape(4, 3)
UPDATES = {
    "basic": ((slice(1, 3),), np.full((2, 3), 7.0)),
    "negative_step": ((slice(None, None, -2),), np.arange(6.0).reshape(2, 3)),
    "column_broadcast": ((slice(None), 1), 5.0),
    "row_broadcast": ((slice(1, 3),), np.array([1.0, 2.0, 3.0])),
    "advanced": (([0, 2],), np.arange(6.0).reshape(2, 3)),
    "advanced_repeated": (([0, 2, 0],), np.arange(9.0).reshape(3, 3)),
    "advanced_pairs_repeated": (([0, 0, 1], [1, 1, 2]), np.array([1.0, 2.0, 3.0])),
    "advanced_column_repeated": ((slice(None), [1, 1]), 1.0),
    "mask": ((B > 5,), 0.5),
    "mask_rows": ((np.array([True, False, True, False]),), np.array([1.0, 2.0, 3.0])),
}


@pytest.mark.parametrize("name", sorted(UPDATES))
@pytest.mark.parametrize("kind", ["set", "inc"])
@pytest.mark.parametrize("static", [True, False], ids=["static", "unknown_shape"])
def test_set_and_inc_subtensor(name, kind, static):
    """inc accumulates repeated indices (np.add.at); set keeps the last write (NumPy)."""
    idx, y = UPDATES[name]
    update = sg.set_subtensor if kind == "set" else sg.inc_subtensor
    expected = (_np_set if kind == "set" else _np_inc)(B, idx, y)
    check_op(lambda x, v: update(x[idx], v), [B, np.asarray(y)], expected, static=static)


def test_inc_subtensor_accumulates_repeated_indices():
    x = sg.dvector("x")
    got = compile_and_run(sg.inc_subtensor(x[[0, 2, 0, 0]], 1.0), [x], [np.zeros(3)])
    np.testing.assert_array_equal(got, [3.0, 0.0, 1.0])


def test_set_and_inc_with_symbolic_indices():
    x, i, n = sg.dmatrix("x"), sg.lvector("i"), sg.lscalar("n")
    outs = [sg.set_subtensor(x[n:], -1.0), sg.inc_subtensor(x[i, n], 10.0)]
    got = compile_and_run(outs, [x, i, n], [B, np.array([1, 1, 3]), 2])
    np.testing.assert_array_equal(got[0], _np_set(B, (slice(2, None),), -1.0))
    np.testing.assert_array_equal(got[1], _np_inc(B, ([1, 1, 3], 2), 10.0))


def test_set_subtensor_does_not_modify_its_input():
    x = sg.dmatrix("x")
    value = B.copy()
    compile_and_run(sg.set_subtensor(x[0], 0.0), [x], [value])
    np.testing.assert_array_equal(value, B)


def test_set_subtensor_casts_the_value_to_the_tensor_dtype():
    x = sg.imatrix("x")
    out = sg.set_subtensor(x[0], sg.constant(np.array([1, 2, 3], "int64")))
    assert out.dtype == "int32"
    got = compile_and_run(out, [x], [np.zeros((2, 3), "int32")])
    assert got.dtype == np.int32


# ---------------------------------------------------------------- errors


def test_out_of_bounds_constant_indices_are_build_time_errors():
    x = sg.tensor("x", dtype="float64", shape=(3, 4))
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for axis 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match=r"index -5 is out of bounds for axis 1 with size 4"):
        x[:, -5]
    # regression: constant index arrays were not checked
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for axis 0 with size 3"):
        x[[0, 5]]
    with pytest.raises(IndexError, match=r"index -5 is out of bounds for axis 1 with size 4"):
        x[:, np.array([-5, 0])]


def test_out_of_bounds_at_run_time_names_the_op():
    x = sg.dmatrix("x")
    f = sg.function([x], x[7])
    with pytest.raises(IndexError, match=r"subtensor.*float64\[3, 4\].*index 7 is out of "
                                         r"bounds"):
        f(np.zeros((3, 4)))


def test_bad_keys_are_errors():
    x = sg.tensor("x", dtype="float64", shape=(3, 4))
    with pytest.raises(IndexError, match=r"too many indices for f64\[3,4\]"):
        x[1, 2, 3]
    with pytest.raises(IndexError, match="an index can only have a single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match="must be an integer scalar"):
        x[sg.dscalar("f")]
    with pytest.raises(IndexError, match="arrays used as indices must be of integer or boolean"):
        x[sg.dvector("f")]
    with pytest.raises(IndexError, match=r"boolean index of shape \(2,\) does not match"):
        x[np.array([True, False])]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        x[::0]


def test_take_axis_out_of_range_is_an_error():
    # take(v, i, axis=2) on a vector silently took axis 0.
    v, i = sg.dvector("v"), sg.ivector("i")
    with pytest.raises(ValueError, match="take: axis 2 is out of range for a 1-d input"):
        sg.take(v, i, axis=2)
    f = sg.function([v, i], sg.take(sg.outer(v, v), i, axis=-1))
    np.testing.assert_array_equal(f(np.array([1.0, 2.0]), np.array([1], "int32")),
                                  [[2.0], [4.0]])


def test_set_subtensor_argument_errors():
    x = sg.tensor("x", dtype="float64", shape=(3, 4))
    with pytest.raises(TypeError, match="set_subtensor: the first argument must be an indexed "
                                        "tensor"):
        sg.set_subtensor(x, 1.0)
    with pytest.raises(ValueError, match=r"inc_subtensor: value f64\[2,3,4\] has more dims"):
        sg.inc_subtensor(x[0], sg.tensor("y", dtype="float64", shape=(2, 3, 4)))
    with pytest.raises(ValueError, match=r"set_subtensor: shapes \(2, 4\), \(3,\) cannot be "
                                         r"broadcast"):
        sg.set_subtensor(x[1:], sg.tensor("y", dtype="float64", shape=(3,)))
    with pytest.raises(TypeError, match="set_subtensor: cannot store float64 values in a int32"):
        sg.set_subtensor(sg.imatrix("i")[0], sg.dvector("v"))
