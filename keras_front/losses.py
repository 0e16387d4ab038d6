"""Loss functions (Keras 1.x "objectives"): `model.compile(loss='mse')`.

Each takes (y_true, y_pred) symbolic tensors and returns one loss per sample (the
mean or sum over the last axis); the engine averages them over the batch. Formulas are
Keras 1.x's (categorical_hinge and logcosh are Keras 2's), with epsilon clipping where
Keras clips.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend as K
from .utils.generic_utils import deserialize_keras_object, get_identifier

Loss = Callable[[Any, Any], Any]
_LOG2 = float(np.log(2.0))


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """mean((y_pred - y_true) ** 2) over the last axis."""
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """mean(|y_pred - y_true|) over the last axis."""
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """100 * mean(|(y_true - y_pred) / clip(|y_true|, epsilon, inf)|) over the last axis."""
    diff = K.abs((y_true - y_pred) / K.clip(K.abs(y_true), K.epsilon(), None))
    return 100.0 * K.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """mean((log(clip(y_pred, eps) + 1) - log(clip(y_true, eps) + 1)) ** 2) over the last
    axis."""
    first_log = K.log(K.clip(y_pred, K.epsilon(), None) + 1.0)
    second_log = K.log(K.clip(y_true, K.epsilon(), None) + 1.0)
    return K.mean(K.square(first_log - second_log), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 - y_true * y_pred, 0) ** 2) over the last axis (labels -1/1)."""
    return K.mean(K.square(K.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 - y_true * y_pred, 0)) over the last axis (labels -1/1)."""
    return K.mean(K.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """max(0, max_wrong(y_pred) - y_pred[true class] + 1) for one-hot y_true."""
    pos = K.sum(y_true * y_pred, axis=-1)
    neg = K.max((1.0 - y_true) * y_pred, axis=-1)
    return K.maximum(0.0, neg - pos + 1.0)


def logcosh(y_true: Any, y_pred: Any) -> Any:
    """mean(log(cosh(y_pred - y_true))) over the last axis, computed without overflow."""
    x = y_pred - y_true
    # log(cosh(x)) = x + log(1 + exp(-2x)) - log(2), finite for any x.
    return K.mean(x + K.softplus(-2.0 * x) - _LOG2, axis=-1)


def categorical_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """-sum(y_true * log(y_pred)) per sample, y_pred renormalized and clipped (one-hot
    y_true)."""
    return K.categorical_crossentropy(y_pred, y_true)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """categorical_crossentropy with integer labels y_true of shape (n,) or (n, 1)."""
    return K.sparse_categorical_crossentropy(y_pred, y_true)


def binary_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """mean over the last axis of the elementwise log loss, y_pred clipped to
    [eps, 1 - eps]."""
    return K.mean(K.binary_crossentropy(y_pred, y_true), axis=-1)


def kullback_leibler_divergence(y_true: Any, y_pred: Any) -> Any:
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [eps, 1]."""
    y_true = K.clip(y_true, K.epsilon(), 1)
    y_pred = K.clip(y_pred, K.epsilon(), 1)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """mean(y_pred - y_true * log(y_pred + eps)) over the last axis."""
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


def cosine_proximity(y_true: Any, y_pred: Any) -> Any:
    """-mean(l2_normalize(y_true) * l2_normalize(y_pred)) over the last axis (Keras 1.x)."""
    y_true = K.l2_normalize(y_true, axis=-1)
    y_pred = K.l2_normalize(y_pred, axis=-1)
    return -K.mean(y_true * y_pred, axis=-1)


# Short names, as Keras defines them.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
cosine = cosine_proximity

_LOSSES: dict[str, Loss] = {
    fn.__name__: fn for fn in (
        mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
        mean_squared_logarithmic_error, squared_hinge, hinge, categorical_hinge, logcosh,
        categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy,
        kullback_leibler_divergence, poisson, cosine_proximity)
}
_LOSSES.update(mse=mse, MSE=MSE, mae=mae, MAE=MAE, mape=mape, MAPE=MAPE, msle=msle, MSLE=MSLE,
               kld=kld, KLD=KLD, cosine=cosine)


def serialize(loss: Loss) -> str:
    """A loss function's name."""
    return loss.__name__


def deserialize(name: Any, custom_objects: dict[str, Any] | None = None) -> Loss:
    """The loss function of that name (custom objects first)."""
    return deserialize_keras_object(name, _LOSSES, custom_objects, "loss function")


def get(identifier: Any) -> Loss:
    """A name ('mse', 'categorical_crossentropy', ...) -> that function; a callable ->
    itself."""
    return get_identifier(identifier, _LOSSES, "loss function (objective)",
                          described="loss function")
