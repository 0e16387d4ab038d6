"""Sequence preprocessing (Keras 1.2.2's keras.preprocessing.sequence): pad_sequences to
one length, and word2vec-style skipgram pairs with their sampling table."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np


def pad_sequences(sequences: Sequence[Any], maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: float = 0.0
                  ) -> np.ndarray:
    """A (n, maxlen, ...) array of the sequences, padded with `value` and cut to maxlen.

    maxlen defaults to the longest sequence. `padding` / `truncating` say whether values
    are added / removed at the start ('pre') or the end ('post'). Items may be vectors:
    every non-empty sequence must then have items of the same shape.
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post', got {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post', got "
                         f"{truncating!r}")
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"pad_sequences: sequences must be a list of sequences, got "
                        f"{type(sequences).__name__}")
    lengths = []
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__") or isinstance(s, (str, bytes)):
            raise TypeError(f"pad_sequences: sequences[{i}] is {type(s).__name__} "
                            f"{repr(s)[:50]}, not a sequence")
        lengths.append(len(s))
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be >= 0, got {maxlen}")
    sample_shape: tuple[int, ...] = ()
    for s in sequences:
        if len(s):
            sample_shape = np.asarray(s).shape[1:]
            break
    x = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return x
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: items of sequences[{i}] have shape "
                             f"{trunc.shape[1:]}, expected {sample_shape} (the shape of "
                             f"the first non-empty sequence's items)")
        if padding == "post":
            x[i, :len(trunc)] = trunc
        else:
            x[i, maxlen - len(trunc):] = trunc
    return x


def make_sampling_table(size: int, sampling_factor: float = 1e-5) -> np.ndarray:
    """p[i]: the probability of keeping a word of frequency rank i (word2vec's
    subsampling), with frequencies approximated by Zipf's law from the rank."""
    gamma = 0.577
    rank = np.arange(size, dtype="float64")
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1.0 / (12.0 * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1.0, f / np.sqrt(f))


def skipgrams(sequence: Sequence[int], vocabulary_size: int, window_size: int = 4,
              negative_samples: float = 1.0, shuffle: bool = True, categorical: bool = False,
              sampling_table: Any = None, seed: int | None = None
              ) -> tuple[list[list[int]], list[Any]]:
    """(couples, labels): [word, context] pairs within `window_size` labelled 1, and
    `negative_samples` times as many [word, random word] pairs labelled 0
    (categorical: [0, 1] / [1, 0]). Index 0 is not a word and is skipped; with a
    `sampling_table`, word i is kept with probability sampling_table[i]. `seed` makes
    the draws repeatable (Keras 1.2.2 used Python's global `random`, as seed=None does).
    """
    rng: Any = random.Random(seed) if seed is not None else random
    couples: list[list[int]] = []
    labels: list[Any] = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < rng.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0 and couples:
        n_negative = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        rng.shuffle(words)
        couples += [[words[i % len(words)], rng.randint(1, vocabulary_size - 1)]
                    for i in range(n_negative)]
        labels += [[1, 0] if categorical else 0] * n_negative
    if shuffle:
        order = list(range(len(couples)))
        rng.shuffle(order)
        couples = [couples[i] for i in order]
        labels = [labels[i] for i in order]
    return couples, labels
