"""The UCI handwritten digits, shipped with keras_front: 1,797 images of 8x8 pixels
(values 0..16), 10 classes; the same file scikit-learn ships (digits.csv.gz).

Source: E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
Learning Repository (1998), https://doi.org/10.24432/C50P49, licensed CC BY 4.0.

    (x_train, y_train), (x_test, y_test) = digits.load_data()

needs no download, so it serves the demo, the notebooks and the integration tests.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from .cache import DatasetFileError

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")
N_IMAGES, N_TEST = 1797, 360


def load_all(path: str = PATH) -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images (n, 8, 8) uint8 and their labels (n,) uint8, in file order."""
    try:
        with gzip.open(path, "rt", encoding="ascii") as f:
            table = np.loadtxt(f, delimiter=",", dtype="int64", ndmin=2)
    except (OSError, ValueError, EOFError) as e:
        raise DatasetFileError(f"{path}: cannot read the bundled digits ({e}); reinstall "
                               f"keras_front") from e
    if table.shape != (N_IMAGES, 65) or table.min() < 0 or table[:, :64].max() > 16 \
            or table[:, 64].max() > 9:
        raise DatasetFileError(f"{path}: expected {N_IMAGES} rows of 64 pixels (0..16) and "
                               f"a label (0..9), got a {table.shape} table")
    return table[:, :64].reshape(-1, 8, 8).astype("uint8"), table[:, 64].astype("uint8")


def split_indices(labels: np.ndarray, n_test: int = N_TEST, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows): a fixed stratified split, each class in proportion (about
    n_test rows for testing, rounded per class)."""
    rng = np.random.RandomState(seed)
    test = []
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        take = int(round(len(rows) * n_test / len(labels)))
        test.extend(rng.permutation(rows)[:take])
    test_rows = np.sort(np.asarray(test))
    train_rows = np.setdiff1d(np.arange(len(labels)), test_rows)
    return rng.permutation(train_rows), rng.permutation(test_rows)


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(x_train, y_train), (x_test, y_test): 1,438 and 359 images (n, 8, 8) uint8 in
    0..16 with labels (n,) uint8, as mnist.load_data lays them out. The split is fixed:
    every call, on every machine, returns the same images in the same order."""
    images, labels = load_all()
    train, test = split_indices(labels)
    return (images[train], labels[train]), (images[test], labels[test])
