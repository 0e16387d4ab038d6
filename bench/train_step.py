"""One SGD train step of the 784-512-512-10 MLP (batch 128, float32): symgraph vs NumPy.

    python -m bench.train_step

The compiled step is ONE function (forward + backward + update, with updates). We check
it does no more floating-point work than the hand-written NumPy step: we count the
matrix products and the multiply-adds in them by running the compiled graph node by
node, and compare with the hand-written step's 8 products (3 forward, 3 weight
gradients, 2 back-propagations -- none with respect to the input data).

Second table (issue 9): the step on the NumPy and the C backend against its 8 GEMMs
alone (the BLAS bound: the same products on the same shapes, nothing else), and the C
backend's compile time in a fresh process from graph building to the first result, with
an empty cache (cold) and a filled one (warm).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import timeit
from collections import Counter

import numpy as np

import symgraph as sg
from symgraph.examples import build_mlp_sgd, init_mlp, numpy_mlp_sgd
from symgraph.graph import Constant, SharedVariable

SIZES = (784, 512, 512, 10)
BATCH = 128


def _graph_work(fn, args):
    """Run the compiled graph node by node: (op counts, matmul multiply-adds, elementwise
    element count, duplicated (op, inputs) pairs)."""
    values = dict(zip(fn.fgraph.inputs, args, strict=True))
    counts: Counter = Counter()
    macs = 0
    elems = 0
    seen: set = set()
    dups = 0
    for node in fn.fgraph.toposort():
        ins = []
        for v in node.inputs:
            if isinstance(v, Constant):
                ins.append(v.data)
            elif isinstance(v, SharedVariable):
                ins.append(v.container.value)
            else:
                ins.append(values[v])
        out = node.op.perform(node, *ins)
        outs = out if len(node.outputs) > 1 else [out]
        for v, o in zip(node.outputs, outs, strict=True):
            values[v] = o
        name = getattr(node.op, "name", type(node.op).__name__)
        name = "gemm" if name.startswith("gemm") else name  # gemm or gemm_inplace
        counts[name] += 1
        if name in ("dot", "gemm", "matmul"):
            a, b = (np.asarray(x) for x in ins[-2:]) if name != "gemm" else \
                (np.asarray(ins[2]), np.asarray(ins[3]))
            macs += a.size * (b.shape[-1] if b.ndim > 1 else 1)
        elif hasattr(node.op, "scalar") or name == "composite":
            elems += int(np.size(outs[0]))
        key = (node.op, tuple(node.inputs))
        if not getattr(node.op, "nondeterministic", False):
            dups += key in seen
            seen.add(key)
    return counts, macs, elems, dups


_FRESH = r"""
import time
t0 = time.perf_counter()
import numpy as np
import symgraph as sg
from symgraph.examples import build_mlp_sgd, init_mlp
rng = np.random.default_rng(0)
x = rng.random((128, 784), dtype=np.float32)
y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
t1 = time.perf_counter()
with sg.config.change(backend="c"):
    step = build_mlp_sgd(init_mlp((784, 512, 512, 10), seed=1, dtype="float32"), lr=0.01)
step.train(x, y)
t2 = time.perf_counter()
assert step.train.backend == "c"
print(t2 - t1, t1 - t0)
"""


def fresh_compile_seconds(cache_dir: str) -> tuple[float, float]:
    """Graph building + compiling + first call of the C-backend step in a new process:
    (wall seconds, CPU seconds of the process and the compiler it ran, imports included;
    the CPU time does not grow when other processes share the cores)."""
    env = dict(os.environ, SYMGRAPH_CACHE_DIR=cache_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", _FRESH], env=env, capture_output=True,
                         text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(out.stdout.split()[0]), cpu


def gemm_time(x: np.ndarray, repeats: int = 7) -> float:
    """The step's 8 matrix products alone, on the same shapes and dtype."""
    rng = np.random.default_rng(2)
    w = [rng.random(s, dtype=np.float32) for s in ((784, 512), (512, 512), (512, 10))]
    h1, h2 = (rng.random((BATCH, 512), dtype=np.float32) for _ in range(2))
    d3 = rng.random((BATCH, 10), dtype=np.float32)
    d2 = rng.random((BATCH, 512), dtype=np.float32)

    def products() -> None:
        np.dot(x, w[0]), np.dot(h1, w[1]), np.dot(h2, w[2])          # forward
        np.dot(h2.T, d3), np.dot(h1.T, d2), np.dot(x.T, d2)          # weight gradients
        np.dot(d3, w[2].T), np.dot(d2, w[1].T)                       # back-propagation
    return min(timeit.repeat(products, number=20, repeat=repeats)) / 20


