"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32, 100 fine classes
grouped in 20 coarse ones.

Reads the folder cifar-100-python that Keras 1.2.2 unpacks from
cifar-100-python.tar.gz in its cache (downloaded when absent).
"""

from __future__ import annotations

import numpy as np

from .cache import Source
from .cifar import load_folder

SOURCE = Source("cifar-100-python", "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                "eb9058c3a382ffc7106e4002c42a8d85", untar=True)


def load_data(label_mode: str = "fine") -> tuple[tuple[np.ndarray, np.ndarray],
                                                 tuple[np.ndarray, np.ndarray]]:
    """(x_train, y_train), (x_test, y_test) with 'fine' (100) or 'coarse' (20) labels of
    shape (n, 1), int64 as Keras 1.2.2 returns them; images as cifar10.load_data."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: label_mode must be 'fine' or 'coarse', got "
                         f"{label_mode!r}")
    train, test = load_folder(SOURCE, [(["train"], "int64"), (["test"], "int64")],
                              f"{label_mode}_labels")
    return train, test
