"""keras_front/datasets/digits.py: the UCI digits shipped in the package."""

from __future__ import annotations

import gzip

import numpy as np

from keras_front.datasets import digits


def test_the_bundled_file_holds_the_1797_uci_digits():
    with gzip.open(digits.PATH, "rt") as f:
        table = np.array([[int(v) for v in line.split(",")] for line in f])
    assert table.shape == (1797, 65)
    images, labels = digits.load_all()
    np.testing.assert_array_equal(images.reshape(-1, 64), table[:, :64])
    np.testing.assert_array_equal(labels, table[:, 64])
    assert images.dtype == np.uint8 and images.max() == 16 and images.min() == 0
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_the_split_is_fixed_disjoint_complete_and_stratified():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    (x_train2, y_train2), (x_test2, y_test2) = digits.load_data()
    np.testing.assert_array_equal(x_train, x_train2)
    np.testing.assert_array_equal(y_test, y_test2)
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.dtype == np.uint8 and y_train.shape == (1438,)
    train, test = digits.split_indices(digits.load_all()[1])
    assert len(np.intersect1d(train, test)) == 0
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(1797))
    assert all(35 <= c <= 37 for c in np.bincount(y_test))
    images, labels = digits.load_all()
    np.testing.assert_array_equal(x_test, images[test])
    np.testing.assert_array_equal(y_train, labels[train])
