"""Helpers for testing layers and models, with Keras 1.2.2's names and signatures:
layer_test, keras_test and get_test_data (written for keras_front; they check more).

    layer_test(LSTM, kwargs={'output_dim': 3, 'return_sequences': True},
               input_shape=(2, 5, 4))

layer_test builds the layer from kwargs and checks, on random inputs: the output dtype
and shape against the layer's own shape rule (functional API and as the first layer of
a Sequential); `weights=` given to the constructor are the weights it gets; the config
round trip (Model.from_config, layer.from_config, JSON) computes the same outputs;
saving and loading the model and its weights (HDF5, when h5py is installed) keeps them
too; and, with
`check_gradients`, the gradients of a scalar function of the output with respect to the
weights (and to float inputs) agree with central finite differences, computed in
float64 in the test phase.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.testing import assert_allclose

import symgraph as sg

from .. import backend as K
from ..engine.input_layer import Input
from ..engine.training import Model
from ..models import Sequential, load_model, model_from_json
from .generic_utils import has_arg


def get_test_data(nb_train: int = 1000, nb_test: int = 500,
                  input_shape: Sequence[int] = (10,), output_shape: Sequence[int] = (2,),
                  classification: bool = True, nb_class: int = 2
                  ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((X_train, y_train), (X_test, y_test)) drawn with NumPy's global generator.

    Classification: integer labels y in [0, nb_class) and inputs ~ N(y, 0.7) (output_shape
    is ignored). Regression: per sample a centre c ~ U(0, 1), inputs ~ N(c, 0.7) of
    input_shape and float targets ~ N(c, 0.7) of output_shape.
    """
    nb_sample = nb_train + nb_test
    input_shape, output_shape = tuple(input_shape), tuple(output_shape)
    if classification:
        y = np.random.randint(0, nb_class, size=(nb_sample,))
        centre = y.reshape((nb_sample,) + (1,) * len(input_shape))
        x = np.random.normal(loc=centre, scale=0.7, size=(nb_sample,) + input_shape)
    else:
        loc = np.random.random((nb_sample,))
        x = np.random.normal(loc=loc.reshape((nb_sample,) + (1,) * len(input_shape)),
                             scale=0.7, size=(nb_sample,) + input_shape)
        y = np.random.normal(loc=loc.reshape((nb_sample,) + (1,) * len(output_shape)),
                             scale=0.7, size=(nb_sample,) + output_shape)
    return (x[:nb_train], y[:nb_train]), (x[nb_train:], y[nb_train:])


