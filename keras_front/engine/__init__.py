"""keras_front.engine: the layer graph and the training loop (Keras 1.2's keras.engine).

    base_layer.py      Layer, InputSpec
    node.py            Node (one call of a layer), get_source_inputs
    input_layer.py     InputLayer, Input
    network.py         Container: a graph of layers, usable as a layer
    network_config.py  a Container's config and rebuilding from it
    training.py        Model: compile / fit / evaluate / predict
    training_utils.py, training_arrays.py, training_generator.py: the loops' helpers
    training_checks.py the checks of fit's arguments and data
    lazy_rows.py       HDF5 datasets read batch by batch (LazyRows)
    prefetch.py        shuffled batches gathered ahead on a worker thread
    data_plan.py       how fit spreads an epoch's samples over processes
    allocation.py      the size checks made before a layer allocates a weight
    topology.py        the Keras 1 import path keras.engine.topology
"""

import importlib

from .base_layer import InputSpec, Layer
from .input_layer import Input, InputLayer
from .network import Container
from .node import Node, get_source_inputs
from .training import Model


def __getattr__(name: str) -> object:
    if name in ("Merge", "merge"):
        # Keras 1.2.2 exports Merge and merge here too; they live in keras_front.layers.merge,
        # above the engine: loaded on first use (by module path: `layers.merge` is the function).
        return getattr(importlib.import_module("keras_front.layers.merge"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
