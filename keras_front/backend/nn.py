"""Neural-net functions for K: activations, cross-entropies, dropout, normalization.

The cross-entropies keep Keras 1.x's argument order (prediction first:
`categorical_crossentropy(output, target)`) and its numerics: probabilities are
renormalized (categorical) and clipped to [epsilon, 1 - epsilon]. With
`from_logits=True` they are computed from the logits directly (log-softmax and
softplus forms), which stays exact and finite for any logits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import symgraph as sg
from symgraph.graph import Variable

from .common import epsilon
from .math_ops import unary
from .random_ops import _stream


def _t(x: Any) -> Variable:
    return sg.as_tensor(x)


# ---------------------------------------------------------------- activations


def relu(x: Any, alpha: float = 0.0, max_value: float | None = None) -> Variable:
    """max(x, 0); a slope `alpha` below 0 (leaky); capped at max_value when given."""
    return sg.nnet.relu(x, alpha=alpha, max_value=max_value)


def elu(x: Any, alpha: float = 1.0) -> Variable:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return sg.nnet.elu(x, alpha)


def softmax(x: Any) -> Variable:
    """exp(x) / sum(exp(x)) along the last axis, for any rank."""
    return sg.nnet.softmax(x, axis=-1)


# Activations that are symgraph functions under Keras's names.
softplus = unary(sg.softplus, "softplus", "log(1 + exp(x)), stable for large |x|.")
softsign = unary(sg.softsign, "softsign", "x / (1 + |x|).")
sigmoid = unary(sg.sigmoid, "sigmoid", "1 / (1 + exp(-x)).")
hard_sigmoid = unary(sg.nnet.hard_sigmoid, "hard_sigmoid", "clip(0.2 * x + 0.5, 0, 1).")
tanh = unary(sg.tanh, "tanh", "Hyperbolic tangent.")
selu = unary(sg.nnet.selu, "selu", "Scaled ELU (Klambauer et al. 2017).")


# ---------------------------------------------------------------- cross-entropies


def categorical_crossentropy(output: Any, target: Any, from_logits: bool = False) -> Variable:
    """-sum(target * log(output), axis=-1), output rows renormalized and clipped first."""
    output, target = _t(output), _t(target)
    if from_logits:
        return sg.nnet.softmax_categorical_crossentropy(output, target)
    output = output / sg.sum(output, axis=-1, keepdims=True)
    eps = epsilon()
    return sg.nnet.categorical_crossentropy(sg.clip(output, eps, 1.0 - eps), target)


def sparse_categorical_crossentropy(output: Any, target: Any,
                                    from_logits: bool = False) -> Variable:
    """categorical_crossentropy with integer class labels (shape (n,) or (n, 1) for rows)."""
    output, target = _t(output), _t(target)
    labels = sg.cast(sg.flatten(target, 1), "int64")
    n_classes = sg.shape_i(output, output.ndim - 1)
    one_hot = sg.cast(sg.eq(sg.expand_dims(labels, 1), sg.arange(n_classes)), output.dtype)
    one_hot = sg.reshape(one_hot, [sg.shape_i(output, i) for i in range(output.ndim)])
    return categorical_crossentropy(output, one_hot, from_logits)


def binary_crossentropy(output: Any, target: Any, from_logits: bool = False) -> Variable:
    """-(target * log(output) + (1 - target) * log(1 - output)), elementwise, output clipped."""
    output, target = _t(output), _t(target)
    if from_logits:
        return sg.nnet.sigmoid_binary_crossentropy(output, target)
    eps = epsilon()
    return sg.nnet.binary_crossentropy(sg.clip(output, eps, 1.0 - eps), target)


# ---------------------------------------------------------------- regularization


def dropout(x: Any, level: float, noise_shape: Sequence[Any] | None = None,
            seed: int | None = None) -> Variable:
    """x with entries zeroed with probability `level` and the rest scaled by 1/(1-level)."""
    if not 0.0 <= level < 1.0:
        raise ValueError(f"Dropout level must be in interval [0, 1[, got {level!r}.")
    x = _t(x)
    if noise_shape is None:
        size: Any = sg.shape(x)
    else:
        if len(noise_shape) != x.ndim:
            raise ValueError(f"dropout: noise_shape {tuple(noise_shape)} must have one entry "
                             f"per axis of {x.type}")
        size = [sg.shape_i(x, i) if d is None else d for i, d in enumerate(noise_shape)]
    retain = 1.0 - level
    mask = _stream(seed).binomial(size, n=1, p=retain, dtype=x.dtype)
    return x * mask / retain


def l2_normalize(x: Any, axis: int | None = None, epsilon: float = 1e-12) -> Variable:
    """x / ||x|| along axis (the squared norm floored at `epsilon`, so zeros stay zeros)."""
    x = _t(x)
    square_sum = sg.sum(sg.square(x), axis=axis, keepdims=True)
    return x / sg.sqrt(sg.maximum(square_sum, epsilon))


def in_top_k(predictions: Any, targets: Any, k: int) -> Variable:
    """Per row: is predictions[i, targets[i]] among the k largest of row i? (ties count)."""
    p, t = _t(predictions), sg.cast(_t(targets), "int64")
    if p.ndim != 2 or t.ndim != 1:
        raise ValueError(f"in_top_k: expected predictions (batch, classes) and targets "
                         f"(batch,), got {p.type} and {t.type}")
    target_value = p[sg.arange(sg.shape_i(p, 0)), t]
    n_larger = sg.sum(sg.gt(p, sg.expand_dims(target_value, 1)), axis=1)
    return sg.lt(n_larger, k)


# ---------------------------------------------------------------- batch normalization


def batch_normalization(x: Any, mean: Any, var: Any, beta: Any, gamma: Any,
                        epsilon: float = 1e-3) -> Variable:
    """(x - mean) / sqrt(var + epsilon) * gamma + beta, with NumPy broadcasting."""
    out = (_t(x) - mean) / sg.sqrt(_t(var) + epsilon)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out


def normalize_batch_in_training(x: Any, gamma: Any, beta: Any, reduction_axes: Sequence[int],
                                epsilon: float = 1e-3) -> tuple[Variable, Variable, Variable]:
    """Normalize x with the batch's own statistics: returns (normed, mean, var).

    mean and var are reduced over `reduction_axes`; gamma and beta hold one value per
    remaining position and are broadcast back onto x.
    """
    x = _t(x)
    axes = tuple(sorted(a % x.ndim for a in reduction_axes))
    mean = sg.mean(x, axes)
    var = sg.var(x, axes)
    pattern: list[Any] = []
    k = 0
    for i in range(x.ndim):
        if i in axes:
            pattern.append("x")
        else:
            pattern.append(k)
            k += 1

    def back(v: Any) -> Any:
        v = _t(v)
        return sg.dimshuffle(v, pattern) if v.ndim == k else v

    normed = batch_normalization(x, back(mean), back(var),
                                 None if beta is None else back(beta),
                                 None if gamma is None else back(gamma), epsilon)
    return normed, mean, var

