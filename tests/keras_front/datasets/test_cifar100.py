"""keras_front/datasets/cifar100.py: fine and coarse labels from cifar-100-python.tar.gz."""

from __future__ import annotations

import numpy as np
import pytest

from keras_front.datasets import cifar100
from keras_front.datasets.cache import Source

from .test_cifar10 import make_tar


def test_fine_and_coarse_labels(cache, monkeypatch):
    rng = np.random.RandomState(0)
    batches = {name: {"data": rng.randint(0, 256, (n, 3072)).astype("uint8"),
                      "fine_labels": list(rng.randint(0, 100, n)),
                      "coarse_labels": list(rng.randint(0, 20, n))}
               for name, n in (("train", 4), ("test", 3))}
    make_tar(cache / "cifar-100-python.tar.gz", "cifar-100-python", batches)
    monkeypatch.setattr(cifar100, "SOURCE", Source("cifar-100-python", "file:///absent", None,
                                                   untar=True))
    for mode in ("fine", "coarse"):
        (x_train, y_train), (x_test, y_test) = cifar100.load_data(mode)
        np.testing.assert_array_equal(y_train.ravel(), batches["train"][f"{mode}_labels"])
        np.testing.assert_array_equal(y_test.ravel(), batches["test"][f"{mode}_labels"])
        assert y_train.shape == (4, 1) and x_test.shape == (3, 32, 32, 3)
        np.testing.assert_array_equal(
            x_train, batches["train"]["data"].reshape(4, 3, 32, 32).transpose(0, 2, 3, 1))


def test_an_unknown_label_mode_is_refused():
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse', got 'medium'"):
        cifar100.load_data("medium")
