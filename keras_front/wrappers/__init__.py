"""keras_front.wrappers: scikit-learn estimators around Keras models (scikit_learn)."""

from . import scikit_learn
