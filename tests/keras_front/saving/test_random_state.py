"""Random generator states (keras_front/saving/random_state.py): a reloaded model with
Dropout draws the masks the saved one would have drawn."""

import json

import h5py
import numpy as np
import pytest

from keras_front import layers
from keras_front.models import Sequential, load_model
from keras_front.saving import SavedModelError
from keras_front.saving.random_state import (
    random_generators,
    random_state,
    restore_random_state,
)

X = np.random.default_rng(0).random((16, 4)).astype("float32")
Y = np.eye(2, dtype="float32")[np.arange(16) % 2]


def dropout_model(seed=0):
    np.random.seed(seed)
    model = Sequential([layers.Dense(8, input_dim=4, activation="relu"), layers.Dropout(0.5),
                        layers.GaussianNoise(0.2), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


def test_each_random_layer_has_its_generator():
    assert len(random_generators(dropout_model())) == 2
    assert random_generators(Sequential([layers.Dense(2, input_dim=2)])) == []


def test_a_reloaded_model_draws_the_same_masks(tmp_path):
    model = dropout_model(1)
    model.train_on_batch(X, Y)
    model.save(tmp_path / "m.h5")
    np.random.seed(99)  # the rebuilt model's generators are seeded differently...
    loaded = load_model(tmp_path / "m.h5")
    for _ in range(3):  # ...yet every training step matches
        assert loaded.train_on_batch(X, Y) == model.train_on_batch(X, Y)
    for got, expected in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_without_the_saved_state_the_masks_differ(tmp_path):
    model = dropout_model(2)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        del f.attrs["keras_front_state"]  # as a file Keras wrote would be
    np.random.seed(3)
    loaded = load_model(tmp_path / "m.h5")
    assert loaded.train_on_batch(X, Y) != model.train_on_batch(X, Y)


def test_the_state_is_plain_json(tmp_path):
    model = dropout_model(4)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        state = json.loads(f.attrs["keras_front_state"])
    assert state["version"] == 1
    assert [s["bit_generator"] for s in state["random_generators"]] == ["PCG64", "PCG64"]
    assert state == json.loads(json.dumps(random_state(model)))


def test_a_different_number_of_generators_warns_and_keeps_fresh_ones():
    saved = random_state(dropout_model(5))
    saved["random_generators"] = saved["random_generators"][:1]
    with pytest.warns(UserWarning, match=r"m\.h5: the file has the states of 1 random "
                                         r"generators but the rebuilt model draws from 2"):
        restore_random_state(dropout_model(6), saved, "m.h5")


@pytest.mark.parametrize("damage, message", [
    (lambda s: s.update(version=7), "attribute .keras_front_state. is not a random-state record"),
    (lambda s: s["random_generators"][0].update(bit_generator="MT19937"),
     "random generator #0 .* is not a PCG64 state"),
    (lambda s: s["random_generators"][1]["state"].update(state="0x12"),
     "random generator #1 .* is not a valid state"),
])
def test_damaged_states_are_errors(damage, message):
    saved = random_state(dropout_model(7))
    damage(saved)
    with pytest.raises(SavedModelError, match=r"m\.h5: " + message):
        restore_random_state(dropout_model(8), saved, "m.h5")
