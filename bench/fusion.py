"""A chain of 8 elementwise ops, fused into one kernel, against plain NumPy.

    python -m bench.fusion

    out = sqrt(tanh(exp(x * y + 1) - y) * 0.5 + 1)       (8 ops, float64)

on 10^6 and 10^7 elements. Rows: plain NumPy (every op allocates a temporary), the
compiled function (fast_run: one Composite kernel writing every step into one buffer),
the compiled function without fusion (8 NumPy calls, the in-place pass reusing buffers),
and NumPy written by hand with `out=` (the best one can do from Python). Time is the
best of several interleaved repeats; peak memory is what `tracemalloc` sees NumPy
allocate during one call (the inputs exist before, the output is counted).
"""

from __future__ import annotations

import timeit
import tracemalloc
from collections.abc import Callable

import numpy as np

import symgraph as sg

SIZES = (10 ** 6, 10 ** 7)
REPEATS = 7


def chain8(x, y):
    """The 8-op chain, written once for symbolic and for NumPy arrays."""
    t = np.exp(x * y + 1.0)
    t = np.tanh(t - y) * 0.5
    return np.sqrt(t + 1.0)


def by_hand(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The chain with one buffer and `out=`, as a careful NumPy user would write it."""
    out = np.multiply(x, y)
    np.add(out, 1.0, out=out)
    np.exp(out, out=out)
    np.subtract(out, y, out=out)
    np.tanh(out, out=out)
    np.multiply(out, 0.5, out=out)
    np.add(out, 1.0, out=out)
    return np.sqrt(out, out=out)


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak memory NumPy allocates during one call of fn."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del result
    return peak


def best_times(fns: list[Callable[[], object]], repeats: int = REPEATS) -> list[float]:
    """Best time per call of each function (calls batched to about 50 ms per timing),
    repeats interleaved so that every variant sees the same machine load."""
    timers = [timeit.Timer(fn) for fn in fns]
    numbers = [max(1, int(0.05 / max(t.timeit(1), 1e-6))) for t in timers]
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, (timer, number) in enumerate(zip(timers, numbers, strict=True)):
            best[k] = min(best[k], timer.timeit(number) / number)
    return best


def main() -> None:
    xs, ys = sg.dvector("x"), sg.dvector("y")
    fused = sg.function([xs, ys], chain8(xs, ys))
    unfused = sg.function([xs, ys], chain8(xs, ys), exclude=["fusion"])
    assert len(fused.graph.apply_nodes) == 1
    print("8-op elementwise chain, float64: sqrt(tanh(exp(x*y + 1) - y) * 0.5 + 1)")
    print(f"{'elements':>10} {'variant':<30}{'ms':>9}{'vs NumPy':>10}{'peak MB':>9}"
          f"{'vs NumPy':>10}")
    rng = np.random.default_rng(0)
    for n in SIZES:
        x, y = rng.random(n), rng.random(n)
        np.testing.assert_allclose(fused(x, y), chain8(x, y), rtol=1e-14)
        variants = [(label, lambda fn=fn, x=x, y=y: fn(x, y)) for label, fn in (
            ("NumPy", chain8), ("symgraph (fused kernel)", fused),
            ("symgraph, exclude=['fusion']", unfused), ("NumPy by hand with out=", by_hand))]
        times = best_times([fn for _, fn in variants])
        peaks = [peak_bytes(fn) for _, fn in variants]
        for (label, _), t, p in zip(variants, times, peaks, strict=True):
            print(f"{n:>10.0e} {label:<30}{t * 1e3:9.2f}{t / times[0]:10.2f}"
                  f"{p / 2 ** 20:9.1f}{p / peaks[0]:10.2f}")
    print()
    print(fused.source)


if __name__ == "__main__":
    main()
