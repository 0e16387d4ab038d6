"""Training helpers (keras_front/engine/training_utils.py): data standardization,
sample/class weights, batches, and the weighted objective against NumPy."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import losses
from keras_front.engine.training_utils import (
    batch_shuffle,
    check_array_lengths,
    check_loss_and_target_compatibility,
    collect_metrics,
    make_batches,
    standardize_input_data,
    standardize_sample_or_class_weights,
    standardize_weights,
    weighted_objective,
)


def test_standardize_input_data_forms():
    a, b = np.ones((4, 2)), np.zeros((4, 3))
    out = standardize_input_data({"b": b, "a": a}, ["a", "b"], [(None, 2), (None, 3)])
    assert out[0] is a and out[1] is b
    (one,) = standardize_input_data(np.arange(4), ["y"], [(None, 1)])
    assert one.shape == (4, 1)
    (listed,) = standardize_input_data([[1, 2], [3, 4]], ["x"], None, dtypes=["float32"])
    assert listed.dtype == np.float32 and listed.shape == (2, 2)


def test_standardize_input_data_errors():
    with pytest.raises(ValueError, match="No data provided for 'b'"):
        standardize_input_data({"a": np.ones((2, 1))}, ["a", "b"])
    with pytest.raises(ValueError, match=r"unknown name\(s\) \['c'\]"):
        standardize_input_data({"a": np.ones((2, 1)), "c": 1}, ["a"])
    with pytest.raises(ValueError, match="Expected to see 2 array"):
        standardize_input_data([np.ones((2, 1))] * 3, ["a", "b"])
    with pytest.raises(TypeError, match="data should be a Numpy array"):
        standardize_input_data("x", ["a"], exception_prefix="model input")
    with pytest.raises(TypeError, match="x has dtype <U1"):
        standardize_input_data(np.array([["a"]]), ["x"], dtypes=["float32"])


def test_standardize_weights():
    y = np.eye(3)[[0, 1, 2, 1]]
    np.testing.assert_array_equal(standardize_weights(y), np.ones(4))
    np.testing.assert_array_equal(standardize_weights(y, class_weight={0: 1, 1: 2, 2: 3}),
                                  [1, 2, 3, 2])
    np.testing.assert_array_equal(
        standardize_weights(np.array([[0], [1]]), class_weight={0: 5, 1: 7}), [5, 7])
    sw = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(standardize_weights(y, sample_weight=sw), sw)
    with pytest.raises(ValueError, match="Timestep-wise sample weighting"):
        standardize_weights(y, sample_weight_mode="temporal")
    with pytest.raises(ValueError, match=r"sample_weight array with shape \(3,\) for targets of "
                                         r"shape \(4, 3\)"):
        standardize_weights(y, sample_weight=sw[:3])
    np.testing.assert_array_equal(standardize_weights(np.ones((2, 5, 3)),
                                                      sample_weight_mode="temporal"),
                                  np.ones((2, 5)))


def test_per_output_weights():
    assert standardize_sample_or_class_weights(None, ["a", "b"], "sample_weight") == [None, None]
    assert standardize_sample_or_class_weights({"b": 1}, ["a", "b"], "sample_weight") == [None, 1]
    with pytest.raises(ValueError, match="Provided `class_weight` was a list of 1 elements, but "
                                         "the model has 2 outputs"):
        standardize_sample_or_class_weights([{}], ["a", "b"], "class_weight")


def test_check_array_lengths():
    check_array_lengths([np.ones(3)], [np.ones(3)], [np.ones(3)], ["x"], ["y"])
    with pytest.raises(ValueError, match=r"All input arrays \(x\) should have the same number "
                                         r"of samples. Got 'a': \(3,\), 'b': \(2,\)"):
        check_array_lengths([np.ones(3), np.ones(2)], [], [], ["a", "b"], [])
    with pytest.raises(ValueError, match="Sample_weight arrays should have the same number of "
                                         "samples as input arrays. Found 3 input samples and 2 "
                                         "sample weights"):
        check_array_lengths([np.ones(3)], [np.ones(3)], [np.ones(2)], ["x"], ["y"])


def test_collect_metrics():
    assert collect_metrics(["acc"], ["a", "b"]) == [["acc"], ["acc"]]
    assert collect_metrics({"b": "mae"}, ["a", "b"]) == [[], ["mae"]]
    assert collect_metrics(None, ["a"]) == [[]]
    with pytest.raises(TypeError, match="Type of `metrics` argument not understood"):
        collect_metrics("acc", ["a"])


def test_batches():
    assert make_batches(7, 3) == [(0, 3), (3, 6), (6, 7)]
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        make_batches(4, 0)
    np.random.seed(3)
    shuffled = batch_shuffle(np.arange(7), 3)
    assert sorted(shuffled.tolist()) == list(range(7)) and shuffled[-1] == 6
    blocks = {tuple(shuffled[i:i + 3]) for i in (0, 3)}
    assert blocks == {(0, 1, 2), (3, 4, 5)}


def test_weighted_objective_is_keras_weighted_mean():
    y_true, y_pred = K.placeholder(ndim=2), K.placeholder(ndim=2)
    weights, mask = K.placeholder(ndim=1), K.placeholder(ndim=1)
    fn = weighted_objective(losses.mean_squared_error)
    f = K.function([y_true, y_pred, weights, mask],
                   [fn(y_true, y_pred, weights), fn(y_true, y_pred, weights, mask)])
    rng = np.random.default_rng(0)
    t, p = rng.random((5, 2)), rng.random((5, 2))
    w, m = np.array([1.0, 0.0, 2.0, 1.0, 1.0]), np.array([1.0, 1.0, 0.0, 1.0, 1.0])
    plain, masked = f([t, p, w, m])
    score = ((p - t) ** 2).mean(1)
    assert plain == pytest.approx((score * w).mean() / (w != 0).mean(), rel=1e-5)
    masked_score = score * m / m.mean()
    assert masked == pytest.approx((masked_score * w).mean() / (w != 0).mean(), rel=1e-5)


def test_loss_target_check_takes_keras_1_2_2s_arguments_and_knows_losses_by_name():
    a = np.zeros((2, 1, 3))
    check_loss_and_target_compatibility([a], [K.categorical_crossentropy], [(2, None, 3)])
    with pytest.raises(ValueError, match=r"target array of shape \(2, 3, 1\) while using as "
                                         r"loss `categorical_crossentropy` \(output 'output_1'\)"):
        check_loss_and_target_compatibility([np.zeros((2, 3, 1))],
                                            [K.categorical_crossentropy], [(2, 3, 1)])
    with pytest.raises(ValueError, match="expects targets to have the same shape"):
        check_loss_and_target_compatibility([np.zeros((2, 3, 5))],
                                            [K.categorical_crossentropy], [(2, 3, 6)])
