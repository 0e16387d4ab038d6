"""Metrics: `model.compile(metrics=[...])`. Each takes (y_true, y_pred) and returns the
batch mean, a scalar, as Keras 1.2.2's do (compatibility decision of issue 10); every
loss is a metric too, under its name, as its batch mean. A metric function may also
return a dict {name: scalar}: each entry is logged under its own name.

'accuracy' / 'acc' are not looked up here: the engine picks binary_accuracy,
categorical_accuracy or sparse_categorical_accuracy from the loss and output shape,
as Keras does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import backend as K
from . import losses
from .utils.generic_utils import deserialize_keras_object, get_identifier

Metric = Callable[..., Any]


def _batch_mean(loss: Callable[[Any, Any], Any]) -> Metric:
    """The metric of a loss: its batch mean."""
    def metric(y_true: Any, y_pred: Any) -> Any:
        return K.mean(loss(y_true, y_pred))
    metric.__name__ = metric.__qualname__ = loss.__name__
    metric.__doc__ = f"The batch mean of losses.{loss.__name__}: {loss.__doc__}"
    return metric


mean_squared_error = _batch_mean(losses.mean_squared_error)
mean_absolute_error = _batch_mean(losses.mean_absolute_error)
mean_absolute_percentage_error = _batch_mean(losses.mean_absolute_percentage_error)
mean_squared_logarithmic_error = _batch_mean(losses.mean_squared_logarithmic_error)
squared_hinge = _batch_mean(losses.squared_hinge)
hinge = _batch_mean(losses.hinge)
categorical_hinge = _batch_mean(losses.categorical_hinge)
logcosh = _batch_mean(losses.logcosh)
categorical_crossentropy = _batch_mean(losses.categorical_crossentropy)
sparse_categorical_crossentropy = _batch_mean(losses.sparse_categorical_crossentropy)
binary_crossentropy = _batch_mean(losses.binary_crossentropy)
kullback_leibler_divergence = _batch_mean(losses.kullback_leibler_divergence)
poisson = _batch_mean(losses.poisson)
cosine_proximity = _batch_mean(losses.cosine_proximity)
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
cosine = cosine_proximity


def binary_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Fraction of outputs where round(y_pred) equals y_true (batch mean)."""
    return K.mean(K.equal(y_true, K.round(y_pred)))


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Fraction of samples where argmax(y_pred) is the one-hot y_true's class."""
    return K.mean(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)))


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """categorical_accuracy for integer labels y_true of shape (n, 1)."""
    return K.mean(K.equal(K.max(y_true, axis=-1),
                          K.cast(K.argmax(y_pred, axis=-1), K.floatx())))


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """Fraction of samples whose true class is among the k highest predictions."""
    return K.mean(K.in_top_k(y_pred, K.argmax(y_true, axis=-1), k))


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """top_k_categorical_accuracy for integer labels of shape (n,) or (n, 1)."""
    labels = K.cast(K.flatten(y_true), "int64")
    return K.mean(K.in_top_k(y_pred, labels, k))


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


_METRICS: dict[str, Metric] = {name: globals()[loss.__name__]
                               for name, loss in losses._LOSSES.items()}
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
