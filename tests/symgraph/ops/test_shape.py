"""Shape ops: reshape flatten dimshuffle transpose expand_dims squeeze concatenate stack
repeat tile alloc zeros ones *_like arange eye shape, against NumPy, with static and with
unknown input shapes; static types and shape inference must agree with the run."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from tests.helpers import assert_infer_shape_matches, check_op, compile_and_run, needs_cc

X = np.arange(24.0).reshape(2, 3, 4)

CASES = {
    "reshape": (lambda x: x.reshape((6, 4)), lambda a: a.reshape(6, 4)),
    "reshape_minus_one": (lambda x: x.reshape((4, -1)), lambda a: a.reshape(4, -1)),
    "reshape_flat": (lambda x: x.reshape(-1), lambda a: a.reshape(-1)),
    "reshape_symbolic": (lambda x: x.reshape((x.shape[0], -1)), lambda a: a.reshape(2, -1)),
    "reshape_symbolic_product": (lambda x: x.reshape((x.shape[2], x.shape[0] * x.shape[1])),
                                 lambda a: a.reshape(4, 6)),
    "reshape_shape_vector": (lambda x: sg.reshape(x, x.shape[::-1], ndim=3),
                             lambda a: a.reshape(4, 3, 2)),
    "reshape_to_scalar": (lambda x: x[:1, :1, :1].reshape(()), lambda a: a[:1, :1, :1].reshape(())),
    "flatten": (lambda x: x.flatten(), lambda a: a.reshape(-1)),
    "flatten2": (lambda x: x.flatten(2), lambda a: a.reshape(2, -1)),
    "flatten3": (lambda x: x.flatten(3), lambda a: a),
    "dimshuffle": (lambda x: x.dimshuffle(2, "x", 0, 1), lambda a: a.transpose(2, 0, 1)[:, None]),
    "dimshuffle_drop": (lambda x: x[:, :1].dimshuffle(2, 0), lambda a: a[:, 0].T),
    "transpose": (lambda x: x.T, lambda a: a.T),
    "transpose_axes": (lambda x: x.transpose(1, 0, 2), lambda a: a.transpose(1, 0, 2)),
    "transpose_negative": (lambda x: sg.transpose(x, (-1, 0, 1)), lambda a: a.transpose(2, 0, 1)),
    "expand_dims": (lambda x: sg.expand_dims(x, -1), lambda a: a[..., None]),
    "expand_dims_front": (lambda x: sg.expand_dims(x, 0), lambda a: a[None]),
    "expand_dims_tuple": (lambda x: sg.expand_dims(x, (0, 2)), lambda a: np.expand_dims(a, (0, 2))),
    "squeeze_axis": (lambda x: sg.squeeze(x[:, :1], 1), lambda a: a[:, :1].squeeze(1)),
    "squeeze_negative": (lambda x: sg.squeeze(x[:, :, :1], -1), lambda a: a[:, :, 0]),
    "concatenate": (lambda x: sg.concatenate([x, x * 2.0], axis=1),
                    lambda a: np.concatenate([a, a * 2], 1)),
    "concatenate_negative": (lambda x: sg.concatenate([x, x[..., :1]], axis=-1),
                             lambda a: np.concatenate([a, a[..., :1]], -1)),
    "concatenate_three": (lambda x: sg.concatenate([x[:1], x, x[1:]]),
                          lambda a: np.concatenate([a[:1], a, a[1:]])),
    "stack": (lambda x: sg.stack([x, x + 1.0], axis=1), lambda a: np.stack([a, a + 1], 1)),
    "stack_last": (lambda x: sg.stack([x, x], axis=-1), lambda a: np.stack([a, a], -1)),
    "repeat": (lambda x: sg.repeat(x, 2, axis=1), lambda a: np.repeat(a, 2, 1)),
    "repeat_flat": (lambda x: sg.repeat(x, 2), lambda a: np.repeat(a, 2)),
    "repeat_per_element": (lambda x: sg.repeat(x, np.array([1, 0, 2]), axis=-2),
                           lambda a: np.repeat(a, [1, 0, 2], -2)),
    "repeat_zero": (lambda x: sg.repeat(x, 0, axis=0), lambda a: np.repeat(a, 0, 0)),
    "repeat_symbolic": (lambda x: sg.repeat(x, x.shape[0], axis=2), lambda a: np.repeat(a, 2, 2)),
    "tile": (lambda x: sg.tile(x, (2, 1, 3)), lambda a: np.tile(a, (2, 1, 3))),
    "tile_int": (lambda x: sg.tile(x, 2), lambda a: np.tile(a, 2)),
    "tile_more_dims": (lambda x: sg.tile(x, (2, 1, 1, 3)), lambda a: np.tile(a, (2, 1, 1, 3))),
    "tile_zero": (lambda x: sg.tile(x, (1, 0, 2)), lambda a: np.tile(a, (1, 0, 2))),
    "zeros_like": (lambda x: sg.zeros_like(x), np.zeros_like),
    "ones_like": (lambda x: sg.ones_like(x), np.ones_like),
    "ones_like_dtype": (lambda x: sg.ones_like(x, dtype="int32"),
                        lambda a: np.ones_like(a, dtype="int32")),
    "alloc": (lambda x: sg.alloc(2.5, x.shape[0], 3), lambda a: np.full((2, 3), 2.5, "float32")),
    "alloc_symbolic_value": (lambda x: sg.alloc(sg.sum(x), 3, x.shape[1]),
                             lambda a: np.full((3, 3), a.sum())),
    "alloc_dtype": (lambda x: sg.alloc(3, 2, x.shape[2], dtype="float64"),
                    lambda a: np.full((2, 4), 3.0)),
    "zeros": (lambda x: sg.zeros((x.shape[0], 3)), lambda a: np.zeros((2, 3), "float32")),
    "zeros_shape_vector": (lambda x: sg.zeros(x.shape), lambda a: np.zeros(a.shape, "float32")),
    "ones_int": (lambda x: sg.ones((x.shape[1],), dtype="int64"), lambda a: np.ones(3, "int64")),
    "arange": (lambda x: sg.arange(x.shape[1]), lambda a: np.arange(3)),
    "arange_start_step": (lambda x: sg.arange(1, x.shape[2] + 5, 2), lambda a: np.arange(1, 9, 2)),
    "arange_negative_step": (lambda x: sg.arange(x.shape[2], 0, -1), lambda a: np.arange(4, 0, -1)),
    "arange_empty": (lambda x: sg.arange(x.shape[2], 1), lambda a: np.arange(4, 1)),
    "eye": (lambda x: sg.eye(x.shape[1]), lambda a: np.eye(3, dtype="float32")),
    "eye_rect_k": (lambda x: sg.eye(x.shape[1], 4, 1, dtype="float64"), lambda a: np.eye(3, 4, 1)),
    "eye_negative_k": (lambda x: sg.eye(x.shape[1], x.shape[2], -1, dtype="int32"),
                       lambda a: np.eye(3, 4, -1, dtype="int32")),
    "shape": (lambda x: x.shape, lambda a: np.array(a.shape)),
    "shape_i": (lambda x: x.shape[1], lambda a: np.array(3)),
    "shape_negative": (lambda x: x.shape[-1], lambda a: np.array(4)),
    "shape_slice": (lambda x: x.shape[1:], lambda a: np.array([3, 4])),
    "broadcast_to": (lambda x: sg.broadcast_to(x[:, :1], (5, 2, 3, 4)),
                     lambda a: np.broadcast_to(a[:, :1], (5, 2, 3, 4))),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("static", [True, False], ids=["static", "unknown_shape"])
def test_shape_op_matches_numpy(name, static):
    build, ref = CASES[name]
    check_op(build, [X], ref(X), static=static)


@pytest.mark.parametrize("dtype", ["int32", "bool", "float32"])
def test_shape_ops_keep_the_dtype(dtype):
    a = (np.arange(12) % 3).astype(dtype).reshape(3, 4)
    check_op(lambda v: sg.concatenate([v, v]).reshape((4, 6)).T, [a],
             np.concatenate([a, a]).reshape(4, 6).T)
    check_op(lambda v: sg.tile(sg.repeat(v, 2, axis=0), (1, 2)), [a],
             np.tile(np.repeat(a, 2, 0), (1, 2)))


def test_join_promotes_dtypes_like_numpy():
    i = np.array([1, 2], "int32")
    f = np.array([0.5], "float32")
    check_op(lambda p, q: sg.concatenate([p, q]), [i, f], np.concatenate([i, f]))
    check_op(lambda p: sg.stack([p, sg.cast(p, "float32")]), [i],
             np.stack([i, i.astype("float32")]))


def test_stack_of_scalars_and_lists_of_variables():
    n = sg.lscalar("n")
    got = compile_and_run([sg.stack([n, n * 2, 3]), sg.as_tensor([n, 2])], [n], [4])
    np.testing.assert_array_equal(got[0], [4, 8, 3])
    np.testing.assert_array_equal(got[1], [4, 2])


def test_shapes_of_empty_arrays():
    e = np.zeros((0, 3))
    for static in (True, False):
        check_op(lambda v: v.reshape((3, -1)), [e], e.reshape(3, -1), static=static)
        check_op(lambda v: sg.concatenate([v, v]), [e], np.concatenate([e, e]), static=static)
        check_op(lambda v: sg.repeat(v, 2, axis=1), [e], np.repeat(e, 2, 1), static=static)


def test_arange_with_float_bounds():
    check_op(lambda v: sg.arange(0.0, 1.0, 0.25) + v[0, 0, 0] * 0, [X],
             np.arange(0.0, 1.0, 0.25, dtype="float32") + np.float64(0), static=True)
    out = sg.arange(0.0, 1.0, 0.25, dtype="float64")
    np.testing.assert_array_equal(compile_and_run(out), np.arange(0.0, 1.0, 0.25))


def test_arange_dtype_follows_numpy():
    check_op(lambda v: sg.arange(v), [np.int32(3)], np.arange(np.int32(3)))
    check_op(lambda v: sg.arange(v, 7, 2), [np.int64(1)], np.arange(1, 7, 2))


def test_elementwise_shape_inference_with_empty_dims():
    """Regression: the inferred size of a broadcast dim was max(a, b), 1 for (0,) with (1,)."""
    a, b = sg.dvector("a"), sg.dvector("b")
    assert_infer_shape_matches([a + b], [a, b], [np.zeros(0), np.zeros(1)])
    assert_infer_shape_matches([a * b], [a, b], [np.zeros(1), np.zeros(0)])


# ---------------------------------------------------------------- errors


def test_reshape_size_mismatch_is_an_error():
    x = sg.tensor("x", dtype="float64", shape=(3, 4))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an array of static shape "
                                          r"\(3, 4\) \(12 elements\) into shape \(5, 2\)"):
        x.reshape((5, 2))
    with pytest.raises(ValueError, match="reshape: at most one -1"):
        x.reshape((-1, -1))
    y = sg.dmatrix("y")
    f = sg.function([y], y.reshape((5, -1)))
    with pytest.raises(ValueError, match=r"reshape.*float64\[3, 4\].*cannot reshape array of "
                                         r"size 12"):
        f(np.zeros((3, 4)))


def test_join_mismatches_name_the_op_and_shapes():
    a = sg.tensor("a", dtype="float64", shape=(3, 4))
    b = sg.tensor("b", dtype="float64", shape=(3, 5))
    with pytest.raises(ValueError, match=r"concatenate: input shapes f64\[3,4\], f64\[3,5\] "
                                         r"differ along axis 1"):
        sg.concatenate([a, b])
    with pytest.raises(ValueError, match=r"stack: input shapes .* differ along axis 1"):
        sg.stack([a, b])
    with pytest.raises(ValueError, match="concatenate: all inputs need the same number of dims"):
        sg.concatenate([a, sg.dvector("v")])


def test_dimshuffle_and_transpose_errors():
    x = sg.tensor("x", dtype="float64", shape=(2, 3))
    with pytest.raises(ValueError, match=r"dimshuffle: cannot drop dimension 1 of f64\[2,3\]"):
        x.dimshuffle(0)
    with pytest.raises(ValueError, match=r"dimshuffle: pattern \(0, 0\) is invalid"):
        x.dimshuffle(0, 0)
    with pytest.raises(ValueError, match="transpose: axes .* are not a permutation"):
        x.transpose(0, 0)
    with pytest.raises(ValueError, match="flatten: ndim=3 is out of range for a 2-d input"):
        x.flatten(3)
    with pytest.raises(ValueError, match="squeeze: axis 2 is out of range"):
        sg.squeeze(x, 2)


def test_out_of_range_axes_are_errors_not_wrapped_around():
    # transpose(x, (0, 3)) and expand_dims(v, 5) silently used axis % ndim.
    x, v = sg.dmatrix("x"), sg.dvector("v")
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 3\) are out of range"):
        sg.transpose(x, (0, 3))
    with pytest.raises(ValueError, match="expand_dims: axis 5 is out of range"):
        sg.expand_dims(v, 5)
    with pytest.raises(ValueError, match="expand_dims: repeated axis"):
        sg.expand_dims(v, (0, -3))
    assert sg.expand_dims(v, (0, -1)).type.shape == (1, None, 1)
    assert sg.transpose(x, (-1, 0)).owner.op.pattern == (1, 0)


def test_squeeze_of_a_dim_that_is_not_1_at_run_time():
    y = sg.dmatrix("y")
    f = sg.function([y], sg.squeeze(y, 1))
    np.testing.assert_array_equal(f(np.ones((2, 1))), np.ones(2))
    with pytest.raises(ValueError, match="dimshuffle"):
        f(np.ones((2, 3)))


def test_repeat_and_alloc_argument_errors():
    x = sg.dmatrix("x")
    with pytest.raises(TypeError, match="repeat: repeats must be an int scalar or vector"):
        sg.repeat(x, 1.5)
    with pytest.raises(ValueError, match="alloc: the fill value must be a scalar"):
        sg.alloc(sg.dvector("v"), 2)
    with pytest.raises(TypeError, match="alloc: expected an integer scalar"):
        sg.alloc(0.0, 2.5)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("c", marks=needs_cc)])
def test_alloc_of_zero_is_positive_zeros_and_of_negative_zero_keeps_the_sign(backend):
    n = sg.lscalar("n")
    outs = [sg.alloc(np.float32(0), n, 3), sg.alloc(-0.0, n, 3, dtype="float64"),
            sg.zeros((n, 2), "int8"), sg.alloc(np.complex128(0), n, dtype="complex128"),
            sg.alloc(np.float32(2.5), n, 3)]  # the same op as the first, another value
    f = sg.function([n], outs, backend=backend)
    if backend == "c":
        assert f.source.count("np.zeros(") == 3  # the C backend's faster zeros
    got = f(2)
    want = [np.full((2, 3), 0, "float32"), np.full((2, 3), -0.0), np.zeros((2, 2), "int8"),
            np.zeros(2, "complex128"), np.full((2, 3), 2.5, "float32")]
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        assert g.tobytes() == w.tobytes()  # bit for bit: -0.0 stays negative
    got[0][0, 0] = 5  # a fresh array per call
    assert f(2)[0][0, 0] == 0
