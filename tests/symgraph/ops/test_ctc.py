"""CTC loss and decoders (symgraph/ops/ctc.py): the loss against brute-force enumeration
of alignments, its gradient against finite differences, the decoders against the values
TensorFlow's own tests publish (and that Keras 1.2.2's tests reuse)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops.ctc import (
    ctc_beam_search,
    ctc_forward_backward,
    ctc_greedy_decode,
    ctc_loss,
)

RNG = np.random.default_rng(4)


def log_softmax(z):
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def brute_force_nll(lp, label, steps):
    """-log of the sum over every path of `steps` steps that collapses to `label`."""
    blank = lp.shape[-1] - 1
    total = 0.0
    for path in itertools.product(range(lp.shape[-1]), repeat=steps):
        collapsed = [k for i, k in enumerate(path) if k != blank and
                     (i == 0 or k != path[i - 1])]
        if collapsed == list(label):
            total += np.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -np.log(total)


@pytest.mark.parametrize("labels, label_lengths, input_lengths", [
    ([[0, 1], [1, 1]], [2, 2], [4, 4]),       # a repeat needs a blank between
    ([[2, 0], [1, 2]], [1, 2], [3, 4]),       # shorter labels and inputs
    ([[0, 0], [2, 1]], [0, 2], [4, 2]),       # an empty label; a tight fit
])
def test_loss_is_the_negative_log_likelihood_over_all_alignments(labels, label_lengths,
                                                                  input_lengths):
    lp = log_softmax(RNG.standard_normal((2, 4, 4)))
    loss, _ = ctc_forward_backward(lp, np.array(labels), np.array(input_lengths),
                                   np.array(label_lengths))
    for b in range(2):
        expected = brute_force_nll(lp[b], labels[b][:label_lengths[b]], input_lengths[b])
        np.testing.assert_allclose(loss[b], expected, rtol=1e-10)


def test_impossible_alignment_is_infinite_with_zero_gradient():
    lp = log_softmax(RNG.standard_normal((1, 2, 3)))
    loss, grad = ctc_forward_backward(lp, np.array([[0, 0]]), np.array([2]), np.array([2]))
    assert np.isinf(loss[0]) and not grad.any()  # "0 0" needs 3 steps


def test_gradient_matches_finite_differences():
    lp_var = sg.tensor3("lp", dtype="float64")
    labels, lengths = np.array([[1, 2, 1], [0, 0, 0]]), np.array([5, 4])
    label_lengths = np.array([3, 1])
    loss = sg.sum(ctc_loss(sg.nnet.log_softmax(lp_var, axis=-1), labels, lengths,
                           label_lengths) * np.array([1.0, 0.5]))
    sg.verify_grad(lambda z: sg.sum(ctc_loss(sg.nnet.log_softmax(z, axis=-1), labels,
                                             lengths, label_lengths) * np.array([1.0, 0.5])),
                   [RNG.standard_normal((2, 5, 4))])
    grad = sg.function([lp_var], sg.grad(loss, lp_var))(RNG.standard_normal((2, 5, 4)))
    assert not grad[1, 4].any()  # past sample 1's input length


def test_greedy_decoding_tensorflow_example():
    probs = np.zeros((2, 6, 4), "float32")
    probs[0, :4] = [[1.0, 0, 0, 0], [0, 0, 0.4, 0.6], [0, 0, 0.4, 0.6], [0, 0.9, 0.1, 0]]
    probs[1, :5] = [[0.1, 0.9, 0, 0], [0, 0.9, 0.1, 0], [0, 0, 0.1, 0.9], [0, 0.9, 0.1, 0.1],
                    [0.9, 0.1, 0, 0]]
    x = sg.tensor3("x")
    decoded, neg_sum = sg.function([x], ctc_greedy_decode(x, np.array([4, 5])))(
        np.log(probs + 1e-8))
    np.testing.assert_array_equal(decoded, [[0, 1, -1], [1, 1, 0]])
    np.testing.assert_allclose(neg_sum[:, 0], [-np.log([1.0, 0.6, 0.6, 0.9]).sum(),
                                              -np.log([0.9] * 5).sum()], rtol=1e-5)


def test_beam_search_tensorflow_example():
    probs = np.array([[0.30999, 0.309938, 0.0679938, 0.0673362, 0.0708352, 0.173908],
                      [0.215136, 0.439699, 0.0370931, 0.0393967, 0.0381581, 0.230517],
                      [0.199959, 0.489485, 0.0233221, 0.0251417, 0.0233289, 0.238763],
                      [0.279611, 0.452966, 0.0204795, 0.0209126, 0.0194803, 0.20655],
                      [0.51286, 0.288951, 0.0243026, 0.0220788, 0.0219297, 0.129878],
                      [0.155251, 0.164444, 0.173517, 0.176138, 0.169979, 0.160671],
                      [0.0] * 6], "float32")[None]
    x = sg.tensor3("x")
    first, second, scores = sg.function([x], ctc_beam_search(x, np.array([5]), 2, 2))(
        np.log(probs + 1e-8))
    np.testing.assert_array_equal(first, [[1, 0]])
    np.testing.assert_array_equal(second, [[0, 1, 0]])
    np.testing.assert_allclose(scores, [[0.584855, 0.389139]], rtol=1e-5)


def test_wide_beam_finds_the_most_likely_labelling():
    lp = log_softmax(RNG.standard_normal((4, 5)))
    scores = {}
    for path in itertools.product(range(5), repeat=4):
        label = tuple(k for i, k in enumerate(path) if k != 4 and (i == 0 or k != path[i - 1]))
        scores[label] = scores.get(label, 0.0) + np.exp(sum(lp[t, k] for t, k in
                                                            enumerate(path)))
    best = max(scores, key=scores.get)
    x = sg.tensor3("x", dtype="float64")
    decoded, score = sg.function([x], ctc_beam_search(x, np.array([4]), 200, 1))(lp[None])
    assert tuple(decoded[0][decoded[0] >= 0]) == best
    # TensorFlow's score: log p(labelling) minus each step's largest input
    np.testing.assert_allclose(score[0, 0], np.log(scores[best]) - lp.max(1).sum(), rtol=1e-9)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"ctc_loss: log_probs must be a float tensor \(batch, "
                                         r"time, classes\)"):
        ctc_loss(sg.matrix("x"), np.zeros((1, 1), "int64"), [1], [1])
    with pytest.raises(ValueError, match="top_paths must be in 1..beam_width"):
        ctc_beam_search(sg.tensor3("x"), np.array([1]), 2, 3)
