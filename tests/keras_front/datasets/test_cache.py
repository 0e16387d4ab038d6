"""keras_front/datasets/cache.py: cached files read without running code from them, and
the choice between Keras 1.2.2's and Keras 2's files."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

from keras_front.datasets import cache as dcache
from keras_front.datasets.cache import DatasetFileError, SafeUnpickler, Source
from keras_front.utils.data_utils import DownloadError

from . import py2pickle


def test_a_python2_pickle_of_arrays_lists_and_dicts_loads_with_both_encodings():
    images = np.arange(24, dtype="uint8").reshape(2, 3, 4)
    values = np.array([[1.5, -2.0], [3.25, 1e10]])
    blob = py2pickle.dumps(((images, [3, 1]), {"data": values, "name": "batch 1"}))
    raw = SafeUnpickler(io.BytesIO(blob), encoding="bytes").load()
    np.testing.assert_array_equal(raw[0][0], images)
    assert raw[0][0].dtype == np.uint8 and raw[0][1] == [3, 1]
    assert raw[1][b"name"] == b"batch 1"
    np.testing.assert_array_equal(raw[1][b"data"], values)
    text = SafeUnpickler(io.BytesIO(blob), encoding="latin1").load()
    assert text[1]["name"] == "batch 1"
    np.testing.assert_array_equal(text[1]["data"], values)


def test_pickles_written_by_python3_numpy_load_too():
    value = {"x": np.arange(5.0), "y": [np.int64(3), 2.5, (1, None)], "s": {1, 2}}
    for protocol in (2, 3, 4, 5):
        got = dcache.safe_load_pickle(io.BytesIO(pickle.dumps(value, protocol=protocol)))
        np.testing.assert_array_equal(got["x"], value["x"])
        assert got["y"] == value["y"] and got["s"] == {1, 2}


def test_a_pickle_naming_any_other_callable_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    evil = (b"cos\nsystem\n(V" + f"touch {marker}".encode() + b"\ntR.")
    path = tmp_path / "mnist.pkl"
    path.write_bytes(evil)
    with pytest.raises(DatasetFileError, match=r"mnist\.pkl.*refusing to load os\.system"):
        dcache.load_pickle_file(str(path))
    assert not marker.exists()
    odd_codec = b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00rot13\x86R."
    with pytest.raises(pickle.UnpicklingError, match="rot13"):
        dcache.safe_load_pickle(io.BytesIO(odd_codec))


def test_npz_object_arrays_load_through_the_safe_unpickler(tmp_path):
    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1, 2, 3], [4], []]
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=ragged, y_train=np.array([1, 0, 1]))
    got = dcache.load_npz_file(str(path))
    assert got["x_train"].dtype == object and list(got["x_train"]) == [[1, 2, 3], [4], []]
    np.testing.assert_array_equal(got["y_train"], [1, 0, 1])
    compressed = tmp_path / "mnist.npz"
    fortran = np.asfortranarray(np.arange(12, dtype="uint8").reshape(3, 4))
    np.savez_compressed(compressed, x=fortran)
    np.testing.assert_array_equal(dcache.load_npz_file(str(compressed))["x"], fortran)


def test_an_npz_member_pickling_a_callable_is_refused(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False,
                                                 "shape": (1,)})
    path = tmp_path / "reuters.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:]
                   + b"cos\nsystem\n(Vecho hi\ntR.")
    with pytest.raises(DatasetFileError, match=r"reuters\.npz.*refusing to load os\.system"):
        dcache.load_npz_file(str(path))


def test_damaged_files_are_errors_naming_the_file(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, x=np.arange(1000))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(DatasetFileError, match=r"cut\.npz.*damaged or truncated"):
        dcache.load_npz_file(str(cut))
    pkl = tmp_path / "half.pkl"
    pkl.write_bytes(py2pickle.dumps([np.arange(50)])[:-40])
    with pytest.raises(DatasetFileError, match=r"half\.pkl.*damaged or truncated"):
        dcache.load_pickle_file(str(pkl))
    with pytest.raises(DatasetFileError, match="no such file"):
        dcache.load_pickle_file(str(tmp_path / "absent.pkl"))


def _sources(remote):
    return (Source("new.npz", (remote / "new.npz").as_uri()),
            Source("old.pkl", (remote / "old.pkl").as_uri()))


def test_find_or_fetch_prefers_the_named_file_then_any_cached_one(cache, remote):
    (cache / "new.npz").write_bytes(b"new")
    local, source = dcache.find_or_fetch("old.pkl", _sources(remote))
    assert (local, source.fname) == (str(cache / "new.npz"), "new.npz")  # the one there
    (cache / "old.pkl").write_bytes(b"old")
    local, source = dcache.find_or_fetch("old.pkl", _sources(remote))
    assert (local, source.fname) == (str(cache / "old.pkl"), "old.pkl")


def test_find_or_fetch_downloads_the_first_candidate_when_none_is_cached(cache, remote):
    (remote / "new.npz").write_bytes(b"fresh")
    local, source = dcache.find_or_fetch("old.pkl", _sources(remote))
    assert source.fname == "new.npz" and open(local, "rb").read() == b"fresh"
    assert os.listdir(cache) == ["new.npz"]


def test_offline_the_error_lists_every_file_that_would_do(cache, remote):
    with pytest.raises(DownloadError) as info:
        dcache.find_or_fetch("old.pkl", _sources(remote))
    message = str(info.value)
    for part in ("new.npz", "old.pkl", str(cache), (remote / "old.pkl").as_uri(),
                 (remote / "new.npz").as_uri()):
        assert part in message
    assert os.listdir(cache) == []
