"""keras_front.initializations (Keras 1.2.2's module): the Keras 1 initializer functions
returning backend variables, with the same draws as keras_front.initializers' arrays."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import initializations, initializers
from keras_front.layers import Dense
from keras_front.models import Sequential

NAMES = ["uniform", "normal", "lecun_uniform", "lecun_normal", "glorot_normal",
         "glorot_uniform", "he_normal", "he_uniform", "orthogonal", "zero", "one"]


def seeded(fn, seed=7):
    np.random.seed(seed)
    return fn()


@pytest.mark.parametrize("name", NAMES)
def test_functions_return_named_variables_holding_the_array_draws(name):
    variable = seeded(lambda: getattr(initializations, name)((6, 4), name="dense_W"))
    assert K.is_variable(variable) and variable.name == "dense_W"
    assert variable.dtype == K.floatx()
    expected = seeded(lambda: getattr(initializers, name)((6, 4)))
    np.testing.assert_array_equal(K.get_value(variable), expected)


def test_statistics_of_keras_1_draws():
    np.random.seed(0)
    w = K.get_value(initializations.glorot_uniform((100, 100)))
    limit = np.sqrt(6.0 / 200)
    assert w.max() <= limit and w.min() >= -limit and abs(w.mean()) < 1e-2
    w = K.get_value(initializations.normal((200, 200), scale=0.1))
    assert abs(w.std() - 0.1) < 5e-3
    q = K.get_value(initializations.orthogonal((50, 50)))
    np.testing.assert_allclose(q @ q.T, 1.1 ** 2 * np.eye(50), atol=1e-4)
    np.testing.assert_array_equal(K.get_value(initializations.identity((3, 3), scale=2)),
                                  2 * np.eye(3))


def test_conv_fans_follow_dim_ordering():
    # 'th' (out, in, rows, cols): fan_in 2 * 9, fan_out 4 * 9; 'tf' reads the same kernel
    # as (rows, cols, in, out)
    np.random.seed(1)
    th = K.get_value(initializations.he_uniform((4, 2, 3, 3), dim_ordering="th"))
    assert np.abs(th).max() <= np.sqrt(6.0 / 18)
    assert initializations.get_fans((4, 2, 3, 3), "th") == (18, 36)
    assert initializations.get_fans((3, 3, 2, 4), "tf") == (18, 36)


def test_get_by_name_binds_arguments_and_keeps_the_name():
    init = initializations.get("glorot_uniform", dim_ordering="tf")
    assert init.__name__ == "glorot_uniform"
    a = seeded(lambda: K.get_value(init((3, 3, 2, 4))))
    b = seeded(lambda: initializers.glorot_uniform((3, 3, 2, 4), dim_ordering="tf"))
    np.testing.assert_array_equal(a, b)
    assert initializations.get("he_normal") is initializations.he_normal
    with pytest.raises(ValueError, match="Invalid initialization: 'xavier'"):
        initializations.get("xavier")


def test_keras_1_custom_initializer_returning_a_variable_builds_a_layer():
    def my_init(shape, name=None):
        return initializations.normal(shape, scale=0.01, name=name)

    np.random.seed(3)
    model = Sequential([Dense(5, init=my_init, input_dim=4)])
    np.random.seed(3)
    expected = np.random.normal(0.0, 0.01, (4, 5)).astype("float32")
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], expected)
    assert model.layers[0].get_config()["init"] == "my_init"
