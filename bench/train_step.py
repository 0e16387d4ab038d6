"""One SGD train step of the 784-512-512-10 MLP (batch 128, float32): symgraph vs NumPy.

    python -m bench.train_step

The compiled step is ONE function (forward + backward + update, with updates). We check
it does no more floating-point work than the hand-written NumPy step: we count the
matrix products and the multiply-adds in them by running the compiled graph node by
node, and compare with the hand-written step's 8 products (3 forward, 3 weight
gradients, 2 back-propagations -- none with respect to the input data).
"""

from __future__ import annotations

import timeit
from collections import Counter

import numpy as np

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


if __name__ == "__main__":
    main()
