"""keras_front: the Keras 1.x API on symgraph.

    import keras_front as keras
    model = keras.Sequential([keras.layers.Dense(10, input_dim=4, activation='softmax')])
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['acc'])

Keras's module paths work under this package (keras_front.layers.core,
keras_front.engine.topology, keras_front.utils.np_utils, ...), and the tf.keras
spellings `keras.Sequential`, `keras.Model`, `keras.Input`.

Imports run one way (tests/test_hygiene.py checks that the import graph has no cycle):
backend -> utils (among them the table of layer classes, deserialize_layer and
SafeModeScope) -> activations, initializers, regularizers, constraints, losses, metrics,
optimizers, callbacks -> engine -> layers -> models -> saving, distributed, wrappers and
utils.test_utils (which tests models). A lower module that needs a higher one's class
lets it register itself: keras_front.layers and models register their classes in
utils.generic_utils, input_layer registers InputLayer with Layer, layers.core registers
the globals of loaded bytecode. The engine reaches saving only through
engine.network._saving_hook, by name, on the first save or load (saving needs h5py).
"""

import importlib

from . import (
    activations,
    backend,
    callbacks,
    constraints,
    engine,
    initializations,
    initializers,
    layers,
    losses,
    metrics,
    models,
    objectives,
    optimizers,
    regularizers,
    utils,
)
from .engine import Input
from .models import Model, Sequential

# Reachable as attributes (`keras.preprocessing.sequence`) but imported on first use: they
# cost import time and some need optional dependencies (saving: h5py and pyyaml).
_ON_FIRST_USE = ("preprocessing", "datasets", "saving", "wrappers", "distributed")


def __getattr__(name: str) -> object:
    if name in _ON_FIRST_USE:
        # lazy on purpose (see _ON_FIRST_USE): import time, optional dependencies
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
