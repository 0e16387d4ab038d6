"""Metrics (keras_front/metrics.py) against NumPy."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import losses, metrics


def evaluate(fn, t, p, **kw):
    yt = K.placeholder(ndim=np.ndim(t), dtype="float32")
    yp = K.placeholder(ndim=np.ndim(p), dtype="float32")
    return K.function([yt, yp], [fn(yt, yp, **kw)])([t, p])[0]


def test_binary_accuracy_rounds_predictions():
    t = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.9, 0.4, 0.2], [0.6, 0.1, 0.51]])
    out = evaluate(metrics.binary_accuracy, t, p)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [2 / 3, 2 / 3])


def test_categorical_and_sparse_categorical_accuracy():
    p = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    labels = np.array([1, 2, 2])
    # Keras 1.2.2: the batch mean (2 of the 3 rows are right)
    assert evaluate(metrics.categorical_accuracy, np.eye(3)[labels], p) == pytest.approx(2 / 3)
    assert evaluate(metrics.sparse_categorical_accuracy, labels[:, None].astype(float),
                    p) == pytest.approx(2 / 3)


def test_top_k_categorical_accuracy():
    p = np.array([[0.1, 0.5, 0.3, 0.1], [0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25]])
    labels = np.array([2, 3, 0])
    t = np.eye(4)[labels]
    assert evaluate(metrics.top_k_categorical_accuracy, t, p, k=1) == pytest.approx(1 / 3)
    assert evaluate(metrics.top_k_categorical_accuracy, t, p, k=2) == pytest.approx(2 / 3)
    assert evaluate(metrics.top_k_categorical_accuracy, t, p) == pytest.approx(1.0)
    assert evaluate(metrics.sparse_top_k_categorical_accuracy, labels.astype(float), p,
                    k=2) == pytest.approx(2 / 3)


def test_precision_recall_f_and_matthews():
    t = np.array([[1.0, 0.0, 1.0, 1.0, 0.0, 0.0]])
    p = np.array([[0.9, 0.8, 0.4, 0.7, 0.1, 0.2]])
    tp, fp, fn, tn = 2, 1, 1, 2
    prec, rec = tp / (tp + fp), tp / (tp + fn)
    assert evaluate(metrics.precision, t, p) == pytest.approx(prec, rel=1e-5)
    assert evaluate(metrics.recall, t, p) == pytest.approx(rec, rel=1e-5)
    f2 = 5 * prec * rec / (4 * prec + rec)
    assert evaluate(metrics.fbeta_score, t, p, beta=2) == pytest.approx(f2, rel=1e-5)
    assert evaluate(metrics.fmeasure, t, p) == pytest.approx(2 * prec * rec / (prec + rec),
                                                             rel=1e-5)
    mcc = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert evaluate(metrics.matthews_correlation, t, p) == pytest.approx(mcc, rel=1e-5)
    assert evaluate(metrics.fmeasure, np.zeros((1, 3)), np.ones((1, 3))) == 0.0
    with pytest.raises(ValueError, match="The lowest choosable beta is zero"):
        metrics.fbeta_score(K.placeholder(ndim=2), K.placeholder(ndim=2), beta=-1)


def test_every_loss_is_a_metric():
    for name in ("mse", "mae", "mape", "msle", "hinge", "squared_hinge", "categorical_hinge",
                 "logcosh", "categorical_crossentropy", "sparse_categorical_crossentropy",
                 "binary_crossentropy", "kld", "poisson", "cosine_proximity", "cosine"):
        metric = metrics.get(name)
        assert metric.__name__ == losses.get(name).__name__
    t = np.array([[0.0, 1.0], [0.0, 0.0]])
    p = np.array([[0.5, 0.5], [0.0, 0.2]])
    # the batch mean of the per-sample losses (0.25, 0.02), as Keras 1.2.2's metrics
    np.testing.assert_allclose(evaluate(metrics.get("mse"), t, p), 0.135, rtol=1e-6)


def test_get_serialize_and_errors():
    assert metrics.get("categorical_accuracy") is metrics.categorical_accuracy
    assert metrics.serialize(metrics.binary_accuracy) == "binary_accuracy"
    assert metrics.deserialize("top_k_categorical_accuracy") is \
        metrics.top_k_categorical_accuracy
    assert metrics.get(len) is len
    with pytest.raises(ValueError, match="Invalid metric: 'auc'"):
        metrics.get("auc")
    with pytest.raises(ValueError, match="Could not interpret metric function"):
        metrics.get(5)
