"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled positive (1) or
negative (0), each a sequence of word ranks (1 = the most frequent word).

Reads Keras 1.2.2's imdb_full.pkl or Keras 2's imdb.npz from the Keras cache (downloads
imdb.npz when neither is there); `get_word_index` reads imdb_word_index.pkl or .json.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .cache import DatasetFileError, Source, find_or_fetch, load_npz_file, load_pickle_file
from .word_sequences import (
    index_words,
    load_word_index,
    object_array,
    resolve_nb_words,
    shuffled,
    to_lists,
)

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SOURCES = (
    Source("imdb.npz", _ORIGIN + "imdb.npz",
           "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    Source("imdb_full.pkl", "https://s3.amazonaws.com/text-datasets/imdb_full.pkl",
           "d091312047c43cf9e4e38fef92437263"),
)
WORD_INDEX_SOURCES = (
    Source("imdb_word_index.json", _ORIGIN + "imdb_word_index.json",
           "bfafd718b763782e994055a2d397834f"),
    Source("imdb_word_index.pkl", "https://s3.amazonaws.com/text-datasets/imdb_word_index.pkl",
           "72d94b01291be4ff843198d3b0e1e4d7"),
)


def _read(local: str) -> tuple[list, list, list, list]:
    if local.endswith(".npz"):
        arrays = load_npz_file(local)
        parts = [arrays.get(k) for k in ("x_train", "y_train", "x_test", "y_test")]
        if any(p is None for p in parts):
            raise DatasetFileError(f"{local}: expected arrays x_train, y_train, x_test, "
                                   f"y_test; found {sorted(arrays)}")
    else:
        data = load_pickle_file(local, encoding="latin1")
        try:
            (x_train, y_train), (x_test, y_test) = data
        except (TypeError, ValueError):
            raise DatasetFileError(f"{local}: expected ((x_train, labels_train), (x_test, "
                                   f"labels_test))") from None
        parts = [x_train, y_train, x_test, y_test]
    x_train, x_test = to_lists(parts[0], local), to_lists(parts[2], local)
    y_train, y_test = list(parts[1]), list(parts[3])
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DatasetFileError(f"{local}: {len(x_train)}/{len(x_test)} reviews but "
                               f"{len(y_train)}/{len(y_test)} labels")
    return x_train, y_train, x_test, y_test


def load_data(path: str = "imdb_full.pkl", nb_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, *, num_words: int | None = None,
              **kwargs: Any) -> tuple[tuple[np.ndarray, np.ndarray],
                                      tuple[np.ndarray, np.ndarray]]:
    """(x_train, y_train), (x_test, y_test) as Keras 1.2.2 returns them.

    x: 1-d object arrays of lists of word indices (index_from=3 leaves 0 for padding,
    1 = start_char, 2 = oov_char); y: int64 arrays of 0/1. Training and test reviews are
    shuffled with `seed` (and seed * 2) in Keras 1.2.2's order. `nb_words` keeps the most
    frequent words (num_words is Keras 2's name), `skip_top` drops the most frequent
    ones, `maxlen` drops the reviews of maxlen words or more. See
    word_sequences.index_words for the Keras 1.2.2 slips not reproduced (also: after
    maxlen, Keras 1.2.2 split training from test data at the unfiltered count).
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unexpected arguments {sorted(kwargs)}")
    nb_words = resolve_nb_words(nb_words, num_words, "imdb.load_data")
    local, _ = find_or_fetch(path, SOURCES)
    x_train, y_train, x_test, y_test = _read(local)
    x_train, y_train = shuffled(x_train, seed), shuffled(y_train, seed)
    x_test, y_test = shuffled(x_test, seed * 2), shuffled(y_test, seed * 2)
    # Processed together (as Keras 1.2.2 does), each label tagged with its part so that
    # the split survives maxlen's filtering (Keras 1.2.2 split at the unfiltered length).
    tagged = [(0, y) for y in y_train] + [(1, y) for y in y_test]
    xs, tagged = index_words(x_train + x_test, tagged, nb_words, skip_top, maxlen, start_char,
                             oov_char, index_from, "imdb.load_data")
    parts = []
    for part in (0, 1):
        rows = [i for i, (p, _) in enumerate(tagged) if p == part]
        parts.append((object_array([xs[i] for i in rows]),
                      np.asarray([tagged[i][1] for i in rows], dtype="int64")))
    return parts[0], parts[1]


def get_word_index(path: str = "imdb_word_index.pkl") -> dict[str, int]:
    """{word: rank} for the reviews' word indices (index + index_from in load_data)."""
    return load_word_index(path, WORD_INDEX_SOURCES)
