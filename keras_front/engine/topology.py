"""Keras 1's `keras.engine.topology` import path (`from keras.engine.topology import Layer`)."""

from .base_layer import InputSpec, Layer, to_list
from .input_layer import Input, InputLayer
from .network import Container
from .node import Node, get_source_inputs

__all__ = ["Container", "Input", "InputLayer", "InputSpec", "Layer", "Node",
           "get_source_inputs", "to_list"]
