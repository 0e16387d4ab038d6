"""The symbolic tensor: operators, NumPy's dtype rules for scalars, Python protocols, types."""

import operator

import numpy as np
import pytest

import symgraph as sg
from symgraph.tensor import TensorType, as_tensor, broadcast_shapes

A = np.array([1.5, -2.0, 3.0], dtype="float32")
B = np.array([0.5, 4.0, -1.25], dtype="float32")

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
          operator.mod, operator.lt, operator.le, operator.gt, operator.ge]


def run(inputs, output, *values):
    return sg.function(inputs, output, on_unused_input="ignore")(*values)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
def test_binary_operators_match_numpy(op):
    x, y = sg.vector("x", dtype="float32"), sg.vector("y", dtype="float32")
    expected = op(A, B)
    out = run([x, y], op(x, y), A, B)
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
def test_reflected_operators_with_a_python_scalar_on_the_left(op):
    x = sg.vector("x", dtype="float32")
    expr = op(2.5, x)
    expected = op(2.5, A)
    assert expr.dtype == expected.dtype.name
    np.testing.assert_allclose(run([x], expr, A), expected, rtol=1e-6)


@pytest.mark.parametrize("op", BINARY + [operator.matmul], ids=lambda op: op.__name__)
def test_an_ndarray_on_the_left_gives_a_symbolic_result(op):
    x = sg.vector("x", dtype="float32")
    expr = op(B, x)  # NumPy must defer to the variable, not build an object array
    assert isinstance(expr, sg.TensorVariable)
    np.testing.assert_allclose(run([x], expr, A), op(B, A), rtol=1e-6)


def test_power_matmul_and_unary_operators():
    x = sg.vector("x", dtype="float32")
    m = sg.matrix("m", dtype="float32")
    mat = np.arange(6, dtype="float32").reshape(3, 2)
    outs = run([x, m], [abs(x) ** 2, 2.0 ** x, -x, +x, abs(x), x @ m, m.T @ x], A, mat)
    expected = [np.abs(A) ** 2, 2.0 ** A, -A, A, np.abs(A), A @ mat, mat.T @ A]
    for out, exp in zip(outs, expected, strict=True):
        assert out.dtype == exp.dtype
        np.testing.assert_allclose(out, exp, rtol=1e-6)


def test_logical_operators_on_bools_and_ints():
    p, q = sg.bvector("p"), sg.bvector("q")
    pv, qv = np.array([True, True, False]), np.array([True, False, False])
    outs = run([p, q], [p & q, p | q, p ^ q, ~p], pv, qv)
    for out, exp in zip(outs, [pv & qv, pv | qv, pv ^ qv, ~pv], strict=True):
        np.testing.assert_array_equal(out, exp)
        assert out.dtype == np.bool_
    i = sg.ivector("i")
    iv = np.array([5, 6, -7], "int32")
    np.testing.assert_array_equal(run([i], [i & 3, ~i], iv)[1], ~iv)


def test_python_scalars_are_weak_and_keep_the_tensor_dtype():
    x = sg.vector("x", dtype="float32")
    i = sg.ivector("i")
    assert (x + 1.0).dtype == "float32"
    assert (1.0 + x).dtype == "float32"
    assert (x * 2).dtype == "float32"
    assert (x ** 2).dtype == "float32"
    assert (i + 1).dtype == "int32"
    assert (i + 1.5).dtype == "float64"  # NumPy: int32 array + Python float -> float64
    assert (i / 2).dtype == "float64"
    assert (i > 1.5).dtype == "bool"
    # NumPy agrees on each of these
    ai = np.ones(2, "int32")
    assert (ai + 1.5).dtype == np.float64 and (np.ones(2, "float32") + 1.0).dtype == np.float32
    out = run([i], i + 1.5, np.array([1, 2], "int32"))
    np.testing.assert_array_equal(out, [2.5, 3.5])


def test_numpy_scalars_are_not_weak():
    x = sg.vector("x", dtype="float32")
    assert (x + np.float64(1.0)).dtype == "float64"  # as in NumPy 2 (NEP 50)
    assert (x + np.float32(1.0)).dtype == "float32"
    assert (np.ones(1, "float32") + np.float64(1.0)).dtype == np.float64


def test_a_python_int_too_big_for_the_tensor_dtype_is_an_error_as_in_numpy():
    i = sg.ivector("i")
    with pytest.raises(OverflowError):
        np.ones(2, "int32") * 2 ** 40  # NumPy 2 refuses (NEP 50) ...
    with pytest.raises(OverflowError, match="1099511627776 is out of bounds for the int32"):
        i * 2 ** 40  # ... and so do we, instead of wrapping silently
    with pytest.raises(OverflowError, match="-1 is out of bounds for the uint8"):
        sg.tensor("u", dtype="uint8", shape=(2,)) + (-1)
    out = run([i], i.astype("int64") * 2 ** 40, np.array([1, 3], "int32"))
    np.testing.assert_array_equal(out, [2 ** 40, 3 * 2 ** 40])


