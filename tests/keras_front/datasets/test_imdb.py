"""keras_front/datasets/imdb.py (and word_sequences.py) on small imdb_full.pkl / imdb.npz
files, against Keras 1.2.2's processing written out in the test."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras_front.datasets import imdb
from keras_front.datasets.cache import Source

from . import py2pickle
from .conftest import md5


def _raw(seed=0, n_train=12, n_test=9):
    rng = np.random.RandomState(seed)
    def reviews(n):
        return [list(rng.randint(1, 30, rng.randint(1, 9))) for _ in range(n)]
    return (reviews(n_train), list(rng.randint(0, 2, n_train))), \
        (reviews(n_test), list(rng.randint(0, 2, n_test)))


def _reference(raw, seed=113, nb_words=None, skip_top=0, maxlen=None, start_char=1,
               oov_char=2, index_from=3):
    """Keras 1.2.2's imdb.load_data steps, one by one, on lists."""
    (x_train, y_train), (x_test, y_test) = [(list(x), list(y)) for x, y in raw]
    np.random.seed(seed)
    np.random.shuffle(x_train)
    np.random.seed(seed)
    np.random.shuffle(y_train)
    np.random.seed(seed * 2)
    np.random.shuffle(x_test)
    np.random.seed(seed * 2)
    np.random.shuffle(y_test)
    out = []
    for xs, ys in ((x_train, y_train), (x_test, y_test)):
        rows = []
        labels = []
        for x, y in zip(xs, ys, strict=True):
            seq = ([start_char] if start_char is not None else []) + [w + index_from for w in x]
            if maxlen and len(seq) >= maxlen:
                continue
            kept = []
            for w in seq:
                inside = w >= skip_top and (nb_words is None or w < nb_words)
                if inside:
                    kept.append(w)
                elif oov_char is not None:
                    kept.append(oov_char)
            rows.append(kept)
            labels.append(y)
        out.append((rows, labels))
    return out


def _check(got, want):
    for (gx, gy), (wx, wy) in zip(got, want, strict=True):
        assert gx.dtype == object and gx.shape == (len(wx),)
        assert [list(s) for s in gx] == wx
        assert gy.dtype == np.int64 and gy.tolist() == wy


@pytest.fixture
def imdb_pkl(cache, monkeypatch):
    raw = _raw()
    (cache / "imdb_full.pkl").write_bytes(py2pickle.dumps(raw))
    monkeypatch.setattr(imdb, "SOURCES", (imdb.SOURCES[0], Source(
        "imdb_full.pkl", imdb.SOURCES[1].origin, md5(cache / "imdb_full.pkl"))))
    return raw


@pytest.mark.parametrize("kwargs", [
    {}, {"seed": 7}, {"nb_words": 20}, {"num_words": 15, "skip_top": 6},
    {"maxlen": 6}, {"oov_char": None, "nb_words": 18}, {"start_char": None, "index_from": 0},
    {"start_char": 1, "oov_char": 2, "index_from": 5, "skip_top": 9, "nb_words": 25}])
def test_keras122s_pickle_is_processed_as_keras122_does(imdb_pkl, kwargs):
    args = dict(kwargs)
    if "num_words" in args:
        args["nb_words"] = args.pop("num_words")
    _check(imdb.load_data(**kwargs), _reference(imdb_pkl, **args))


def test_the_global_random_state_is_left_alone(imdb_pkl):
    np.random.seed(99)
    expected = np.random.rand()
    np.random.seed(99)
    imdb.load_data(seed=5)
    assert np.random.rand() == expected


def test_keras2s_npz_gives_the_same_result(cache, monkeypatch):
    (x_train, y_train), (x_test, y_test) = raw = _raw(3)
    def obj(seqs):
        a = np.empty(len(seqs), dtype=object)
        a[:] = seqs
        return a
    np.savez(cache / "imdb.npz", x_train=obj(x_train), y_train=np.array(y_train),
             x_test=obj(x_test), y_test=np.array(y_test))
    monkeypatch.setattr(imdb, "SOURCES", (Source("imdb.npz", "file:///absent",
                                                 md5(cache / "imdb.npz")), imdb.SOURCES[1]))
    _check(imdb.load_data(maxlen=7, nb_words=20), _reference(raw, maxlen=7, nb_words=20))


def test_maxlen_that_keeps_nothing_is_an_error(imdb_pkl):
    with pytest.raises(ValueError, match="maxlen=1.*increase maxlen"):
        imdb.load_data(maxlen=1)
    with pytest.raises(ValueError, match="nb_words=10 and num_words=20 disagree"):
        imdb.load_data(nb_words=10, num_words=20)


def test_get_word_index_reads_the_python2_pickle_or_keras2s_json(cache, monkeypatch):
    index = {"the": 1, "movie": 2, "caf\xe9": 3}
    (cache / "imdb_word_index.pkl").write_bytes(py2pickle.dumps(index))
    monkeypatch.setattr(imdb, "WORD_INDEX_SOURCES", (imdb.WORD_INDEX_SOURCES[0], Source(
        "imdb_word_index.pkl", "file:///absent", md5(cache / "imdb_word_index.pkl"))))
    assert imdb.get_word_index() == index
    (cache / "imdb_word_index.pkl").unlink()
    (cache / "imdb_word_index.json").write_text(json.dumps(index))
    monkeypatch.setattr(imdb, "WORD_INDEX_SOURCES", (Source(
        "imdb_word_index.json", "file:///absent", md5(cache / "imdb_word_index.json")),))
    assert imdb.get_word_index("imdb_word_index.json") == index
