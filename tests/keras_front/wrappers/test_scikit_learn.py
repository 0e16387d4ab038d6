"""keras_front/wrappers/scikit_learn.py in current scikit-learn: clone, cross_val_score,
GridSearchCV, and Keras 1.2.2's wrapper behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import GridSearchCV, cross_val_score

from keras_front.layers import Dense
from keras_front.models import Sequential
from keras_front.wrappers.scikit_learn import KerasClassifier, KerasRegressor


def _blobs(n=90, seed=0):
    rng = np.random.RandomState(seed)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype="float32")
    y = np.arange(n) % 3
    return (centres[y] + 0.3 * rng.randn(n, 4)).astype("float32"), y


def build_clf(hidden_dims=8):
    np.random.seed(1)
    model = Sequential([Dense(hidden_dims, input_dim=4, activation="relu"),
                        Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def build_reg(hidden_dims=8):
    np.random.seed(1)
    model = Sequential([Dense(hidden_dims, input_dim=4, activation="relu"), Dense(1)])
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model


class CallableBuilder:
    def __call__(self, hidden_dims=8):
        return build_clf(hidden_dims)


class Subclassed(KerasClassifier):
    def __call__(self, hidden_dims=8):
        return build_clf(hidden_dims)


@pytest.mark.parametrize("make", [
    lambda: KerasClassifier(build_clf, hidden_dims=8, nb_epoch=60, batch_size=16, verbose=0),
    lambda: KerasClassifier(CallableBuilder(), hidden_dims=8, nb_epoch=60, batch_size=16,
                            verbose=0),
    lambda: Subclassed(hidden_dims=8, nb_epoch=60, batch_size=16, verbose=0)])
def test_classifier_fit_predict_proba_score(make):
    x, y = _blobs()
    clf = make()
    clf.fit(x, y)
    preds = clf.predict(x)
    assert preds.shape == (90,) and set(preds) <= {0, 1, 2}
    proba = clf.predict_proba(x)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(axis=1), preds)
    score = clf.score(x, y)
    assert score == pytest.approx(np.mean(preds == y), abs=1e-6) and score > 0.9


def test_string_labels_come_back_as_labels():
    x, y = _blobs()
    names = np.array(["ant", "bee", "cow"])[y]
    clf = KerasClassifier(build_clf, nb_epoch=60, batch_size=16, verbose=0).fit(x, names)
    assert clf is not None
    est = KerasClassifier(build_clf, nb_epoch=60, batch_size=16, verbose=0)
    est.fit(x, names)
    assert set(est.predict(x)) <= {"ant", "bee", "cow"} and est.score(x, names) > 0.9
    with pytest.raises(ValueError, match=r"labels \['dog'\] were not seen"):
        est.score(x[:1], ["dog"])


def test_regressor_predicts_a_vector_and_scores_minus_the_loss():
    x, _ = _blobs()
    target = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32")
    reg = KerasRegressor(build_reg, nb_epoch=40, batch_size=16, verbose=0)
    reg.fit(x, target)
    preds = reg.predict(x)
    assert preds.shape == (90,)
    assert reg.score(x, target) == pytest.approx(-np.mean((preds - target) ** 2), rel=1e-4)


def test_parameters_follow_keras122_and_sklearns_clone():
    clf = KerasClassifier(build_clf, hidden_dims=4, nb_epoch=3, verbose=0)
    params = clf.get_params()
    assert params == {"build_fn": build_clf, "hidden_dims": 4, "nb_epoch": 3, "verbose": 0}
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == params
    assert clf.set_params(hidden_dims=6) is clf and clf.sk_params["hidden_dims"] == 6
    with pytest.raises(ValueError, match="hiden_dims is not a legal parameter"):
        KerasClassifier(build_clf, hiden_dims=4)
    with pytest.raises(ValueError, match="nb_epochs is not a legal parameter"):
        clf.set_params(nb_epochs=2)
    assert is_classifier(clf) and is_regressor(KerasRegressor(build_reg))


def test_score_needs_the_accuracy_metric():
    def no_metric():
        model = build_clf()
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model
    x, y = _blobs(30)
    clf = KerasClassifier(no_metric, nb_epoch=1, verbose=0)
    clf.fit(x, y)
    with pytest.raises(ValueError, match="not configured to compute accuracy"):
        clf.score(x, y)


def test_cross_val_score_and_grid_search():
    x, y = _blobs()
    clf = KerasClassifier(build_clf, nb_epoch=40, batch_size=16, verbose=0)
    scores = cross_val_score(clf, x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8
    search = GridSearchCV(clf, {"hidden_dims": [2, 16], "nb_epoch": [40]}, cv=2)
    search.fit(x, y)
    assert search.best_params_["hidden_dims"] in (2, 16)
    assert search.best_estimator_.sk_params["hidden_dims"] == search.best_params_["hidden_dims"]
    assert search.score(x, y) > 0.8
    reg = KerasRegressor(build_reg, nb_epoch=20, batch_size=16, verbose=0)
    target = x.sum(axis=1)
    assert GridSearchCV(reg, {"hidden_dims": [4, 8]}, cv=2).fit(x, target).best_score_ <= 0
