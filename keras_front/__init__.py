"""keras_front: the Keras 1.x API on symgraph."""

from . import (
    activations,
    backend,
    constraints,
    initializations,
    initializers,
    losses,
    metrics,
    objectives,
    regularizers,
    utils,
)
