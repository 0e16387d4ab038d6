"""JSON and YAML architectures, and checked rebuilding (keras_front/saving/configs.py)."""

import json

import numpy as np
import pytest
import yaml

from keras_front import layers
from keras_front.engine import Input, Layer
from keras_front.models import Model, Sequential, model_from_json, model_from_yaml
from keras_front.saving import SavedModelError

from .reference_files import KERAS1_SEQUENTIAL, KERAS2_FUNCTIONAL, KERAS2_LAYERS

X = np.random.default_rng(0).random((5, 4)).astype("float32")


def functional_model():
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = layers.Dense(3, activation="relu", name="shared")
    merged = layers.concatenate([shared(a), shared(b)], name="merged")
    return Model([a, b], layers.Dense(2, activation="softmax", name="out")(merged), name="two")


def test_json_round_trip_of_a_functional_model():
    model = functional_model()
    text = model.to_json()
    document = json.loads(text)
    assert document["class_name"] == "Model"
    assert document["keras_version"] == "1.2.2" and document["backend"] == "theano"
    assert "keras_front" not in document  # no functions saved as bytecode
    rebuilt = model_from_json(text)
    assert rebuilt.name == "two"
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert json.loads(rebuilt.to_json()) == document
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict([X, X]), model.predict([X, X]))


def test_yaml_round_trip_is_plain_yaml():
    model = Sequential([layers.Dense(3, input_dim=4, activation="tanh"), layers.Dropout(0.2),
                        layers.Dense(1)])
    text = model.to_yaml()
    assert "!!python" not in text
    assert yaml.safe_load(text)["config"][0]["config"]["batch_input_shape"] == [None, 4]
    rebuilt = model_from_yaml(text)
    assert json.loads(rebuilt.to_json()) == json.loads(model.to_json())


def test_keyword_arguments_reach_the_dumpers():
    model = Sequential([layers.Dense(1, input_dim=2)])
    assert model.to_json(indent=2).startswith('{\n  "class_name": "Sequential"')
    assert model.to_yaml(default_flow_style=True).startswith("{")


def test_keras_1_and_2_json_configs_rebuild():
    keras1 = model_from_json(json.dumps(KERAS1_SEQUENTIAL))
    assert [type(la).__name__ for la in keras1.layers] == ["Dense", "Dropout", "Dense"]
    assert keras1.layers[0].output_dim == 3 and keras1.layers[1].p == 0.5
    keras2 = model_from_json(json.dumps(KERAS2_FUNCTIONAL))
    assert [la.name for la in keras2.layers] == ["input_1", "dense_1", "dense_2"]
    assert keras2.output_shape == (None, 2)
    keras22 = model_from_json(json.dumps({"class_name": "Sequential", "config": {
        "name": "sequential_7", "layers": KERAS1_SEQUENTIAL["config"]}}))
    assert keras22.name == "sequential_7" and len(keras22.layers) == 3


def test_keras_2_configs_of_every_supported_layer_rebuild():
    document = {"class_name": "Sequential", "config": {"name": "sequential_1",
                                                       "layers": KERAS2_LAYERS},
                "keras_version": "2.2.4", "backend": "tensorflow"}
    model = model_from_json(json.dumps(document))
    assert [la.name for la in model.layers] == [c["config"]["name"] for c in KERAS2_LAYERS]
    dense = model.layers[0]
    assert dense.units == 6 and dense.kernel_regularizer.l2 == pytest.approx(0.01)
    assert dense.kernel_constraint.max_value == 2
    assert model.get_layer("dropout_1").p == 0.5
    assert model.get_layer("gaussian_noise_1").sigma == pytest.approx(0.1)
    assert model.output_shape == (None, 6, 2)
    assert model.predict(X).shape == (5, 6, 2)


def test_keras_yaml_with_python_tuples_reads_safely():
    config = json.loads(json.dumps(KERAS1_SEQUENTIAL))
    config["config"][0]["config"]["batch_input_shape"] = (None, 4)
    text = yaml.dump(config)  # what Keras's to_yaml wrote: !!python/tuple for shapes
    assert "!!python/tuple" in text
    assert model_from_yaml(text).input_shape == (None, 4)


def test_yaml_that_would_build_python_objects_is_refused():
    text = "!!python/object/apply:os.system ['echo owned']\n"
    with pytest.raises(SavedModelError, match="model_from_yaml: refused YAML.*could run code"):
        model_from_yaml(text)


