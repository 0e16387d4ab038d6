"""K's variables, placeholders, values and metadata (keras_front/backend/variables.py)."""

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K


def run(outputs, feeds=None):
    feeds = feeds or {}
    return K.function(list(feeds), outputs)(list(feeds.values()))


def test_variable_holds_a_floatx_copy_and_knows_its_shape():
    value = np.arange(6, dtype="int64").reshape(2, 3)
    v = K.variable(value, name="w")
    value[0, 0] = 100
    assert v.name == "w" and v.dtype == "float32"
    assert K.int_shape(v) == (2, 3)
    np.testing.assert_array_equal(K.get_value(v), np.arange(6).reshape(2, 3))
    assert K.is_variable(v) and not K.is_placeholder(v)


def test_variable_of_a_symbolic_value_evaluates_it():
    a = K.variable(np.ones((2, 2)))
    v = K.variable(a * 3.0, dtype="float64")
    assert v.dtype == "float64"
    np.testing.assert_array_equal(K.get_value(v), np.full((2, 2), 3.0))
    np.testing.assert_array_equal(K.get_value(K.variable(a)), np.ones((2, 2)))


def test_placeholder_keeps_static_dims_and_unknown_ones():
    x = K.placeholder(shape=(None, 784), name="x")
    assert K.int_shape(x) == (None, 784) and K.ndim(x) == 2 and K.dtype(x) == "float32"
    assert K.is_placeholder(x)
    y = K.placeholder(ndim=3, dtype="int32")
    assert K.int_shape(y) == (None, None, None) and y.dtype == "int32"
    assert K.int_shape(K.dot(x, K.variable(np.zeros((784, 10))))) == (None, 10)


def test_placeholder_needs_a_shape_or_ndim_and_is_never_sparse():
    with pytest.raises(ValueError, match="Specify either a shape or ndim value"):
        K.placeholder()
    with pytest.raises(NotImplementedError, match="no sparse tensors"):
        K.placeholder(ndim=2, sparse=True)


def test_constant_broadcasts_a_scalar_to_a_shape():
    c = K.constant(2.5, shape=(2, 3))
    np.testing.assert_array_equal(K.eval(c), np.full((2, 3), 2.5, "float32"))
    assert K.eval(K.constant([1, 2])).dtype == np.float32


def test_shape_is_symbolic_and_int_shape_is_static():
    x = K.placeholder(shape=(None, 3))
    (s,) = run([K.shape(x)], {x: np.zeros((5, 3))})
    np.testing.assert_array_equal(s, [5, 3])
    assert K.int_shape(np.zeros((4, 2))) == (4, 2)


def test_keras_shape_metadata_overrides_the_static_shape():
    x = K.placeholder(ndim=2)
    K.set_keras_attr(x, "_keras_shape", (None, 7))
    assert K.int_shape(x) == (None, 7)
    assert K.has_keras_attr(x, "_keras_shape") and not K.has_keras_attr(x, "_keras_history")
    assert K.get_keras_attr(x, "_keras_history", "none") == "none"


def test_is_keras_tensor_means_produced_by_a_layer():
    x = K.placeholder(shape=(2, 4))
    assert not K.is_keras_tensor(x)
    K.set_keras_attr(x, "_keras_history", ("layer", 0, 0))
    assert K.is_keras_tensor(x)
    with pytest.raises(ValueError, match="Expected a symbolic tensor instance"):
        K.is_keras_tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="set_keras_attr: expected a symbolic tensor"):
        K.set_keras_attr(np.zeros(2), "_keras_shape", (2,))


def test_eval_and_get_value():
    v = K.variable([[1.0, 2.0]])
    np.testing.assert_allclose(K.eval(K.exp(v)), np.exp([[1.0, 2.0]]), rtol=1e-6)
    np.testing.assert_array_equal(K.eval(v), [[1.0, 2.0]])
    with pytest.raises(TypeError, match="If you have an expression instead, use eval"):
        K.get_value(v * 2)


