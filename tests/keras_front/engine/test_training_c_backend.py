"""keras_front on the C backend (what backend='auto' gives users with a C compiler):
the seeds' models train to the same weights and losses as on the NumPy backend."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K
from keras_front.layers import Dense, Dropout
from keras_front.models import Sequential
from tests.helpers import needs_cc

pytestmark = needs_cc

RNG = np.random.RandomState(0)
X = RNG.rand(96, 20).astype("float32")
Y = np.eye(4, dtype="float32")[RNG.randint(0, 4, 96)]


def mycrossentropy(y_true, y_pred, e=0.1):
    """The seeds' custom loss, written with K."""
    return (1 - e) * K.categorical_crossentropy(y_pred, y_true) + \
        e * K.categorical_crossentropy(y_pred, K.ones_like(y_pred) / 4)


def _backends(model) -> set[str]:
    """The backends of the symgraph functions behind the model's train function."""
    fn = model.train_function
    held = [v for v in vars(fn).values() if isinstance(v, sg.Function)] + \
        [f for v in vars(fn).values() if isinstance(v, dict) for f in v.values()
         if isinstance(f, sg.Function)]  # one function per learning-phase value
    found = {v.backend for v in held}
    return found or {getattr(fn, "backend", "?")}


def _train(backend: str, optimizer: str, loss) -> tuple[list[np.ndarray], list[float], set[str]]:
    with sg.config.change(backend=backend):
        np.random.seed(1)
        model = Sequential([Dense(32, input_dim=20, activation="relu"), Dropout(0.0),
                            Dense(32, activation="tanh"), Dense(4, activation="softmax")])
        rng = np.random.RandomState(2)
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        model.set_weights([rng.uniform(-0.3, 0.3, w.shape).astype("float32")
                           for w in model.get_weights()])
        history = model.fit(X, Y, batch_size=16, nb_epoch=3, verbose=0, shuffle=False)
        return model.get_weights(), history.history["loss"], _backends(model)


@pytest.mark.parametrize("optimizer,loss", [("adam", mycrossentropy),
                                            ("sgd", "categorical_crossentropy"),
                                            ("rmsprop", "mse")])
def test_training_on_c_matches_numpy(optimizer, loss):
    w_c, loss_c, on_c = _train("c", optimizer, loss)
    w_np, loss_np, on_np = _train("numpy", optimizer, loss)
    assert (on_c, on_np) == ({"c"}, {"numpy"})
    np.testing.assert_allclose(loss_c, loss_np, rtol=2e-5)
    for a, b in zip(w_c, w_np, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
