"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 uint8.

Reads Keras 1.2.2's cached mnist.pkl.gz (a gzipped Python 2 pickle) or Keras 2's
mnist.npz, whichever the cache holds; with neither, downloads mnist.npz. Both are read
without running code from the file (see keras_front.datasets.cache).
"""

from __future__ import annotations

import numpy as np

from .cache import (
    DatasetFileError,
    Source,
    find_or_fetch,
    load_npz_file,
    load_pickle_file,
    require_keys,
)

SOURCES = (
    Source("mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
           "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    Source("mnist.pkl.gz", "https://s3.amazonaws.com/img-datasets/mnist.pkl.gz"),
)


def _checked(pair: object, path: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, y = pair  # type: ignore[misc]
    except (TypeError, ValueError):
        raise DatasetFileError(f"{path}: expected ({part} images, {part} labels)") from None
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise DatasetFileError(f"{path}: {len(x)} {part} images but {len(y)} labels")
    return x, y


def load_data(path: str = "mnist.pkl.gz") -> tuple[tuple[np.ndarray, np.ndarray],
                                                  tuple[np.ndarray, np.ndarray]]:
    """(x_train, y_train), (x_test, y_test): images (n, 28, 28) and labels (n,), uint8.

    `path` is the file name in the Keras cache (~/.keras/datasets, or $KERAS_HOME) or an
    absolute path; an .npz file is read as Keras 2's layout, anything else as Keras
    1.2.2's pickle.
    """
    local, _ = find_or_fetch(path, SOURCES)
    if local.endswith(".npz"):
        arrays = load_npz_file(local)
        require_keys(arrays, ("x_train", "y_train", "x_test", "y_test"), local)
        train = (arrays["x_train"], arrays["y_train"])
        test = (arrays["x_test"], arrays["y_test"])
    else:
        data = load_pickle_file(local, encoding="bytes")
        try:
            train, test = data
        except (TypeError, ValueError):
            raise DatasetFileError(f"{local}: expected ((x_train, y_train), (x_test, y_test)), "
                                   f"got {type(data).__name__}") from None
    return _checked(train, local, "training"), _checked(test, local, "test")