def backend_table(x: np.ndarray, y: np.ndarray) -> None:
    """Step time per backend as a multiple of the 8 GEMMs; compile times (issue 9)."""
    steps = {}
    for backend in ("numpy", "c"):
        with sg.config.change(backend=backend):
            step = build_mlp_sgd(init_mlp(SIZES, seed=1, dtype="float32"), lr=0.01)
        step.train.trust_input = True
        steps[backend] = step.train
    gemms = gemm_time(x)
    times = {}
    for _ in range(3):  # interleaved, best of all: both see the same machine load
        for backend, fn in steps.items():
            t = min(timeit.repeat(lambda fn=fn: fn(x, y), number=20, repeat=3)) / 20
            times[backend] = min(times.get(backend, t), t)
        gemms = min(gemms, gemm_time(x, repeats=3))
    print(f"\nStep time against its 8 GEMMs alone (BLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}, load average {os.getloadavg()[0]:.2f})")
    print(f"{'':32}{'ms':>10}{'x GEMMs':>10}")
    print(f"{'8 GEMMs alone':32}{gemms * 1e3:10.3f}{1:10.2f}")
    for backend, t in times.items():
        print(f"{'step, ' + backend + ' backend':32}{t * 1e3:10.3f}{t / gemms:10.2f}")
    with tempfile.TemporaryDirectory() as d:
        cold = fresh_compile_seconds(d)
        warm = min(fresh_compile_seconds(d) for _ in range(3))
    print(f"C backend, fresh process, graph to first result: cold cache {cold[0] * 1e3:.0f} "
          f"ms, warm cache {warm[0] * 1e3:.0f} ms (CPU time of the whole process with the "
          f"compiler, imports included: {cold[1] * 1e3:.0f} ms / {warm[1] * 1e3:.0f} ms)")


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], BATCH)]
    params = init_mlp(SIZES, seed=1, dtype="float32")
    step = build_mlp_sgd(params, lr=0.01)
    ref = [[w.copy(), b.copy()] for w, b in params]

    counts, macs, elems, dups = _graph_work(step.train, [x, y])
    hand_macs = BATCH * (784 * 512 + 512 * 512 + 512 * 10) * 3 - BATCH * 784 * 512
    gemms = counts["dot"] + counts["gemm"] + counts["matmul"]

    ours = min(timeit.repeat(lambda: step.train(x, y), number=20, repeat=5)) / 20
    theirs = min(timeit.repeat(lambda: numpy_mlp_sgd(ref, x, y, 0.01), number=20,
                               repeat=5)) / 20
    step.train.trust_input = True
    trusted = min(timeit.repeat(lambda: step.train(x, y), number=20, repeat=5)) / 20

    print("SGD train step, MLP 784-512-512-10, batch 128, float32 (one compiled function)")
    print(f"{'':32}{'symgraph':>12}{'NumPy by hand':>16}{'ratio':>8}")
    print(f"{'time per step (ms)':32}{ours * 1e3:12.3f}{theirs * 1e3:16.3f}"
          f"{ours / theirs:8.2f}")
    print(f"{'  with trust_input (ms)':32}{trusted * 1e3:12.3f}{theirs * 1e3:16.3f}"
          f"{trusted / theirs:8.2f}")
    print(f"{'matrix products (GEMMs)':32}{gemms:12d}{8:16d}")
    print(f"{'  of which fused gemm':32}{counts['gemm']:12d}")
    print(f"{'matmul multiply-adds (M)':32}{macs / 1e6:12.1f}{hand_macs / 1e6:16.1f}"
          f"{macs / hand_macs:8.2f}")
    print(f"{'elementwise elements (K)':32}{elems / 1e3:12.1f}")
    print(f"{'duplicated subexpressions':32}{dups:12d}")
    print(f"{'nodes in the compiled graph':32}{len(step.train.fgraph.apply_nodes):12d}")
    print("ops:", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    backend_table(x, y)


if __name__ == "__main__":
    main()
