"""Text preprocessing (Keras 1.2.2's keras.preprocessing.text): split texts into words,
hash words to indices (one_hot), and the Tokenizer that indexes a vocabulary and turns
texts into index sequences or bag-of-words matrices."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MODES = ("binary", "count", "tfidf", "freq")


def _checked_text(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{where} is {type(text).__name__} {repr(text)[:50]}, not a string")
    return text


def _texts(texts: Any, where: str) -> Iterator[tuple[int, Any]]:
    """enumerate(texts), refusing a lone string (which would be read as one text per
    character)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{where}: texts must be a list (or iterable) of strings, got a "
                        f"single {type(texts).__name__}; wrap it in a list")
    return enumerate(texts)


def text_to_word_sequence(text: str, filters: str = DEFAULT_FILTERS, lower: bool = True,
                          split: str = " ") -> list[str]:
    """The words of `text`: lower-cased (when `lower`), the `filters` characters turned
    into `split`, split on `split`, empty words dropped."""
    _checked_text(text, "text_to_word_sequence: text")
    if lower:
        text = text.lower()
    if filters:
        text = text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in text.split(split) if w]


def md5_index(word: str, n: int) -> int:
    """A word's index in 1..n-1 from its md5: the same in every process (Python's own
    hash() of a str changes between runs unless PYTHONHASHSEED is set)."""
    return int(hashlib.md5(word.encode("utf-8")).hexdigest(), 16) % (n - 1) + 1


def one_hot(text: str, n: int, filters: str = DEFAULT_FILTERS, lower: bool = True,
            split: str = " ", hash_function: Callable[[str], int] | str | None = None
            ) -> list[int]:
    """Each word of `text` hashed to an index in 1..n-1 (0 stays free for padding);
    different words may share an index. By default the hash is md5 (stable across
    runs); hash_function='hash' is Keras 1.2.2's abs(hash(w)), or pass a function."""
    if n < 2:
        raise ValueError(f"one_hot: n must be at least 2 (indices run 1..n-1), got {n}")
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    if hash_function is None or hash_function == "md5":
        return [md5_index(w, n) for w in words]
    fn = (lambda w: abs(hash(w))) if hash_function == "hash" else hash_function
    if not callable(fn):
        raise ValueError(f"one_hot: hash_function must be None, 'md5', 'hash' or a function, "
                         f"got {hash_function!r}")
    return [int(fn(w)) % (n - 1) + 1 for w in words]


class Tokenizer:
    """Indexes the words of texts by frequency (1 = most frequent; 0 is never a word) and
    turns texts into index sequences or (n, nb_words) matrices.

    nb_words (Keras 2: num_words) keeps only indices below it when converting; `filters`,
    `lower` and `split` are text_to_word_sequence's; char_level makes every character a
    word. After fitting: word_counts, word_docs, word_index, index_docs, document_count.
    """

    def __init__(self, nb_words: int | None = None, filters: str = DEFAULT_FILTERS,
                 lower: bool = True, split: str = " ", char_level: bool = False, *,
                 num_words: int | None = None):
        if nb_words is not None and num_words is not None and nb_words != num_words:
            raise ValueError(f"Tokenizer: nb_words={nb_words} and num_words={num_words} "
                             f"disagree")
        self.nb_words = nb_words if nb_words is not None else num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.word_counts: dict[str, int] = {}
        self.word_docs: dict[str, int] = {}
        self.word_index: dict[str, int] = {}
        self.index_docs: dict[int, int] = {}
        self.document_count = 0

    @property
    def num_words(self) -> int | None:
        """Keras 2's name for nb_words."""
        return self.nb_words

    def _words(self, text: Any, where: str) -> Sequence[str]:
        _checked_text(text, where)
        if self.char_level:
            return text.lower() if self.lower else text
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[str]) -> None:
        """Count the words of `texts` (a list or a generator of strings) and index them.
        Fitting again adds to the counts."""
        for i, text in _texts(texts, "Tokenizer.fit_on_texts"):
            words = self._words(text, f"Tokenizer.fit_on_texts: texts[{i}]")
            self.document_count += 1
            for w in words:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(words):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        # Most frequent first; ties keep the order words were first seen in.
        ranked = sorted(self.word_counts, key=lambda w: -self.word_counts[w])
        self.word_index = {w: i for i, w in enumerate(ranked, start=1)}
        self.index_docs = {self.word_index[w]: c for w, c in self.word_docs.items()}

    def fit_on_sequences(self, sequences: Sequence[Sequence[int]]) -> None:
        """Count in how many sequences each index occurs (what tfidf needs) when the
        matrices will be built from sequences rather than texts."""
        self.document_count = len(sequences)
        self.index_docs = {}
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] = self.index_docs.get(i, 0) + 1

    def texts_to_sequences(self, texts: Iterable[str]) -> list[list[int]]:
        """Each text as the list of its words' indices (unknown words and indices at or
        above nb_words left out)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str]) -> Iterator[list[int]]:
        """texts_to_sequences, one text at a time."""
        for i, text in _texts(texts, "Tokenizer.texts_to_sequences"):
            seq = []
            for w in self._words(text, f"Tokenizer.texts_to_sequences: texts[{i}]"):
                index = self.word_index.get(w)
                if index is not None and not (self.nb_words and index >= self.nb_words):
                    seq.append(index)
            yield seq

    def texts_to_matrix(self, texts: Iterable[str], mode: str = "binary") -> np.ndarray:
        """A (len(texts), nb_words) matrix of the texts (see sequences_to_matrix)."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: Sequence[Sequence[int]], mode: str = "binary"
                            ) -> np.ndarray:
        """Row i describes sequence i: 'binary' 1 where an index occurs, 'count' how often,
        'freq' how often / the sequence's length, 'tfidf' (1 + log count) *
        log(1 + documents / (1 + documents holding the index)). Columns: nb_words, or
        len(word_index) + 1 when nb_words is not set."""
        if mode not in MODES:
            raise ValueError(f"Tokenizer: unknown vectorization mode {mode!r} (expected one "
                             f"of {MODES})")
        if self.nb_words:
            n_columns = self.nb_words
        elif self.word_index:
            n_columns = len(self.word_index) + 1
        else:
            raise ValueError("Tokenizer: specify a dimension (the nb_words argument), or fit "
                             "on some text data first")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit the Tokenizer on some data before using tfidf "
                             "mode")
        x = np.zeros((len(sequences), n_columns))
        for i, seq in enumerate(sequences):
            if not len(seq):
                continue
            counts: dict[int, int] = {}
            for j in seq:
                if j < n_columns:
                    counts[j] = counts.get(j, 0) + 1
            for j, c in counts.items():
                if mode == "count":
                    x[i, j] = c
                elif mode == "freq":
                    x[i, j] = c / len(seq)
                elif mode == "binary":
                    x[i, j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i, j] = (1 + np.log(c)) * idf
        return x
