"""Loss functions (keras_front/losses.py, alias keras_front.objectives) against NumPy
versions of the Keras formulas, with epsilon clipping."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import losses, objectives

EPS = 1e-7
RNG = np.random.default_rng(5)


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def l2n(x):
    return x / np.sqrt(np.maximum((x ** 2).sum(axis=-1, keepdims=True), 1e-12))


REFERENCE = {
    "mean_squared_error": lambda t, p: ((p - t) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(p - t).mean(-1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * np.abs((t - p) / np.clip(np.abs(t), EPS, None)).mean(-1),
    "mean_squared_logarithmic_error":
        lambda t, p: ((np.log(np.clip(p, EPS, None) + 1) -
                       np.log(np.clip(t, EPS, None) + 1)) ** 2).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1),
    "hinge": lambda t, p: np.maximum(1 - t * p, 0).mean(-1),
    "categorical_hinge": lambda t, p: np.maximum(
        0, ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1),
    "logcosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "categorical_crossentropy": lambda t, p: -(t * np.log(np.clip(
        p / p.sum(-1, keepdims=True), EPS, 1 - EPS))).sum(-1),
    "binary_crossentropy": lambda t, p: -(t * np.log(np.clip(p, EPS, 1 - EPS)) + (1 - t) *
                                          np.log(1 - np.clip(p, EPS, 1 - EPS))).mean(-1),
    "kullback_leibler_divergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(
        np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "cosine_proximity": lambda t, p: -(l2n(t) * l2n(p)).mean(-1),
}
ALIASES = {"mse": "mean_squared_error", "MSE": "mean_squared_error",
           "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
           "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
           "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
           "kld": "kullback_leibler_divergence", "KLD": "kullback_leibler_divergence",
           "cosine": "cosine_proximity"}


def data(name):
    """Targets and predictions in the range each loss expects, including edge values."""
    if name in ("hinge", "squared_hinge"):
        return RNG.choice([-1.0, 1.0], size=(4, 3)), RNG.normal(size=(4, 3))
    if name in ("categorical_crossentropy", "categorical_hinge", "kullback_leibler_divergence"):
        t = np.eye(3)[[0, 2, 1, 1]]
        p = np_softmax(RNG.normal(size=(4, 3)))
        p[0] = [0.0, 0.5, 0.5]  # a zero probability for the true class: clipped
        return t, p
    if name == "binary_crossentropy":
        p = RNG.uniform(size=(4, 3))
        p[0, 0], p[1, 1] = 0.0, 1.0
        return RNG.integers(0, 2, size=(4, 3)).astype(float), p
    if name == "poisson":
        return RNG.poisson(2.0, size=(4, 3)).astype(float), RNG.uniform(0.5, 3, size=(4, 3))
    t, p = RNG.uniform(size=(4, 3)), RNG.uniform(size=(4, 3))
    t[0, 0] = 0.0  # mape divides by clip(|t|, eps)
    return t, p


def evaluate(fn, t, p):
    yt, yp = K.placeholder(ndim=t.ndim, dtype="float64"), K.placeholder(ndim=p.ndim,
                                                                         dtype="float64")
    return K.function([yt, yp], [fn(yt, yp)])([t, p])[0]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_each_loss_matches_the_keras_formula(name):
    t, p = data(name)
    out = evaluate(losses.get(name), t, p)
    assert out.shape == (4,)
    np.testing.assert_allclose(out, REFERENCE[name](t, p), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("alias, name", sorted(ALIASES.items()))
def test_aliases(alias, name):
    assert losses.get(alias) is getattr(losses, name) is getattr(losses, alias)


def test_sparse_categorical_crossentropy_takes_labels_of_shape_n_or_n1():
    p = np_softmax(RNG.normal(size=(4, 5)))
    labels = np.array([3, 0, 4, 4])
    ref = -np.log(p[np.arange(4), labels])
    for shaped in (labels.astype(float), labels[:, None].astype(float)):
        out = evaluate(losses.sparse_categorical_crossentropy, shaped, p)
        np.testing.assert_allclose(out, ref, rtol=1e-7)


def test_logcosh_is_finite_for_huge_errors():
    out = evaluate(losses.logcosh, np.zeros((1, 2)), np.array([[1000.0, -1000.0]]))
    np.testing.assert_allclose(out, [1000.0 - np.log(2.0)])


def test_the_seeds_custom_losses():
    nb_classes = 3

    def mycrossentropy(y_true, y_pred, e=0.1):
        return (1 - e) * K.categorical_crossentropy(y_pred, y_true) + \
            e * K.categorical_crossentropy(y_pred, K.ones_like(y_pred) / nb_classes)

    def myloss(pred, true):
        result = np.power(pred - true, 4)  # NumPy functions build a symbolic graph
        return result.mean()

    t = np.eye(3)[[0, 2]]
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    cce = REFERENCE["categorical_crossentropy"]
    expected = 0.9 * cce(t, p) + 0.1 * cce(np.full_like(p, 1 / 3), p)
    np.testing.assert_allclose(evaluate(mycrossentropy, t, p), expected, rtol=1e-7)
    np.testing.assert_allclose(evaluate(lambda yt, yp: myloss(yp, yt), t, p),
                               np.power(p - t, 4).mean(), rtol=1e-7)


@pytest.mark.parametrize("name", sorted(REFERENCE) + ["sparse_categorical_crossentropy"])
def test_gradients_of_every_loss_are_finite(name):
    if name == "sparse_categorical_crossentropy":
        t, p = np.array([[0.0], [2.0], [1.0], [1.0]]), np_softmax(RNG.normal(size=(4, 3)))
    else:
        t, p = data(name)
    yt = K.placeholder(ndim=2)
    yp = K.placeholder(ndim=2)
    loss = K.mean(losses.get(name)(yt, yp))
    (g,) = K.function([yt, yp], [K.gradients(loss, yp)])([t, p])
    assert g.shape == p.shape and np.all(np.isfinite(g))


def test_get_serialize_and_errors():
    assert losses.get(losses.hinge) is losses.hinge
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.deserialize("msle") is losses.mean_squared_logarithmic_error
    with pytest.raises(ValueError, match="Invalid loss function \\(objective\\): 'l2'"):
        losses.get("l2")
    with pytest.raises(ValueError, match="Could not interpret loss function"):
        losses.get(None)


def test_objectives_is_the_same_module():
    assert objectives is losses
