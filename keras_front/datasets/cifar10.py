"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32, 10 classes.

Reads the folder cifar-10-batches-py that Keras 1.2.2 unpacks from
cifar-10-batches-py.tar.gz in its cache (downloaded when absent).
"""

from __future__ import annotations

import numpy as np

from .cache import Source
from .cifar import load_folder

SOURCE = Source("cifar-10-batches-py", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                "c58f30108f718f92721af3b95e74349a", untar=True)


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(x_train, y_train), (x_test, y_test): uint8 images (n, 3, 32, 32) in 'th' ordering
    ((n, 32, 32, 3) when K.image_dim_ordering() is 'tf') and labels (n, 1) (uint8 for
    training, int64 for test, as Keras 1.2.2 returns them)."""
    train, test = load_folder(SOURCE, [([f"data_batch_{i}" for i in range(1, 6)], "uint8"),
                                       (["test_batch"], "int64")], "labels")
    return train, test