def test_text_that_does_not_parse():
    with pytest.raises(SavedModelError, match=r"model_from_json: not valid JSON"):
        model_from_json("{'class_name': 'Sequential'")
    with pytest.raises(SavedModelError, match=r"model_from_yaml: not valid YAML"):
        model_from_yaml("a: [1, 2")
    with pytest.raises(TypeError, match="model_from_json expects a JSON string"):
        model_from_json(None)
    with pytest.raises(SavedModelError, match="model_from_json: the JSON is nested too deeply"):
        model_from_json("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("document, message", [
    ([1, 2], r"the model config should be a dict"),
    ({"class_name": "Model", "config": {"name": "m"}},
     r"model 'm' has no 'layers' list in its config"),
    ({"class_name": "Model", "config": {"name": "m", "layers": [], "input_layers": []}},
     r"model 'm' has no 'output_layers' list"),
    ({"class_name": "Sequential", "config": ["Dense"]},
     r"layer #0 of '\(unnamed\)' should be \{'class_name': ..., 'config': ...\}"),
    ({"class_name": "Model", "config": {
        "name": "m", "input_layers": [], "output_layers": [],
        "layers": [{"class_name": "Dense", "config": {}, "name": "d"}]}},
     r"layer 'd' of model 'm' has no 'inbound_nodes' list"),
])
def test_malformed_configs_are_reported(document, message):
    with pytest.raises(SavedModelError, match="model_from_json: " + message):
        model_from_json(json.dumps(document))


class Twice(Layer):
    """A custom layer."""

    def call(self, inputs, mask=None):
        return 2 * inputs


def test_unknown_classes_are_all_named_at_once():
    model = Sequential([Twice(input_shape=(3,)), layers.Dense(2), Twice()])
    text = model.to_json()
    with pytest.raises(SavedModelError, match=r"unknown layer class\(es\) 'Twice' \(layer "
                                              r"'twice_1', 'twice_2'\).*custom_objects="
                                              r"\{'Twice': Twice\}"):
        model_from_json(text)
    rebuilt = model_from_json(text, custom_objects={"Twice": Twice})
    assert [type(la) for la in rebuilt.layers] == [Twice, layers.Dense, Twice]


class Stack(Layer):
    """A custom layer whose config has a 'layers' key that holds no layers."""

    def __init__(self, layers=(2, 3), **kwargs):
        self.sizes = list(layers)
        super().__init__(**kwargs)

    def get_config(self):
        return {**super().get_config(), "layers": self.sizes}


def test_a_custom_config_key_named_layers_is_not_taken_for_sublayers():
    model = Sequential([Stack([4, 5], input_shape=(3,), name="stack")])
    rebuilt = model_from_json(model.to_json(), custom_objects={"Stack": Stack})
    assert rebuilt.layers[0].sizes == [4, 5]


def test_a_failing_layer_is_named_with_the_reason():
    text = json.dumps({"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "d", "output_dim": 2, "input_dim": 3,
                                           "activation": "swishy"}}]})
    with pytest.raises(SavedModelError, match=r"cannot rebuild layer 'd' \(Dense\): "
                                              r"ValueError: Invalid activation function: "
                                              r"'swishy'.*custom_objects"):
        model_from_json(text)
    with pytest.raises(SavedModelError, match=r"cannot rebuild layer 'd' \(Dense\): TypeError"
                                              r".*'units_typo'"):
        model_from_json(text.replace('"activation": "swishy"', '"units_typo": 1'))


# ---------------------------------------------------------------- functions in configs


def square_plus_one(x):
    return x * x + 1.0


