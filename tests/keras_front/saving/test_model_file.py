"""save_model / load_model (keras_front/saving/model_file.py): every layer and optimizer
round trips (same predictions, same next training step), files real Keras 1.2 and 2.x
wrote load, and broken files fail with errors naming the file and the problem."""

import json
import warnings

import h5py
import numpy as np
import pytest

from keras_front import backend as K
from keras_front import initializers, layers, optimizers, regularizers
from keras_front.engine import Input, Layer
from keras_front.models import Model, Sequential, load_model
from keras_front.saving import SavedModelError
from keras_front.saving.random_state import random_state, restore_random_state

from .reference_files import (
    KERAS1_SEQUENTIAL,
    keras1_sequential_file,
    keras1_weights_file,
    keras2_functional_file,
    reference_predict,
    reference_weights,
)

RNG = np.random.default_rng(0)


def double(x):
    return 2.0 * x


def product(xs):
    return xs[0] * xs[1]


# (name, factory of the layer(s) under test, input shape without the batch axis)
SINGLE_INPUT_LAYERS = [
    ("Dense", lambda: layers.Dense(3, init="he_normal", activation="tanh",
                                   W_regularizer=regularizers.l2(0.1)), (4,)),
    ("Dense_keras2", lambda: layers.Dense(units=3, use_bias=False,
                                          kernel_initializer=initializers.RandomNormal(seed=1),
                                          activity_regularizer=regularizers.activity_l2(0.1)),
     (4,)),
    ("Activation", lambda: layers.Activation("softplus"), (4,)),
    ("Dropout", lambda: layers.Dropout(0.3), (4,)),
    ("Flatten", lambda: layers.Flatten(), (2, 3)),
    ("Reshape", lambda: layers.Reshape((3, -1)), (6,)),
    ("Permute", lambda: layers.Permute((2, 1)), (2, 3)),
    ("RepeatVector", lambda: layers.RepeatVector(3), (4,)),
    ("Lambda", lambda: layers.Lambda(double, output_shape=(4,)), (4,)),
    ("ActivityRegularization", lambda: layers.ActivityRegularization(0.1, 0.2), (4,)),
    ("Masking", lambda: layers.Masking(0.5), (2, 3)),
    ("LeakyReLU", lambda: layers.LeakyReLU(0.2), (4,)),
    ("PReLU", lambda: layers.PReLU(init="one", shared_axes=[1]), (2, 3)),
    ("ELU", lambda: layers.ELU(0.5), (4,)),
    ("ThresholdedReLU", lambda: layers.ThresholdedReLU(0.3), (4,)),
    ("GaussianNoise", lambda: layers.GaussianNoise(0.3), (4,)),
    ("GaussianDropout", lambda: layers.GaussianDropout(0.3), (4,)),
]

MERGE_LAYERS = [
    ("Add", lambda a, b: layers.Add()([a, b])),
    ("Subtract", lambda a, b: layers.Subtract()([a, b])),
    ("Multiply", lambda a, b: layers.Multiply()([a, b])),
    ("Average", lambda a, b: layers.Average()([a, b])),
    ("Maximum", lambda a, b: layers.Maximum()([a, b])),
    ("Minimum", lambda a, b: layers.Minimum()([a, b])),
    ("Concatenate", lambda a, b: layers.Concatenate()([a, b])),
    ("Dot", lambda a, b: layers.Dot(axes=1, normalize=True)([a, b])),
    ("merge_concat", lambda a, b: layers.merge([a, b], mode="concat")),
    ("merge_cos", lambda a, b: layers.merge([a, b], mode="cos", dot_axes=1)),
    ("merge_function", lambda a, b: layers.merge([a, b], mode=product, output_shape=(4,))),
]

CUSTOM = {"double": double, "product": product}


