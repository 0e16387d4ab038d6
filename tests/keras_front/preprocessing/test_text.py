"""keras_front/preprocessing/text.py: word splitting, hashing and the Tokenizer's matrices
against counts made in the test."""

from __future__ import annotations

import collections
import hashlib
import math

import numpy as np
import pytest

from keras_front.preprocessing.text import Tokenizer, one_hot, text_to_word_sequence

TEXTS = ["The cat sat on the mat.", "The dog sat on the log!",
         "Dogs and cats living together; the end."]


def test_text_to_word_sequence_filters_lowers_and_splits():
    assert text_to_word_sequence("Hello, World!  It's-me\tok") == \
        ["hello", "world", "it's", "me", "ok"]
    assert text_to_word_sequence("A|B|c", split="|", lower=False) == ["A", "B", "c"]
    assert text_to_word_sequence("a--b", filters="-", split="::") == ["a", "b"]
    with pytest.raises(TypeError, match="text_to_word_sequence: text is int"):
        text_to_word_sequence(42)


def test_one_hot_hashes_each_word_into_1_to_n_minus_1_stably():
    encoded = one_hot("The cat sat on the mat.", 7)
    words = ["the", "cat", "sat", "on", "the", "mat"]
    assert encoded == [int(hashlib.md5(w.encode()).hexdigest(), 16) % 6 + 1 for w in words]
    assert encoded[0] == encoded[4]
    assert one_hot("a b", 5, hash_function=lambda w: 3) == [4, 4]
    with pytest.raises(ValueError, match="n must be at least 2"):
        one_hot("a", 1)


def test_word_index_ranks_by_frequency_and_sequences_follow_it():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    counts = collections.Counter(w for t in TEXTS for w in text_to_word_sequence(t))
    assert tok.word_counts == dict(counts)
    ranks = [tok.word_index[w] for w, _ in counts.most_common()]
    assert sorted(ranks) == list(range(1, len(counts) + 1))
    assert tok.word_index["the"] == 1 and tok.word_index["sat"] in (2, 3)
    assert tok.document_count == 3
    assert tok.word_docs["the"] == 3 and tok.word_docs["sat"] == 2
    seqs = tok.texts_to_sequences(TEXTS)
    assert seqs[0] == [tok.word_index[w] for w in text_to_word_sequence(TEXTS[0])]
    assert list(tok.texts_to_sequences_generator(TEXTS)) == seqs


def test_nb_words_keeps_only_lower_indices():
    tok = Tokenizer(nb_words=4)
    tok.fit_on_texts(TEXTS)
    seqs = tok.texts_to_sequences(TEXTS)
    assert max(max(s) for s in seqs) < 4 and min(min(s) for s in seqs) == 1
    assert tok.texts_to_matrix(TEXTS).shape == (3, 4)
    assert Tokenizer(num_words=4).nb_words == 4


@pytest.mark.parametrize("mode", ["binary", "count", "freq", "tfidf"])
def test_texts_to_matrix_against_counts(mode):
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    got = tok.texts_to_matrix(TEXTS, mode=mode)
    assert got.shape == (3, len(tok.word_index) + 1)
    for i, text in enumerate(TEXTS):
        words = text_to_word_sequence(text)
        counts = collections.Counter(tok.word_index[w] for w in words)
        for j in range(got.shape[1]):
            c = counts.get(j, 0)
            docs = sum(1 for t in TEXTS if any(tok.word_index[w] == j
                                               for w in text_to_word_sequence(t)))
            want = {"binary": float(c > 0), "count": c, "freq": c / len(words),
                    "tfidf": (1 + math.log(c)) * math.log(1 + 3 / (1 + docs)) if c else 0.0
                    }[mode]
            assert got[i, j] == pytest.approx(want), (i, j)


def test_sequences_to_matrix_after_fit_on_sequences():
    seqs = [[1, 2, 2], [3], [], [2, 5, 9]]
    tok = Tokenizer(nb_words=6)
    tok.fit_on_sequences(seqs)
    assert tok.document_count == 4 and tok.index_docs == {1: 1, 2: 2, 3: 1, 5: 1, 9: 1}
    got = tok.sequences_to_matrix(seqs, mode="count")
    want = np.zeros((4, 6))
    for i, s in enumerate(seqs):
        for j in s:
            if j < 6:
                want[i, j] += 1
    np.testing.assert_array_equal(got, want)


def test_char_level_and_errors():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts(["abba", "Ac"])
    assert tok.word_index["a"] == 1 and tok.texts_to_sequences(["cab"]) == [
        [tok.word_index["c"], 1, tok.word_index["b"]]]
    with pytest.raises(ValueError, match="specify a dimension"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="unknown vectorization mode 'tf'"):
        Tokenizer(nb_words=3).sequences_to_matrix([[1]], mode="tf")
    with pytest.raises(ValueError, match="before using tfidf"):
        Tokenizer(nb_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(TypeError, match=r"fit_on_texts: texts\[1\] is int 7, not a string"):
        Tokenizer().fit_on_texts(["ok", 7])
    with pytest.raises(TypeError, match="got a single str; wrap it in a list"):
        Tokenizer().fit_on_texts("just one text")
    with pytest.raises(TypeError, match=r"texts_to_sequences: texts\[0\] is NoneType"):
        Tokenizer().texts_to_sequences([None])
