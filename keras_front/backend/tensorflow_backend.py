"""Keras 1.2.2's import path keras.backend.tensorflow_backend: K itself under that name.

keras_front has one backend (symgraph), which follows Keras 1.x's Theano backend; code
that imports `keras.backend.tensorflow_backend` (as Keras 1.2.2's own tests do, to
compare backends) gets the same functions as `keras_front.backend` (theano_backend.py
says so too). TensorFlow's own names (sessions, sparse tensors) are not provided.
"""

from .theano_backend import __getattr__  # noqa: F401 (every K function, by name)
