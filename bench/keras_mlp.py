"""Training the seeds' MNIST-shaped MLP with keras_front vs the same loop in NumPy.

    python -m bench.keras_mlp [--samples 60000] [--repeats 2]

The model of seed 003 (tf.keras): Flatten(28x28) -> Dense(128, relu) -> Dropout(0.5)
x3 -> Dense(10, softmax), Adam(lr=0.001), categorical cross-entropy, metrics=['acc'],
on synthetic float32 images. For batch sizes 32 and 128 it prints the time of one epoch
of `model.fit` (shuffled, verbose=0; best of --repeats) next to a hand-written NumPy
epoch doing the same work: shuffle, gather the batch, forward with dropout masks, loss
and accuracy, backward, Adam (Keras's formulas), all in float32. Also the time to the
first batch: building the model and compile() (the loss graph), then the first
train_on_batch (optimizer graph, gradient, compiling the train function, one step).
The last column is the part of our time per batch spent in fit's own loop around the
compiled step (gathering the shuffled rows, callbacks, bookkeeping), measured by running
the epoch with the step replaced by a no-op.
BLAS runs on one thread (bench/__init__.py).
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Any

import numpy as np

HIDDEN, CLASSES, KEEP = 128, 10, 0.5
LR, BETA1, BETA2, EPS = 0.001, 0.9, 0.999, 1e-8


def synthetic_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n images 28x28 in [0, 1) and one-hot labels of a random linear rule."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28), dtype=np.float32)
    labels = ((x.reshape(n, -1) - 0.5) @ rng.standard_normal((784, CLASSES))).argmax(1)
    return x, np.eye(CLASSES, dtype=np.float32)[labels]


def build_keras_model() -> Any:
    """The seed-003 model, compiled (the tf.keras spellings, via keras_front)."""
    import keras_front as keras
    model = keras.Sequential()
    model.add(keras.layers.Flatten(input_shape=(28, 28)))
    for _ in range(3):
        model.add(keras.layers.Dense(HIDDEN, activation="relu"))
        model.add(keras.layers.Dropout(1 - KEEP))
    model.add(keras.layers.Dense(CLASSES, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR),
                  loss="categorical_crossentropy", metrics=["acc"])
    return model


# ---------------------------------------------------------------- the NumPy loop


def numpy_params(seed: int = 1) -> list[list[np.ndarray]]:
    """Glorot-uniform kernels and zero biases, float32, for 784-128-128-128-10."""
    rng = np.random.default_rng(seed)
    sizes = (784, HIDDEN, HIDDEN, HIDDEN, CLASSES)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        limit = np.sqrt(6.0 / (n_in + n_out))
        params.append([rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32),
                       np.zeros(n_out, np.float32)])
    return params


class NumpyAdam:
    """Keras 1.2's Adam on a list of [kernel, bias] pairs, state in float32."""

    def __init__(self, params: list[list[np.ndarray]]):
        self.t = 0
        self.m = [[np.zeros_like(p) for p in layer] for layer in params]
        self.v = [[np.zeros_like(p) for p in layer] for layer in params]

    def step(self, params: list[list[np.ndarray]], grads: list[list[np.ndarray]]) -> None:
        self.t += 1
        lr_t = np.float32(LR * np.sqrt(1 - BETA2 ** self.t) / (1 - BETA1 ** self.t))
        for layer, glayer, mlayer, vlayer in zip(params, grads, self.m, self.v, strict=True):
            for p, g, m, v in zip(layer, glayer, mlayer, vlayer, strict=True):
                m *= BETA1
                m += (1 - BETA1) * g
                v *= BETA2
                v += (1 - BETA2) * (g * g)
                p -= lr_t * m / (np.sqrt(v) + EPS)


