"""keras_front/preprocessing/sequence.py against loops written in the test."""

from __future__ import annotations

import numpy as np
import pytest

from keras_front.preprocessing.sequence import make_sampling_table, pad_sequences, skipgrams


def _pad_loop(seqs, maxlen, padding, truncating, value, dtype):
    """pad_sequences, one element at a time."""
    maxlen = maxlen if maxlen is not None else max(len(s) for s in seqs)
    inner = next((np.shape(s)[1:] for s in seqs if len(s)), ())
    out = np.full((len(seqs), maxlen) + inner, value, dtype=dtype)
    for i, s in enumerate(seqs):
        kept = list(s)
        if len(kept) > maxlen:
            kept = kept[len(kept) - maxlen:] if truncating == "pre" else kept[:maxlen]
        start = maxlen - len(kept) if padding == "pre" else 0
        for j, v in enumerate(kept):
            out[i, start + j] = v
    return out


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 0, 2, 4, 9])
def test_pad_sequences_matches_a_loop(padding, truncating, maxlen):
    rng = np.random.RandomState(0)
    seqs = [list(rng.randint(1, 100, n)) for n in (0, 1, 3, 5, 7)]
    got = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=-1)
    np.testing.assert_array_equal(got, _pad_loop(seqs, maxlen, padding, truncating, -1,
                                                 "int32"))
    assert got.dtype == np.int32


def test_pad_sequences_of_vectors_dtype_and_value():
    seqs = [[[1.5, 1]], [[2, 1], [2, 2.5]], np.array([[3, 1], [3, 2], [3, 3]])]
    got = pad_sequences(seqs, maxlen=2, dtype="float64", value=0.5, truncating="post")
    np.testing.assert_array_equal(got, _pad_loop(seqs, 2, "pre", "post", 0.5, "float64"))
    assert got.shape == (3, 2, 2) and got.dtype == np.float64


def test_pad_sequences_bad_input_is_named():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post', got 'mid'"):
        pad_sequences([[1]], padding="mid")
    with pytest.raises(ValueError, match="truncating must be"):
        pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match=r"items of sequences\[1\] have shape \(3,\)"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])
    with pytest.raises(TypeError, match=r"sequences\[1\] is int"):
        pad_sequences([[1], 5])


def test_make_sampling_table_is_word2vecs_formula_on_zipf_ranks():
    table = make_sampling_table(6, sampling_factor=1e-3)
    for i, p in enumerate(table):
        rank = max(i, 1)
        frequency = 1.0 / (rank * (np.log(rank) + 0.577) + 0.5 - 1.0 / (12 * rank))
        assert p == pytest.approx(min(1.0, np.sqrt(1e-3 / frequency)))


def test_skipgrams_positive_pairs_are_the_window_and_negatives_are_counted():
    seq = [3, 0, 5, 7, 2]
    couples, labels = skipgrams(seq, vocabulary_size=10, window_size=2, shuffle=False,
                                seed=1)
    positive = [c for c, y in zip(couples, labels, strict=True) if y == 1]
    expected = [[seq[i], seq[j]] for i in range(len(seq)) for j in
                range(max(0, i - 2), min(len(seq), i + 3))
                if i != j and seq[i] and seq[j]]
    assert positive == expected
    negative = [c for c, y in zip(couples, labels, strict=True) if y == 0]
    assert len(negative) == len(positive)
    assert all(1 <= c[1] <= 9 and c[0] in seq for c in negative)


def test_skipgrams_are_repeatable_with_a_seed_and_categorical_labels_are_pairs():
    seq = list(range(1, 20))
    table = make_sampling_table(20, sampling_factor=0.1)
    first = skipgrams(seq, 20, categorical=True, sampling_table=table, seed=5)
    assert first == skipgrams(seq, 20, categorical=True, sampling_table=table, seed=5)
    assert first != skipgrams(seq, 20, categorical=True, sampling_table=table, seed=6)
    assert {tuple(y) for y in first[1]} == {(0, 1), (1, 0)}