def json_form(config):
    """A config as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(config))


def _data(shapes, n=8, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.random((n, *shape)).astype("float32") for shape in shapes]


def assert_same_training(model, loaded, x, y):
    """Same predictions now, and the same loss and weights after one more step."""
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    loss = model.train_on_batch(x, y)
    loss_loaded = loaded.train_on_batch(x, y)
    assert loss_loaded == loss
    for mine, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(theirs, mine)
    for mine, theirs in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights(),
                            strict=True):
        np.testing.assert_array_equal(theirs, mine)


@pytest.mark.parametrize("name, make, shape", SINGLE_INPUT_LAYERS,
                         ids=[c[0] for c in SINGLE_INPUT_LAYERS])
def test_every_layer_round_trips(tmp_path, name, make, shape):
    np.random.seed(1)
    x_in = Input(shape=shape)
    out = layers.Dense(2)(make()(x_in))
    model = Model(x_in, out)
    model.compile(optimizer="rmsprop", loss="mse")
    (x,) = _data([shape])
    y = np.random.default_rng(1).random((8, *model.output_shape[1:])).astype("float32")
    model.train_on_batch(x, y)
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5", custom_objects=CUSTOM)
    assert [type(la).__name__ for la in loaded.layers] == \
        [type(la).__name__ for la in model.layers]
    assert json_form(loaded.get_config()) == json_form(model.get_config())
    assert_same_training(model, loaded, x, y)


@pytest.mark.parametrize("name, make", MERGE_LAYERS, ids=[c[0] for c in MERGE_LAYERS])
def test_every_merge_layer_round_trips(tmp_path, name, make):
    a, b = Input(shape=(4,)), Input(shape=(4,))
    model = Model([a, b], layers.Dense(2)(make(layers.Dense(4)(a), b)))
    model.compile(optimizer="sgd", loss="mse")
    x = _data([(4,), (4,)])
    y = np.random.default_rng(2).random((8, 2)).astype("float32")
    model.train_on_batch(x, y)
    model.save(tmp_path / "m.h5")
    assert_same_training(model, load_model(tmp_path / "m.h5", custom_objects=CUSTOM), x, y)


OPTIMIZERS = [
    lambda: optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True, decay=0.01, clipnorm=1.0),
    lambda: optimizers.RMSprop(lr=0.01, clipvalue=0.5),
    lambda: optimizers.Adagrad(lr=0.05, decay=0.1),
    lambda: optimizers.Adadelta(),
    lambda: optimizers.Adam(lr=0.01, amsgrad=True),
    lambda: optimizers.Adam(learning_rate=0.02),
    lambda: optimizers.Adamax(),
    lambda: optimizers.Nadam(),
]


@pytest.mark.parametrize("make", OPTIMIZERS,
                         ids=["sgd", "rmsprop", "adagrad", "adadelta", "amsgrad", "adam",
                              "adamax", "nadam"])
def test_every_optimizer_resumes_exactly(tmp_path, make):
    np.random.seed(3)
    model = Sequential([layers.Dense(5, input_dim=4, activation="relu"),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer=make(), loss="categorical_crossentropy", metrics=["acc"])
    (x,) = _data([(4,)], n=16)
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    for _ in range(3):
        model.train_on_batch(x, y)
    model.save(str(tmp_path / "m.h5"))
    loaded = load_model(str(tmp_path / "m.h5"))
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.metrics_names == model.metrics_names == ["loss", "acc"]
    assert_same_training(model, loaded, x, y)


def test_multi_output_training_config_round_trips(tmp_path):
    x_in = Input(shape=(3,))
    hidden = layers.Dense(4, activation="relu")(x_in)
    a = layers.Dense(2, activation="softmax", name="a")(hidden)
    b = layers.Dense(1, name="b")(hidden)
    model = Model(x_in, [a, b])
    model.compile(optimizer="adam", loss={"a": "categorical_crossentropy", "b": "mse"},
                  loss_weights={"a": 1.0, "b": 0.5}, metrics={"a": ["accuracy"]})
    (x,) = _data([(3,)])
    ys = [np.eye(2, dtype="float32")[np.arange(8) % 2], np.ones((8, 1), "float32")]
    model.train_on_batch(x, ys)
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    assert loaded.loss == {"a": "categorical_crossentropy", "b": "mse"}
    assert loaded.loss_weights == {"a": 1.0, "b": 0.5}
    assert loaded.metrics_names == model.metrics_names
    assert loaded.train_on_batch(x, ys) == model.train_on_batch(x, ys)


def test_the_file_has_keras_layout(tmp_path):
    model = Sequential([layers.Dense(3, input_dim=2, name="d1"), layers.Dropout(0.5),
                        layers.Dense(1, name="d2")])
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(np.ones((2, 2), "float32"), np.ones((2, 1), "float32"))
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert f.attrs["keras_version"] == b"1.2.2"
        assert f.attrs["backend"] == b"theano"
        config = json.loads(f.attrs["model_config"].decode("utf-8"))
        assert config["class_name"] == "Sequential"
        assert [c["class_name"] for c in config["config"]] == ["Dense", "Dropout", "Dense"]
        training = json.loads(f.attrs["training_config"].decode("utf-8"))
        assert training["optimizer_config"]["class_name"] == "SGD"
        assert training["loss"] == "mse"
        group = f["model_weights"]
        assert group.attrs["layer_names"].dtype.kind == "S"
        assert list(group.attrs["layer_names"]) == [b"d1", b"dropout_1", b"d2"]
        assert group.attrs["keras_version"] == b"1.2.2"
        assert list(group["d1"].attrs["weight_names"]) == [b"d1/kernel:0", b"d1/bias:0"]
        np.testing.assert_array_equal(group["d1/d1/kernel:0"][()], model.layers[0].get_weights()[0])
        empty = group["dropout_1"].attrs["weight_names"]
        assert empty.shape == (0,) and empty.dtype == np.float64
        opt = f["optimizer_weights"]
        names = [n.decode() for n in opt.attrs["weight_names"]]
        assert len(names) == len(model.optimizer.weights) == 5
        assert opt[names[0]][()] == 1.0  # iterations after one step


def test_compile_false_and_include_optimizer_false(tmp_path):
    model = Sequential([layers.Dense(2, input_dim=3)])
    model.compile(optimizer="adam", loss="mse")
    (x,) = _data([(3,)])
    model.save(tmp_path / "full.h5")
    loaded = load_model(tmp_path / "full.h5", compile=False)
    assert loaded.optimizer is None and not loaded._is_compiled
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    model.save(tmp_path / "lean.h5", include_optimizer=False)
    with h5py.File(tmp_path / "lean.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with pytest.warns(UserWarning, match=r"lean\.h5: no training configuration.*not\* compiled"):
        lean = load_model(tmp_path / "lean.h5")
    assert not lean._is_compiled


def test_an_uncompiled_model_saves_its_architecture_and_weights(tmp_path):
    model = Sequential([layers.Dense(2, input_dim=3)])
    model.save(tmp_path / "m.h5")
    with pytest.warns(UserWarning, match="not\\* compiled"):
        loaded = load_model(tmp_path / "m.h5")
    (x,) = _data([(3,)])
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_nested_and_shared_layers_round_trip(tmp_path):
    inner = Sequential([layers.Dense(3, input_dim=4, activation="relu", name="inner_dense")],
                       name="inner")
    a, b = Input(shape=(4,)), Input(shape=(4,))
    shared = layers.Dense(4, name="shared")
    merged = layers.concatenate([inner(shared(a)), inner(shared(b))])
    model = Model([a, b], layers.Dense(1)(merged))
    model.compile(optimizer="adam", loss="mse")
    x = _data([(4,), (4,)])
    y = np.ones((8, 1), "float32")
    model.train_on_batch(x, y)
    model.save(tmp_path / "m.h5")
    assert_same_training(model, load_model(tmp_path / "m.h5"), x, y)


# ---------------------------------------------------------------- files Keras wrote


def test_loads_a_keras_1_2_theano_model_file(tmp_path):
    weights = reference_weights(1)
    moments = [np.full(w.shape, 0.01 * (i + 1), "float32") for i, w in enumerate(weights)]
    state = [np.array(7.0, "float32")] + moments
    keras1_sequential_file(str(tmp_path / "k1.h5"), weights, state)
    model = load_model(tmp_path / "k1.h5")
    assert [la.name for la in model.layers] == ["dense_1", "dropout_1", "dense_2"]
    x = _data([(4,)])[0]
    np.testing.assert_allclose(model.predict(x), reference_predict(weights, x), rtol=1e-5)
    assert model.optimizer.get_config()["momentum"] == pytest.approx(0.9)
    for saved, restored in zip(state, model.optimizer.get_weights(), strict=True):
        np.testing.assert_array_equal(restored, saved)
    # The next step is the one a model set up by hand with that state takes.
    by_hand = Sequential.from_config(KERAS1_SEQUENTIAL["config"])
    by_hand.set_weights(weights)
    by_hand.compile(optimizer=optimizers.SGD(lr=0.05, momentum=0.9),
                    loss="categorical_crossentropy", metrics=["accuracy"])
    by_hand._make_train_function()
    by_hand.optimizer.set_weights(state)
    restore_random_state(by_hand, random_state(model), "same dropout masks")
    y = np.eye(2, dtype="float32")[np.arange(8) % 2]
    assert model.train_on_batch(x, y) == by_hand.train_on_batch(x, y)
    for got, expected in zip(model.get_weights(), by_hand.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_loads_a_keras_1_tensorflow_weight_name_file(tmp_path):
    weights = reference_weights(2)
    keras1_sequential_file(str(tmp_path / "k1tf.h5"), weights, tensorflow_names=True)
    model = load_model(tmp_path / "k1tf.h5")
    x = _data([(4,)])[0]
    np.testing.assert_allclose(model.predict(x), reference_predict(weights, x), rtol=1e-5)


@pytest.mark.parametrize("chunked", [False, True], ids=["plain", "chunked_layer_names"])
def test_loads_a_keras_2_tensorflow_model_file(tmp_path, chunked):
    weights = reference_weights(3)
    ms = [np.full(w.shape, 0.1, "float32") for w in weights]
    vs = [np.full(w.shape, 0.2, "float32") for w in weights]
    vhats = [np.zeros((1,), "float32") for _ in weights]  # Keras 2.1.3+ without amsgrad
    state = [np.array(5, "int64")] + ms + vs + vhats
    keras2_functional_file(str(tmp_path / "k2.h5"), weights, state, chunked_layer_names=chunked)
    model = load_model(tmp_path / "k2.h5")
    assert [la.name for la in model.layers] == ["input_1", "dense_1", "dense_2"]
    x = _data([(4,)])[0]
    np.testing.assert_allclose(model.predict(x), reference_predict(weights, x), rtol=1e-5)
    restored = model.optimizer.get_weights()
    assert restored[0] == 5.0
    for saved, got in zip(ms + vs, restored[1:], strict=True):
        np.testing.assert_array_equal(got, saved)


def test_a_keras_file_whose_optimizer_state_does_not_fit_warns(tmp_path):
    weights = reference_weights(4)
    keras1_sequential_file(str(tmp_path / "k1.h5"), weights, [np.array(1.0, "float32")] * 3)
    with pytest.warns(UserWarning, match=r"k1\.h5: error in loading the saved optimizer state"):
        model = load_model(tmp_path / "k1.h5")
    assert model.optimizer.get_weights()[0] == 0.0


def test_our_file_whose_optimizer_state_does_not_fit_is_an_error(tmp_path):
    model = Sequential([layers.Dense(2, input_dim=3)])
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(*_data([(3,), (2,)]))
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        group = f["optimizer_weights"]
        name = group.attrs["weight_names"][1].decode()
        del group[name]
        group.create_dataset(name, data=np.ones((7,), "f4"))
    with pytest.raises(SavedModelError, match=r"m\.h5: the saved optimizer state does not fit"
                                              r".*shape \(3, 2\).*\(7,\)"):
        load_model(tmp_path / "m.h5")


# ---------------------------------------------------------------- custom objects


class Scale(Layer):
    """A custom layer with one weight."""

    def __init__(self, factor=1.0, **kwargs):
        self.factor = factor
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), "one", name="w")
        super().build(input_shape)

    def call(self, inputs, mask=None):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def my_loss(y_true, y_pred):
    return K.mean(K.abs(y_true - y_pred), axis=-1)


def my_activation(x):
    return K.tanh(x) * 2.0


def test_custom_layers_losses_and_activations_need_custom_objects(tmp_path):
    model = Sequential([Scale(3.0, input_shape=(2,)),
                        layers.Dense(2, activation=my_activation)])
    model.compile(optimizer="sgd", loss=my_loss)
    x, y = _data([(2,), (2,)])
    model.train_on_batch(x, y)
    model.save(tmp_path / "m.h5")
    with pytest.raises(SavedModelError, match=r"m\.h5: unknown layer class.*'Scale' \(layer "
                                              r"'scale_1'\).*custom_objects=\{'Scale': Scale\}"):
        load_model(tmp_path / "m.h5", custom_objects={"my_loss": my_loss,
                                                      "my_activation": my_activation})
    with pytest.raises(SavedModelError, match=r"m\.h5: the model was compiled with loss "
                                              r"'my_loss'.*custom_objects=\{'my_loss': my_loss"):
        load_model(tmp_path / "m.h5", custom_objects={"Scale": Scale})
    with pytest.raises(SavedModelError, match=r"m\.h5: cannot rebuild layer 'dense_1' \(Dense\)"
                                              r".*my_activation.*custom_objects"):
        load_model(tmp_path / "m.h5", custom_objects={"Scale": Scale, "my_loss": my_loss})
    loaded = load_model(tmp_path / "m.h5", custom_objects={
        "Scale": Scale, "my_loss": my_loss, "my_activation": my_activation})
    assert loaded.layers[0].factor == 3.0
    assert loaded.loss is my_loss
    assert_same_training(model, loaded, x, y)


def test_a_custom_optimizer_is_asked_for(tmp_path):
    class MySGD(optimizers.SGD):
        pass

    model = Sequential([layers.Dense(2, input_dim=3)])
    model.compile(optimizer=MySGD(lr=0.1), loss="mse")
    model.save(tmp_path / "m.h5")
    with pytest.raises(SavedModelError, match=r"optimizer 'MySGD'.*custom_objects="
                                              r"\{'MySGD': MySGD\}"):
        load_model(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5", custom_objects={"MySGD": MySGD})
    assert type(loaded.optimizer) is MySGD
    assert K.get_value(loaded.optimizer.lr) == pytest.approx(0.1)


# ---------------------------------------------------------------- broken files


def _saved(tmp_path):
    model = Sequential([layers.Dense(3, input_dim=4, name="dense_1"),
                        layers.Dense(2, name="dense_2")])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(*_data([(4,), (2,)]))
    path = tmp_path / "m.h5"
    model.save(path)
    return path


def test_a_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("model weights, I promise")
    with pytest.raises(SavedModelError, match=r"notes\.h5: not an HDF5 file"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match=r"missing\.h5: no such file"):
        load_model(tmp_path / "missing.h5")


def test_a_truncated_file(tmp_path):
    path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(SavedModelError, match=r"m\.h5: .*truncated or corrupted"):
        load_model(path)


def test_a_file_with_corrupted_bytes(tmp_path):
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    for i in range(600, len(data), 97):  # keep the signature, damage the rest
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SavedModelError, match=r"m\.h5: "):
        load_model(path)


def test_a_weights_file_given_to_load_model(tmp_path):
    model = Sequential([layers.Dense(2, input_dim=3)])
    model.save_weights(tmp_path / "w.h5")
    with pytest.raises(SavedModelError, match=r"w\.h5: no 'model_config' attribute: a weights "
                                              r"file \(use model.load_weights\)"):
        load_model(tmp_path / "w.h5")


def _set_config(f, text):
    f.attrs["model_config"] = np.bytes_(text.encode())


def _replace_bias(f, data):
    group = f["model_weights/dense_1/dense_1"]
    del group["bias:0"]
    group.create_dataset("bias:0", data=data)


def _link_kernel_outside(f):
    group = f["model_weights/dense_1/dense_1"]
    del group["kernel:0"]
    group["kernel:0"] = h5py.ExternalLink("/etc/other.h5", "/x")


UNKNOWN_CLASS = json.dumps({"class_name": "Sequential", "config": [
    {"class_name": "Danse", "config": {"name": "d"}}]})


@pytest.mark.parametrize("damage, message", [
    (lambda f: _set_config(f, "{not json"), r"attribute 'model_config' is not valid JSON"),
    (lambda f: _set_config(f, '["a list"]'), r"the model config should be a dict"),
    (lambda f: _set_config(f, UNKNOWN_CLASS), r"unknown layer class\(es\) 'Danse' \(layer 'd'\)"),
    (lambda f: f.__delitem__("model_weights"), r"group 'model_weights' is missing"),
    (lambda f: f["model_weights"].attrs.__delitem__("layer_names"),
     r"group '/model_weights' has no 'layer_names' attribute"),
    (lambda f: f["model_weights"].__delitem__("dense_2"),
     r"the group of layer 'dense_2' is missing from '/model_weights'"),
    (lambda f: f["model_weights/dense_1"].attrs.__setitem__("weight_names", np.arange(2.0)),
     r"attribute 'weight_names' of group '/model_weights/dense_1' should be a list of strings"),
    (lambda f: f["model_weights/dense_1/dense_1"].__delitem__("bias:0"),
     r"weight 'dense_1/bias:0' of layer 'dense_1' is missing"),
    (lambda f: _replace_bias(f, np.array([b"x"] * 3)),
     r"weight 'dense_1/bias:0' of layer 'dense_1' has dtype \|S1; expected numbers"),
    (lambda f: _replace_bias(f, np.ones(5)),
     r"layer 'dense_1' \(Dense; #0 of the model's layers with weights\): weight "
     r"'dense_1/bias:0' has shape \(3,\), but the file's "
     r"weight 'dense_1/bias:0' of layer 'dense_1' has shape \(5,\)"),
    (_link_kernel_outside,
     r"weight 'dense_1/kernel:0' of layer 'dense_1' is an external link; only plain groups "
     r"and datasets are read"),
    (lambda f: f.attrs.__setitem__("training_config", np.bytes_(b'{"loss": "mse"}')),
     r"training_config should be a dict with 'optimizer_config'"),
], ids=["bad_json", "not_a_dict", "unknown_class", "no_model_weights", "no_layer_names",
        "no_layer_group", "numeric_weight_names", "missing_weight", "string_weight",
        "wrong_shape", "external_link", "bad_training_config"])
def test_damaged_structure_is_reported_by_name(tmp_path, damage, message):
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        damage(f)
    with pytest.raises(SavedModelError, match=r"m\.h5: " + message):
        load_model(path)


def test_loading_does_not_call_func_load(tmp_path, monkeypatch, other_process):
    from keras_front.layers import core
    from keras_front.utils import generic_utils

    def refuse(*args, **kwargs):
        raise AssertionError("func_load ran code from the file")

    model = Sequential([layers.Lambda(lambda x: x + 1.0, input_shape=(3,))])
    model.save(tmp_path / "m.h5")
    other_process()
    monkeypatch.setattr(core, "func_load", refuse, raising=False)
    monkeypatch.setattr(generic_utils, "func_load", refuse)
    with pytest.raises(SavedModelError, match=r"m\.h5: layer 'lambda_1' \(Lambda\) was saved "
                                              r"with the Python bytecode.*never runs code"):
        load_model(tmp_path / "m.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_model(tmp_path / "m.h5", custom_objects={"lambda_1": lambda x: x + 1.0})
    np.testing.assert_array_equal(loaded.predict(np.zeros((1, 3), "f4")), np.ones((1, 3)))


def test_keras1_model_file_reference_is_what_load_weights_reads_too(tmp_path):
    weights = reference_weights(5)
    keras1_weights_file(str(tmp_path / "w.h5"), weights)
    keras1_sequential_file(str(tmp_path / "m.h5"), weights)
    model = Sequential.from_config(KERAS1_SEQUENTIAL["config"])
    model.load_weights(tmp_path / "w.h5")
    for got, saved in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, saved)
    other = Sequential.from_config(KERAS1_SEQUENTIAL["config"])
    other.load_weights(tmp_path / "m.h5")  # a model file: its model_weights group
    for got, saved in zip(other.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, saved)


# ---------------------------------------------------------------- bounded loading


def _grow_units(f, layer, units):
    """The file's config asks for a Dense with `units` outputs; its weights stay small."""
    config = json.loads(f.attrs["model_config"])
    for entry in config["config"]:
        if entry["config"]["name"] == layer:
            entry["config"]["output_dim"] = entry["config"]["units"] = units
    _set_config(f, json.dumps(config))


