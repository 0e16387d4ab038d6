"""Training Keras 1's MNIST convnet with keras_front vs the same epoch in NumPy by hand.

    python -m bench.keras_convnet [--samples 60000] [--repeats 1] [--profile-batches 20]

The model of Keras 1.2.2's examples/mnist_cnn.py on Theano ('th' ordering):
Convolution2D(32, 3, 3, relu) -> Convolution2D(32, 3, 3, relu) -> MaxPooling2D((2, 2))
-> Dropout(0.25) -> Flatten -> Dense(128, relu) -> Dense(10, softmax), Adadelta,
categorical cross-entropy, metrics=['accuracy'], batch 128, on synthetic 1x28x28 float32
images. One epoch of `model.fit(..., nb_epoch=1, verbose=0)` (shuffled) next to a
hand-written NumPy epoch doing the same work: shuffle and gather the batch, both
convolutions by im2col (sliding_window_view, one product each) in channels-last layout,
the max-pool by a reshape, dropout, the dense layers, Keras's clipped cross-entropy and
accuracy, the backward pass (col2im for the second convolution's input gradient), and
Keras 1.2's Adadelta, all float32. Then where keras_front's time goes: cProfile of
--profile-batches train_on_batch calls, by function (the compiled step's kernels).

BLAS runs on one thread unless OPENBLAS_NUM_THREADS says otherwise (bench/__init__.py);
symgraph's kernels use as many threads as BLAS (symgraph/ops/threads.py).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import time
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

FILTERS, K, HIDDEN, CLASSES, DROP, BATCH = 32, 3, 128, 10, 0.25, 128
RHO, EPS = 0.95, 1e-8


def synthetic_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n images (1, 28, 28) in [0, 1) and one-hot labels of a random linear rule."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    labels = ((x.reshape(n, -1) - 0.5) @ rng.standard_normal((784, CLASSES))).argmax(1)
    return x, np.eye(CLASSES, dtype=np.float32)[labels]


def build_keras_model() -> Any:
    """mnist_cnn.py's model, Keras 1 spellings, 'th' ordering, compiled."""
    from keras_front.layers import Convolution2D, Dense, Dropout, Flatten, MaxPooling2D
    from keras_front.models import Sequential
    model = Sequential()
    model.add(Convolution2D(FILTERS, K, K, activation="relu", input_shape=(1, 28, 28),
                            dim_ordering="th"))
    model.add(Convolution2D(FILTERS, K, K, activation="relu", dim_ordering="th"))
    model.add(MaxPooling2D(pool_size=(2, 2), dim_ordering="th"))
    model.add(Dropout(DROP))
    model.add(Flatten())
    model.add(Dense(HIDDEN, activation="relu"))
    model.add(Dense(CLASSES, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adadelta",
                  metrics=["accuracy"])
    return model


# ---------------------------------------------------------------- the NumPy epoch


def numpy_params(seed: int = 1) -> list[np.ndarray]:
    """Glorot-uniform kernels ('th' layouts for the convolutions), zero biases."""
    rng = np.random.default_rng(seed)

    def glorot(shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(np.float32)

    return [glorot((FILTERS, 1, K, K), 9, FILTERS * 9), np.zeros(FILTERS, np.float32),
            glorot((FILTERS, FILTERS, K, K), FILTERS * 9, FILTERS * 9),
            np.zeros(FILTERS, np.float32),
            glorot((FILTERS * 12 * 12, HIDDEN), FILTERS * 144, HIDDEN),
            np.zeros(HIDDEN, np.float32), glorot((HIDDEN, CLASSES), HIDDEN, CLASSES),
            np.zeros(CLASSES, np.float32)]


def _im2col(h: np.ndarray) -> np.ndarray:
    """(n, rows, cols, c) -> (n * out_rows * out_cols, c * 9): one row per position."""
    n, r, c, ch = h.shape
    windows = sliding_window_view(h, (K, K), axis=(1, 2))      # (n, r', c', ch, 3, 3)
    return windows.reshape(n * (r - K + 1) * (c - K + 1), ch * K * K)


def _kmat(w: np.ndarray) -> np.ndarray:
    """A 'th' kernel as the (in * 9, out) matrix of a true convolution (flipped)."""
    return w[:, :, ::-1, ::-1].reshape(w.shape[0], -1).T


class NumpyAdadelta:
    """Keras 1.2's Adadelta (lr 1.0, rho 0.95, epsilon 1e-8), state in float32."""

    def __init__(self, params: list[np.ndarray]):
        self.acc = [np.zeros_like(p) for p in params]
        self.delta = [np.zeros_like(p) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g, a, d in zip(params, grads, self.acc, self.delta, strict=True):
            a *= RHO
            a += (1 - RHO) * g * g
            update = g * np.sqrt(d + EPS) / np.sqrt(a + EPS)
            p -= update
            d *= RHO
            d += (1 - RHO) * update * update


def numpy_batch(params: list[np.ndarray], opt: NumpyAdadelta, xb: np.ndarray,
                yb: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """One training step; (summed loss, summed correct) over the batch."""
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    n = xb.shape[0]
    x = xb.transpose(0, 2, 3, 1)                                  # channels last
    cols1 = _im2col(x)
    h1 = np.maximum(cols1 @ _kmat(w1) + b1, 0).reshape(n, 26, 26, FILTERS)
    cols2 = _im2col(h1)
    h2 = np.maximum(cols2 @ _kmat(w2) + b2, 0).reshape(n, 24, 24, FILTERS)
    h2_6 = h2.reshape(n, 12, 2, 12, 2, FILTERS)
    pooled = h2_6.max(axis=(2, 4))
    mask = (rng.random(pooled.shape, dtype=np.float32) >= DROP) / np.float32(1 - DROP)
    flat = (pooled * mask).transpose(0, 3, 1, 2).reshape(n, -1)   # Flatten of 'th'
    h3 = np.maximum(flat @ w3 + b3, 0)
    logits = h3 @ w4 + b4
    e = np.exp(logits - logits.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    pc = np.clip(p, 1e-7, 1 - 1e-7)
    loss = float(-(yb * np.log(pc)).sum())
    correct = float((p.argmax(1) == yb.argmax(1)).sum())
    d4 = (p - yb) / np.float32(n)
    d3 = (d4 @ w4.T) * (h3 > 0)
    dflat = (d3 @ w3.T).reshape(n, FILTERS, 12, 12).transpose(0, 2, 3, 1) * mask
    dh2 = (h2_6 == pooled[:, :, None, :, None, :]) * dflat[:, :, None, :, None, :]
    dh2 = dh2.reshape(n * 576, FILTERS) * (h2.reshape(-1, FILTERS) > 0)
    dcols2 = (dh2 @ _kmat(w2).T).reshape(n, 24, 24, FILTERS, K, K)
    dh1 = np.zeros((n, 26, 26, FILTERS), np.float32)              # col2im
    for i in range(K):
        for j in range(K):
            dh1[:, i:i + 24, j:j + 24] += dcols2[..., i, j]
    dh1 = dh1.reshape(-1, FILTERS) * (h1.reshape(-1, FILTERS) > 0)
    grads = [(dh1.T @ cols1).reshape(FILTERS, 1, K, K)[:, :, ::-1, ::-1], dh1.sum(0),
             (dh2.T @ cols2).reshape(FILTERS, FILTERS, K, K)[:, :, ::-1, ::-1], dh2.sum(0),
             flat.T @ d3, d3.sum(0), h3.T @ d4, d4.sum(0)]
    opt.step(params, grads)
    return loss, correct


def numpy_epoch(params: list[np.ndarray], opt: NumpyAdadelta, x: np.ndarray, y: np.ndarray,
                rng: np.random.Generator) -> tuple[float, float]:
    """One shuffled epoch; (mean loss, accuracy)."""
    index = rng.permutation(x.shape[0])
    loss = correct = 0.0
    for start in range(0, x.shape[0], BATCH):
        ids = index[start:start + BATCH]
        batch_loss, batch_correct = numpy_batch(params, opt, x[ids], y[ids], rng)
        loss, correct = loss + batch_loss, correct + batch_correct
    return loss / x.shape[0], correct / x.shape[0]


# ---------------------------------------------------------------- measuring


def where_the_time_goes(model: Any, x: np.ndarray, y: np.ndarray, batches: int) -> None:
    """cProfile of train_on_batch calls, by function, in ms per batch."""
    profile = cProfile.Profile()
    profile.enable()
    for i in range(batches):
        model.train_on_batch(x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH])
    profile.disable()
    stats = pstats.Stats(profile).stats
    rows = sorted(((tt, f"{fn[2]} ({fn[0].rsplit('/', 1)[-1]}:{fn[1]})")
                   for fn, (_, _, tt, _, _) in stats.items()), reverse=True)
    total = sum(tt for tt, _ in rows)
    print(f"where keras_front's time goes ({batches} batches of {BATCH}; cProfile, own time "
          f"per function, {total / batches * 1e3:.1f} ms per batch in all):")
    for tt, name in rows[:10]:
        print(f"  {tt / batches * 1e3:7.2f} ms  {tt / total:5.1%}  {name}")


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--profile-batches", type=int, default=20)
    args = parser.parse_args()
    x, y = synthetic_data(args.samples)

    import symgraph
    from symgraph.ops.threads import kernel_threads
    start = time.perf_counter()
    model = build_keras_model()
    built = time.perf_counter() - start
    start = time.perf_counter()
    model.train_on_batch(x[:BATCH], y[:BATCH])
    first = time.perf_counter() - start
    print(f"keras_front convnet, symgraph {symgraph.__version__}, NumPy {np.__version__}, "
          f"Python {platform.python_version()}, {platform.machine()}, BLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}, kernel threads "
          f"{kernel_threads()}, load average {os.getloadavg()[0]:.1f}; "
          f"{args.samples} samples, best of {args.repeats} epoch(s)")
    print(f"time to first batch: model + compile() {built * 1e3:.0f} ms, first "
          f"train_on_batch (gradient, compiling the train function) {first * 1e3:.0f} ms")
    n_batches = -(-args.samples // BATCH)
    params, rng = numpy_params(), np.random.default_rng(2)
    opt = NumpyAdadelta(params)
    ours = theirs = float("inf")
    for _ in range(args.repeats):      # interleaved: both see the same machine load
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, nb_epoch=1, verbose=0)
        ours = min(ours, time.perf_counter() - start)
        start = time.perf_counter()
        numpy_epoch(params, opt, x, y, rng)
        theirs = min(theirs, time.perf_counter() - start)
    print(f"{'':>12} {'s/epoch':>8} {'ms/batch':>9}")
    print(f"{'keras_front':>12} {ours:8.2f} {ours / n_batches * 1e3:9.1f}")
    print(f"{'NumPy':>12} {theirs:8.2f} {theirs / n_batches * 1e3:9.1f}")
    print(f"{'ratio':>12} {ours / theirs:8.2f}")
    where_the_time_goes(model, x, y, args.profile_batches)


if __name__ == "__main__":
    main()
