"""Training the seeds' MNIST-shaped MLP with keras_front vs the same loop in NumPy.

    python -m bench.keras_mlp [--samples 60000] [--repeats 2] [--peers PYTHON]

The model of seed 003 (tf.keras): Flatten(28x28) -> Dense(128, relu) -> Dropout(0.5)
x3 -> Dense(10, softmax), Adam(lr=0.001), categorical cross-entropy, metrics=['acc'],
on synthetic float32 images. For batch sizes 32 and 128 it prints the time of one epoch
of `model.fit` (shuffled, verbose=0; best of --repeats) next to a hand-written NumPy
epoch doing the same work: shuffle, gather the batch, forward with dropout masks, loss
and accuracy, backward, Adam (Keras's formulas), all in float32. Also the time to the
first batch: building the model and compile() (the loss graph), then the first
train_on_batch (optimizer graph, gradient, compiling the train function, one step).
The "fit loop" column is the part of our time per batch spent in fit's own loop around
the compiled step (gathering the shuffled rows or waiting for the worker gathering them,
callbacks, bookkeeping): an epoch's time less the time of its steps, timed one by one.
BLAS runs on one thread (bench/__init__.py) unless OPENBLAS_NUM_THREADS says otherwise;
issue 9 compares at the machine's default threads: `OPENBLAS_NUM_THREADS=2 python -m
bench.keras_mlp` on this 2-core machine (JAX's XLA keeps its own thread pool either way).

Keras 3 with the JAX backend runs the same model side by side (a subprocess with the
peers' interpreter, --peers, default $BENCH_PEERS_PYTHON or /work/scratch/peers/bin/python;
"peer keras+jax: not installed" without one): seconds per epoch after a warm-up fit that
compiled every batch shape, and its time to first batch (model, compile, first
train_on_batch). keras_front's time to first batch is measured the same way, in a fresh
process, with an empty symgraph cache (cold) and with the cache a previous process filled
(warm: the whole-function cache skips the rewrite passes).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from typing import Any

import numpy as np

from bench.peers import fresh_cold_warm, peer_has, peers_python, run_json

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


class _TimedStep:
    """Stands in for the train function: calls it, adding up the seconds its calls take."""

    def __init__(self, function: Any):
        self.function = function
        self.step = function.unchecked
        self.seconds = 0.0

    def __call__(self, arrays: list[np.ndarray]) -> Any:
        return self.function(arrays)

    def unchecked(self, *arrays: np.ndarray) -> Any:
        start = time.perf_counter()
        out = self.step(*arrays)
        self.seconds += time.perf_counter() - start
        return out


def loop_alone(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
    """Seconds of one epoch of fit spent outside the compiled step (the epoch's time less
    its steps' time): fit's own loop -- gathering the shuffled rows (or waiting for the
    worker gathering them), callbacks, bookkeeping."""
    compiled = model.train_function
    timed = model.train_function = _TimedStep(compiled)
    try:
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        return time.perf_counter() - start - timed.seconds
    finally:
        model.train_function = compiled


# Keras 3 + JAX: the same model and data; prints {"import", "first", "epoch"} (seconds).
_KERAS = """
import json, sys, time
t0 = time.perf_counter()
import keras
t1 = time.perf_counter()
import numpy as np
from bench.keras_mlp import CLASSES, HIDDEN, KEEP, LR, synthetic_data
samples, batch, repeats = (int(a) for a in sys.argv[1:4])
x, y = synthetic_data(samples)
t2 = time.perf_counter()
layers = [keras.Input((28, 28)), keras.layers.Flatten()]
for _ in range(3):
    layers += [keras.layers.Dense(HIDDEN, activation="relu"), keras.layers.Dropout(1 - KEEP)]
model = keras.Sequential(layers + [keras.layers.Dense(CLASSES, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=LR),
              loss="categorical_crossentropy", metrics=["acc"])
model.train_on_batch(x[:32], y[:32])
t3 = time.perf_counter()
warm = 2 * batch + samples % batch  # every batch shape of the epoch compiled once
model.fit(x[:warm], y[:warm], batch_size=batch, epochs=1, verbose=0)
best = float("inf")
for _ in range(repeats):
    s = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    best = min(best, time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "first": t3 - t2, "epoch": best,
                  "backend": keras.backend.backend(), "version": keras.__version__}))