def test_set_value_accepts_python_numbers_and_casts():
    v = K.variable(0.0)
    K.set_value(v, 3)
    assert K.get_value(v) == 3.0 and K.get_value(v).dtype == np.float32
    w = K.variable(np.zeros((2, 2)))
    K.batch_set_value([(w, [[1, 2], [3, 4]]), (v, 0.5)])
    a, b = K.batch_get_value([w, v])
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])
    assert b == 0.5
    assert K.get_variable_shape(w) == (2, 2)


def test_set_value_with_the_wrong_shape_names_the_shapes():
    w = K.variable(np.zeros((2, 2)), name="kernel")
    with pytest.raises(ValueError, match=r"static shape \(2, 2\).*shape \(3,\)"):
        K.set_value(w, np.zeros(3))
    with pytest.raises(TypeError, match="needs a variable created with K.variable"):
        K.set_value(w * 2, 1.0)


def test_count_params():
    assert K.count_params(K.variable(np.zeros((3, 4, 5)))) == 60
    assert K.count_params(K.zeros((7,))) == 7


def test_zeros_ones_eye_are_variables_and_likes_are_symbolic():
    z, o, e = K.zeros((2, 3)), K.ones((2, 3), dtype="float64"), K.eye(3)
    np.testing.assert_array_equal(K.get_value(z), np.zeros((2, 3)))
    assert K.get_value(o).dtype == np.float64 and K.get_value(o).sum() == 6
    np.testing.assert_array_equal(K.get_value(e), np.eye(3))
    x = K.placeholder(shape=(None, 2))
    zl, ol = run([K.zeros_like(x), K.ones_like(x, dtype="int32")], {x: np.full((3, 2), 5.0)})
    np.testing.assert_array_equal(zl, np.zeros((3, 2)))
    assert ol.dtype == np.int32 and ol.sum() == 6


def test_random_variables_have_the_requested_statistics_and_seeds_reproduce():
    u = K.get_value(K.random_uniform_variable((200, 100), -2.0, 3.0, seed=5))
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    n = K.get_value(K.random_normal_variable((200, 100), 1.0, 2.0, seed=5))
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    again = K.get_value(K.random_normal_variable((200, 100), 1.0, 2.0, seed=5))
    np.testing.assert_array_equal(n, again)
    np.random.seed(3)
    a = K.get_value(K.random_uniform_variable((4,), 0, 1))
    np.random.seed(3)
    np.testing.assert_array_equal(a, np.random.uniform(0, 1, 4).astype("float32"))


def test_identity_and_cast():
    x = K.placeholder(shape=(None,))
    ident, as_int = run([K.identity(x), K.cast(x, "int32")], {x: np.array([1.7, -2.2])})
    np.testing.assert_allclose(ident, [1.7, -2.2], rtol=1e-6)
    assert as_int.dtype == np.int32
    np.testing.assert_array_equal(as_int, [1, -2])


def test_update_helpers_build_pairs_that_k_function_applies():
    v = K.variable(np.array([1.0, 2.0]))
    avg = K.variable(np.array([10.0, 10.0]))
    assert K.update(v, v * 2)[0] is v
    x = K.placeholder(shape=(2,))
    f = K.function([x], [x], updates=[K.update_add(v, x), K.moving_average_update(avg, x, 0.9)])
    f([np.array([1.0, 1.0])])
    np.testing.assert_allclose(K.get_value(v), [2.0, 3.0])
    np.testing.assert_allclose(K.get_value(avg), [9.1, 9.1], rtol=1e-6)
    g = K.function([], [], updates=[K.update_sub(v, 0.5)])
    g([])
    np.testing.assert_allclose(K.get_value(v), [1.5, 2.5])


def test_variables_are_symgraph_shared_variables():
    assert isinstance(K.variable(1.0), sg.TensorSharedVariable)
