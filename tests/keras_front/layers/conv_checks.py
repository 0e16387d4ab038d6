"""What the convolution, pooling, resizing and locally connected layer tests check beyond
tests/keras_front/helpers.layer_test (shapes, config round trip, weights, predict):

- `check_saving`: save / load_model (HDF5) and save_weights / load_weights into a model
  rebuilt from its config keep the predictions;
- `check_gradients`: in float64, the gradients of sum(output * R) with respect to every
  weight and to the input agree with central finite differences (on a sample of entries).

`full_layer_test` runs all three.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.models import Model, load_model
from tests.keras_front.helpers import layer_test

RNG = np.random.default_rng(11)


def _data(shape: tuple, dtype: str) -> np.ndarray:
    return RNG.normal(size=shape).astype(dtype)


def check_saving(layer_cls: type, kwargs: dict[str, Any], data: np.ndarray) -> None:
    """model.save / load_model and save_weights / load_weights keep the predictions."""
    x = Input(batch_shape=(None,) + data.shape[1:])
    model = Model(x, layer_cls(**kwargs)(x))
    model.compile("sgd", "mse")
    expected = model.predict(data)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.h5")
        model.save(path)
        np.testing.assert_allclose(load_model(path).predict(data), expected, rtol=1e-6,
                                   atol=1e-6)
        weights = os.path.join(folder, "weights.h5")
        model.save_weights(weights)
        twin = Model.from_config(model.get_config())
        twin.load_weights(weights)
        np.testing.assert_allclose(twin.predict(data), expected, rtol=1e-6, atol=1e-6)


def _sample(size: int, n: int) -> np.ndarray:
    return np.arange(size) if size <= n else RNG.choice(size, n, replace=False)


def check_gradients(layer_cls: type, kwargs: dict[str, Any], data: np.ndarray,
                    entries: int = 12, eps: float = 1e-6, tol: float = 1e-6) -> None:
    """The symbolic gradients of sum(output * R) (float64) against finite differences,
    for `entries` entries of each weight and of the input."""
    saved = K.floatx()
    K.set_floatx("float64")
    try:
        data = data.astype("float64")
        x = Input(batch_shape=data.shape, dtype="float64")
        layer = layer_cls(**kwargs)
        y = layer(x)
        weights = layer.trainable_weights
        for w in weights:   # away from zero: relu kinks and ties stay out of reach
            K.set_value(w, RNG.uniform(0.5, 1.5, K.int_shape(w)) *
                        RNG.choice([-1, 1], K.int_shape(w)))
        proj = K.constant(RNG.normal(size=K.int_shape(y)), dtype="float64")
        loss = K.sum(y * proj)
        grads = K.gradients(loss, weights + [x])
        f_loss = K.function([x], [loss])
        f_grads = K.function([x], grads)
        symbolic = f_grads([data])

        def loss_at(value: np.ndarray) -> float:
            return float(f_loss([value])[0])

        for w, g in zip(weights, symbolic, strict=False):
            base = K.get_value(w)
            flat = base.reshape(-1)
            for i in _sample(flat.size, entries):
                up, down = flat.copy(), flat.copy()
                up[i] += eps
                down[i] -= eps
                K.set_value(w, up.reshape(base.shape))
                hi = loss_at(data)
                K.set_value(w, down.reshape(base.shape))
                lo = loss_at(data)
                K.set_value(w, base)
                numeric = (hi - lo) / (2 * eps)
                assert abs(g.reshape(-1)[i] - numeric) <= tol * max(1.0, abs(numeric)), \
                    f"{layer.name}: d/d{w.name}[{i}] symbolic {g.reshape(-1)[i]} vs " \
                    f"numeric {numeric}"
        gx, flat = symbolic[-1].reshape(-1), data.reshape(-1)
        for i in _sample(flat.size, entries):
            up, down = flat.copy(), flat.copy()
            up[i] += eps
            down[i] -= eps
            numeric = (loss_at(up.reshape(data.shape)) -
                       loss_at(down.reshape(data.shape))) / (2 * eps)
            assert abs(gx[i] - numeric) <= tol * max(1.0, abs(numeric)), \
                f"{layer.name}: d/dinput[{i}] symbolic {gx[i]} vs numeric {numeric}"
    finally:
        K.set_floatx(saved)


def full_layer_test(layer_cls: type, kwargs: dict[str, Any], input_shape: tuple,
                    gradients: bool = True, saving: bool = True, **layer_test_kwargs: Any
                    ) -> np.ndarray:
    """layer_test, then check_saving and check_gradients on an input of input_shape."""
    out = layer_test(layer_cls, kwargs, input_shape=input_shape, **layer_test_kwargs)
    data = _data(input_shape, K.floatx())
    if saving:
        check_saving(layer_cls, kwargs, data)
    if gradients:
        check_gradients(layer_cls, kwargs, data)
    return out
