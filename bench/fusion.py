"""A chain of 8 elementwise ops, fused into one kernel, against plain NumPy; and the
issue-9 chain on the C backend against every peer.

    python -m bench.fusion

    out = sqrt(tanh(exp(x * y + 1) - y) * 0.5 + 1)       (8 ops, float64)

on 10^6 and 10^7 elements. Rows: plain NumPy (every op allocates a temporary), the
compiled function (fast_run: one Composite kernel writing every step into one buffer),
the compiled function without fusion (8 NumPy calls, the in-place pass reusing buffers),
and NumPy written by hand with `out=` (the best one can do from Python). Time is the
best of several interleaved repeats; peak memory is what `tracemalloc` sees NumPy
allocate during one call (the inputs exist before, the output is counted).

Second table (issue 9): exp(-x*x)*tanh(y) + 1/(1+exp(-x*y)) - log1p(x*x) on 10^7
float64, plain NumPy against symgraph's NumPy backend, its C backend (one C loop, SIMD
math, both cores), and the peers run in a subprocess with $BENCH_PEERS_PYTHON (default
/work/scratch/peers/bin/python): JAX jit, torch.compile, numexpr, PyTensor (C backend).
Times are best-of-7 per call, ratios are NumPy's time over the row's (higher = faster).
"""

from __future__ import annotations

import os
import sys
import timeit
import tracemalloc
from collections.abc import Callable

import numpy as np

import symgraph as sg
from bench.peers import peers_python, run_json

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


CHAIN_N = 10 ** 7
PEERS = peers_python()
_PEER_SCRIPT = r"""
import json, sys, time, timeit
import numpy as np
n = int(sys.argv[1])
r = np.random.default_rng(0)
x, y = r.normal(size=n), r.normal(size=n)
def best(fn):
    fn(); return min(timeit.repeat(fn, number=1, repeat=7))
out = {}
try:
    import jax, jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    f = jax.jit(lambda x, y: jnp.exp(-x*x)*jnp.tanh(y) + 1/(1+jnp.exp(-x*y)) - jnp.log1p(x*x))
    jx, jy = jnp.asarray(x), jnp.asarray(y)
    out["JAX jit"] = best(lambda: f(jx, jy).block_until_ready())
except Exception as e:
    out["JAX jit"] = repr(e)
try:
    import torch
    tf = torch.compile(lambda x, y: torch.exp(-x*x)*torch.tanh(y) + 1/(1+torch.exp(-x*y))
                       - torch.log1p(x*x))
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    out["torch.compile"] = best(lambda: tf(tx, ty))
except Exception as e:
    out["torch.compile"] = repr(e)
try:
    import numexpr
    out["numexpr"] = best(lambda: numexpr.evaluate(
        "exp(-x*x)*tanh(y) + 1/(1+exp(-x*y)) - log1p(x*x)"))
except Exception as e:
    out["numexpr"] = repr(e)
try:
    import pytensor, pytensor.tensor as pt
    a, b = pt.dvector("a"), pt.dvector("b")
    pf = pytensor.function([a, b], pt.exp(-a*a)*pt.tanh(b) + 1/(1+pt.exp(-a*b)) - pt.log1p(a*a))
    out["PyTensor (C)"] = best(lambda: pf(x, y))
except Exception as e:
    out["PyTensor (C)"] = repr(e)
print(json.dumps(out))
"""


def issue_chain(x, y):
    """exp(-x*x)*tanh(y) + 1/(1+exp(-x*y)) - log1p(x*x), for symbolic or NumPy arrays."""
    return np.exp(-x * x) * np.tanh(y) + 1 / (1 + np.exp(-x * y)) - np.log1p(x * x)


def peer_times(n: int) -> dict[str, float | str]:
    """{peer: seconds per call, or why it is missing}, measured in the peers' Python."""
    if not os.path.exists(PEERS):
        return {p: "not installed" for p in ("JAX jit", "torch.compile", "numexpr",
                                               "PyTensor (C)")}
    try:
        return run_json(PEERS, ["-c", _PEER_SCRIPT, str(n)], timeout=1800)
    except RuntimeError as e:
        return {"peers": f"failed: {e}"}


def chain_table() -> None:
    """The issue-9 chain: NumPy, symgraph's two backends, the peers (one run)."""
    xs, ys = sg.dvector("x"), sg.dvector("y")
    on_numpy = sg.function([xs, ys], issue_chain(xs, ys), backend="numpy")
    on_c = sg.function([xs, ys], issue_chain(xs, ys), backend="c")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=CHAIN_N), rng.normal(size=CHAIN_N)
    np.testing.assert_allclose(on_c(x, y), issue_chain(x, y), rtol=1e-9, atol=1e-12)
    rows = [("NumPy", lambda: issue_chain(x, y)),
            ("symgraph, NumPy backend", lambda: on_numpy(x, y)),
            ("symgraph, C backend", lambda: on_c(x, y))]
    times = best_times([fn for _, fn in rows])
    results: list[tuple[str, float | str]] = list(zip([r for r, _ in rows], times,
                                                      strict=True))
    results += list(peer_times(CHAIN_N).items())
    print(f"exp(-x*x)*tanh(y) + 1/(1+exp(-x*y)) - log1p(x*x), {CHAIN_N:.0e} float64, "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    print(f"{'variant':<28}{'ms':>9}{'speed-up vs NumPy':>20}")
    for label, t in results:
        if isinstance(t, str):
            print(f"{label:<28}{'':>9}  {t}")
        else:
            print(f"{label:<28}{t * 1e3:9.2f}{times[0] / t:20.2f}")


def main() -> None:
    if "--chain" not in sys.argv:
        eight_op_table()
        print()
    chain_table()


def eight_op_table() -> None:
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
