"""keras_front/utils/io_utils.py: HDF5Matrix indexed like the array it stores."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from keras_front.layers import Dense
from keras_front.models import Sequential
from keras_front.utils.io_utils import HDF5Matrix


@pytest.fixture
def stored(tmp_path):
    data = np.random.RandomState(0).rand(20, 3).astype("float32")
    path = str(tmp_path / "data.h5")
    with h5py.File(path, "w") as f:
        f["x"] = data
    yield path, data
    HDF5Matrix.refs.pop(path, None)


def test_indexing_matches_the_numpy_array(stored):
    path, data = stored
    m = HDF5Matrix(path, "x", start=5, end=15)
    rows = data[5:15]
    assert len(m) == 10 and m.shape == (10, 3) and m.ndim == 2 and m.dtype == np.float32
    np.testing.assert_array_equal(m[2], rows[2])
    np.testing.assert_array_equal(m[-1], rows[-1])
    np.testing.assert_array_equal(m[1:4], rows[1:4])
    np.testing.assert_array_equal(m[::3], rows[::3])
    np.testing.assert_array_equal(m[[7, 0, 7, 3]], rows[[7, 0, 7, 3]])
    np.testing.assert_array_equal(m[np.array([[1, 2], [9, 0]])], rows[np.array([[1, 2],
                                                                                [9, 0]])])
    np.testing.assert_array_equal(np.asarray(m), rows)
    with pytest.raises(IndexError, match="row 10 out of range for 10 rows"):
        m[10]


def test_normalizer_and_use_in_a_model(stored):
    path, data = stored
    m = HDF5Matrix(path, "x", normalizer=lambda a: a * 2)
    np.testing.assert_array_equal(m[0:2], data[0:2] * 2)
    model = Sequential([Dense(1, input_dim=3)])
    model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_allclose(model.predict(m), model.predict(data * 2), rtol=1e-6)


def test_bad_paths_and_ranges_are_named(stored, tmp_path):
    path, _ = stored
    with pytest.raises(KeyError, match=r"has no dataset 'y'"):
        HDF5Matrix(path, "y")
    with pytest.raises(ValueError, match="start=5, end=40"):
        HDF5Matrix(path, "x", start=5, end=40)
    with pytest.raises(FileNotFoundError, match="no such file"):
        HDF5Matrix(str(tmp_path / "none.h5"), "x")
