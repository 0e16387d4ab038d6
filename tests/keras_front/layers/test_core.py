"""Core layers (keras_front/layers/core.py): every layer through layer_test, values against
NumPy, both Keras spellings of renamed arguments, and errors by message."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import constraints, regularizers
from keras_front.engine import Input
from keras_front.layers import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from keras_front.models import Model
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(3)


def _run(layer, data, phase=0):
    x = Input(batch_shape=(None,) + data.shape[1:])
    y = layer(x)
    f = K.function([x, K.learning_phase()], [y])
    return f([data, phase])[0]


# ---------------------------------------------------------------- Dense


def test_dense_layer_test_matches_numpy():
    data = RNG.random((3, 4)).astype("float32")
    kernel = RNG.standard_normal((4, 2)).astype("float32")
    bias = np.array([0.5, -1.0], "float32")
    layer = Dense(2, activation="tanh", weights=[kernel, bias], input_dim=4)
    x = Input(shape=(4,))
    out = Model(x, layer(x)).predict(data)
    np.testing.assert_allclose(out, np.tanh(data @ kernel + bias), rtol=1e-5)
    layer_test(Dense, {"units": 3}, input_shape=(2, 4), expected_trainable=2)
    layer_test(Dense, {"output_dim": 3, "bias": False}, input_shape=(2, 5, 4),
               expected_trainable=1)


def test_dense_on_3d_input_dots_the_last_axis():
    data = RNG.random((2, 3, 4)).astype("float32")
    layer = Dense(5)
    out = _run(layer, data)
    w, b = layer.get_weights()
    np.testing.assert_allclose(out, data @ w + b, rtol=1e-5)


def test_dense_keras1_and_keras2_names_are_the_same_weights():
    layer = Dense(3, input_dim=2)
    layer(Input(shape=(2,)))
    assert layer.W is layer.kernel and layer.b is layer.bias
    assert layer.kernel.name == f"{layer.name}/kernel:0"
    assert layer.bias.name == f"{layer.name}/bias:0"
    assert layer.output_dim == layer.units == 3
    assert layer.batch_input_shape == (None, 2)


def test_dense_keras2_spellings():
    layer = Dense(units=2, use_bias=False, kernel_initializer="zeros",
                  kernel_regularizer=regularizers.l2(0.1),
                  kernel_constraint=constraints.nonneg())
    layer(Input(shape=(3,)))
    assert layer.bias is None and layer.b is None
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros((3, 2)))
    assert layer.constraints == {layer.kernel: layer.kernel_constraint}
    assert len(layer.losses) == 1


def test_dense_second_positional_activation_name_is_the_activation():
    layer = Dense(4, "relu")
    assert layer.activation.__name__ == "relu"
    assert layer.init.__name__ == "glorot_uniform"


def test_dense_init_by_name_draws_its_distribution():
    layer = Dense(50, init="uniform")
    layer(Input(shape=(40,)))
    w = layer.get_weights()[0]
    assert np.abs(w).max() <= 0.05 and w.std() > 0.02


def test_dense_both_spellings_disagreeing_raise():
    with pytest.raises(TypeError, match="`output_dim` .Keras 1. and `units` .Keras 2."):
        Dense(3, output_dim=4)
    with pytest.raises(TypeError, match="Dense needs the number of units"):
        Dense()


def test_dense_input_with_wrong_last_axis_raises():
    layer = Dense(2)
    layer(Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"incompatible with layer dense_\d+: expected axis -1 "
                                         r"of input shape to have value 3"):
        layer(Input(shape=(4,)))


def test_dense_on_1d_input_raises():
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        Dense(2)(Input(batch_shape=(5,)))


def test_dense_config_is_keras1():
    config = Dense(3, init="he_normal", activation="relu", W_regularizer=regularizers.l2(0.01),
                   input_dim=5).get_config()
    assert config["output_dim"] == 3 and config["init"] == "he_normal"
    assert config["activation"] == "relu" and config["bias"] is True
    assert config["W_regularizer"] == {"name": "WeightRegularizer", "l1": 0.0,
                                       "l2": pytest.approx(0.01)}
    assert config["batch_input_shape"] == (None, 5) and config["input_dim"] == 5


# ---------------------------------------------------------------- Activation, Dropout


def test_activation_layer():
    data = RNG.standard_normal((3, 4)).astype("float32")
    layer_test(Activation, {"activation": "relu"}, input_data=data,
               expected_output=np.maximum(data, 0))
    e = np.exp(data - data.max(-1, keepdims=True))
    layer_test(Activation, {"activation": "softmax"}, input_data=data,
               expected_output=e / e.sum(-1, keepdims=True))


def test_activation_takes_a_function():
    data = RNG.standard_normal((2, 3)).astype("float32")

    def tanh(x):
        return K.tanh(x)

    np.testing.assert_allclose(_run(Activation(tanh), data), np.tanh(data), rtol=1e-6)


def test_dropout_is_identity_at_test_time_and_drops_in_training():
    data = np.ones((200, 50), "float32")
    layer_test(Dropout, {"p": 0.5}, input_data=data[:4], expected_output=data[:4])
    trained = _run(Dropout(0.5), data, phase=1)
    kept = trained != 0
    assert set(np.unique(trained)) == {0.0, 2.0}
    assert 0.4 < kept.mean() < 0.6
    assert Dropout(rate=0.2).p == 0.2


def test_dropout_rate_out_of_range_raises():
    with pytest.raises(ValueError, match=r"Dropout rate must be in \[0, 1\), got 1.5"):
        Dropout(1.5)


def test_dropout_noise_shape_shares_the_mask():
    data = np.ones((4, 6, 3), "float32")
    out = _run(Dropout(0.5, noise_shape=(None, 1, 3)), data, phase=1)
    assert (out == out[:, :1, :]).all()


# ---------------------------------------------------------------- shape layers


def test_flatten():
    data = RNG.random((2, 3, 4)).astype("float32")
    layer_test(Flatten, {}, input_data=data, expected_output=data.reshape(2, 12))


def test_flatten_needs_known_dims():
    with pytest.raises(ValueError, match=r'input to "Flatten" is not fully defined \(got '
                                         r'\(None, 4\)\)'):
        Flatten()(Input(shape=(None, 4)))
    with pytest.raises(ValueError, match=r"\(layer 'flat', input shape \(None, None, 4\)\)"):
        Flatten(name="flat")(Input(shape=(None, 4)))


def test_reshape():
    data = RNG.random((2, 12)).astype("float32")
    layer_test(Reshape, {"target_shape": (3, 4)}, input_data=data,
               expected_output=data.reshape(2, 3, 4))
    layer_test(Reshape, {"target_shape": (-1, 2)}, input_data=data,
               expected_output=data.reshape(2, 6, 2))


def test_reshape_size_mismatch_raises():
    with pytest.raises(ValueError, match=r"total size of new array must be unchanged \(input "
                                         r"\(12,\) has 12 values per sample, target \(5, 2\)\)"):
        Reshape((5, 2))(Input(shape=(12,)))
    with pytest.raises(ValueError, match="can only specify one unknown dimension"):
        Reshape((-1, -1))


def test_permute():
    data = RNG.random((2, 3, 4)).astype("float32")
    layer_test(Permute, {"dims": (2, 1)}, input_data=data,
               expected_output=data.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="Invalid permutation `dims`"):
        Permute((1, 3))


def test_repeat_vector():
    data = RNG.random((2, 3)).astype("float32")
    layer_test(RepeatVector, {"n": 4}, input_data=data,
               expected_output=np.repeat(data[:, None, :], 4, axis=1))


# ---------------------------------------------------------------- Lambda


def _row_sum(x):
    return K.sum(x, axis=-1, keepdims=True)


def test_lambda_with_inferred_and_given_output_shape():
    data = RNG.random((3, 4)).astype("float32")
    # Python functions are saved as bytecode (Keras's format) and come back only from
    # custom_objects, under the layer's name
    layer_test(Lambda, {"function": lambda x: x ** 2, "name": "square"}, input_data=data,
               expected_output=data ** 2, custom_objects={"square": lambda x: x ** 2})
    out = layer_test(Lambda, {"function": _row_sum, "output_shape": (1,), "name": "rows"},
                     input_data=data, custom_objects={"rows": _row_sum})
    np.testing.assert_allclose(out, data.sum(-1, keepdims=True), rtol=1e-5)


def test_lambda_config_never_runs_saved_bytecode():
    config = Lambda(lambda x: x ** 2, name="sq").get_config()
    assert config["function_type"] == "lambda"
    with pytest.raises(ValueError, match=r"layer 'sq' \(Lambda\) was saved with the Python "
                                         r"bytecode of its function; loading never runs code"
                                         r".*custom_objects=\{'sq': <the function>\}.*"
                                         r"safe_mode=False"):
        Lambda.from_config(config)
    by_name = {**config, "function": "func_load", "function_type": "function"}
    with pytest.raises(ValueError, match="uses the function 'func_load' as its function"):
        Lambda.from_config(by_name)  # module internals are not reachable by name
    builtin = {**config, "function": "square", "function_type": "function"}
    assert Lambda.from_config(builtin).function is K.square  # backend functions are


def test_lambda_arguments_and_output_shape_function():
    data = RNG.random((2, 6)).astype("float32")
    layer = Lambda(lambda x, k: x[:, :k], output_shape=lambda s: (s[0], 2), arguments={"k": 2})
    x = Input(shape=(6,))
    y = layer(x)
    assert K.int_shape(y) == (None, 2)
    np.testing.assert_allclose(Model(x, y).predict(data), data[:, :2])


def test_lambda_on_a_list_of_tensors_infers_the_shape():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    y = Lambda(lambda xs: K.concatenate(xs, axis=-1))([a, b])
    assert K.int_shape(y) == (None, 6)


def test_lambda_output_shape_function_must_return_a_tuple():
    layer = Lambda(lambda x: x, output_shape=lambda s: 3)
    with pytest.raises(ValueError, match="the output_shape function must return a tuple"):
        layer(Input(shape=(3,)))


# ---------------------------------------------------------------- regularization, masking


def test_activity_regularization_adds_keras1_penalty():
    data = RNG.standard_normal((5, 3)).astype("float32")
    layer_test(ActivityRegularization, {"l1": 0.1, "l2": 0.2}, input_data=data,
               expected_output=data)
    x = Input(shape=(3,))
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    y = layer(x)
    (penalty,) = layer.get_losses_for([x])
    value = K.function([x], [penalty])([data])[0]
    expected = 0.1 * np.abs(data).mean(0).sum() + 0.2 * (data ** 2).mean(0).sum()
    np.testing.assert_allclose(value, expected, rtol=1e-5)
    assert K.int_shape(y) == (None, 3)


def test_masking_zeroes_and_masks_matching_timesteps():
    data = RNG.random((2, 4, 3)).astype("float32")
    data[0, 1] = 0.0
    data[1, 3] = 0.0
    expected = data.copy()
    # At a masked timestep x * any(x != 0) is x (zero) but its symbolic gradient is 0, as
    # in Keras: finite differences there disagree by construction, so no gradient check.
    layer_test(Masking, {"mask_value": 0.0}, input_data=data, expected_output=expected,
               check_gradients=False)
    layer_test(Masking, {"mask_value": 0.0}, input_data=data + 1.0)  # no masked step
    x = Input(shape=(4, 3))
    layer = Masking()
    y = layer(x)
    mask = K.function([x], [layer.get_output_mask_at(0)])([data])[0]
    np.testing.assert_array_equal(mask, (data != 0).any(-1))
    assert K.int_shape(y) == (None, 4, 3)


def test_layer_without_masking_refuses_a_mask():
    x = Input(shape=(4, 3))
    masked = Masking()(x)
    with pytest.raises(TypeError, match=r"Layer flatten_\d+ does not support masking"):
        Flatten()(masked)
