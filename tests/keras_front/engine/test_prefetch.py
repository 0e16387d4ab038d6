"""Batches gathered a chunk ahead (keras_front/engine/prefetch.py): the same rows in the
same order as the plain loop, for every array and batch size, the worker stopped when the
loop leaves early, gather errors raised in the loop, and fit training to the same weights
with and without the worker."""

import threading

import numpy as np
import pytest

from keras_front import optimizers
from keras_front.engine import prefetch
from keras_front.engine.lazy_rows import LazyRows
from keras_front.engine.training_utils import make_batches
from keras_front.layers import Dense, Dropout
from keras_front.models import Sequential

RNG = np.random.default_rng(5)


def _batches(n: int, size: int) -> list[tuple[int, int, int]]:
    return [(s, e, e - s) for s, e in make_batches(n, size)]


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("keras_front-batches")]


@pytest.mark.parametrize("min_bytes", [0, 1 << 40])  # always the worker / never
@pytest.mark.parametrize("chunk_bytes", [1, 1000, 1 << 22])  # 1 batch a chunk, 2-24, all
@pytest.mark.parametrize("size", [1, 7, 50])
def test_batches_are_the_plain_loops_rows(monkeypatch, min_bytes, chunk_bytes, size):
    monkeypatch.setattr(prefetch, "MIN_PREFETCH_BYTES", min_bytes)
    monkeypatch.setattr(prefetch, "CHUNK_BYTES", chunk_bytes)
    ins = [RNG.standard_normal((50, 4, 3)).astype("float32"),
           RNG.integers(0, 9, (50, 1)), RNG.random(50) < 0.5]
    order = RNG.permutation(50)
    got = list(prefetch.batch_arrays(ins, order, _batches(50, size)))
    assert len(got) == len(make_batches(50, size))
    for arrays, (start, end) in zip(got, make_batches(50, size), strict=True):
        for a, src in zip(arrays, ins, strict=True):
            want = src[order[start:end]]  # NumPy's own gather, independently
            assert a.dtype == want.dtype and a.flags.c_contiguous
            np.testing.assert_array_equal(a, want)
    views = list(prefetch.batch_arrays(ins, None, _batches(50, size)))
    assert all(np.shares_memory(v[0], ins[0]) for v in views)  # unshuffled: views
    assert not _workers()


def test_lazy_sources_and_early_exit(monkeypatch):
    monkeypatch.setattr(prefetch, "MIN_PREFETCH_BYTES", 0)
    x = RNG.standard_normal((30, 2))
    lazy = list(prefetch.batch_arrays([LazyRows(x)], np.arange(30)[::-1], _batches(30, 4)))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in lazy]), x[::-1])
    it = prefetch.batch_arrays([x], RNG.permutation(30), _batches(30, 4))
    next(it)
    assert _workers()  # gathering the next batch
    it.close()
    assert not _workers()  # closing stops (joins) the worker


def test_a_gather_error_is_raised_in_the_loop(monkeypatch):
    monkeypatch.setattr(prefetch, "MIN_PREFETCH_BYTES", 0)
    it = prefetch.batch_arrays([np.zeros((5, 2))], np.array([0, 1, 2, 9]), _batches(4, 2))
    next(it)
    with pytest.raises(IndexError, match="index 9 is out of bounds for axis 0 with size 5"):
        next(it)
    assert not _workers()


def _trained(min_bytes: int, monkeypatch) -> list[np.ndarray]:
    monkeypatch.setattr(prefetch, "MIN_PREFETCH_BYTES", min_bytes)
    np.random.seed(3)  # the dropout masks' seed, then the shuffles
    model = Sequential([Dense(16, input_dim=6, activation="relu"), Dropout(0.5),
                        Dense(3, activation="softmax")])
    model.set_weights([np.full(w.shape, 0.1, "float32") * (np.arange(w.size) % 7).reshape(
        w.shape) for w in model.get_weights()])
    model.compile(optimizers.Adam(), "categorical_crossentropy", metrics=["acc"])
    x = np.random.default_rng(1).standard_normal((90, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(90) % 3]
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    return model.get_weights() + [np.array(history.history["loss"])]


def test_fit_trains_to_the_same_weights_with_and_without_the_worker(monkeypatch):
    with_worker = _trained(0, monkeypatch)
    without = _trained(1 << 40, monkeypatch)
    for a, b in zip(with_worker, without, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not _workers()
