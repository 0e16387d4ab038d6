"""Reuters newswires: 11,228 wires labelled with 46 topics, each a sequence of word ranks.

Reads Keras 1.2.2's reuters.pkl or Keras 2's reuters.npz from the Keras cache (downloads
reuters.npz when neither is there); `get_word_index` reads reuters_word_index.pkl or
.json.
"""

from __future__ import annotations

from typing import Any

from .cache import DatasetFileError, Source, find_or_fetch, load_npz_file, load_pickle_file
from .word_sequences import index_words, load_word_index, resolve_nb_words, shuffled, to_lists

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SOURCES = (
    Source("reuters.npz", _ORIGIN + "reuters.npz",
           "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
    Source("reuters.pkl", "https://s3.amazonaws.com/text-datasets/reuters.pkl"),
)
WORD_INDEX_SOURCES = (
    Source("reuters_word_index.json", _ORIGIN + "reuters_word_index.json",
           "4d44cc38712099c9e383dc6e5f11a921"),
    Source("reuters_word_index.pkl",
           "https://s3.amazonaws.com/text-datasets/reuters_word_index.pkl"),
)


def _read(local: str) -> tuple[list[list[int]], list[int]]:
    if local.endswith(".npz"):
        arrays = load_npz_file(local)
        if "x" not in arrays or "y" not in arrays:
            raise DatasetFileError(f"{local}: expected arrays x and y; found {sorted(arrays)}")
        xs, labels = arrays["x"], arrays["y"]
    else:
        data = load_pickle_file(local, encoding="latin1")
        try:
            xs, labels = data
        except (TypeError, ValueError):
            raise DatasetFileError(f"{local}: expected (sequences, labels)") from None
    xs, labels = to_lists(xs, local), [int(y) for y in labels]
    if len(xs) != len(labels):
        raise DatasetFileError(f"{local}: {len(xs)} wires but {len(labels)} labels")
    return xs, labels


def load_data(path: str = "reuters.pkl", nb_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3, *,
              num_words: int | None = None, **kwargs: Any
              ) -> tuple[tuple[list[list[int]], list[int]], tuple[list[list[int]], list[int]]]:
    """(x_train, y_train), (x_test, y_test) as Keras 1.2.2 returns them: lists of word
    index lists and lists of topic ids, the last `test_split` of the wires (after a
    shuffle with `seed`) for testing. Word arguments as imdb.load_data.
    """
    if kwargs:
        raise TypeError(f"reuters.load_data: unexpected arguments {sorted(kwargs)}")
    if not 0.0 <= test_split <= 1.0:
        raise ValueError(f"reuters.load_data: test_split must be in [0, 1], got {test_split}")
    nb_words = resolve_nb_words(nb_words, num_words, "reuters.load_data")
    local, _ = find_or_fetch(path, SOURCES)
    xs, labels = _read(local)
    xs, labels = shuffled(xs, seed), shuffled(labels, seed)
    xs, labels = index_words(xs, labels, nb_words, skip_top, maxlen, start_char, oov_char,
                             index_from, "reuters.load_data")
    n_train = int(len(xs) * (1 - test_split))
    return (xs[:n_train], labels[:n_train]), (xs[n_train:], labels[n_train:])


def get_word_index(path: str = "reuters_word_index.pkl") -> dict[str, int]:
    """{word: rank} for the wires' word indices (index + index_from in load_data)."""
    return load_word_index(path, WORD_INDEX_SOURCES)
