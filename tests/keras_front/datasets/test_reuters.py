"""keras_front/datasets/reuters.py on small reuters.pkl / reuters.npz files."""

from __future__ import annotations

import numpy as np
import pytest

from keras_front.datasets import reuters
from keras_front.datasets.cache import Source

from . import py2pickle
from .conftest import md5


def _raw(seed=0, n=20):
    rng = np.random.RandomState(seed)
    return [list(rng.randint(1, 40, rng.randint(1, 10))) for _ in range(n)], \
        list(rng.randint(0, 46, n))


def _reference(raw, test_split=0.2, seed=113, nb_words=None, maxlen=None):
    xs, labels = list(raw[0]), list(raw[1])
    np.random.seed(seed)
    np.random.shuffle(xs)
    np.random.seed(seed)
    np.random.shuffle(labels)
    rows, kept = [], []
    for x, y in zip(xs, labels, strict=True):
        seq = [1] + [w + 3 for w in x]
        if maxlen and len(seq) >= maxlen:
            continue
        rows.append([w if nb_words is None or w < nb_words else 2 for w in seq])
        kept.append(y)
    cut = int(len(rows) * (1 - test_split))
    return (rows[:cut], kept[:cut]), (rows[cut:], kept[cut:])


@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.5, "seed": 3},
                                    {"maxlen": 8, "nb_words": 30}, {"test_split": 0.0}])
def test_keras122s_pickle_gives_keras122s_lists(cache, monkeypatch, kwargs):
    raw = _raw()
    (cache / "reuters.pkl").write_bytes(py2pickle.dumps(raw))
    got = reuters.load_data(**kwargs)
    want = _reference(raw, **kwargs)
    assert got == want
    assert isinstance(got[0][0], list) and isinstance(got[0][1], list)


def test_keras2s_npz_is_read_too(cache, monkeypatch):
    raw = _raw(1)
    x = np.empty(len(raw[0]), dtype=object)
    x[:] = raw[0]
    np.savez(cache / "reuters.npz", x=x, y=np.array(raw[1]))
    monkeypatch.setattr(reuters, "SOURCES", (Source("reuters.npz", "file:///absent",
                                                    md5(cache / "reuters.npz")),
                                             reuters.SOURCES[1]))
    assert reuters.load_data(maxlen=9) == _reference(raw, maxlen=9)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="test_split must be in"):
        reuters.load_data(test_split=1.5)
    with pytest.raises(TypeError, match="unexpected arguments.*'nb_word'"):
        reuters.load_data(nb_word=10)


def test_get_word_index(cache):
    (cache / "reuters_word_index.pkl").write_bytes(py2pickle.dumps({"oil": 5, "said": 1}))
    assert reuters.get_word_index() == {"oil": 5, "said": 1}