def test_constants_take_numpy_dtypes_and_floatx_for_python_floats():
    assert sg.constant(1.5).dtype == sg.config.floatX
    assert sg.constant([1.5, 2.0]).dtype == sg.config.floatX
    assert sg.constant(3).dtype == "int64"
    assert sg.constant(True).dtype == "bool"
    assert sg.constant(np.float64(1.5)).dtype == "float64"
    assert sg.constant(np.int8(3)).dtype == "int8"
    assert sg.constant(np.zeros(2, "float64")).dtype == "float64"
    assert sg.constant(2, dtype="float64").data == 2.0


def test_constants_that_do_not_fit_their_dtype_are_errors():
    with pytest.raises(TypeError, match="constant 1.5 does not fit dtype int32"):
        sg.constant(1.5, dtype="int32")
    with pytest.raises(OverflowError, match="constant 300 is out of bounds for int8"):
        sg.constant(300, dtype="int8")
    with pytest.raises(OverflowError, match="out of bounds for uint8"):
        sg.constant(np.array([1, -1]), dtype="uint8")
    with pytest.raises(TypeError, match="not a numeric array"):
        sg.constant(["a", None])
    with pytest.raises(TypeError, match=r"constant from \['a'\]: not a numeric array"):
        sg.constant(["a"])  # was "'str32' is not a dtype symgraph understands"
    with pytest.raises(TypeError, match="takes a value, not the symbolic"):
        sg.constant(sg.vector("x"))


def test_len_and_iter_of_a_vector_of_known_length():
    v = sg.vector("v", dtype="float64", shape=(3,))
    assert len(v) == 3
    parts = list(v)
    assert len(parts) == 3 and all(p.ndim == 0 for p in parts)
    a, b, c = v
    np.testing.assert_array_equal(run([v], [c, b, a], np.array([1.0, 2.0, 3.0])), [3, 2, 1])


def test_len_of_an_unknown_length_is_a_clear_error():
    x = sg.vector("x")
    with pytest.raises(TypeError, match=r"len\(\) of a symbolic tensor needs a known first "
                                        r"dimension.*static shape \(\?,\)"):
        len(x)
    with pytest.raises(TypeError, match="needs a known first dimension"):
        list(x)


def test_bool_of_a_variable_raises_with_a_hint():
    x = sg.vector("x")
    with pytest.raises(TypeError, match=r"no truth value: use sg.switch.*sg.ifelse"):
        bool(x > 0)
    with pytest.raises(TypeError, match="no truth value"):
        if x:
            pass


def test_converting_a_variable_to_an_array_explains_itself():
    x = sg.vector("x")
    with pytest.raises(TypeError, match=r"is symbolic: it has no value until compiled.*eval"):
        np.asarray(x)
    with pytest.raises(TypeError, match="is symbolic"):
        float(x.sum())


def test_eq_is_identity_so_variables_are_dict_keys():
    x, y = sg.vector("x"), sg.vector("y")
    assert x == x and x != y
    d = {x: 1, y: 2}
    assert d[x] == 1 and d[y] == 2
    np.testing.assert_array_equal(run([x, y], sg.eq(x, y), A, A), [True] * 3)


def test_eval_with_and_without_inputs():
    x = sg.vector("x", dtype="float32")
    np.testing.assert_allclose((x * 2 + 1).eval({x: A}), A * 2 + 1)
    np.testing.assert_allclose((x * 2).eval({x: [1.0, 2.0]}), [2, 4])  # downcast allowed
    assert sg.constant(np.arange(4)).sum().eval() == 6
    w = sg.shared(np.arange(3.0), "w")
    np.testing.assert_array_equal((w * 2).eval(), [0, 2, 4])


def test_numpy_functions_build_graph():
    x = sg.vector("x", dtype="float32")
    m = sg.matrix("m", dtype="float32")
    mv = np.arange(6, dtype="float32").reshape(2, 3)
    exprs = [np.exp(x), np.power(x, 4), np.maximum(x, 0), np.mean(m, axis=-1), np.sum(m),
             np.dot(m, np.ones(3, "float32")), np.tanh(x) * np.log1p(np.abs(x))]
    assert all(isinstance(e, sg.TensorVariable) for e in exprs)
    expected = [np.exp(A), np.power(A, 4), np.maximum(A, 0), np.mean(mv, axis=-1), np.sum(mv),
                mv @ np.ones(3, "float32"), np.tanh(A) * np.log1p(np.abs(A))]
    for out, exp in zip(run([x, m], exprs, A, mv), expected, strict=True):
        np.testing.assert_allclose(out, exp, rtol=1e-5)


