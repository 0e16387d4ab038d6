"""What imdb and reuters share: Keras 1.2.2's shuffling, re-indexing and filtering of
word-index sequences, and reading a word index from either cache format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .cache import (
    DatasetFileError,
    Source,
    find_or_fetch,
    load_json_file,
    load_pickle_file,
)


def to_lists(sequences: Any, path: str) -> list[list[int]]:
    """Sequences from a pickle (lists) or an .npz (an object array of lists) as lists."""
    try:
        return [[int(w) for w in seq] for seq in sequences]
    except (TypeError, ValueError):
        raise DatasetFileError(f"{path}: expected sequences of word indices") from None


def shuffled(items: list[Any], seed: int) -> list[Any]:
    """`items` in the order Keras 1.2.2's `np.random.seed(seed); np.random.shuffle(items)`
    gives, without touching NumPy's global random state."""
    order = list(range(len(items)))
    np.random.RandomState(seed).shuffle(order)
    return [items[i] for i in order]


def resolve_nb_words(nb_words: int | None, num_words: int | None, where: str) -> int | None:
    """nb_words (Keras 1) or num_words (Keras 2): at most one of them."""
    if nb_words is not None and num_words is not None and nb_words != num_words:
        raise ValueError(f"{where}: nb_words={nb_words} and num_words={num_words} disagree")
    return nb_words if nb_words is not None else num_words


def index_words(xs: list[list[int]], labels: list[Any], nb_words: int | None, skip_top: int,
                maxlen: int | None, start_char: int | None, oov_char: int | None,
                index_from: int, where: str) -> tuple[list[list[int]], list[Any]]:
    """Keras 1.2.2's processing of raw word ranks.

    Each index is shifted by `index_from` and `start_char` is put in front; sequences of
    `maxlen` or more (start mark included) are dropped; words ranked below `skip_top` or
    at `nb_words` and above become `oov_char` (or are dropped when oov_char is None).
    Two Keras 1.2.2 slips are not reproduced: oov_char=None kept only the out-of-range
    words instead of removing them, and nb_words=None turned the highest index into
    oov_char (it now means no cut).
    """
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [(x, y) for x, y in zip(xs, labels, strict=True) if len(x) < maxlen]
        xs, labels = [x for x, _ in kept], [y for _, y in kept]
        if not xs:
            raise ValueError(f"{where}: after dropping the sequences of maxlen={maxlen} words "
                             f"or more, no sequence is left; increase maxlen")
    if nb_words is None:
        nb_words = max((max(x) for x in xs if x), default=0) + 1

    def keep(w: int) -> bool:
        return skip_top <= w < nb_words

    if oov_char is not None:
        xs = [[w if keep(w) else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if keep(w)] for x in xs]
    return xs, labels


def object_array(sequences: Sequence[list[int]]) -> np.ndarray:
    """A 1-d object array of lists (NumPy 2 no longer makes one from ragged lists)."""
    out = np.empty(len(sequences), dtype=object)
    for i, seq in enumerate(sequences):
        out[i] = seq
    return out


def load_word_index(path: str, candidates: Sequence[Source]) -> dict[str, int]:
    """{word: rank} from the cached Keras 1.2.2 pickle or Keras 2 JSON (downloaded when
    neither is there)."""
    local, _ = find_or_fetch(path, candidates)
    data = load_json_file(local) if local.endswith(".json") else \
        load_pickle_file(local, encoding="latin1")
    if not isinstance(data, dict):
        raise DatasetFileError(f"{local}: expected a dict of word -> index, got "
                               f"{type(data).__name__}")
    return data
