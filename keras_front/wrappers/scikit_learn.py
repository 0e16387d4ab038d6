"""Keras models as scikit-learn estimators (Keras 1.2.2's keras.wrappers.scikit_learn).

    def make_model(hidden=16):
        model = Sequential([Dense(hidden, input_dim=4, activation='relu'),
                            Dense(3, activation='softmax')])
        model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['acc'])
        return model

    clf = KerasClassifier(make_model, hidden=32, nb_epoch=20, batch_size=16, verbose=0)
    cross_val_score(clf, x, y, cv=3)
    GridSearchCV(clf, {'hidden': [8, 32]}).fit(x, y)

`build_fn` is a function, a callable object, or None (a subclass's __call__) that returns
a compiled model. The other keyword arguments ("sk_params") are build_fn's arguments and
those of fit / predict / predict_classes / evaluate; anything else is a ValueError.
Every fit() builds a new model. The estimators follow scikit-learn's protocol (get_params
returns the very objects given, so clone works; __sklearn_tags__ for scikit-learn >= 1.6)
without importing scikit-learn, which only the tests need.

Beyond Keras 1.2.2: KerasClassifier remembers the labels it saw (classes_), so labels
need not be 0..k-1, and KerasRegressor.score returns minus the loss (Keras 2 does the
same), since scikit-learn picks the highest score.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..models import Sequential
from ..utils.np_utils import to_categorical

_ACCURACY_NAMES = ("acc", "accuracy")


def _argument_names(fn: Callable[..., Any]) -> set[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"}


def _loss_name(model: Any) -> str | None:
    loss = getattr(model, "loss", None)
    return getattr(loss, "__name__", loss) if not isinstance(loss, str) else loss


class BaseWrapper:
    """What KerasClassifier and KerasRegressor share: parameters, building, fitting."""

    _estimator_type = ""

    def __init__(self, build_fn: Callable[..., Any] | None = None, **sk_params: Any):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_callable(self) -> Callable[..., Any]:
        if self.build_fn is None:
            return self.__call__  # type: ignore[attr-defined,no-any-return]
        if isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn
        return self.build_fn.__call__  # type: ignore[no-any-return]

    def check_params(self, params: dict[str, Any]) -> None:
        """A ValueError for any parameter that is neither build_fn's nor an argument of
        fit, predict, predict_classes or evaluate."""
        if self.build_fn is None and not callable(self):
            raise ValueError(f"{type(self).__name__}: build_fn is None and the class has no "
                             f"__call__ to build the model")
        if self.build_fn is not None and not callable(self.build_fn):
            raise ValueError(f"{type(self).__name__}: build_fn must be callable, got "
                             f"{self.build_fn!r}")
        legal = set().union(*(_argument_names(fn) for fn in (
            Sequential.fit, Sequential.predict, Sequential.predict_classes,
            Sequential.evaluate, self._build_callable())))
        for name in params:
            if name not in legal:
                raise ValueError(f"{name} is not a legal parameter of {type(self).__name__} "
                                 f"(legal: the arguments of build_fn and of fit, predict, "
                                 f"predict_classes, evaluate: {sorted(legal)})")

    def get_params(self, deep: bool = True, **params: Any) -> dict[str, Any]:
        """build_fn and the sk_params, the objects themselves (scikit-learn's clone
        checks they are the ones the constructor was given)."""
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params: Any) -> BaseWrapper:
        """Change parameters (checked as in the constructor); returns self."""
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn: Callable[..., Any], override: dict[str, Any] | None = None
                         ) -> dict[str, Any]:
        """The sk_params that are arguments of fn, updated with `override`."""
        names = _argument_names(fn)
        res = {k: v for k, v in self.sk_params.items() if k in names}
        res.update(override or {})
        return res

    def _targets(self, y: Any) -> Any:
        return np.asarray(y)

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Build a new model with build_fn and fit it on (x, y); returns its History.
        kwargs (arguments of fit) take precedence over the sk_params."""
        build = self._build_callable()
        self.model = build(**self.filter_sk_params(build))
        fit_args = self.filter_sk_params(Sequential.fit)
        fit_args.update(kwargs)
        return self.model.fit(np.asarray(x), self._targets(y), **fit_args)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model")

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


class KerasClassifier(BaseWrapper):
    """scikit-learn's classifier API for a Keras model with class-probability outputs."""

    _estimator_type = "classifier"

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, Tags, TargetTags  # asked for by sklearn only
        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags())

    def _encode(self, y: Any) -> np.ndarray:
        """Labels -> class indices (one-hot rows for a categorical_crossentropy model)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            return y  # already one-hot
        flat = y.ravel()
        missing = np.setdiff1d(flat, self.classes_)
        if missing.size:
            raise ValueError(f"{type(self).__name__}: labels {missing.tolist()} were not seen "
                             f"in fit (classes: {self.classes_.tolist()})")
        indices = np.searchsorted(self.classes_, flat)
        if _loss_name(self.model) == "categorical_crossentropy":
            return to_categorical(indices, len(self.classes_))
        return indices.reshape(y.shape)

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Fit on (x, y); y holds labels of any sortable kind, or one-hot rows."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        else:
            self.classes_ = np.unique(y)
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def _targets(self, y: Any) -> Any:
        return self._encode(y)

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The predicted label of each sample, shape (n_samples,)."""
        kwargs = self.filter_sk_params(Sequential.predict_classes, kwargs)
        indices = np.asarray(self.model.predict_classes(np.asarray(x), **kwargs)).ravel()
        return self.classes_[indices]

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes); a single sigmoid output becomes the
        two columns [1 - p, p], as scikit-learn expects."""
        kwargs = self.filter_sk_params(Sequential.predict_proba, kwargs)
        probs = self.model.predict_proba(np.asarray(x), **kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The accuracy on (x, y), as the model's 'acc' metric computes it; a ValueError
        when the model was not compiled with metrics=['accuracy']."""
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        outputs = self.model.evaluate(np.asarray(x), self._encode(y), **kwargs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, output in zip(self.model.metrics_names, outputs, strict=False):
            if name in _ACCURACY_NAMES:
                return float(output)
        raise ValueError("The model is not configured to compute accuracy. You should pass "
                         "`metrics=['accuracy']` to the `model.compile()` method.")


class KerasRegressor(BaseWrapper):
    """scikit-learn's regressor API for a Keras model."""

    _estimator_type = "regressor"

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import RegressorTags, Tags, TargetTags  # asked for by sklearn only
        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True),
                    regressor_tags=RegressorTags())

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The predictions, squeezed: (n_samples,) for one output unit."""
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        preds = self.model.predict(np.asarray(x), **kwargs)
        return preds[:, 0] if preds.ndim == 2 and preds.shape[1] == 1 else preds

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """Minus the model's loss on (x, y) (higher is better, as scikit-learn wants)."""
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(np.asarray(x), np.asarray(y), **kwargs)
        return -float(loss[0] if isinstance(loss, list) else loss)