"""

# keras_front in a fresh process: {"import", "first"} (model, compile, first batch).
_FIRST = """
import json, time
t0 = time.perf_counter()
import keras_front
t1 = time.perf_counter()
from bench.keras_mlp import build_keras_model, synthetic_data
x, y = synthetic_data(32)
t2, c2 = time.perf_counter(), time.process_time()
model = build_keras_model()
model.train_on_batch(x, y)
t3, c3 = time.perf_counter(), time.process_time()
from symgraph import cache
print(json.dumps({"import": t1 - t0, "first": t3 - t2, "cpu": c3 - c2,
                  "hits": cache.STATS["function_hits"]}))
"""


def first_batch_fresh(runs: int = 3) -> tuple[dict, dict]:
    """keras_front's best (cold, warm) time to first batch in fresh processes."""
    return fresh_cold_warm(sys.executable, _FIRST,
                           lambda folder: {"SYMGRAPH_CACHE_DIR": folder}, runs, timeout=1800)


def keras_jax(peers: str | None, samples: int, batch: int, repeats: int) -> dict | str:
    """Keras 3 + JAX's epoch and first-batch times, or why there are none."""
    if not peer_has(peers, "keras, jax", {"KERAS_BACKEND": "jax"}):
        return "peer keras+jax: not installed"
    try:
        return run_json(peers, ["-c", _KERAS, str(samples), str(batch), str(repeats)],
                        {"KERAS_BACKEND": "jax"}, timeout=1800)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return f"peer keras+jax: failed ({e})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--peers", default=peers_python())
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} at start; BLAS threads "
          f"{os.environ['OPENBLAS_NUM_THREADS']} (OPENBLAS_NUM_THREADS; bench/ sets 1 unless "
          f"given; the issue's comparison is at the machine's default, "
          f"OPENBLAS_NUM_THREADS={os.cpu_count()}); JAX's XLA threads are its own")
    cold, warm = first_batch_fresh()
    print(f"keras_front time to first batch, fresh process (best of 3; import keras_front "
          f"{cold['import'] * 1e3:.0f} ms apart): cold cache {cold['first'] * 1e3:.1f} ms "
          f"(CPU {cold['cpu'] * 1e3:.1f} ms), warm cache {warm['first'] * 1e3:.1f} ms (CPU "
          f"{warm['cpu'] * 1e3:.1f} ms; {warm['hits']} functions from the cache)")
    x, y = synthetic_data(args.samples)

    import keras_front  # noqa: F401 -- imported before the clock starts, as in _FIRST
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
          f"{'us/batch (ours)':>16} {'of it fit loop':>15} {'Keras+JAX s/epoch':>18} "
          f"{'ours/Keras':>11}")
    notes = []
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
        peer = keras_jax(args.peers, args.samples, batch_size, args.repeats)
        if isinstance(peer, str):
            kj = ratio = "-"
            if peer not in notes:
                notes.append(peer)
        else:
            kj, ratio = f"{peer['epoch']:.2f}", f"{ours / peer['epoch']:.2f}"
            note = (f"Keras {peer['version']} ({peer['backend']}): time to first batch "
                    f"{peer['first'] * 1e3:.0f} ms (import keras {peer['import'] * 1e3:.0f} "
                    f"ms apart)")
            if batch_size == 32:
                notes.append(note)
        print(f"{batch_size:>5} {ours:>20.2f} {theirs:>14.2f} {ours / theirs:>6.2f} "
              f"{ours / n_batches * 1e6:>16.0f} {loop / n_batches * 1e6:>15.0f} {kj:>18} "
              f"{ratio:>11}")
    for note in notes:
        print(note)

if __name__ == "__main__":
    main()
