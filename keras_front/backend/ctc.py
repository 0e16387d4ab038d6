"""CTC for K: ctc_batch_cost and ctc_decode (Keras 1.2.2's functions, the TensorFlow
backend's semantics: the only ones Keras 1.2.2 documents for both), on symgraph's CTC ops.

    loss = K.ctc_batch_cost(labels, y_pred, input_length, label_length)   # (samples, 1)
    [decoded], log_prob = K.ctc_decode(y_pred, input_length, greedy=True)

y_pred is the softmax output (samples, time, classes) with the blank as the last class;
labels (samples, max_string_length), input_length and label_length (samples, 1).
Deliberate difference: Keras 1.2.2's Theano backend computed a differently normalized
cost returned as (1, samples); this is the true negative log-likelihood, (samples, 1).
"""

from __future__ import annotations

from typing import Any

import symgraph as sg
from symgraph.graph import Variable
from symgraph.ops.ctc import ctc_beam_search, ctc_greedy_decode, ctc_loss

_EPSILON = 1e-8  # TensorFlow's backend: log(y_pred + 1e-8)


def _lengths(x: Any) -> Variable:
    return sg.cast(sg.flatten(sg.as_tensor(x)), "int64")


def ctc_batch_cost(y_true: Any, y_pred: Any, input_length: Any,
                   label_length: Any) -> Variable:
    """-log p(labels | y_pred) per sample, shape (samples, 1); differentiable in y_pred."""
    log_probs = sg.nnet.log_softmax(sg.log(sg.as_tensor(y_pred) + _EPSILON), axis=-1)
    labels = sg.cast(sg.as_tensor(y_true), "int64")
    loss = ctc_loss(log_probs, labels, _lengths(input_length), _lengths(label_length))
    return sg.expand_dims(loss, 1)


def ctc_decode(y_pred: Any, input_length: Any, greedy: bool = True, beam_width: int = 100,
               top_paths: int = 1) -> tuple[list[Variable], Variable]:
    """([decoded labels (samples, n), padded with -1, per path], log probabilities).

    greedy: the most likely class per step, repeats merged, blanks dropped; the log
    probability is -(sum over steps of the largest log y_pred), (samples, 1). Otherwise a
    beam search of `beam_width` keeping `top_paths` paths; scores (samples, top_paths) are
    TensorFlow's: log p(path) minus the sum over steps of the largest log y_pred.
    """
    inputs = sg.log(sg.as_tensor(y_pred) + _EPSILON)
    if greedy:
        decoded, neg_sum = ctc_greedy_decode(inputs, _lengths(input_length))
        return [decoded], neg_sum
    *decoded, scores = ctc_beam_search(inputs, _lengths(input_length), beam_width, top_paths)
    return list(decoded), scores