def test_static_facts_and_shape():
    m = sg.tensor("m", dtype="float32", shape=(None, 784))
    assert m.ndim == 2 and m.dtype == "float32" and m.type.shape == (None, 784)
    assert str(m.type) == "f32[?,784]"
    assert m.T.type.shape == (784, None)
    assert (m + np.zeros(784, "float32")).type.shape == (None, 784)
    assert m.shape.dtype == "int64" and m.shape.ndim == 1
    np.testing.assert_array_equal(run([m], m.shape, np.zeros((5, 784), "float32")), [5, 784])
    assert run([m], m.shape[0] * 2, np.zeros((5, 784), "float32")) == 10


def test_methods_match_numpy():
    m = sg.matrix("m", dtype="float64")
    mv = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    exprs = [m.reshape((3, 2)), m.flatten(), m.dimshuffle(1, "x", 0), m.transpose(),
             m.sum(axis=0), m.mean(axis=1, keepdims=True), m.max(), m.argmin(axis=1),
             m.std(), m.var(axis=0), m.astype("int32"), m.clip(-1, 2), m.prod(axis=1)]
    expected = [mv.reshape(3, 2), mv.ravel(), mv.T[:, None, :], mv.T, mv.sum(0),
                mv.mean(1, keepdims=True), mv.max(), mv.argmin(1), mv.std(), mv.var(0),
                mv.astype("int32"), mv.clip(-1, 2), mv.prod(1)]
    for out, exp in zip(run([m], exprs, mv), expected, strict=True):
        assert out.shape == exp.shape and out.dtype == exp.dtype
        np.testing.assert_allclose(out, exp)


def test_tensor_types():
    t = TensorType("float32", (None, 3))
    assert t == TensorType(np.float32, (None, 3)) and hash(t) == hash(TensorType("f32", [None, 3]))
    assert t.accepts_shape((7, 3)) and not t.accepts_shape((7, 4)) and not t.accepts_shape((3,))
    assert t.with_shape((2, 3)).shape == (2, 3) and t.with_dtype("float64").dtype == "float64"
    with pytest.raises(ValueError, match="negative dimension"):
        TensorType("float32", (-1,))
    with pytest.raises(TypeError, match="not supported"):
        TensorType("datetime64", ())


def test_constructors():
    assert sg.scalar().dtype == sg.config.floatX and sg.scalar().ndim == 0
    for maker, dtype, ndim in [(sg.dvector, "float64", 1), (sg.ivector, "int32", 1),
                               (sg.lvector, "int64", 1), (sg.fmatrix, "float32", 2),
                               (sg.imatrix, "int32", 2), (sg.dscalar, "float64", 0),
                               (sg.ftensor3, "float32", 3), (sg.dtensor4, "float64", 4)]:
        v = maker("v")
        assert (v.dtype, v.ndim, v.name) == (dtype, ndim, "v")
    assert sg.tensor("t", ndim=3).type.shape == (None, None, None)
    assert sg.matrix("w", shape=(2, None)).type.shape == (2, None)
    with pytest.raises(ValueError, match="a 2-d tensor needs a shape of length 2"):
        sg.matrix("w", shape=(2,))


def test_as_tensor_stacks_lists_of_variables():
    a, b = sg.dscalar("a"), sg.dscalar("b")
    v = as_tensor([a, b, 3.0])
    assert v.ndim == 1 and v.type.shape == (3,)
    np.testing.assert_array_equal(run([a, b], v, 1.0, 2.0), [1, 2, 3])


def test_broadcasting_conflicts_name_the_op_and_shapes():
    assert broadcast_shapes((None, 3), (3,)) == (None, 3)
    assert broadcast_shapes((1, 3), (4, 1)) == (4, 3)
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\), \(4,\) cannot be broadcast"):
        sg.matrix("m", shape=(2, 3)) + sg.vector("v", shape=(4,))


def test_register_attribute_gives_every_tensor_a_named_attribute():
    import importlib
    tensor_module = importlib.import_module("symgraph.tensor")  # (sg.tensor: a function)
    from symgraph.tensor import TensorVariable, register_attribute
    store = {}

    def getter(x):
        if x not in store:
            raise AttributeError("_note")
        return store[x]

    register_attribute("_note", getter, lambda x, v: store.__setitem__(x, v))
    try:
        a, b = sg.vector("a"), sg.vector("b")
        a._note = "first"
        assert a._note == "first" and not hasattr(b, "_note") and not hasattr(a + b, "_note")
        with pytest.raises(ValueError, match="'dtype' is already a TensorVariable member"):
            register_attribute("dtype", getter)
    finally:
        del TensorVariable._note
        tensor_module._REGISTERED.discard("_note")
