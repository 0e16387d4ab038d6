"""Merge layers (keras_front/layers/merge.py): Keras 2's classes and functions, Keras 1's
Merge layer and merge() function, values against NumPy, shape checks by message."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.layers import (
    Add,
    Average,
    Concatenate,
    Dense,
    Dot,
    Maximum,
    Merge,
    Minimum,
    Multiply,
    Subtract,
    add,
    concatenate,
    dot,
    merge,
    multiply,
    subtract,
)
from keras_front.models import Model, Sequential
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(4)
A = RNG.standard_normal((3, 4)).astype("float32")
B = RNG.standard_normal((3, 4)).astype("float32")
C = RNG.standard_normal((3, 4)).astype("float32")


def _l2n(x, axis):
    return x / np.sqrt(np.maximum((x ** 2).sum(axis, keepdims=True), 1e-12))


@pytest.mark.parametrize("cls, expected", [
    (Add, A + B + C),
    (Multiply, A * B * C),
    (Average, (A + B + C) / 3),
    (Maximum, np.maximum(np.maximum(A, B), C)),
    (Minimum, np.minimum(np.minimum(A, B), C)),
])
def test_elementwise_merge_layers(cls, expected):
    layer_test(cls, {}, input_data=[A, B, C], expected_output=expected)


def test_subtract_takes_exactly_two():
    layer_test(Subtract, {}, input_data=[A, B], expected_output=A - B)
    with pytest.raises(ValueError, match="A `Subtract` layer should be called on exactly 2 "
                                         "inputs"):
        Subtract()([Input(shape=(4,)) for _ in range(3)])


def test_merge_layers_broadcast_size_one_axes():
    x, y = Input(shape=(3, 1)), Input(shape=(3, 4))
    out = add([x, y])
    assert K.int_shape(out) == (None, 3, 4)
    a = RNG.random((2, 3, 1)).astype("float32")
    b = RNG.random((2, 3, 4)).astype("float32")
    np.testing.assert_allclose(Model([x, y], out).predict([a, b]), a + b, rtol=1e-6)


def test_shape_errors_name_the_layer_instance():
    with pytest.raises(ValueError, match=r"could not be broadcast .* \(layer 'joiner'\)"):
        Add(name="joiner")([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match=r"matching shapes .* \[\(None, 2, 3\), \(None, 4, 5\)\], "
                                         r"axis 2 \(layer 'cat'\)"):
        Concatenate(name="cat")([Input(shape=(2, 3)), Input(shape=(4, 5))])
    with pytest.raises(ValueError, match=r"dimension incompatibility 4 != 5.*axes \[1, 1\] "
                                         r"\(layer 'd'\)"):
        Dot(axes=1, name="d")([Input(shape=(4,)), Input(shape=(5,))])
    with pytest.raises(ValueError, match=r"exactly 2 inputs. Got 3 inputs \(layer 'minus'"):
        Subtract(name="minus")([Input(shape=(2,))] * 3)
    with pytest.raises(ValueError, match=r"`Dot` layer should be called on exactly 2 inputs. "
                                         r"Got 3 inputs"):
        Dot(axes=1)([Input(shape=(2,))] * 3)


def test_merge_layers_check_shapes():
    with pytest.raises(ValueError, match=r"Add: operands could not be broadcast together with "
                                         r"shapes \[\(None, 3\), \(None, 4\)\]"):
        Add()([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match="A `Multiply` layer should be called on a list of at "
                                         "least 2 inputs. Got 1 inputs."):
        Multiply()([Input(shape=(3,))])


def test_concatenate():
    d = RNG.standard_normal((3, 2)).astype("float32")
    layer_test(Concatenate, {}, input_data=[A, d], expected_output=np.concatenate([A, d], -1))
    a3, b3 = RNG.random((2, 3, 4)).astype("float32"), RNG.random((2, 5, 4)).astype("float32")
    layer_test(Concatenate, {"axis": 1}, input_data=[a3, b3],
               expected_output=np.concatenate([a3, b3], 1))
    with pytest.raises(ValueError, match="A `Concatenate` layer requires inputs with matching "
                                         "shapes except for the concat axis"):
        concatenate([Input(shape=(3, 4)), Input(shape=(5, 6))], axis=1)


@pytest.mark.parametrize("normalize", [False, True])
def test_dot(normalize):
    a, b = (_l2n(A, 1), _l2n(B, 1)) if normalize else (A, B)
    layer_test(Dot, {"axes": 1, "normalize": normalize}, input_data=[A, B],
               expected_output=(a * b).sum(1, keepdims=True), rtol=1e-4)


def test_dot_on_3d_inputs_with_an_axes_pair():
    a = RNG.random((2, 3, 4)).astype("float32")
    b = RNG.random((2, 5, 4)).astype("float32")
    out = layer_test(Dot, {"axes": (2, 2)}, input_data=[a, b])
    np.testing.assert_allclose(out, np.einsum("bik,bjk->bij", a, b), rtol=1e-5)
    with pytest.raises(ValueError, match="Dot: dimension incompatibility 4 != 5"):
        dot([Input(shape=(3, 4)), Input(shape=(3, 5))], axes=2)


def test_functional_forms():
    x, y = Input(shape=(4,)), Input(shape=(4,))
    model = Model([x, y], [subtract([x, y]), multiply([x, y])])
    diff, prod = model.predict([A, B])
    np.testing.assert_allclose(diff, A - B, rtol=1e-6)
    np.testing.assert_allclose(prod, A * B, rtol=1e-6)


# ---------------------------------------------------------------- Keras 1: merge / Merge


@pytest.mark.parametrize("mode, expected", [
    ("sum", A + B), ("mul", A * B), ("ave", (A + B) / 2), ("max", np.maximum(A, B)),
    ("concat", np.concatenate([A, B], -1)), ("dot", (A * B).sum(1, keepdims=True)),
    ("cos", (_l2n(A, 1) * _l2n(B, 1)).sum(1, keepdims=True)),
])
def test_merge_function_modes(mode, expected):
    x, y = Input(shape=(4,)), Input(shape=(4,))
    out = merge([x, y], mode=mode)
    model = Model([x, y], out)
    assert model.output_shape == (None,) + expected.shape[1:]
    np.testing.assert_allclose(model.predict([A, B]), expected, rtol=1e-5, atol=1e-6)
    layer_test(Merge, {"mode": mode}, input_data=[A, B], expected_output=expected, rtol=1e-5)


def test_merge_with_a_function_mode():
    x, y = Input(shape=(4,)), Input(shape=(4,))
    out = merge([x, y], mode=lambda t: t[0] * 2 - t[1])
    assert K.int_shape(out) == (None, 4)
    out2 = merge([x, y], mode=lambda t: t[0][:, :2], output_shape=(2,))
    assert K.int_shape(out2) == (None, 2)
    pred = Model([x, y], [out, out2]).predict([A, B])
    np.testing.assert_allclose(pred[0], 2 * A - B, rtol=1e-6)
    np.testing.assert_allclose(pred[1], A[:, :2])


def test_merge_checks_like_keras1():
    x, y = Input(shape=(4,)), Input(shape=(3,))
    with pytest.raises(ValueError, match=r"Only layers of same output shape can be merged using "
                                         r"sum mode. Layer shapes: \[\(None, 4\), \(None, 3\)\]"):
        merge([x, y], mode="sum")
    with pytest.raises(ValueError, match="Invalid merge mode: 'avg'"):
        Merge(mode="avg")
    with pytest.raises(ValueError, match="dimension incompatibility 4 != 3"):
        merge([x, y], mode="dot")
    layer = Merge(mode="sum")
    layer([Input(shape=(2,)), Input(shape=(2,))])
    with pytest.raises(RuntimeError, match="A Merge layer cannot be used more than once"):
        layer([Input(shape=(2,)), Input(shape=(2,))])
    with pytest.raises(TypeError, match="Merge can only be called on a list of tensors"):
        Merge()(Input(shape=(2,)))


def test_merge_of_sequential_models_keras1_style():
    left = Sequential([Dense(3, input_dim=4)])
    right = Sequential([Dense(3, input_dim=2)])
    model = Sequential()
    model.add(Merge([left, right], mode="concat"))
    model.add(Dense(1))
    assert model.input_names == [left.input_names[0], right.input_names[0]]
    a, b = RNG.random((5, 4)).astype("float32"), RNG.random((5, 2)).astype("float32")
    wl, bl = left.get_weights()
    wr, br = right.get_weights()
    w, bias = model.layers[-1].get_weights()
    expected = np.concatenate([a @ wl + bl, b @ wr + br], -1) @ w + bias
    np.testing.assert_allclose(model.predict([a, b]), expected, rtol=1e-5)
    assert len(model.trainable_weights) == 6
