"""keras_front/datasets/mnist.py on small files in Keras 1.2.2's and Keras 2's formats."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from keras_front.datasets import mnist
from keras_front.datasets.cache import DatasetFileError, Source
from keras_front.utils.data_utils import DownloadError

from . import py2pickle
from .conftest import md5


def _parts(seed=0):
    rng = np.random.RandomState(seed)
    return ((rng.randint(0, 256, (6, 28, 28)).astype("uint8"), rng.randint(0, 10, 6)
             .astype("uint8")),
            (rng.randint(0, 256, (3, 28, 28)).astype("uint8"), rng.randint(0, 10, 3)
             .astype("uint8")))


def _check(got, want):
    for (gx, gy), (wx, wy) in zip(got, want, strict=True):
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)
        assert gx.dtype == np.uint8 and gy.dtype == np.uint8
        assert gx.shape[1:] == (28, 28) and gy.shape == (len(gx),)


def test_keras122s_gzipped_python2_pickle_is_read(cache):
    data = _parts()
    (cache / "mnist.pkl.gz").write_bytes(gzip.compress(py2pickle.dumps(data)))
    _check(mnist.load_data(), data)


def test_keras2s_npz_is_read_when_that_is_what_the_cache_holds(cache, monkeypatch):
    (x_train, y_train), (x_test, y_test) = data = _parts(1)
    np.savez_compressed(cache / "mnist.npz", x_train=x_train, y_train=y_train,
                        x_test=x_test, y_test=y_test)
    # Keras 2 publishes the file's sha256; a cached copy is checked against it.
    published = mnist.SOURCES[0]
    monkeypatch.setattr(mnist, "SOURCES", (Source("mnist.npz", published.origin,
                                                  md5(cache / "mnist.npz")), mnist.SOURCES[1]))
    _check(mnist.load_data(), data)
    _check(mnist.load_data("mnist.npz"), data)


def test_the_cache_is_looked_up_at_each_call(cache, tmp_path, monkeypatch):
    (cache / "mnist.pkl.gz").write_bytes(gzip.compress(py2pickle.dumps(_parts(0))))
    other = tmp_path / "other" / "datasets"
    other.mkdir(parents=True)
    (other / "mnist.pkl.gz").write_bytes(gzip.compress(py2pickle.dumps(_parts(5))))
    _check(mnist.load_data(), _parts(0))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "other"))
    _check(mnist.load_data(), _parts(5))
    monkeypatch.delenv("KERAS_HOME")  # then ~/.keras, with HOME read now too
    home_cache = tmp_path / "home" / ".keras" / "datasets"
    home_cache.mkdir(parents=True)
    (home_cache / "mnist.pkl.gz").write_bytes(gzip.compress(py2pickle.dumps(_parts(7))))
    _check(mnist.load_data(), _parts(7))


def test_downloaded_when_absent_and_checked_against_its_hash(cache, remote, monkeypatch):
    (x_train, y_train), (x_test, y_test) = data = _parts(2)
    np.savez(remote / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test,
             y_test=y_test)
    good = Source("mnist.npz", (remote / "mnist.npz").as_uri(), md5(remote / "mnist.npz"))
    monkeypatch.setattr(mnist, "SOURCES", (good, mnist.SOURCES[1]))
    _check(mnist.load_data(), data)
    assert (cache / "mnist.npz").read_bytes() == (remote / "mnist.npz").read_bytes()
    (cache / "mnist.npz").unlink()
    bad = Source("mnist.npz", good.origin, "0" * 32)
    monkeypatch.setattr(mnist, "SOURCES", (bad, Source("mnist.pkl.gz", good.origin + "x")))
    with pytest.raises(DownloadError, match="has hash"):
        mnist.load_data()
    assert sorted(p.name for p in cache.iterdir()) == []  # nothing half-written left


def test_a_corrupted_file_is_an_error_naming_it(cache):
    blob = gzip.compress(py2pickle.dumps(_parts()))
    (cache / "mnist.pkl.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DatasetFileError, match=r"mnist\.pkl\.gz.*delete it"):
        mnist.load_data()
    (cache / "mnist.pkl.gz").write_bytes(gzip.compress(py2pickle.dumps([1, 2, 3])))
    with pytest.raises(DatasetFileError, match=r"mnist\.pkl\.gz: expected \(\(x_train"):
        mnist.load_data()


def test_offline_with_an_empty_cache_the_error_says_what_to_put_where(cache, monkeypatch):
    monkeypatch.setattr(mnist, "SOURCES", tuple(
        Source(s.fname, "http://127.0.0.1:9/" + s.fname, s.file_hash) for s in mnist.SOURCES))
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    assert "mnist.npz" in message and "mnist.pkl.gz" in message and str(cache) in message
    assert "http://127.0.0.1:9/mnist.pkl.gz" in message