def keras_test(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a test, then forget the session's layer names and fixed learning phase."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        finally:
            K.clear_session()
    return wrapper


def _random_input(input_shape: Sequence[int | None], dtype: str) -> np.ndarray:
    """Keras's test input: 10 * U(0, 1) of the shape, unknown dims drawn in 1..3."""
    shape = [np.random.randint(1, 4) if d is None else d for d in input_shape]
    return (10 * np.random.random(shape)).astype(dtype)


def _check_shape(expected: Any, actual: tuple[int, ...], where: str) -> None:
    expected = tuple(expected)
    if len(expected) != len(actual) or any(e is not None and e != a
                                           for e, a in zip(expected, actual, strict=False)):
        raise AssertionError(f"{where}: output shape {actual} does not match the layer's "
                             f"shape rule {expected}")


def _without_names(config: Any) -> Any:
    """A config without layer names nor dumped function code (marshal bytes vary)."""
    if isinstance(config, dict):
        dumped = {k[:-len("_type")] for k, v in config.items()
                  if k.endswith("_type") and v == "lambda"}
        return {k: _without_names(v) for k, v in config.items()
                if k != "name" and k not in dumped}
    if isinstance(config, (list, tuple)):
        return [_without_names(v) for v in config]
    return config


def layer_test(layer_cls: type, kwargs: dict[str, Any] | None = None,
               input_shape: Any = None, input_dtype: str | None = None,
               input_data: Any = None, expected_output: np.ndarray | None = None,
               expected_output_dtype: str | None = None, fixed_batch_size: bool = False,
               *, check_gradients: bool = True, check_saving: bool = True,
               expected_trainable: int | None = None, custom_objects: dict[str, Any] | None
               = None, rtol: float = 1e-5, atol: float = 1e-6,
               gradient_probes: int = 4) -> np.ndarray:
    """Test a layer (see the module docstring); returns its output on the test input (the
    Sequential model's, for one input). For a layer taking several inputs give lists:
    input_shape=[(2, 3), (2, 3)] or input_data=[a, b] (no Sequential check then).
    gradient_probes: entries of each weight and input checked by finite differences."""
    kwargs = dict(kwargs or {})
    # The class under test is known by name when configs are read back (custom layers).
    custom_objects = {layer_cls.__name__: layer_cls, **(custom_objects or {})}
    multi = isinstance(input_data, list) or (isinstance(input_shape, list) and input_shape
                                             and isinstance(input_shape[0], (tuple, list)))
    if input_data is None:
        if input_shape is None:
            raise ValueError("layer_test needs input_shape or input_data")
        datas = [_random_input(s, input_dtype or K.floatx())
                 for s in (input_shape if multi else [input_shape])]
    else:
        datas = [np.asarray(d) for d in (input_data if multi else [input_data])]
    input_dtype = input_dtype or datas[0].dtype.name
    expected_output_dtype = expected_output_dtype or input_dtype
    shapes = [tuple(s) for s in input_shape] if multi and input_shape is not None else \
        [tuple(input_shape)] if input_shape is not None else [d.shape for d in datas]
    feed = datas if multi else datas[0]
    what = layer_cls.__name__

    layer = layer_cls(**kwargs)
    config = layer.get_config()
    clone = _from_config(layer_cls, config, custom_objects)
    if _without_names(clone.get_config()) != _without_names(config):
        raise AssertionError(f"{what}: from_config(get_config()) changed the config")
    layer.set_weights(layer.get_weights())
    xs = [Input(batch_shape=s if fixed_batch_size else (None,) + s[1:], dtype=input_dtype)
          for s in shapes]
    y = layer(xs if multi else xs[0])
    if K.dtype(y) != expected_output_dtype:
        raise AssertionError(f"{what}: output dtype {K.dtype(y)}, expected "
                             f"{expected_output_dtype}")
    expected_shape = layer.get_output_shape_for(shapes if multi else shapes[0])
    if tuple(layer.compute_output_shape(shapes if multi else shapes[0])) != \
            tuple(expected_shape):
        raise AssertionError(f"{what}: get_output_shape_for and compute_output_shape differ")
    batch_shapes = [s if fixed_batch_size else (None,) + s[1:] for s in shapes]
    _check_shape(layer.get_output_shape_for(batch_shapes if multi else batch_shapes[0]),
                 K.int_shape(y), f"{what} (static shape)")
    if expected_trainable is not None and len(layer.trainable_weights) != expected_trainable:
        raise AssertionError(f"{what}: {len(layer.trainable_weights)} trainable weights, "
                             f"expected {expected_trainable}")
    model = Model(input=xs if multi else xs[0], output=y)
    model.compile("rmsprop", "mse")
    output = model.predict(feed)
    _check_shape(expected_shape, output.shape, f"{what} (functional)")
    if output.dtype != np.dtype(expected_output_dtype):
        raise AssertionError(f"{what}: predict returned {output.dtype}, expected "
                             f"{expected_output_dtype}")
    if expected_output is not None:
        assert_allclose(output, expected_output, rtol=rtol, atol=atol)
    weights = layer.get_weights()

    def same(got: np.ndarray, where: str) -> None:
        assert_allclose(got, output, rtol=rtol, atol=atol, err_msg=f"{what}: {where}")

    if weights:  # the same weights given to the constructor give the same outputs
        twin = layer_cls(**{**kwargs, "weights": weights})
        same(Model(input=xs if multi else xs[0], output=twin(xs if multi else xs[0]))
             .predict(feed), "weights= given to the constructor")
    rebuilt = Model.from_config(model.get_config(), custom_objects=custom_objects)
    rebuilt.compile("rmsprop", "mse")
    rebuilt.set_weights(model.get_weights())
    same(rebuilt.predict(feed), "Model.from_config(model.get_config())")
    if check_saving:
        _check_save_load(model, feed, output, custom_objects, rtol, atol)
    if check_gradients:
        check_layer_gradients(layer_cls, config, feed, weights, custom_objects,
                              n_probes=gradient_probes)
    if multi:
        return output

    # As the first layer of a Sequential model, from the layer's own config.
    layer_config = {**layer.get_config(), "batch_input_shape": shapes[0]}
    if input_dtype != K.floatx() or "input_dtype" in layer_config:
        layer_config["input_dtype"] = input_dtype
    sequential = Sequential()
    sequential.add(_from_config(layer_cls, layer_config, custom_objects))
    sequential.compile("rmsprop", "mse")
    sequential.set_weights(weights)
    seq_output = sequential.predict(feed)
    _check_shape(expected_shape, seq_output.shape, f"{what} (Sequential)")
    same(seq_output, "as the first layer of a Sequential")
    from_json = model_from_json(sequential.to_json(), custom_objects=custom_objects)
    from_json.set_weights(weights)
    same(from_json.predict(feed), "model_from_json(model.to_json())")
    return seq_output


def _from_config(layer_cls: type, config: dict[str, Any],
                 custom_objects: dict[str, Any]) -> Any:
    """layer_cls.from_config, with custom_objects for the layers that take them."""
    if has_arg(layer_cls.from_config, "custom_objects"):
        return layer_cls.from_config(config, custom_objects=custom_objects)
    return layer_cls.from_config(config)


def _check_save_load(model: Any, feed: Any, output: np.ndarray,
                     custom_objects: dict[str, Any] | None, rtol: float, atol: float) -> None:
    """save_model / load_model, and save_weights / load_weights into the model rebuilt from
    its config, keep the predictions (skipped without h5py)."""
    try:
        import h5py  # noqa: F401 (optional dependency: without it, saving is not checked)
    except ImportError:
        return
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "layer_test.h5")
        model.save(path)
        loaded = load_model(path, custom_objects=custom_objects)
        weights = os.path.join(folder, "layer_test_weights.h5")
        model.save_weights(weights)
        twin = Model.from_config(model.get_config(), custom_objects=custom_objects)
        twin.load_weights(weights)
    assert_allclose(loaded.predict(feed), output, rtol=rtol, atol=atol,
                    err_msg="predictions after save_model / load_model")
    assert_allclose(twin.predict(feed), output, rtol=rtol, atol=atol,
                    err_msg="predictions after save_weights / load_weights")