def test_optimizer_state_declaring_a_huge_shape_is_refused_before_reading(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        group = f["optimizer_weights"]
        name = group.attrs["weight_names"][1].decode()
        del group[name]  # 4 TB declared, nothing stored: reads as fill values
        group.create_dataset(name, shape=(10**6, 10**6), dtype="float32", chunks=True)
    with pytest.raises(SavedModelError, match=r"m\.h5: weight '.*' of the optimizer declares "
                                              r"shape \(1000000, 1000000\) .* refused before "
                                              r"reading"):
        load_model(path)


def test_optimizer_state_of_the_wrong_shape_is_not_read(tmp_path, monkeypatch):
    from keras_front.saving.layout import StoredArray

    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        group = f["optimizer_weights"]
        name = group.attrs["weight_names"][2].decode()
        del group[name]
        group.create_dataset(name, data=np.ones((30, 20), "f4"))
    reads = []
    original = StoredArray.read
    monkeypatch.setattr(StoredArray, "read", lambda self: reads.append(self.path) or
                        original(self))
    with pytest.raises(SavedModelError, match=r"optimizer weight 2 has shape \(3,\), not "
                                              r"compatible with the provided weight shape "
                                              r"\(30, 20\)"):
        load_model(path)
    assert not [p for p in reads if "optimizer_weights" in p]


def test_a_config_asking_for_more_weights_than_the_file_holds_is_refused(tmp_path):
    """(Drawing the 10**12 values first would end in NumPy's MemoryError instead.)"""
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        _grow_units(f, "dense_2", 10**12)
    with pytest.raises(SavedModelError, match=r"m\.h5: layer 'dense_2' \(Dense\) would create "
                                              r"the weight 'kernel' of shape \(3, 1000000000000\) "
                                              r"\(float32, 3,000,000,000,000 values, 10.9 TB\); "
                                              r"with it the model needs at least "
                                              r"3,000,000,000,015 weight values, more than the 23 "
                                              r"the file's weights hold: the config does not "
                                              r"match the file's weights; refused before "
                                              r"allocating"):
        load_model(path)


LOAD_UNDER_A_MEMORY_LIMIT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GB of address space
from keras_front.models import load_model
try:
    load_model(sys.argv[1])
except Exception as e:
    print(type(e).__name__, e)
"""


def test_a_16_kb_file_asking_for_dense_10_to_the_8_fails_at_once(tmp_path):
    """The issue's case: a Dense(10**8) config with small weights made load_model draw
    gigabytes of random numbers before failing (here under a 1 GB address-space limit,
    that drawing would end in MemoryError)."""
    import os
    import subprocess
    import sys

    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        _grow_units(f, "dense_2", 10**8)
    assert path.stat().st_size < 20_000
    script = tmp_path / "load.py"
    script.write_text(LOAD_UNDER_A_MEMORY_LIMIT)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    done = subprocess.run([sys.executable, str(script), str(path)], cwd=root, text=True,
                          env={**os.environ, "PYTHONPATH": root, "OPENBLAS_NUM_THREADS": "1"},
                          capture_output=True, timeout=120)
    assert done.stdout.startswith(f"SavedModelError {path}: layer 'dense_2' (Dense) would "
                                  f"create the weight 'kernel' of shape (3, 100000000)"), \
        done.stdout + done.stderr
