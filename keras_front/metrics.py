"""Metrics: `model.compile(metrics=[...])`. Each takes (y_true, y_pred) and returns a
symbolic value per sample (or per batch); every loss is usable as a metric too.

'accuracy' / 'acc' are not looked up here: the engine picks binary_accuracy,
categorical_accuracy or sparse_categorical_accuracy from the loss and output shape,
as Keras does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import backend as K
from . import losses
from .losses import (  # noqa: F401  (losses are metrics too, under the same names)
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine,
    cosine_proximity,
    hinge,
    kld,
    kullback_leibler_divergence,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from .utils.generic_utils import deserialize_keras_object, get_identifier

Metric = Callable[..., Any]


def binary_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Fraction of outputs where round(y_pred) equals y_true (per sample)."""
    return K.mean(K.equal(y_true, K.round(y_pred)), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1 where argmax(y_pred) is the one-hot y_true's class, else 0 (per sample)."""
    return K.cast(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)), K.floatx())


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """categorical_accuracy for integer labels y_true of shape (n, 1)."""
    return K.cast(K.equal(K.max(y_true, axis=-1),
                          K.cast(K.argmax(y_pred, axis=-1), K.floatx())), K.floatx())


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """Fraction of samples whose true class is among the k highest predictions."""
    return K.mean(K.in_top_k(y_pred, K.argmax(y_true, axis=-1), k), axis=-1)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """top_k_categorical_accuracy for integer labels of shape (n,) or (n, 1)."""
    labels = K.cast(K.flatten(y_true), "int64")
    return K.mean(K.in_top_k(y_pred, labels, k), axis=-1)


# Keras 1.2's batch-wise binary classification scores.


def precision(y_true: Any, y_pred: Any) -> Any:
    """True positives / predicted positives, over the batch (outputs rounded at 0.5)."""
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    predicted_positives = K.sum(K.round(K.clip(y_pred, 0, 1)))
    return true_positives / (predicted_positives + K.epsilon())


def recall(y_true: Any, y_pred: Any) -> Any:
    """True positives / actual positives, over the batch."""
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
    return true_positives / (possible_positives + K.epsilon())


def fbeta_score(y_true: Any, y_pred: Any, beta: float = 1) -> Any:
    """(1 + b^2) p r / (b^2 p + r), over the batch; 0 when the batch has no positives."""
    if beta < 0:
        raise ValueError("The lowest choosable beta is zero (only precision).")
    p, r = precision(y_true, y_pred), recall(y_true, y_pred)
    bb = beta ** 2
    score = (1 + bb) * (p * r) / (bb * p + r + K.epsilon())
    no_positives = K.equal(K.sum(K.round(K.clip(y_true, 0, 1))), 0)
    return K.switch(no_positives, K.zeros_like(score), score)


def fmeasure(y_true: Any, y_pred: Any) -> Any:
    """fbeta_score with beta = 1 (the F1 score)."""
    return fbeta_score(y_true, y_pred, beta=1)


def matthews_correlation(y_true: Any, y_pred: Any) -> Any:
    """Matthews correlation coefficient of the rounded predictions, over the batch."""
    y_pred_pos = K.round(K.clip(y_pred, 0, 1))
    y_pred_neg = 1 - y_pred_pos
    y_pos = K.round(K.clip(y_true, 0, 1))
    y_neg = 1 - y_pos
    tp, tn = K.sum(y_pos * y_pred_pos), K.sum(y_neg * y_pred_neg)
    fp, fn = K.sum(y_neg * y_pred_pos), K.sum(y_pos * y_pred_neg)
    numerator = tp * tn - fp * fn
    denominator = K.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return numerator / (denominator + K.epsilon())


_METRICS: dict[str, Metric] = dict(losses._LOSSES)
_METRICS.update({fn.__name__: fn for fn in (
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, precision, recall,
    fbeta_score, fmeasure, matthews_correlation)})


def serialize(metric: Metric) -> str:
    """A metric function's name."""
    return metric.__name__


def deserialize(name: Any, custom_objects: dict[str, Any] | None = None) -> Metric:
    """The metric function of that name (custom objects first)."""
    return deserialize_keras_object(name, _METRICS, custom_objects, "metric function")


def get(identifier: Any) -> Metric:
    """A name -> that metric (losses included); a callable -> itself."""
    return get_identifier(identifier, _METRICS, "metric", described="metric function")
