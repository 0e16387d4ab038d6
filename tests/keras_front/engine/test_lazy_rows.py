"""keras_front/engine/lazy_rows.py: HDF5 data read batch by batch in fit/evaluate/predict."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from keras_front.engine import lazy_rows
from keras_front.engine.lazy_rows import LazyRows
from keras_front.layers import Dense
from keras_front.models import Sequential
from keras_front.utils.io_utils import HDF5Matrix


class CountingSource:
    """An on-disk-like array: records how many rows each read returns, refuses __array__."""

    def __init__(self, data: np.ndarray) -> None:
        self.data, self.reads = data, []
        self.shape, self.dtype = data.shape, data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key):
        if isinstance(key, list):
            assert key == sorted(set(key)), "HDF5 reads need increasing rows"
        out = self.data[key]
        self.reads.append(len(out))
        return out

    def __array__(self, *args, **kwargs):
        raise AssertionError("the whole source was converted at once")


def _model(seed: int = 0) -> Sequential:
    model = Sequential([Dense(4, input_dim=3, activation="tanh"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.RandomState(seed)
    model.set_weights([rng.randn(*w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_view_reads_rows_in_any_order_converted_and_as_a_column():
    data = np.arange(20, dtype="float64")
    rows = LazyRows(CountingSource(data), "float32")
    assert rows.shape == (20, 1) and rows.ndim == 2 and len(rows) == 20
    view = rows[5:15]
    assert isinstance(view, LazyRows) and view.shape == (10, 1)
    got = view.rows(np.array([7, 0, 7, 3]))
    np.testing.assert_array_equal(got, data[5:15][[7, 0, 7, 3]][:, None])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(view[::3]), data[5:15:3][:, None])
    with pytest.raises(IndexError, match="rows 0..10 out of range for 10 rows"):
        view.rows(np.array([0, 10]))


def test_fit_on_hdf5_matches_fit_on_arrays(tmp_path):
    rng = np.random.RandomState(1)
    x, y = rng.randn(64, 3), rng.randn(64, 1)  # float64 on disk, the model is float32
    path = str(tmp_path / "d.h5")
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = x, y
    histories, weights = [], []
    for data in ((x, y), (HDF5Matrix(path, "x"), HDF5Matrix(path, "y"))):
        model = _model()
        np.random.seed(3)
        h = model.fit(*data, batch_size=8, nb_epoch=2, validation_split=0.25, verbose=0)
        histories.append(h.history)
        weights.append(model.get_weights())
        evaluated = model.evaluate(*data, batch_size=16, verbose=0)
        predicted = model.predict(data[0], batch_size=16)
        histories[-1]["after"] = [evaluated, predicted]
    for a, b in zip(weights[0], weights[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(histories[0]["val_loss"], histories[1]["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(histories[0]["after"][0], histories[1]["after"][0], rtol=1e-6)
    np.testing.assert_allclose(histories[0]["after"][1], histories[1]["after"][1], rtol=1e-6)
    HDF5Matrix.refs.pop(path, None)


def test_fit_never_reads_the_whole_source(monkeypatch):
    monkeypatch.setattr(lazy_rows, "CHUNK_ROWS", 50)
    rng = np.random.RandomState(2)
    x, y = CountingSource(rng.randn(300, 3)), CountingSource(rng.randn(300, 1))
    model = _model()
    model.fit(x, y, batch_size=16, nb_epoch=1, validation_split=0.2, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    model.predict(x, batch_size=16)
    assert x.reads and max(x.reads) <= 50 and max(y.reads) <= 50


def test_nan_on_disk_is_found_naming_the_rows(monkeypatch):
    monkeypatch.setattr(lazy_rows, "CHUNK_ROWS", 50)
    x = np.random.RandomState(3).randn(120, 3)
    x[77, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values in input .*rows 50\.\."):
        _model().fit(CountingSource(x), np.zeros((120, 1)), verbose=0)
