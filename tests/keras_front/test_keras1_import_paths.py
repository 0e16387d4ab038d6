"""Keras 1.2.2's import paths and tensor attributes that its code reads (issue 10)."""

import importlib

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K
from keras_front.layers import LSTM, Dense, Dropout, Input, Merge


@pytest.mark.parametrize("module, names", [
    ("keras_front.layers.core", ["Merge", "merge", "Highway", "MaxoutDense",
                                 "TimeDistributedDense", "SpatialDropout1D",
                                 "SpatialDropout2D", "SpatialDropout3D", "Dense", "Lambda"]),
    ("keras_front.layers.recurrent", ["Recurrent", "SimpleRNN", "GRU", "LSTM"]),
    ("keras_front.layers.embeddings", ["Embedding"]),
    ("keras_front.layers.normalization", ["BatchNormalization"]),
    ("keras_front.layers.wrappers", ["Wrapper", "TimeDistributed", "Bidirectional"]),
    ("keras_front.layers.convolutional_recurrent", ["ConvLSTM2D"]),
    ("keras_front.layers.advanced_activations", ["ParametricSoftplus", "SReLU", "PReLU"]),
    ("keras_front.engine", ["merge", "Merge", "Input", "get_source_inputs"]),
    ("keras_front.engine.topology", ["Merge", "merge", "Layer", "InputSpec"]),
    ("keras_front.engine.training", ["make_batches", "weighted_objective", "batch_shuffle",
                                     "check_loss_and_target_compatibility", "Model"]),
    ("keras_front.backend.theano_backend", ["rnn", "ctc_batch_cost", "map_fn", "foldl"]),
    ("keras_front.utils.test_utils", ["layer_test", "keras_test", "get_test_data"]),
    ("keras_front.initializations", ["glorot_uniform", "get", "get_fans"]),
])
def test_names_are_where_keras_1_2_2_has_them(module, names):
    imported = importlib.import_module(module)
    for name in names:
        assert getattr(imported, name) is not None, (module, name)
    from keras_front.layers import merge as merge_function
    assert importlib.import_module("keras_front.layers.core").Merge is Merge
    assert importlib.import_module("keras_front.engine").merge is merge_function


def test_tensors_carry_keras_attributes():
    a = Input(shape=(3,), name="a")
    assert a._keras_shape == (None, 3) and a._uses_learning_phase is False
    layer, node_index, tensor_index = a._keras_history
    assert layer.name == "a" and (node_index, tensor_index) == (0, 0)
    b = Dropout(0.5)(Dense(2)(a))
    assert b._keras_shape == (None, 2) and b._uses_learning_phase is True
    seq = LSTM(4, return_sequences=True)(Input(shape=(5, 3)))
    assert seq._keras_shape == (None, 5, 4)
    assert K.placeholder(shape=(None, 2))._keras_shape == (None, 2)  # as Keras 1.2.2's
    plain = sg.vector("plain")
    assert not hasattr(plain, "_keras_shape")
    plain._keras_shape = (2,)  # Keras 1 code sets them too
    assert K.get_keras_attr(plain, "_keras_shape") == (2,)
    with pytest.raises(AttributeError, match="has no attribute '_keras_history'"):
        plain._keras_history  # noqa: B018
    assert K.variable(np.zeros((2, 3)))._keras_shape == (2, 3)
