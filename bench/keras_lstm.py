"""One epoch of an IMDB-style LSTM with keras_front vs the same training in NumPy.

    python -m bench.keras_lstm [--samples 3200] [--repeats 2] [--full]

The model of Keras 1.2.2's examples/imdb_lstm.py (without its dropouts): Embedding
(20000 x 128, sequences of 80) -> LSTM(128) -> Dense(1, sigmoid), binary cross-entropy,
Adam (Keras 1.2.2's formulas, every weight updated densely every batch, the embedding
too, as Keras does), batch 32, on synthetic data (random word indices; the label says
whether the sequence holds more "positive" than "negative" words). It prints the time
per batch of one epoch of `model.fit` (shuffled, verbose=0; best of --repeats) for each
of the LSTM's consume_less modes, next to a hand-written NumPy epoch doing the same work
(embedding gather, input projections of all steps in one matrix product, the loop with
one h . U product per step, backward through time with the same products, the weight
gradients of all steps in one product each, the embedding gradient scattered into a
dense matrix, Adam), all in float32. The last row runs the LSTM on K.rnn (one sg.scan
node, gradient a backwards scan) instead of the fused loop op, for comparison. It then
breaks one keras_front batch down by operation (a profile of the compiled train
function). --full runs the real epoch size
(25000 samples). BLAS runs on one thread (bench/__init__.py).
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import time
from typing import Any

import numpy as np

from .keras_mlp import best_of

VOCAB, DIM, UNITS, STEPS, BATCH = 20000, 128, 128, 80, 32
LR, BETA1, BETA2, EPS, CLIP = 0.001, 0.9, 0.999, 1e-8, 1e-7


def synthetic_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n sequences of STEPS word indices in [1, VOCAB) and 0/1 labels."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, size=(n, STEPS)).astype("int32")
    score = (x < 100).sum(axis=1) - ((x >= 100) & (x < 200)).sum(axis=1)
    return x, (score > 0).astype("float32")[:, None]


def build_keras_model(consume_less: str, fused: bool = True) -> Any:
    """Embedding -> LSTM -> Dense(sigmoid), compiled with Adam (Keras 1.2.2 spellings).
    fused=False runs the LSTM on K.rnn (sg.scan) instead of the fused loop op."""
    from keras_front.layers import LSTM, Dense, Embedding
    from keras_front.models import Sequential

    class ScannedLSTM(LSTM):
        def _fused_loop(self, *args: Any) -> Any:
            return None
    model = Sequential()
    model.add(Embedding(VOCAB, DIM, input_length=STEPS))
    model.add((LSTM if fused else ScannedLSTM)(UNITS, consume_less=consume_less))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# ---------------------------------------------------------------- the NumPy loop


def _hard_sigmoid(z: np.ndarray) -> np.ndarray:
    return np.clip(z * np.float32(0.2) + np.float32(0.5), 0, 1)


class NumpyLSTM:
    """The model's weights (gates i, f, c, o side by side) and Adam's state, float32."""

    def __init__(self, seed: int = 1):
        rng = np.random.default_rng(seed)

        def glorot(n_in: int, n_out: int) -> np.ndarray:
            limit = np.sqrt(6.0 / (n_in + n_out))
            return rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)
        bias = np.zeros(4 * UNITS, np.float32)
        bias[UNITS:2 * UNITS] = 1.0  # forget gate
        self.params = [rng.uniform(-0.05, 0.05, (VOCAB, DIM)).astype(np.float32),
                       glorot(DIM, 4 * UNITS), glorot(UNITS, 4 * UNITS), bias,
                       glorot(UNITS, 1), np.zeros(1, np.float32)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, ids: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """One training step on a batch; (summed loss, correct predictions)."""
        emb, w, u, b, wd, bd = self.params
        n, h_dim = len(ids), UNITS
        x = emb[ids]                                               # (n, T, D)
        xz = (x.reshape(-1, DIM) @ w + b).reshape(n, STEPS, 4 * h_dim)
        h = np.zeros((n, h_dim), np.float32)
        c = np.zeros((n, h_dim), np.float32)
        hs = np.empty((STEPS, n, h_dim), np.float32)       # h before each step
        cs = np.empty((STEPS + 1, n, h_dim), np.float32)
        gates = np.empty((STEPS, n, 4 * h_dim), np.float32)  # i, f, g, o after activation
        cs[0] = c
        for t in range(STEPS):
            hs[t] = h
            z = xz[:, t] + h @ u
            g = gates[t]
            g[:, :2 * h_dim] = _hard_sigmoid(z[:, :2 * h_dim])
            g[:, 2 * h_dim:3 * h_dim] = np.tanh(z[:, 2 * h_dim:3 * h_dim])
            g[:, 3 * h_dim:] = _hard_sigmoid(z[:, 3 * h_dim:])
            c = g[:, h_dim:2 * h_dim] * c + g[:, :h_dim] * g[:, 2 * h_dim:3 * h_dim]
            cs[t + 1] = c
            h = g[:, 3 * h_dim:] * np.tanh(c)
        logit = h @ wd + bd
        p = 1 / (1 + np.exp(-logit))
        pc = np.clip(p, CLIP, 1 - CLIP)
        loss = float(-(y * np.log(pc) + (1 - y) * np.log(1 - pc)).sum())
        correct = float(((p > 0.5) == (y > 0.5)).sum())
        dlogit = (p - y) / np.float32(n)
        grads = [None, None, None, None, h.T @ dlogit, dlogit.sum(0)]
        dh = dlogit @ wd.T
        dc = np.zeros_like(c)
        dz_all = np.empty((STEPS, n, 4 * h_dim), np.float32)
        for t in range(STEPS - 1, -1, -1):
            g = gates[t]
            i, f, gg, o = (g[:, k * h_dim:(k + 1) * h_dim] for k in range(4))
            tc = np.tanh(cs[t + 1])
            dc = dc + dh * o * (1 - tc * tc)
            dz = dz_all[t]
            for k, (act, d) in enumerate(((i, dc * gg), (f, dc * cs[t]), (gg, dc * i),
                                          (o, dh * tc))):
                block = dz[:, k * h_dim:(k + 1) * h_dim]
                if k == 2:
                    block[:] = d * (1 - act * act)
                else:  # hard sigmoid: slope 0.2 strictly inside (0, 1)
                    block[:] = d * np.float32(0.2) * ((act > 0) & (act < 1))
            dc = dc * f
            dh = dz @ u.T
        dz_flat = dz_all.transpose(1, 0, 2).reshape(-1, 4 * h_dim)   # (n*T, 4H)
        grads[2] = hs.reshape(-1, h_dim).T @ dz_all.reshape(-1, 4 * h_dim)
        grads[1] = x.reshape(-1, DIM).T @ dz_flat
        grads[3] = dz_flat.sum(0)
        grads[0] = np.zeros_like(emb)
        np.add.at(grads[0], ids.reshape(-1), dz_flat @ w.T)
        self.adam(grads)
        return loss, correct

    def adam(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        lr_t = np.float32(LR * np.sqrt(1 - BETA2 ** self.t) / (1 - BETA1 ** self.t))
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= BETA1
            m += (1 - BETA1) * g
            v *= BETA2
            v += (1 - BETA2) * (g * g)
            p -= lr_t * m / (np.sqrt(v) + EPS)

    def epoch(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> float:
        """One shuffled epoch; the mean loss."""
        index = rng.permutation(len(x))
        total = 0.0
        for start in range(0, len(x), BATCH):
            ids = index[start:start + BATCH]
            total += self.step(x[ids], y[ids])[0]
        return total / len(x)


# ---------------------------------------------------------------- measuring


def breakdown(model: Any, x: np.ndarray, y: np.ndarray, batches: int = 10) -> list[str]:
    """Where one keras_front batch goes: the compiled train function's profile."""
    profile = cProfile.Profile()
    profile.enable()
    for k in range(batches):
        model.train_on_batch(x[k * BATCH:(k + 1) * BATCH], y[k * BATCH:(k + 1) * BATCH])
    profile.disable()
    stats = pstats.Stats(profile)
    rows = []
    for (filename, _, function), (_, calls, tottime, _, _) in stats.stats.items():
        rows.append((tottime / batches, calls // batches, f"{filename.split('/')[-1]}:"
                                                         f"{function}"))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    lines = [f"  {'ms/batch':>8} {'calls':>6}  function (own time)"]
    for ms, calls, name in rows[:12]:
        lines.append(f"  {ms * 1e3:>8.2f} {calls:>6}  {name}")
    lines.append(f"  {total * 1e3:>8.2f}         total (profiled, so slower than above)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="25000 samples (IMDB's size)")
    args = parser.parse_args()
    samples = 25000 if args.full else args.samples
    x, y = synthetic_data(samples)
    n_batches = -(-samples // BATCH)

    import symgraph
    print(f"IMDB-style LSTM, keras_front (symgraph {symgraph.__version__}), NumPy "
          f"{np.__version__}, Python {platform.python_version()}, {platform.machine()}; "
          f"{samples} samples = {n_batches} batches of {BATCH}, best of {args.repeats} epochs")
    print(f"{'':26} {'first batch s':>13} {'ms/batch':>9} {'NumPy ms/batch':>15} "
          f"{'ratio':>6}")
    reference = NumpyLSTM()
    rng = np.random.default_rng(3)
    models = {}
    for mode, fused in (("cpu", True), ("mem", True), ("gpu", True), ("cpu", False)):
        start = time.perf_counter()
        model = build_keras_model(mode, fused)
        model.train_on_batch(x[:BATCH], y[:BATCH])
        first = time.perf_counter() - start
        ours = theirs = float("inf")
        for _ in range(args.repeats):  # interleaved: both see the same machine load
            ours = min(ours, best_of(lambda m=model: m.fit(
                x, y, batch_size=BATCH, nb_epoch=1, verbose=0), 1))
            theirs = min(theirs, best_of(lambda: reference.epoch(x, y, rng), 1))
        models[mode, fused] = model
        label = f"consume_less={mode!r}" + ("" if fused else " on scan")
        print(f"{label:26} {first:>13.2f} "
              f"{ours / n_batches * 1e3:>9.1f} {theirs / n_batches * 1e3:>15.1f} "
              f"{ours / theirs:>6.2f}")
    print("one keras_front batch (consume_less='cpu'), by function:")
    print("\n".join(breakdown(models["cpu", True], x, y)))


if __name__ == "__main__":
    main()
