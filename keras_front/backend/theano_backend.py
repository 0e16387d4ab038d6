"""Keras 1.2.2's import path keras.backend.theano_backend: K itself under that name.

keras_front has one backend (symgraph), which follows Keras 1.x's Theano backend; code
that imports `keras.backend.theano_backend` (as Keras 1.2.2's own tests do, to compare
backends) gets the same functions as `keras_front.backend`. Engine-specific names
(Theano's sessions, sparse modules) are not provided.
"""

from typing import Any

from .. import backend as _K

th_sparse_module = None  # Keras 1.2.2's flag for Theano's sparse support: none here


def __getattr__(name: str) -> Any:
    return getattr(_K, name)
