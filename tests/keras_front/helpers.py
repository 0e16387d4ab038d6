"""Test helpers for keras_front layers: `layer_test`, Keras's generic layer check.

    from tests.keras_front.helpers import layer_test
    out = layer_test(Dense, {'units': 3}, input_shape=(2, 4), expected_output=...)

It builds the layer in a functional Model and in a Sequential, checks the output shape
against compute_output_shape (and get_output_shape_for), the config round trip
(layer and model), the trainable weights, get_weights/set_weights, and that predict
runs (matching `expected_output` when given). Returns the functional model's output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.models import Model, Sequential


def _shapes_agree(expected: Any, actual: tuple) -> bool:
    return len(expected) == len(actual) and all(
        e is None or e == a for e, a in zip(expected, actual, strict=True))


def _without_names(config: Any) -> Any:
    """The config without layer names, nor dumped function code (marshal bytes vary)."""
    if isinstance(config, dict):
        dumped = {k[:-len("_type")] for k, v in config.items()
                  if k.endswith("_type") and v == "lambda"}
        return {k: _without_names(v) for k, v in config.items()
                if k != "name" and k not in dumped}
    if isinstance(config, (list, tuple)):
        return [_without_names(v) for v in config]
    return config


def _random_input(shape: tuple, dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = tuple(d if d is not None else int(rng.integers(1, 4)) for d in shape)
    return (10 * rng.random(shape)).astype(dtype)


def layer_test(layer_cls: type, kwargs: dict[str, Any] | None = None,
               input_shape: Any = None, input_data: Any = None,
               input_dtype: str | None = None, expected_output: np.ndarray | None = None,
               expected_output_dtype: str | None = None,
               expected_trainable: int | None = None, fixed_batch_size: bool = False,
               rtol: float = 1e-5, atol: float = 1e-6,
               custom_objects: dict[str, Any] | None = None) -> np.ndarray:
    """Check a layer class in the ways every layer must work (see the module docstring).

    For a layer taking several inputs, give lists: input_shape=[(2, 3), (2, 3)] or
    input_data=[a, b] (the Sequential check is then skipped).
    """
    kwargs = dict(kwargs or {})
    multi = isinstance(input_data, list) or (
        isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], tuple))
    if input_data is None:
        if input_shape is None:
            raise ValueError("layer_test needs input_shape or input_data")
        given = input_shape if multi else [input_shape]
        datas = [_random_input(tuple(s), input_dtype or K.floatx(), i)
                 for i, s in enumerate(given)]
    else:
        datas = list(input_data) if multi else [input_data]
    shapes = [d.shape for d in datas]
    input_dtype = input_dtype or datas[0].dtype.name
    batch_shapes = [tuple(s) if fixed_batch_size else (None,) + tuple(s[1:]) for s in shapes]
    batch_arg = batch_shapes if multi else batch_shapes[0]

    # The layer alone: config round trip.
    layer = layer_cls(**kwargs)
    config = layer.get_config()
    clone = layer_cls.from_config(config, custom_objects=custom_objects) if custom_objects \
        else layer_cls.from_config(config)  # some layers take no custom_objects
    assert _without_names(clone.get_config()) == _without_names(config), \
        f"{layer_cls.__name__}: from_config(get_config()) changed the config"

    # Functional model.
    xs = [Input(batch_shape=s, dtype=input_dtype) for s in batch_shapes]
    y = layer(xs if multi else xs[0])
    assert K.dtype(y) == (expected_output_dtype or input_dtype)
    expected_shape = tuple(layer.compute_output_shape(batch_arg))
    assert _shapes_agree(expected_shape, K.int_shape(y)), \
        f"static shape {K.int_shape(y)} vs compute_output_shape {expected_shape}"
    assert tuple(layer.get_output_shape_for(batch_arg)) == expected_shape
    if expected_trainable is not None:
        assert len(layer.trainable_weights) == expected_trainable
    weights = layer.get_weights()
    layer.set_weights(weights)
    for before, after in zip(weights, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    model = Model(xs, y)
    actual = model.predict(datas if multi else datas[0])
    assert _shapes_agree(expected_shape, actual.shape), \
        f"output shape {actual.shape} vs compute_output_shape {expected_shape}"
    assert actual.dtype == np.dtype(expected_output_dtype or input_dtype)
    if expected_output is not None:
        np.testing.assert_allclose(actual, expected_output, rtol=rtol, atol=atol)

    # The model's config rebuilds an equal model (same weights -> same predictions).
    rebuilt = Model.from_config(model.get_config(), custom_objects=custom_objects)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(datas if multi else datas[0]), actual,
                               rtol=rtol, atol=atol)
    if multi:
        return actual

    # Sequential, the first layer carrying the input shape.
    seq_layer = layer_cls(**{**kwargs, "batch_input_shape": batch_shapes[0],
                             "input_dtype": input_dtype})
    seq = Sequential()
    seq.add(seq_layer)
    seq_layer.set_weights(layer.get_weights())
    np.testing.assert_allclose(seq.predict(datas[0]), actual, rtol=rtol, atol=atol)
    return actual
