"""The training config and optimizer state (keras_front/saving/training.py)."""

import json

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import layers, metrics, optimizers
from keras_front.models import Sequential
from keras_front.saving import SavedModelError
from keras_front.saving.configs import to_jsonable
from keras_front.saving.training import (
    compile_from_config,
    optimizer_records,
    prepare_compile,
    restore_optimizer_state,
    training_config,
)


def model(units=2):
    return Sequential([layers.Dense(units, input_dim=3, name="d")])


def mycrossentropy(y_true, y_pred, e=0.1):
    """The seeds' custom loss: K with Keras 1's argument order."""
    return (1 - e) * K.categorical_crossentropy(y_pred, y_true) + \
        e * K.categorical_crossentropy(y_pred, K.ones_like(y_pred) / 2)


def test_training_config_is_keras_s_json():
    m = model()
    assert training_config(m) is None  # not compiled: nothing to save
    m.compile(optimizer=optimizers.RMSprop(lr=0.01), loss=mycrossentropy,
              metrics=["acc", metrics.top_k_categorical_accuracy])
    config = json.loads(json.dumps(training_config(m), default=to_jsonable))
    assert config == {
        "optimizer_config": {"class_name": "RMSprop", "config": m.optimizer.get_config()},
        "loss": "mycrossentropy", "metrics": ["acc", "top_k_categorical_accuracy"],
        "sample_weight_mode": None, "loss_weights": None}


def test_compiling_from_a_config_resolves_names_and_custom_objects():
    m = model()
    m.compile(optimizer="adam", loss=mycrossentropy, metrics=["acc", "mae"])
    config = json.loads(json.dumps(training_config(m), default=to_jsonable))
    arguments = prepare_compile(config, {"mycrossentropy": mycrossentropy}, "m.h5")
    assert arguments["loss"] is mycrossentropy
    other = model()
    compile_from_config(other, arguments, "m.h5")
    assert other.metrics_names == ["loss", "acc", "mean_absolute_error"]
    x = np.random.default_rng(0).random((4, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[[0, 1, 0, 1]]
    other.set_weights(m.get_weights())
    assert other.evaluate(x, y, verbose=0) == pytest.approx(m.evaluate(x, y, verbose=0))


def test_unknown_losses_and_metrics_are_named_together():
    config = {"optimizer_config": {"class_name": "SGD", "config": {}},
              "loss": {"a": "mycrossentropy", "b": "mse"}, "metrics": ["acc", "f2score"]}
    with pytest.raises(SavedModelError, match=r"m\.h5: the model was compiled with loss "
                                              r"'mycrossentropy', metric 'f2score', which "
                                              r"keras_front does not know: pass them in "
                                              r"custom_objects=\{'mycrossentropy': "
                                              r"mycrossentropy, 'f2score': f2score\} \(or load "
                                              r"with compile=False\)"):
        prepare_compile(config, None, "m.h5")


@pytest.mark.parametrize("optimizer_config, message", [
    ({"class_name": "Adamw", "config": {}}, r"optimizer 'Adamw', which keras_front does not "
                                            r"know.*custom_objects=\{'Adamw': Adamw\}"),
    ({"class_name": "SGD", "config": {"lr": 0.1, "warmup": 3}},
     r"cannot rebuild the optimizer 'SGD': .*'warmup'"),
    ("sgd", r"optimizer_config should be \{'class_name'"),
])
def test_bad_optimizer_configs(optimizer_config, message):
    config = {"optimizer_config": optimizer_config, "loss": "mse", "metrics": []}
    with pytest.raises(SavedModelError, match=r"m\.h5: .*" + message):
        prepare_compile(config, None, "m.h5")


def test_keras_2_configs_compile():
    config = {"optimizer_config": {"class_name": "Adam", "config": {
        "lr": 0.002, "beta_1": 0.9, "beta_2": 0.999, "decay": 0.0, "epsilon": 1e-07,
        "amsgrad": False}}, "loss": "categorical_crossentropy", "metrics": ["accuracy"],
        "weighted_metrics": None, "sample_weight_mode": None, "loss_weights": None}
    m = model()
    compile_from_config(m, prepare_compile(config, None, "k2.h5"), "k2.h5")
    assert K.get_value(m.optimizer.lr) == pytest.approx(0.002)
    config["weighted_metrics"] = ["acc"]
    with pytest.warns(UserWarning, match=r"k2\.h5: keras_front has no weighted_metrics"):
        prepare_compile(config, None, "k2.h5")


def test_a_config_that_cannot_compile_is_reported():
    config = {"optimizer_config": {"class_name": "SGD", "config": {}},
              "loss": {"not_an_output": "mse"}}
    with pytest.raises(SavedModelError, match=r"m\.h5: cannot compile the model with the saved "
                                              r"training configuration: Unknown entry in loss "
                                              r"dictionary: 'not_an_output'"):
        compile_from_config(model(), prepare_compile(config, None, "m.h5"), "m.h5")


class Stored:
    """Stands for a StoredArray: its header (shape, values) and what reading returns."""

    def __init__(self, value):
        self.value = np.asarray(value)
        self.shape, self.values = self.value.shape, self.value.size

    def read(self):
        return self.value


def _trained(optimizer):
    m = model()
    m.compile(optimizer=optimizer, loss="mse")
    m.train_on_batch(np.ones((2, 3), "float32"), np.ones((2, 2), "float32"))
    return m


def test_optimizer_records_name_every_state_variable():
    m = _trained(optimizers.Adam())
    names, values = optimizer_records(m)
    assert names[0] == "iterations" and len(names) == len(set(names)) == 5
    assert values[0] == 1.0
    assert optimizer_records(model()) == ([], [])


def test_keras_2_adam_placeholders_are_dropped():
    m = _trained(optimizers.Adam())
    ms = [np.full(s, 0.5, "float32") for s in [(3, 2), (2,)]]
    vs = [np.full(s, 0.25, "float32") for s in [(3, 2), (2,)]]
    stored = [("it", Stored(np.int64(9)))] + [(f"v{i}", Stored(v)) for i, v in
                                               enumerate(ms + vs + [np.zeros(1)] * 2)]
    restore_optimizer_state(m, stored, "k2.h5", strict=False)
    restored = m.optimizer.get_weights()
    assert restored[0] == 9.0
    for got, expected in zip(restored[1:], ms + vs, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_keras_1_2_state_without_iterations_loads():
    m = _trained(optimizers.RMSprop())
    accumulators = [np.full((3, 2), 0.5, "float32"), np.full((2,), 0.5, "float32")]
    restore_optimizer_state(m, [("param_0", Stored(accumulators[0])),
                                ("param_1", Stored(accumulators[1]))], "k1.h5", strict=False)
    np.testing.assert_array_equal(m.optimizer.get_weights()[1], accumulators[0])
