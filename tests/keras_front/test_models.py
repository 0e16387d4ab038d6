"""Sequential and the model functions (keras_front/models.py)."""

import sys

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import models
from keras_front.engine import Input, Layer
from keras_front.layers import Activation, Dense, Dropout, Merge
from keras_front.models import Model, Sequential, model_from_config

RNG = np.random.default_rng(14)
X = RNG.standard_normal((6, 4)).astype("float32")


def test_first_layer_input_spellings():
    for kwargs in ({"input_dim": 4}, {"input_shape": (4,)}, {"batch_input_shape": (None, 4)}):
        model = Sequential([Dense(2, **kwargs)])
        assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    fixed = Sequential([Dense(2, batch_input_shape=(6, 4))])
    assert fixed.input_shape == (6, 4)


def test_layers_list_and_keras1_input_layer_name():
    K.clear_session()
    dense, act = Dense(3, input_dim=4), Activation("relu")
    model = Sequential([dense, act])
    assert model.layers == [dense, act] and model.name == "sequential_1"
    assert model.input_names == ["dense_input_1"] and model.output_names == ["activation_1"]
    assert model.model is model
    w, b = dense.get_weights()
    np.testing.assert_allclose(model.predict(X), np.maximum(X @ w + b, 0), rtol=1e-5)


def test_add_errors():
    model = Sequential()
    with pytest.raises(ValueError, match=r"The first layer in a Sequential model must get an "
                                         r"`input_shape` or `batch_input_shape` argument"):
        model.add(Dense(3))
    with pytest.raises(TypeError, match="The added layer must be an instance of class Layer"):
        model.add("dense")

    class Two(Layer):
        def call(self, inputs):
            return [inputs, inputs * 2]

        def compute_output_shape(self, input_shape):
            return [input_shape, input_shape]

    model.add(Dense(2, input_dim=4))
    with pytest.raises(ValueError, match="All layers in a Sequential model should have a single "
                                         "output tensor"):
        model.add(Two())
    with pytest.raises(TypeError, match="Sequential model cannot be built: model is empty"):
        Sequential().compile("sgd", "mse")


def test_pop_then_add():
    model = Sequential([Dense(3, input_dim=4), Dense(2), Dense(5)])
    model.pop()
    assert len(model.layers) == 2 and model.output_shape == (None, 2)
    model.add(Activation("softmax"))
    assert model.output_shape == (None, 2)
    np.testing.assert_allclose(model.predict(X).sum(1), np.ones(6), rtol=1e-5)
    for _ in range(3):
        model.pop()
    assert model.layers == [] and model.outputs == []
    with pytest.raises(TypeError, match="There are no layers in the model"):
        model.pop()


def test_adding_after_compile_needs_a_new_compile():
    model = Sequential([Dense(2, input_dim=4)])
    model.compile("sgd", "mse")
    model.add(Dense(1))
    with pytest.raises(RuntimeError, match="You must compile a model before training/testing"):
        model.fit(X, np.ones((6, 1)), verbose=0)


def test_nested_sequential_as_first_layer():
    inner = Sequential([Dense(3, input_dim=4), Activation("tanh")])
    outer = Sequential([inner, Dense(1)])
    assert outer.input_shape == (None, 4) and len(outer.trainable_weights) == 4
    w, b = inner.layers[0].get_weights()
    w2, b2 = outer.layers[1].get_weights()
    np.testing.assert_allclose(outer.predict(X), np.tanh(X @ w + b) @ w2 + b2, rtol=1e-5)


def test_config_round_trip_keras12_list():
    model = Sequential([Dense(3, input_dim=4, activation="relu"), Dropout(0.5), Dense(1)])
    config = model.get_config()
    assert isinstance(config, list) and [c["class_name"] for c in config] == [
        "Dense", "Dropout", "Dense"]
    assert config[0]["config"]["batch_input_shape"] == (None, 4)
    rebuilt = Sequential.from_config(config)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(X), model.predict(X), rtol=1e-6)
    same = model_from_config({"class_name": "Sequential", "config": config})
    assert isinstance(same, Sequential) and len(same.layers) == 3
    keras22 = Sequential.from_config({"name": "seq_x", "layers": config})
    assert keras22.name == "seq_x"


