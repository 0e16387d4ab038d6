"""shape_info: symbolic output dims and provable equality of dims."""

import numpy as np

import symgraph as sg
from symgraph.rewrite.shape_info import (
    broadcast_key,
    covers,
    dim_key,
    output_dims,
    same_shape,
    zeros_of,
)


def test_dims_follow_elementwise_ops_dot_and_reductions():
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    p = sg.dot(a, b)
    assert dim_key(p, 0) == dim_key(a, 0) and dim_key(p, 1) == dim_key(b, 1)
    assert same_shape(sg.exp(p) * 2.0, p)
    assert dim_key(sg.sum(sg.exp(a), axis=0), 0) == dim_key(a, 1)
    assert dim_key(a.T, 0) == dim_key(a, 1)
    assert not same_shape(a, b)  # unknown: two inputs may differ


def test_static_dims_are_ints():
    x = sg.tensor("x", "float64", (3, None))
    assert dim_key(x, 0) == 3 and dim_key(x + np.ones((1, 4)), 1) == 4


def test_broadcast_dims():
    v, m = sg.dvector("v"), sg.dmatrix("m")
    k = dim_key(v + m, 1)
    assert k == broadcast_key([dim_key(v, 0), dim_key(m, 1)], None)
    assert covers(k, dim_key(v, 0)) and covers(k, dim_key(m, 1))
    assert not covers(dim_key(v, 0), k)
    assert broadcast_key([1, 5], None) == 5 and broadcast_key([2, 5], "fallback") == "fallback"


def test_shapes_through_alloc_and_reshape():
    x = sg.dmatrix("x")
    assert same_shape(sg.zeros_like(x), x)
    assert same_shape(x.reshape(x.shape), x)
    assert dim_key(x.reshape((x.shape[1], x.shape[0])), 0) == dim_key(x, 1)


def test_output_dims_and_zeros_of_compute_from_inputs():
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    p = sg.dot(a, b)
    dims = output_dims(p.owner)
    f = sg.function([a, b], dims, rewrites="none")
    assert [int(d) for d in f(np.ones((2, 3)), np.ones((3, 5)))] == [2, 5]
    z = zeros_of(p.owner)
    g = sg.function([a, b], z, rewrites="none", on_unused_input="ignore")
    np.testing.assert_array_equal(g(np.ones((2, 3)), np.ones((3, 5))), np.zeros((2, 5)))
    assert output_dims(sg.nnet.softmax(a).owner) is not None


def test_slice_lengths_are_not_known_to_be_zero():
    # Found by the random-graph tests: maximum(d1, d2) was read as a broadcast dim, so a
    # slice length maximum(n - 1, 0) got the token 0 -- and exp(x)[1:] "had the shape" of
    # its sum with any y, so the sum was written into the slice's buffer.
    x, y = sg.dvector("x"), sg.dvector("y")
    tail = sg.exp(x)[1:]
    assert dim_key(tail, 0) != 0 and dim_key(x[:1], 0) != dim_key(tail, 0)
    assert not same_shape(tail * 2.0 + y, tail)
    f = sg.function([x, y], tail * 2.0 + y)
    np.testing.assert_allclose(f(np.zeros(2), np.ones(5)), np.full(5, 3.0))
    np.testing.assert_allclose(f(np.zeros(6), np.ones(5)), np.full(5, 3.0))