def numpy_epoch(params: list[list[np.ndarray]], adam: NumpyAdam, x: np.ndarray,
                y: np.ndarray, batch_size: int, rng: np.random.Generator) -> tuple[float, float]:
    """One shuffled epoch of training; (mean loss, mean accuracy) over the samples."""
    n = x.shape[0]
    index = rng.permutation(n)
    total_loss = total_acc = 0.0
    for start in range(0, n, batch_size):
        ids = index[start:start + batch_size]
        xb, yb = x[ids].reshape(len(ids), -1), y[ids]
        hs, masks = [xb], []
        h = xb
        for w, b in params[:-1]:
            a = np.maximum(h @ w + b, 0)
            mask = (rng.random(a.shape, dtype=np.float32) < KEEP).astype(np.float32) / KEEP
            h = a * mask
            hs.append(h)
            masks.append(mask)
        w, b = params[-1]
        logits = h @ w + b
        e = np.exp(logits - logits.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        pc = np.clip(p, 1e-7, 1 - 1e-7)
        total_loss += float(-(yb * np.log(pc)).sum())
        total_acc += float((p.argmax(1) == yb.argmax(1)).sum())
        delta = (p - yb) / np.float32(len(ids))
        grads: list[list[np.ndarray]] = [[] for _ in params]
        for i in range(len(params) - 1, -1, -1):
            grads[i] = [hs[i].T @ delta, delta.sum(0)]
            if i:
                delta = (delta @ params[i][0].T) * masks[i - 1] * (hs[i] > 0)
        adam.step(params, grads)
    return total_loss / n, total_acc / n


# ---------------------------------------------------------------- measuring


def best_of(fn: Any, repeats: int) -> float:
    """The fastest of `repeats` timed calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


class _NoStep:
    """Stands in for the compiled train step: returns a zero per output at once."""

    def __init__(self, n_outputs: int):
        self.outputs = [np.float32(0.0)] * n_outputs

    def __call__(self, arrays: list[np.ndarray]) -> list[np.float32]:
        return self.outputs

    def unchecked(self, *arrays: np.ndarray) -> list[np.float32]:
        return self.outputs


def loop_alone(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
    """Seconds for one epoch of fit with the train step replaced by a no-op: the cost of
    fit's own loop (gathering the shuffled rows, callbacks, bookkeeping)."""
    compiled = model.train_function
    model.train_function = _NoStep(1 + len(model.metrics_tensors))
    try:
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        return time.perf_counter() - start
    finally:
        model.train_function = compiled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    x, y = synthetic_data(args.samples)

    import symgraph
    start = time.perf_counter()
    model = build_keras_model()
    built = time.perf_counter() - start
    start = time.perf_counter()
    model.train_on_batch(x[:32], y[:32])
    first = time.perf_counter() - start

    print(f"keras_front MLP, symgraph {symgraph.__version__}, NumPy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}; {args.samples} samples, "
          f"best of {args.repeats} epochs")
    print(f"time to first batch: model + compile() {built * 1e3:.1f} ms, first train_on_batch "
          f"(optimizer graph, gradient, compiling the train function) {first * 1e3:.1f} ms")
    print(f"{'batch':>5} {'keras_front s/epoch':>20} {'NumPy s/epoch':>14} {'ratio':>6} "
          f"{'us/batch (ours)':>16} {'of it fit loop':>15}")
    rng = np.random.default_rng(2)
    for batch_size in (32, 128):
        np.random.seed(0)
        n_batches = -(-args.samples // batch_size)
        params = numpy_params()
        adam = NumpyAdam(params)
        # The three measurements interleaved, so that all see the same machine load.
        ours = theirs = loop = float("inf")
        for _ in range(args.repeats):
            ours = min(ours, best_of(lambda bs=batch_size: model.fit(
                x, y, batch_size=bs, epochs=1, verbose=0), 1))
            loop = min(loop, loop_alone(model, x, y, batch_size))
            theirs = min(theirs, best_of(lambda bs=batch_size, p=params, a=adam: numpy_epoch(
                p, a, x, y, bs, rng), 1))
        print(f"{batch_size:>5} {ours:>20.2f} {theirs:>14.2f} {ours / theirs:>6.2f} "
              f"{ours / n_batches * 1e6:>16.0f} {loop / n_batches * 1e6:>15.0f}")

if __name__ == "__main__":
    main()
