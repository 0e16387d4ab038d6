"""Reference models: an MLP classifier written with symgraph, and the same training step
written by hand in NumPy. The demo, the benchmarks and the tests compare the two."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .function import Function, function
from .grad import grad
from .ops import dot, mean, nnet
from .tensor import TensorSharedVariable, TensorVariable, shared, tensor


def init_mlp(sizes: Sequence[int], seed: int = 0, dtype: str = "float64"
             ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Glorot-uniform weights and zero biases for layer sizes like (784, 512, 512, 10)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append((rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype),
                       np.zeros(fan_out, dtype=dtype)))
    return params


@dataclass
class MLPStep:
    """A compiled SGD step `train(x, y) -> loss` updating `shared` in place."""

    train: Function
    predict: Function
    shared: list[TensorSharedVariable]
    loss: TensorVariable


@dataclass
class MLPGraph:
    """The symbolic SGD step of an MLP: inputs, loss, prediction, weights and updates."""

    inputs: list[TensorVariable]
    loss: TensorVariable
    prediction: TensorVariable
    weights: list[TensorSharedVariable]
    updates: list[tuple[TensorSharedVariable, TensorVariable]]


def mlp_sgd_graph(params: Sequence[tuple[np.ndarray, np.ndarray]], lr: float = 0.1,
                  int_targets: bool = False) -> MLPGraph:
    """relu hidden layers, softmax output, mean categorical cross-entropy, plain SGD
    updates; targets one-hot rows, or class indices with `int_targets`."""
    dtype = params[0][0].dtype.name
    x = tensor("x", dtype, (None, params[0][0].shape[0]))
    y = tensor("y", "int32", (None,)) if int_targets else \
        tensor("y", dtype, (None, params[-1][0].shape[1]))
    weights = []
    h = x
    for k, (w, b) in enumerate(params):
        W = shared(w, name=f"W{k}")
        B = shared(b, name=f"b{k}")
        weights += [W, B]
        z = dot(h, W) + B
        h = nnet.softmax(z) if k == len(params) - 1 else nnet.relu(z)
    loss = mean(nnet.categorical_crossentropy(h, y))
    grads = grad(loss, weights)
    updates = [(p, p - lr * g) for p, g in zip(weights, grads, strict=True)]
    return MLPGraph([x, y], loss, h, weights, updates)


def build_mlp_sgd(params: Sequence[tuple[np.ndarray, np.ndarray]], lr: float = 0.1,
                  rewrites: str = "fast_run") -> MLPStep:
    """The MLP's whole step (forward, backward, update) as ONE compiled function with
    updates, and its prediction function."""
    g = mlp_sgd_graph(params, lr)
    train = function(g.inputs, g.loss, updates=g.updates, rewrites=rewrites,
                     name="train_step")
    predict = function(g.inputs[:1], g.prediction, rewrites=rewrites, name="predict")
    return MLPStep(train, predict, g.weights, g.loss)


def numpy_mlp_sgd(params: list[list[np.ndarray]], x: np.ndarray, y: np.ndarray,
                  lr: float = 0.1) -> float:
    """The same step by hand: forward, backward, update `params` ([W, b] lists) in place."""
    acts = [x]
    h = x
    for k, (w, b) in enumerate(params):
        z = h @ w + b
        if k == len(params) - 1:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            h = e / e.sum(axis=1, keepdims=True)
        else:
            h = np.maximum(z, 0)
        acts.append(h)
    n = x.shape[0]
    p = acts[-1]
    loss = float(-np.sum(y * np.log(p)) / n)
    delta = (p - y) / n  # d loss / d logits of softmax + cross-entropy
    for k in range(len(params) - 1, -1, -1):
        w, b = params[k]
        gw = acts[k].T @ delta
        gb = delta.sum(axis=0)
        if k > 0:
            delta = (delta @ w.T) * (acts[k] > 0)
        w -= lr * gw
        b -= lr * gb
    return loss