def halve_shape(input_shape):
    return (input_shape[0], input_shape[1] // 2)


def take_half(x):
    return x[:, :2]


def test_lambda_functions_come_from_custom_objects_by_name(other_process):
    model = Sequential([layers.Lambda(square_plus_one, input_shape=(4,), name="sq")])
    text = model.to_json()
    other_process()
    assert json.loads(text)["keras_front"] == {"functions": {"sq": {"function":
                                                                    "square_plus_one"}}}
    with pytest.raises(SavedModelError, match=r"layer 'sq' \(Lambda\) was saved with the Python "
                                              r"bytecode of its function 'square_plus_one'.*"
                                              r"custom_objects=\{'square_plus_one': <the "
                                              r"function>\} or custom_objects=\{'sq': "):
        model_from_json(text)
    by_function = model_from_json(text, custom_objects={"square_plus_one": square_plus_one})
    by_layer = model_from_yaml(model.to_yaml(), custom_objects={"sq": square_plus_one})
    for rebuilt in (by_function, by_layer):
        assert rebuilt.layers[0].function is square_plus_one
        np.testing.assert_allclose(rebuilt.predict(X), X * X + 1.0, rtol=1e-6)


def test_anonymous_lambdas_are_asked_for_by_layer_name(other_process):
    model = Sequential([layers.Lambda(lambda x: x - 1.0, input_shape=(4,), name="minus")])
    text = model.to_json()
    other_process()
    assert "keras_front" not in json.loads(text)
    with pytest.raises(SavedModelError, match=r"custom_objects=\{'minus': <the function>\}"):
        model_from_json(text)
    rebuilt = model_from_json(text, custom_objects={"minus": lambda x: x - 1.0})
    np.testing.assert_allclose(rebuilt.predict(X), X - 1.0, rtol=1e-6)


def test_output_shape_functions_are_asked_for_too(other_process):
    model = Sequential([layers.Lambda(take_half, output_shape=halve_shape, input_shape=(4,),
                                      name="half")])
    text = model.to_json()
    other_process()
    with pytest.raises(SavedModelError, match=r"its output_shape function 'halve_shape'.*"
                                              r"custom_objects=\{'half.output_shape'"):
        model_from_json(text, custom_objects={"take_half": take_half})
    rebuilt = model_from_json(text, custom_objects={"take_half": take_half,
                                                    "halve_shape": halve_shape})
    assert rebuilt.output_shape == (None, 2)
    np.testing.assert_array_equal(rebuilt.predict(X), X[:, :2])


def test_functions_saved_by_name_resolve_from_custom_objects_only():
    config = {"class_name": "Sequential", "config": [{"class_name": "Lambda", "config": {
        "name": "f", "function": "func_load", "function_type": "function",
        "output_shape": None, "output_shape_type": "raw", "arguments": {},
        "batch_input_shape": [None, 4]}}]}
    with pytest.raises(SavedModelError, match=r"layer 'f' \(Lambda\) uses the function "
                                              r"'func_load' as its function: pass it in "
                                              r"custom_objects"):
        model_from_json(json.dumps(config))
    config["config"][0]["config"]["function"] = "tanh"  # an activation is fine
    rebuilt = model_from_json(json.dumps(config))
    np.testing.assert_allclose(rebuilt.predict(X), np.tanh(X), rtol=1e-6)


def test_merge_modes_saved_as_bytecode_are_asked_for(other_process):
    a, b = Input(shape=(4,)), Input(shape=(4,))
    out = layers.merge([a, b], mode=lambda xs: xs[0] - xs[1], output_shape=(4,), name="diff")
    text = Model([a, b], out).to_json()
    other_process()
    with pytest.raises(SavedModelError, match=r"layer 'diff' \(Merge\).*its function"):
        model_from_json(text)
    rebuilt = model_from_json(text, custom_objects={"diff": lambda xs: xs[0] - xs[1]})
    np.testing.assert_allclose(rebuilt.predict([X, X[::-1]]), X - X[::-1], rtol=1e-6)


# ---------------------------------------------------------------- custom penalty functions


def small_weights(w):
    """A custom weight penalty: a plain function."""
    return 0.5 * (w * w).sum()


def clip_to_one(w):
    """A custom constraint: a plain function."""
    return w.clip(-1.0, 1.0)


def test_custom_regularizer_and_constraint_functions_round_trip():
    from keras_front import constraints, regularizers
    from keras_front.utils.generic_utils import custom_object_scope

    model = Sequential([layers.Dense(2, input_dim=4, W_regularizer=small_weights,
                                     W_constraint=clip_to_one, b_regularizer="l2")])
    custom = {"small_weights": small_weights, "clip_to_one": clip_to_one}
    rebuilt = model_from_json(model.to_json(), custom_objects=custom)
    dense = rebuilt.layers[0]
    assert dense.kernel_regularizer is small_weights  # named in the config, not called
    assert dense.kernel_constraint is clip_to_one
    assert isinstance(dense.bias_regularizer, regularizers.WeightRegularizer)  # a factory: made
    with custom_object_scope(custom):
        assert regularizers.get("small_weights") is small_weights
        assert constraints.get("clip_to_one") is clip_to_one
    assert isinstance(constraints.get("maxnorm"), constraints.MaxNorm)
    rebuilt.set_weights(model.get_weights())
    rebuilt.compile(optimizer="sgd", loss="mse")
    model.compile(optimizer="sgd", loss="mse")
    y = np.ones((5, 2), "float32")
    assert rebuilt.train_on_batch(X, y) == model.train_on_batch(X, y)  # the penalty counts
    assert np.abs(rebuilt.get_weights()[0]).max() <= 1.0
