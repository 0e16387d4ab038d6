"""One training step of a small convnet, written four ways, for bench.conv.

The step (issue 10): a batch (32, 1, 28, 28) -> 3x3 convolution with 32 filters + bias +
relu -> 2x2 max-pooling -> dense 5408 -> 10 -> softmax cross-entropy -> SGD (lr 0.01) on
all four parameters, float32. Every contender starts from the same arrays (`problem()`)
and returns its first loss, so the driver checks they compute the same thing (torch and
JAX correlate where symgraph convolves, so they get the flipped kernel).

    numpy      hand-written: im2col with sliding_window_view, one product, pooling by a
               reshape and max, its gradient by an equality mask
    symgraph   sg.nnet.conv2d / max_pool2d / softmax_categorical_crossentropy, sg.grad,
               one compiled function with the SGD updates
    torch      eager PyTorch (F.conv2d, F.max_pool2d, F.cross_entropy, autograd.grad)
    jax        jax.jit of the step (lax.conv_general_dilated, reduce_window, jax.grad)

torch and JAX are imported only in their own functions: they are never dependencies and
run only from a separate environment (bench.conv finds it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BATCH, FILTERS, SIZE, K, CLASSES, LR = 32, 32, 28, 3, 10, 0.01
POOLED = (SIZE - K + 1) // 2
FLAT = FILTERS * POOLED * POOLED   # 5408


def problem(seed: int = 0) -> dict[str, np.ndarray]:
    """The batch, its one-hot labels and the initial parameters (float32)."""
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(BATCH, 1, SIZE, SIZE)).astype(np.float32),
            "y": np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, BATCH)],
            "w1": (rng.normal(size=(FILTERS, 1, K, K)) * 0.3).astype(np.float32),
            "b1": np.full(FILTERS, 0.01, np.float32),
            "w2": (rng.normal(size=(FLAT, CLASSES)) * 0.01).astype(np.float32),
            "b2": np.zeros(CLASSES, np.float32)}


Step = Callable[[], float]


def numpy_step(p: dict[str, np.ndarray]) -> Step:
    """The step by hand in NumPy (channels-last activations, as im2col gives them)."""
    from numpy.lib.stride_tricks import sliding_window_view
    x, y = p["x"], p["y"]
    w1, b1, w2, b2 = (p[k].copy() for k in ("w1", "b1", "w2", "b2"))
    n, side = BATCH, SIZE - K + 1
    cols = np.ascontiguousarray(sliding_window_view(x[:, 0], (K, K), axis=(1, 2))
                                ).reshape(n * side * side, K * K)

    def step() -> float:
        nonlocal w1, b1, w2, b2
        kmat = w1[:, 0, ::-1, ::-1].reshape(FILTERS, K * K)      # convolution: flipped
        h = np.maximum(cols @ kmat.T + b1, 0).reshape(n, side, side, FILTERS)
        h6 = h.reshape(n, POOLED, 2, POOLED, 2, FILTERS)
        pooled = h6.max(axis=(2, 4))
        flat = pooled.transpose(0, 3, 1, 2).reshape(n, FLAT)     # NCHW order, like sg
        logits = flat @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -(y * logp).sum() / n
        dlogits = (np.exp(logp) - y) / n
        dflat = (dlogits @ w2.T).reshape(n, FILTERS, POOLED, POOLED).transpose(0, 2, 3, 1)
        mask = h6 == pooled[:, :, None, :, None, :]
        dh = (mask * dflat[:, :, None, :, None, :]).reshape(n * side * side, FILTERS)
        dh *= (h.reshape(-1, FILTERS) > 0)
        dk = (dh.T @ cols).reshape(FILTERS, 1, K, K)[:, :, ::-1, ::-1]
        w2 -= LR * (flat.T @ dlogits)
        b2 -= LR * dlogits.sum(axis=0)
        w1 -= LR * dk
        b1 -= LR * dh.sum(axis=0)
        return float(loss)

    return step


def symgraph_step(p: dict[str, np.ndarray]) -> Step:
    """The step as one compiled symgraph function."""
    import symgraph as sg
    shared = {k: sg.shared(p[k].copy(), name=k) for k in ("w1", "b1", "w2", "b2")}
    x = sg.tensor("x", dtype="float32", shape=(None, 1, SIZE, SIZE))
    y = sg.tensor("y", dtype="float32", shape=(None, CLASSES))
    h = sg.nnet.relu(sg.nnet.conv2d(x, shared["w1"]) + shared["b1"].dimshuffle("x", 0, "x", "x"))
    pooled = sg.nnet.max_pool2d(h, (2, 2))
    logits = sg.dot(pooled.reshape((pooled.shape[0], FLAT)), shared["w2"]) + shared["b2"]
    loss = sg.mean(sg.nnet.softmax_categorical_crossentropy(logits, y))
    params = list(shared.values())
    grads = sg.grad(loss, params)
    f = sg.function([x, y], loss, updates=[(v, v - LR * g) for v, g in zip(params, grads,
                                                                          strict=True)])
    f.trust_input = True
    return lambda: float(f(p["x"], p["y"]))


def torch_step(p: dict[str, np.ndarray], threads: int) -> Step:
    """The step in eager PyTorch."""
    import torch
    import torch.nn.functional as F  # noqa: N812
    torch.set_num_threads(threads)
    x, labels = torch.tensor(p["x"]), torch.tensor(p["y"].argmax(1))
    params = [torch.tensor(np.ascontiguousarray(p["w1"][:, :, ::-1, ::-1]),
                           requires_grad=True)]
    params += [torch.tensor(p[k], requires_grad=True) for k in ("b1", "w2", "b2")]

    def step() -> float:
        w1, b1, w2, b2 = params
        h = F.relu(F.conv2d(x, w1, b1))
        logits = F.max_pool2d(h, 2).reshape(BATCH, FLAT) @ w2 + b2
        loss = F.cross_entropy(logits, labels)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for v, g in zip(params, grads, strict=True):
                v -= LR * g
        return float(loss.detach())

    return step


def jax_step(p: dict[str, np.ndarray]) -> Step:
    """The step as one jax.jit-compiled function."""
    import jax
    import jax.numpy as jnp

    def loss_fn(params: list, x: jax.Array, y: jax.Array) -> jax.Array:
        w1, b1, w2, b2 = params
        h = jax.lax.conv_general_dilated(x, w1, (1, 1), "VALID")
        h = jax.nn.relu(h + b1[None, :, None, None])
        pooled = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                       "VALID")
        logits = pooled.reshape(BATCH, FLAT) @ w2 + b2
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=1))

    @jax.jit
    def update(params: list, x: jax.Array, y: jax.Array) -> tuple[list, jax.Array]:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return [v - LR * g for v, g in zip(params, grads, strict=True)], loss

    state = [jnp.asarray(np.ascontiguousarray(p["w1"][:, :, ::-1, ::-1]))]
    state += [jnp.asarray(p[k]) for k in ("b1", "w2", "b2")]
    x, y = jnp.asarray(p["x"]), jnp.asarray(p["y"])

    def step() -> float:
        nonlocal state
        state, loss = update(state, x, y)
        return float(loss.block_until_ready())

    return step
