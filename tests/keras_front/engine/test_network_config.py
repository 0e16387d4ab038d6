"""Model configs (keras_front/engine/network_config.py): Keras 1.2's layout, JSON-able, and
rebuilding equal models — shared layers, nested models, custom layers."""

import json

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import Input, Layer
from keras_front.layers import Dense, concatenate
from keras_front.models import Model, Sequential, model_from_config

RNG = np.random.default_rng(10)


def _same_predictions(model, rebuilt, data):
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(data), model.predict(data), rtol=1e-6)


def test_config_layout_is_keras12():
    K.clear_session()
    x = Input(shape=(3,))
    model = Model(x, Dense(2)(x), name="m")
    config = model.get_config()
    json.dumps(config)
    assert config["name"] == "m"
    assert config["input_layers"] == [["input_1", 0, 0]]
    assert config["output_layers"] == [["dense_1", 0, 0]]
    assert [layer["name"] for layer in config["layers"]] == ["input_1", "dense_1"]
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert config["layers"][0]["inbound_nodes"] == []
    assert config["layers"][1]["inbound_nodes"] == [[["input_1", 0, 0]]]


def test_shared_layer_and_multiple_outputs_round_trip():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    shared = Dense(2)
    ya, yb = shared(a), shared(b)
    model = Model([a, b], [concatenate([ya, yb]), Dense(1)(yb)])
    config = model.get_config()
    shared_config = next(c for c in config["layers"] if c["name"] == shared.name)
    assert [node[0][1] for node in shared_config["inbound_nodes"]] == [0, 0]
    rebuilt = Model.from_config(json.loads(json.dumps(config)))
    assert len(rebuilt.get_layer(shared.name).inbound_nodes) == 2
    data = [RNG.random((4, 3)).astype("float32") for _ in range(2)]
    rebuilt.set_weights(model.get_weights())
    for got, want in zip(rebuilt.predict(data), model.predict(data), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_node_indices_count_only_calls_inside_the_model():
    dense = Dense(2)
    dense(Input(shape=(3,)))  # a call outside the model
    x = Input(shape=(3,))
    model = Model(x, Dense(1)(dense(x)))
    config = model.get_config()
    last = config["layers"][-1]
    assert last["inbound_nodes"] == [[[dense.name, 0, 0]]]
    _same_predictions(model, Model.from_config(config), RNG.random((2, 3)).astype("float32"))


def test_nested_models_round_trip():
    x = Input(shape=(3,))
    inner = Model(x, Dense(2)(x), name="inner")
    seq = Sequential([Dense(2, input_dim=2)], name="seq")
    z = Input(shape=(3,))
    outer = Model(z, seq(inner(z)))
    config = outer.get_config()
    inner_entry = next(c for c in config["layers"] if c["name"] == "inner")
    # A model's own first node links its inputs to its outputs: calls count from 1.
    assert inner_entry["inbound_nodes"] == [[[config["layers"][0]["name"], 0, 0]]]
    seq_entry = next(c for c in config["layers"] if c["name"] == "seq")
    assert seq_entry["inbound_nodes"] == [[["inner", 1, 0]]]
    assert isinstance(seq_entry["config"], list)
    rebuilt = model_from_config({"class_name": "Model", "config": config})
    _same_predictions(outer, rebuilt, RNG.random((2, 3)).astype("float32"))


class Scale(Layer):
    def __init__(self, factor, **kwargs):
        self.factor = factor
        super().__init__(**kwargs)

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_layers_need_custom_objects():
    x = Input(shape=(2,))
    model = Model(x, Scale(3.0)(x))
    config = model.get_config()
    with pytest.raises(ValueError, match="Unknown layer: Scale. If it is a custom layer, pass it "
                                         "in custom_objects"):
        Model.from_config(config)
    rebuilt = Model.from_config(config, custom_objects={"Scale": Scale})
    np.testing.assert_allclose(rebuilt.predict(np.ones((1, 2), "float32")), [[3.0, 3.0]])


def test_keras2_inbound_nodes_with_kwargs_are_read():
    x = Input(shape=(2,))
    config = Model(x, Dense(1)(x)).get_config()
    for layer in config["layers"]:
        for node in layer["inbound_nodes"]:
            for entry in node:
                entry.append({})
    assert K.int_shape(Model.from_config(config).output) == (None, 1)


def test_bad_configs():
    with pytest.raises(ValueError, match="Model.from_config expects a dict with 'layers'"):
        Model.from_config([{"class_name": "Dense"}])
    with pytest.raises(TypeError, match="`model_from_config` expects a dictionary, not a list"):
        model_from_config([])
