"""Keras 1's `keras.engine.topology` import path (`from keras.engine.topology import Layer`;
Merge and merge too, as in Keras 1.2)."""

import importlib
from typing import Any

from .base_layer import InputSpec, Layer, to_list
from .input_layer import Input, InputLayer
from .network import Container
from .node import Node, get_source_inputs

__all__ = ["Container", "Input", "InputLayer", "InputSpec", "Layer", "Node",
           "get_source_inputs", "to_list"]


def __getattr__(name: str) -> Any:
    if name in ("Merge", "merge"):
        # Merge lives in keras_front.layers.merge, above the engine: loaded on first use (by
        # module path: the attribute `layers.merge` is the function).
        return getattr(importlib.import_module("keras_front.layers.merge"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
