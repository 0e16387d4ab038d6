"""keras_front: the Keras 1.x API on symgraph."""