def test_merge_of_models_config_round_trip():
    left, right = Sequential([Dense(2, input_dim=4)]), Sequential([Dense(2, input_dim=3)])
    model = Sequential([Merge([left, right], mode="sum"), Dense(1)])
    config = model.get_config()
    assert [c["class_name"] for c in config[0]["config"]["layers"]] == ["Sequential"] * 2
    rebuilt = Sequential.from_config(config)
    rebuilt.set_weights(model.get_weights())
    data = [X, RNG.random((6, 3)).astype("float32")]
    np.testing.assert_allclose(rebuilt.predict(data), model.predict(data), rtol=1e-6)


def test_predict_classes_and_proba():
    model = Sequential([Dense(3, input_dim=4, activation="softmax")])
    proba = model.predict_proba(X, verbose=0)
    np.testing.assert_array_equal(model.predict_classes(X, verbose=0), proba.argmax(1))
    binary = Sequential([Dense(1, input_dim=4, activation="sigmoid")])
    np.testing.assert_array_equal(binary.predict_classes(X, verbose=0),
                                  (binary.predict(X) > 0.5).astype("int32"))
    linear = Sequential([Dense(1, input_dim=4, weights=[np.full((4, 1), 10.0), np.ones(1)])])
    with pytest.warns(UserWarning, match="Network returning invalid probability values"):
        linear.predict_proba(X, verbose=0)


def test_functional_model_is_exported_here():
    x = Input(shape=(4,))
    assert isinstance(Model(x, Dense(1)(x)), models.Model)


@pytest.mark.parametrize("module, package", [("h5py", "h5py"), ("yaml", "pyyaml")])
def test_saving_without_the_saving_extra_says_what_to_install(monkeypatch, module, package):
    model = Sequential([Dense(1, input_dim=2)])
    for name in [n for n in sys.modules if n.startswith("keras_front.saving")]:
        monkeypatch.delitem(sys.modules, name)  # imported again, without `module`
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    advice = rf"needs {package}, which is not installed: .*pip install symgraph\[saving\]"
    for call, name in [(lambda: models.model_from_json("{}"), "model_from_json"),
                       (lambda: model.save("m.h5"), "save_model"),
                       (lambda: models.load_model("m.h5"), "load_model"),
                       (lambda: model.load_weights("m.h5", by_name=True), "load_weights"),
                       (model.to_json, "model_to_json")]:
        with pytest.raises(ImportError, match=name + " " + advice) as info:
            call()
        assert info.value.name == module


def test_keras_import_paths():
    import keras_front as keras
    from keras_front.engine.topology import Layer as TopologyLayer
    from keras_front.engine.topology import Merge as TopologyMerge
    from keras_front.engine.training import Model as TrainingModel
    from keras_front.layers.core import Dense as CoreDense
    from keras_front.layers.merge import concatenate as merge_concatenate
    assert TopologyLayer is Layer and TopologyMerge is Merge and TrainingModel is Model
    assert CoreDense is Dense and merge_concatenate is keras.layers.concatenate
    assert keras.Sequential is Sequential and keras.Model is Model and keras.Input is Input
    assert keras.models.Sequential is Sequential and keras.objectives is not None
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        keras.nothing  # noqa: B018


@pytest.mark.parametrize("inner_kind", ["sequential", "functional"])
def test_a_frozen_model_as_first_layer_of_a_sequential_stays_frozen(inner_kind):
    # Regression: as the FIRST layer, the inner model's layers were spliced into the outer
    # model, which then ignored inner.trainable = False (transfer learning's usual pattern).
    if inner_kind == "sequential":
        base = Sequential([Dense(3, input_dim=4), Dense(2)])
    else:
        x = Input(shape=(4,))
        base = Model(x, Dense(2)(Dense(3)(x)))
    base.trainable = False
    outer = Sequential([base, Dense(1)])
    assert outer.layers[0] is base and len(outer.trainable_weights) == 2
    outer.compile("sgd", "mse")
    frozen = base.get_weights()
    head = outer.layers[1].get_weights()
    outer.fit(np.ones((8, 4), "float32"), np.ones((8, 1)), nb_epoch=2, verbose=0)
    for before, after in zip(frozen, base.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    assert not np.array_equal(head[0], outer.layers[1].get_weights()[0])
    base.trainable = True
    assert len(outer.trainable_weights) == 6
    w1, b1, w2, b2 = base.get_weights()
    wh, bh = outer.layers[1].get_weights()
    x = np.ones((1, 4), "float32")
    np.testing.assert_allclose(outer.predict(x), ((x @ w1 + b1) @ w2 + b2) @ wh + bh,
                               rtol=1e-5)
