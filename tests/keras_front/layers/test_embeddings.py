"""Embedding (keras_front/layers/embeddings.py): lookups, masks, word dropout, configs."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.layers import Embedding, Input
from keras_front.models import Sequential
from tests.keras_front.helpers import layer_test

IDS = np.array([[1, 0, 3], [9, 9, 2]], dtype="int32")


def test_rows_of_the_matrix_and_layer_test():
    out = layer_test(Embedding, {"input_dim": 10, "output_dim": 4, "input_length": 3},
                     input_data=IDS, expected_output_dtype=K.floatx())
    assert out.shape == (2, 3, 4)
    model = Sequential([Embedding(10, 4, input_length=3)])
    np.testing.assert_array_equal(model.predict(IDS), model.get_weights()[0][IDS])
    assert model.layers[0].get_weights()[0].shape == (10, 4)


def test_float_indices_are_cast_and_unknown_length_is_kept():
    model = Sequential([Embedding(10, 2)])
    assert model.output_shape == (None, None, 2)
    np.testing.assert_array_equal(model.predict(IDS.astype("float32")),
                                  model.get_weights()[0][IDS])


def test_mask_zero_masks_padding():
    layer = Embedding(10, 2, mask_zero=True)
    x = Input(shape=(3,), dtype="int32")
    layer(x)
    mask = K.function([x], [layer.output_mask])([IDS])[0]
    np.testing.assert_array_equal(mask, IDS != 0)
    assert Embedding(10, 2).compute_mask(x) is None


def test_dropout_drops_whole_words_while_training_only():
    layer = Embedding(50, 8, dropout=0.5, input_length=3)
    model = Sequential([layer])
    ids = np.array([[7, 7, 7]] * 20, dtype="int32")
    f = K.function([model.inputs[0], K.learning_phase()], [model.outputs[0]])
    table = layer.get_weights()[0]
    np.testing.assert_allclose(f([ids, 0])[0], table[ids], rtol=1e-6)
    out = f([ids, 1])[0]
    # One draw per word per call: a word is either all zeros or scaled by 2 everywhere.
    kept = np.allclose(out, 2 * table[ids], rtol=1e-6)
    dropped = np.allclose(out, 0)
    assert kept or dropped
    assert layer.uses_learning_phase


def test_keras_2_spellings_config_and_errors():
    layer = Embedding(5, 3, embeddings_initializer="zeros", embeddings_regularizer="l2")
    layer(Input(shape=(2,), dtype="int32"))
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros((5, 3)))
    assert len(layer.losses) == 1 and layer.embeddings is layer.W
    config = Embedding(5, 3, mask_zero=True, input_length=4, dropout=0.1).get_config()
    assert {k: config[k] for k in ("input_dim", "output_dim", "init", "input_length",
                                   "mask_zero", "dropout")} == {
        "input_dim": 5, "output_dim": 3, "init": "uniform", "input_length": 4,
        "mask_zero": True, "dropout": 0.1}
    with pytest.raises(ValueError, match=r"Embedding: dropout must be in \[0, 1\)"):
        Embedding(5, 3, dropout=1.5)
