"""canonicalize (shape half): dimshuffles, reshapes, sums, shape lifting, sum_to_shape."""

import numpy as np

import symgraph as sg
from symgraph.grad import SumToShape
from symgraph.ops.shape import DimShuffle

from .helpers import assert_same, compile_both, fired, op_names

X = np.arange(6.0).reshape(2, 3) - 2.5


def canon(inputs, out, **kw):
    return compile_both(inputs, out, rewrites=["merge", "constant_fold", "canonicalize"], **kw)


def test_transpose_of_transpose_disappears():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.exp(x.T.T))
    assert fired(f, "dimshuffle_dimshuffle") == 1 and op_names(f) == ["exp"]
    assert_same(f, g, X)


def test_dimshuffles_compose_into_one():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.exp(x.dimshuffle(1, "x", 0).dimshuffle(2, 1, 0)))
    assert fired(f, "dimshuffle_dimshuffle") == 1
    (ds,) = [n for n in f.graph.apply_nodes if isinstance(n.op, DimShuffle)]
    assert ds.op.pattern == (0, "x", 1)
    assert_same(f, g, X)


def test_useless_dimshuffle():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.exp(DimShuffle((0, 1))(x)))
    assert fired(f, "useless_dimshuffle") == 1 and op_names(f) == ["exp"]
    assert_same(f, g, X)


def test_reshape_of_reshape():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.exp(x.reshape((6,)).reshape((3, 2))))
    assert fired(f, "reshape_reshape") == 1
    assert op_names(f).count("reshape") == 1
    assert_same(f, g, X)


def test_reshape_to_own_shape():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.exp(x.reshape(x.shape)))
    assert fired(f, "useless_reshape") == 1 and "reshape" not in op_names(f)
    assert_same(f, g, X)


def test_reshape_to_another_shape_stays():
    x = sg.dmatrix("x")
    f, g = canon([x], x.reshape((x.shape[1], x.shape[0])))
    assert fired(f, "useless_reshape") == 0 and "reshape" in op_names(f)
    assert_same(f, g, X)


def test_sum_of_sum():
    x = sg.dtensor3("x")
    f, g = canon([x], x.sum(axis=2).sum(axis=0))
    assert fired(f, "sum_sum") == 1 and op_names(f) == ["sum"]
    (node,) = f.graph.apply_nodes
    assert node.op.axis == (0, 2)
    assert_same(f, g, np.arange(24.0).reshape(2, 3, 4))


def test_sum_of_sum_keeps_an_inner_sum_used_elsewhere():
    x = sg.dmatrix("x")
    inner = x.sum(axis=1)
    f, g = canon([x], [inner.sum(), inner])
    assert fired(f, "sum_sum") == 0
    assert_same(f, g, X)


def test_sum_over_an_inserted_axis():
    v = sg.dvector("v")
    f, g = canon([v], sg.exp(v).dimshuffle("x", 0).sum(axis=0))
    assert fired(f, "sum_size1_axes") == 1 and op_names(f) == ["exp"]
    assert_same(f, g, X[0])


def test_sum_over_a_static_size_one_axis_keeps_the_rest():
    m = sg.tensor("m", "float64", (1, None, 3))
    f, g = canon([m], m.sum(axis=(0, 2)))
    assert fired(f, "sum_size1_axes") == 1
    assert_same(f, g, np.arange(12.0).reshape(1, 4, 3))


def test_sum_over_a_size_one_axis_keepdims():
    m = sg.tensor("m", "float64", (1, None))
    f, g = canon([m], sg.exp(m).sum(axis=0, keepdims=True))
    assert fired(f, "sum_size1_axes") == 1 and op_names(f) == ["exp"]
    assert_same(f, g, X[:1])


def test_sum_of_alloc():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.alloc(sg.constant(2.5, "float64"), x.shape[0], x.shape[1]).sum())
    assert fired(f, "sum_alloc") == 1 and "alloc" not in op_names(f)
    assert_same(f, g, X)
    h, k = canon([x], sg.ones_like(x).sum(axis=0))
    assert fired(h, "sum_alloc") == 1
    assert_same(h, k, X)


