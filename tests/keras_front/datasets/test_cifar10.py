"""keras_front/datasets/cifar.py and cifar10.py on a small cifar-10-batches-py.tar.gz made
of Python 2 pickles, as Keras 1.2.2 caches it."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.datasets import cifar, cifar10
from keras_front.datasets.cache import DatasetFileError, Source

from . import py2pickle
from .conftest import md5


def make_tar(path, folder, batches):
    """A .tar.gz holding folder/<name> -> py2 pickle of each batch dict."""
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            blob = py2pickle.dumps(batch)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def cifar10_batches(seed):
    rng = np.random.RandomState(seed)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batches[name] = {"batch_label": f"{name} of 6", "labels": list(rng.randint(0, 10, 2)),
                         "data": rng.randint(0, 256, (2, 3072)).astype("uint8"),
                         "filenames": ["a.png", "b.png"]}
    return batches


@pytest.fixture
def th_ordering():
    old = K.image_dim_ordering()
    K.set_image_dim_ordering("th")
    yield
    K.set_image_dim_ordering(old)


def _expected(batches, names):
    x = np.concatenate([batches[n]["data"] for n in names]).reshape(-1, 3, 32, 32)
    y = np.concatenate([batches[n]["labels"] for n in names]).reshape(-1, 1)
    return x, y


def test_load_data_reads_the_unpacked_batches_in_th_order(cache, monkeypatch, th_ordering):
    batches = cifar10_batches(0)
    make_tar(cache / "cifar-10-batches-py.tar.gz", "cifar-10-batches-py", batches)
    monkeypatch.setattr(cifar10, "SOURCE", Source(
        "cifar-10-batches-py", "http://127.0.0.1:9/none", md5(cache /
                                                             "cifar-10-batches-py.tar.gz"),
        untar=True))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    want_x, want_y = _expected(batches, [f"data_batch_{i}" for i in range(1, 6)])
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train, want_y)
    assert x_train.shape == (10, 3, 32, 32) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8  # as Keras 1.2.2
    np.testing.assert_array_equal(x_test, _expected(batches, ["test_batch"])[0])
    assert y_test.shape == (2, 1) and y_test.dtype == np.int64
    assert (cache / "cifar-10-batches-py" / "test_batch").is_file()


def test_tf_ordering_puts_channels_last(cache, monkeypatch):
    batches = cifar10_batches(1)
    make_tar(cache / "cifar-10-batches-py.tar.gz", "cifar-10-batches-py", batches)
    monkeypatch.setattr(cifar10, "SOURCE", Source("cifar-10-batches-py", "file:///absent",
                                                  None, untar=True))
    assert K.image_dim_ordering() == "tf"
    (x_train, _), _ = cifar10.load_data()
    want, _ = _expected(batches, [f"data_batch_{i}" for i in range(1, 6)])
    np.testing.assert_array_equal(x_train, want.transpose(0, 2, 3, 1))


def test_an_archive_with_the_wrong_hash_is_fetched_again(cache, remote, monkeypatch,
                                                         th_ordering):
    make_tar(cache / "cifar-10-batches-py.tar.gz", "cifar-10-batches-py", cifar10_batches(2))
    fresh = cifar10_batches(3)
    make_tar(remote / "cifar-10-python.tar.gz", "cifar-10-batches-py", fresh)
    monkeypatch.setattr(cifar10, "SOURCE", Source(
        "cifar-10-batches-py", (remote / "cifar-10-python.tar.gz").as_uri(),
        md5(remote / "cifar-10-python.tar.gz"), untar=True))
    (x_train, _), _ = cifar10.load_data()
    np.testing.assert_array_equal(
        x_train, _expected(fresh, [f"data_batch_{i}" for i in range(1, 6)])[0])


def test_a_missing_or_bad_batch_is_an_error_naming_the_file(cache, monkeypatch):
    batches = cifar10_batches(4)
    del batches["data_batch_3"]
    make_tar(cache / "cifar-10-batches-py.tar.gz", "cifar-10-batches-py", batches)
    monkeypatch.setattr(cifar10, "SOURCE", Source("cifar-10-batches-py", "file:///absent",
                                                  None, untar=True))
    with pytest.raises(DatasetFileError, match="data_batch_3: missing"):
        cifar10.load_data()
    bad = cache / "bad_batch"
    bad.write_bytes(py2pickle.dumps({"data": np.zeros((2, 100), "uint8"), "labels": [1, 2]}))
    with pytest.raises(DatasetFileError, match=r"bad_batch: expected \(n, 3072\)"):
        cifar.load_batch(str(bad))