def check_layer_gradients(layer_cls: type, config: dict[str, Any], input_data: Any,
                          weights: Sequence[np.ndarray],
                          custom_objects: dict[str, Any] | None = None, n_probes: int = 4,
                          seed: int = 1234) -> None:
    """Gradients of sum(R * layer(x)) (R fixed random) with respect to each trainable
    weight and each float input, against central finite differences on `n_probes`
    entries each; in float64 and the test phase. input_data: an array or a list."""
    rng = np.random.RandomState(seed)
    saved_floatx = K.floatx()
    K.set_floatx("float64")
    try:
        config = {k: v for k, v in config.items()
                  if k not in ("batch_input_shape", "input_dtype")}
        layer = _from_config(layer_cls, config, custom_objects)
        multi = isinstance(input_data, list)
        datas = [np.asarray(d) for d in (input_data if multi else [input_data])]
        datas = [d.astype("float64") if d.dtype.kind == "f" else d for d in datas]
        xs = [K.placeholder(shape=(None,) + d.shape[1:], dtype=str(d.dtype)) for d in datas]
        y = layer(xs if multi else xs[0])
        layer.set_weights([np.asarray(w, "float64") if np.asarray(w).dtype.kind == "f" else w
                           for w in weights])
        phase = K.learning_phase()
        fixed = [] if isinstance(phase, int) else [phase]
        out_shape = tuple(K.function(xs + fixed, [K.shape(y)])(datas + [0] * len(fixed))[0])
        loss = K.sum(y * K.variable(rng.standard_normal(out_shape)))
        wrt = [w for w in layer.trainable_weights if K.dtype(w).startswith("float")]
        wrt += [x for x, d in zip(xs, datas, strict=True) if d.dtype.kind == "f"]
        # A weight the output ignores gets zeros (then compared like any other).
        grads = sg.grad(loss, wrt, disconnected_inputs="ignore") if wrt else []
        f = K.function(xs + fixed, [loss] + grads)
        analytic = f(datas + [0] * len(fixed))[1:]

        def loss_at(feed: list[np.ndarray]) -> float:
            return float(f(feed + [0] * len(fixed))[0])
        for k, target in enumerate(wrt):
            is_input = any(target is x for x in xs)
            slot = next(i for i, x in enumerate(xs) if x is target) if is_input else -1
            base = datas[slot] if is_input else K.get_value(target)
            flat = base.reshape(-1)
            for index in rng.choice(flat.size, size=min(n_probes, flat.size), replace=False):
                eps = 1e-6 * max(1.0, abs(flat[index]))
                probe = (target, slot if is_input else None, base, int(index))
                estimate = _central_difference(loss_at, datas, probe, eps)
                if not np.isclose(estimate, _central_difference(loss_at, datas, probe, 4 * eps),
                                  rtol=1e-4, atol=1e-6):
                    continue  # not differentiable here (a kink, a mask's edge): no check
                got = float(np.asarray(analytic[k]).reshape(-1)[index])
                if not np.isclose(got, estimate, rtol=1e-4, atol=1e-6):
                    what = f"input {slot}" if is_input else f"weight {target.name}"
                    raise AssertionError(f"{layer_cls.__name__}: gradient with respect to "
                                         f"{what} at flat index {index} is {got}, finite "
                                         f"differences give {estimate}")
    finally:
        K.set_floatx(saved_floatx)


def _central_difference(loss_at: Callable[[list[np.ndarray]], float],
                        datas: list[np.ndarray], probe: tuple[Any, int | None, np.ndarray, int],
                        eps: float) -> float:
    """(loss(x + eps) - loss(x - eps)) / 2 eps moving one entry of an input (slot given) or
    of a weight (slot None, restored afterwards)."""
    target, slot, base, index = probe
    values = []
    for sign in (1, -1):
        moved = base.reshape(-1).copy()
        moved[index] += sign * eps
        feed = list(datas)
        if slot is not None:
            feed[slot] = moved.reshape(base.shape)
        else:
            K.set_value(target, moved.reshape(base.shape))
        values.append(loss_at(feed))
    if slot is None:
        K.set_value(target, base)
    return (values[0] - values[1]) / (2 * eps)
