"""What calling a compiled function costs, next to the same NumPy code written by hand.

    python -m bench.overhead

Two workloads, each timed with `timeit` (the best of several repeats, per call):

- `x + 1` on a 10-element float32 vector: almost no arithmetic, so the time is the call
  overhead (argument checks, the generated function, returning the result). Also with
  `f.trust_input = True`, which skips the argument checks.
- `x + 1` on 10 float64 with the C backend against the NumPy backend (issue 9: the C
  kernel is one CPython extension call, no ctypes), checked and with trust_input;
- the forward pass of a 784-512-512-10 MLP (relu, relu, softmax; float32) for a batch of
  128 rows and for a single row, compiled vs the same computation in plain NumPy.

Prints one table: microseconds per call and the ratio ours / NumPy (1.00 = as fast).
BLAS runs on one thread (see bench/__init__.py).
"""

from __future__ import annotations

import os
import platform
import timeit
from collections.abc import Callable

import numpy as np

import symgraph as sg

SIZES = (784, 512, 512, 10)
REPEATS = 7


def per_call_pair(ours: Callable[[], object], numpy: Callable[[], object],
                  repeats: int = REPEATS, min_total: float = 0.05) -> tuple[float, float]:
    """Best per-call times of two callables, their repeats interleaved so that both see the
    same machine load (other processes on a 2-core machine can slow one run down)."""
    timers = [timeit.Timer(ours), timeit.Timer(numpy)]
    numbers = []
    for timer in timers:
        number, elapsed = timer.autorange()
        numbers.append(max(1, int(number * min_total / max(elapsed, 1e-9))))
    best = [float("inf"), float("inf")]
    for _ in range(repeats):
        for k, timer in enumerate(timers):
            best[k] = min(best[k], timer.timeit(numbers[k]) / numbers[k])
    return best[0], best[1]


def mlp_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Glorot-uniform float32 weights and small biases for SIZES."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        limit = np.sqrt(6.0 / (n_in + n_out))
        params.append((rng.uniform(-limit, limit, (n_in, n_out)).astype("float32"),
                       rng.uniform(-0.1, 0.1, n_out).astype("float32")))
    return params


def numpy_forward(params: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """The MLP forward pass written by hand (a numerically stable softmax)."""
    (w1, b1), (w2, b2), (w3, b3) = params
    h = np.maximum(x @ w1 + b1, 0)
    h = np.maximum(h @ w2 + b2, 0)
    z = h @ w3 + b3
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def compiled_forward(params: list[tuple[np.ndarray, np.ndarray]]) -> sg.Function:
    """The same forward pass as a symgraph graph, weights in shared variables."""
    x = sg.tensor("x", dtype="float32", shape=(None, SIZES[0]))
    h = x
    for k, (w, b) in enumerate(params):
        z = sg.dot(h, sg.shared(w, f"W{k}")) + sg.shared(b, f"b{k}")
        h = sg.nnet.softmax(z) if k == len(params) - 1 else sg.nnet.relu(z)
    return sg.function([x], h, name="forward")


def rows() -> list[tuple[str, float, float]]:
    """(workload, ours in seconds, NumPy in seconds) for every line of the table."""
    out = []
    v = np.arange(10, dtype="float32")
    x = sg.vector("x", dtype="float32")
    add_one = sg.function([x], x + 1)
    np.testing.assert_array_equal(add_one(v), v + 1)
    out.append(("x + 1, 10 x float32", *per_call_pair(lambda: add_one(v), lambda: v + 1)))
    trusted = sg.function([x], x + 1)
    trusted.trust_input = True
    out.append(("x + 1, trust_input=True", *per_call_pair(lambda: trusted(v), lambda: v + 1)))

    d = np.arange(10, dtype="float64")
    xd = sg.dvector("x")
    for trust in (False, True):
        on_c, on_numpy = (sg.function([xd], xd + 1, backend=b) for b in ("c", "numpy"))
        assert on_c.backend == "c"
        np.testing.assert_array_equal(on_c(d), on_numpy(d))
        on_c.trust_input = on_numpy.trust_input = trust
        label = "x + 1, 10 x float64, C vs NumPy backend" + (", trusted" if trust else "")
        out.append((label, *per_call_pair(lambda f=on_c: f(d), lambda f=on_numpy: f(d))))

    params = mlp_weights()
    forward = compiled_forward(params)
    rng = np.random.default_rng(1)
    for batch in (128, 1):
        data = rng.normal(size=(batch, SIZES[0])).astype("float32")
        expected = numpy_forward(params, data)
        got = forward(data)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
        out.append((f"MLP 784-512-512-10 forward, batch {batch}",
                    *per_call_pair(lambda d=data: forward(d),
                                   lambda d=data: numpy_forward(params, d))))
    return out


def main() -> None:
    """Measure and print the table."""
    print(f"symgraph {sg.__version__}, NumPy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}; best of {REPEATS} repeats")
    table = rows()
    width = max(len(name) for name, _, _ in table)
    print(f"{'workload':<{width}}  {'symgraph':>10}  {'NumPy':>10}  {'ratio':>6}")
    for name, ours, theirs in table:
        print(f"{name:<{width}}  {ours * 1e6:8.2f}us  {theirs * 1e6:8.2f}us  "
              f"{ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