def test_shape_of_dot_is_computed_from_its_inputs():
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    f, g = canon([a, b], sg.dot(a, b).shape[0] + sg.dot(a, b).shape[1])
    assert fired(f, "shape_lift") == 1  # the two dots merged first
    assert op_names(f) == ["add", "shape_i", "shape_i"]
    assert_same(f, g, X, X.T)


def test_index_of_a_shape_vector():
    x = sg.dmatrix("x")
    f, g = canon([x], x.shape[1] * 2)
    assert fired(f, "index_of_shape") == 1
    assert op_names(f) == ["mul", "shape_i"]
    assert_same(f, g, X)


def test_shape_lifts_through_elementwise_and_reductions():
    x = sg.dtensor3("x")
    out = sg.exp(x).sum(axis=1).shape
    f, g = canon([x], out)
    assert "exp" not in op_names(f) and "sum" not in op_names(f)
    assert_same(f, g, np.ones((2, 3, 4)))


def test_shape_of_an_input_stays():
    x = sg.dmatrix("x")
    f, g = canon([x], x.shape)
    assert fired(f, "shape_lift") == 0 and op_names(f) == ["shape"]
    assert_same(f, g, X)


def test_useless_sum_to_shape():
    x = sg.dmatrix("x")
    e = sg.exp(x)
    f, g = canon([x], SumToShape((None, None))(e * 2, sg.shape(x)))
    assert fired(f, "useless_sum_to_shape") == 1 and "sum_to_shape" not in op_names(f)
    assert_same(f, g, X)


def test_sum_to_shape_that_sums_stays():
    x, r = sg.dmatrix("x"), sg.dmatrix("r")
    f, g = canon([x, r], SumToShape((None, None))(sg.exp(x) * r, sg.shape(r)))
    assert fired(f, "useless_sum_to_shape") == 0 and "sum_to_shape" in op_names(f)
    out = assert_same(f, g, X, X[:1])  # r has one row: the product is summed to it
    np.testing.assert_allclose(out, (np.exp(X) * X[:1]).sum(axis=0, keepdims=True))


def test_gradient_of_broadcasting_add_has_no_sum_to_shape():
    x = sg.dmatrix("x")
    y = sg.dmatrix("y")
    cost = (sg.exp(x) * sg.exp(y)).sum()
    gx = sg.grad(cost, x)
    f, g = compile_both([x, y], gx)
    assert_same(f, g, X, X[::-1])


def test_shape_i_of_dot_is_shape_i_of_its_first_input():
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    f, g = canon([a, b], sg.shape_i(sg.dot(a, b), 0))
    assert fired(f, "shape_lift") == 1 and op_names(f) == ["shape_i"]
    (node,) = f.graph.apply_nodes
    assert node.inputs[0] is a and node.op.i == 0
    assert_same(f, g, X, X.T)


def test_single_dimshuffle_and_symbolic_index_stay():
    x, i = sg.dmatrix("x"), sg.lscalar("i")
    f, g = canon([x, i], [sg.exp(x.T), x.shape[i]])
    assert fired(f, "dimshuffle_dimshuffle") == 0 and fired(f, "index_of_shape") == 0
    assert "dimshuffle" in op_names(f)
    assert_same(f, g, X, np.int64(1))


def test_shape_lifting_through_a_deep_chain_is_linear():
    # The gradient of an n-layer chain asks for the shape of every layer; each query was
    # lifted one layer at a time, so shape_lift fired ~n^2 / 4 times (5,000 for 150
    # layers, 30 s to compile 1,500). Lifted dims are remembered and followed down.
    x = sg.dmatrix("x")
    w = sg.shared(np.eye(2) * 0.5, "w")
    h, depth = x, 90
    for k in range(depth):
        h = sg.tanh(sg.dot(h, w)) if k % 3 == 0 else h * 1.01 if k % 3 == 1 else \
            h - sg.mean(h, axis=0)
    f, g = compile_both([x], sg.grad(sg.sum(h), [x, w]))
    assert fired(f, "shape_lift") <= depth
    assert_same(f, g, np.arange(6.0).reshape(3, 2), rtol=1e-9)
