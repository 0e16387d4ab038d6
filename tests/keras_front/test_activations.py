"""Activation functions by name (keras_front/activations.py)."""

import numpy as np
import pytest

from keras_front import activations
from keras_front import backend as K

RNG = np.random.default_rng(3)


def apply(fn, x):
    ph = K.placeholder(ndim=np.ndim(x), dtype="float64")
    return K.function([ph], [fn(ph)])([x])[0]


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


REFERENCE = {
    "softmax": np_softmax,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                    (np.exp(x) - 1)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "linear": lambda x: x,
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_each_activation_by_name_matches_numpy(name):
    x = RNG.normal(scale=3.0, size=(3, 4))
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    np.testing.assert_allclose(apply(fn, x), REFERENCE[name](x), rtol=1e-10, atol=1e-12)


def test_softmax_on_sequences_and_with_an_axis():
    x = RNG.normal(size=(2, 3, 4))
    np.testing.assert_allclose(apply(activations.softmax, x), np_softmax(x), rtol=1e-12)
    along_1 = apply(lambda v: activations.softmax(v, axis=1), x)
    np.testing.assert_allclose(along_1.sum(axis=1), np.ones((2, 4)))


def test_softmax_refuses_a_vector():
    with pytest.raises(ValueError, match="Cannot apply softmax to a tensor that is not at "
                                         "least 2D.*ndim=1"):
        activations.softmax(K.placeholder(ndim=1))


def test_relu_takes_alpha_and_max_value():
    x = np.array([[-2.0, 0.5, 9.0]])
    np.testing.assert_allclose(apply(lambda v: activations.relu(v, 0.1, 6.0), x),
                               [[-0.2, 0.5, 6.0]])


def test_get_none_callable_and_unknown():
    assert activations.get(None) is activations.linear

    def custom(x):
        return K.tanh(x)  # the seeds' custom activation

    assert activations.get(custom) is custom
    np.testing.assert_allclose(apply(custom, np.array([0.5])), np.tanh([0.5]))
    with pytest.raises(ValueError, match="Invalid activation function: 'swishy'"):
        activations.get("swishy")
    with pytest.raises(ValueError, match="Could not interpret activation function"):
        activations.get(3)


def test_serialize_round_trip():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.deserialize("hard_sigmoid") is activations.hard_sigmoid
    assert activations.deserialize("mine", custom_objects={"mine": abs}) is abs
