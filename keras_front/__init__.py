"""keras_front: the Keras 1.x API on symgraph.

    import keras_front as keras
    model = keras.Sequential([keras.layers.Dense(10, input_dim=4, activation='softmax')])
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['acc'])

Keras's module paths work under this package (keras_front.layers.core,
keras_front.engine.topology, keras_front.utils.np_utils, ...), and the tf.keras
spellings `keras.Sequential`, `keras.Model`, `keras.Input`.
"""

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

# Packages written by later issues (preprocessing, datasets, saving, wrappers) are
# reachable as attributes (`keras.preprocessing.sequence`) once they exist.
_LATER = ("preprocessing", "datasets", "saving", "wrappers", "applications", "distributed")


def __getattr__(name: str) -> object:
    if name in _LATER:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
