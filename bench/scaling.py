"""How compile time and memory grow with the size of the graph: four families up to 10^5
nodes, with a fitted exponent each.

    python -m bench.scaling [--quick] [--reference PYTHON]

Families (n = Apply nodes of the graph handed to `sg.function`, gradients included):

- elementwise chain: tanh applied k times to a vector (fused into one kernel; its
  readable text used to be quadratic in k: 40,000 steps took 4.7 GB);
- sum gradient: the gradient of sum_i exp(x * c_i) * i (its rewrite used to re-visit
  every user of a shared shape after each rewrite: 37 s at 10,000 terms);
- constant folding: x plus k constant subexpressions exp(c_i * 0.001) * 2, all folded;
- keras Sequential: the train function of an n-layer keras_front Sequential (Dense(8)
  and Activation('relu') in turn, SGD, mse), built by `bench.keras_scaling.sequential`;
  building the model itself is measured by `bench.keras_scaling`.

Each size runs in a fresh process: the graph is built, then `sg.function` is timed (the
process's CPU time, best of 2: on a shared machine wall time mostly measures the
neighbours) and run again under tracemalloc for its peak of traced memory. The fitted
exponent is the least-squares slope of log(time) and log(peak) over log(n) on the three
largest sizes; the targets are time growing at most as n^1.2 and memory at most linearly
(<= 1.05 allows for noise). With --reference, the symgraph families also run in another
Python with PyTensor (Theano's successor; `py` linker, FAST_RUN rewrites) at the three
smallest sizes, for comparison.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from bench.keras_scaling import fitted_exponent
from bench.peers import ROOT, run_json

TIME_TARGET, MEMORY_TARGET = 1.2, 1.05
# family -> sizes of its parameter (steps, terms, constants, layers): ~3,000 to ~100,000 nodes
SIZES = {
    "elementwise chain": (6250, 12500, 25000, 50000, 100000),
    "sum gradient": (500, 1000, 2000, 4000, 8000),
    "constant folding": (1250, 2500, 5000, 10000, 20000),
    "keras Sequential": (500, 1000, 2000, 4000, 8000),
}


# ---------------------------------------------------------------- the workloads


def chain(k: int) -> tuple[list, Any, Any]:
    """(inputs, outputs, updates): tanh applied k times."""
    import symgraph as sg
    x = sg.dvector("x")
    y = x
    for _ in range(k):
        y = sg.tanh(y)
    return [x], y, None


def sum_gradient(k: int) -> tuple[list, Any, Any]:
    """The gradient of sum_i exp(x * c_i) * i, i < k."""
    import numpy as np

    import symgraph as sg
    x = sg.dvector("x")
    total = 0
    for i, c in enumerate(np.linspace(0.0, 1.0, k)):
        total = total + sg.exp(x * c) * i
    return [x], sg.grad(sg.sum(total), x), None


def constant_folding(k: int) -> tuple[list, Any, Any]:
    """x plus k constant subexpressions, each folded to one number."""
    import symgraph as sg
    x = sg.dvector("x")
    y = x
    for i in range(k):
        y = y + sg.exp(sg.constant(float(i)) * 0.001) * 2.0
    return [x], y, None


def keras_sequential(k: int) -> tuple[list, Any, Any]:
    """The inputs, outputs and updates of an n-layer Sequential's train function (what
    `_make_train_function` hands to symgraph)."""
    from bench.keras_scaling import sequential
    from keras_front import optimizers
    model = sequential(k)
    model.compile(optimizer="sgd", loss="mse")
    inputs = model.inputs + model.targets + model.sample_weights + model._phase_inputs()
    updates = model.updates + list(optimizers.collect_updates(
        model.optimizer, model._collected_trainable_weights, model.constraints,
        model.total_loss))
    return inputs, [model.total_loss, *model.metrics_tensors], updates


FAMILIES: dict[str, Callable[[int], tuple[list, Any, Any]]] = {
    "elementwise chain": chain, "sum gradient": sum_gradient,
    "constant folding": constant_folding, "keras Sequential": keras_sequential,
}


def measure(family: str, k: int) -> dict[str, float]:
    """{nodes, seconds, peak bytes} of compiling `family` at size k (a fresh process)."""
    import symgraph as sg
    from symgraph.graph import as_list, toposort
    ins, outs, updates = FAMILIES[family](k)
    values = as_list(outs) + [v for _, v in (updates.items() if isinstance(updates, dict)
                                             else updates or [])]
    nodes = len(toposort(values))
    seconds = math.inf
    for _ in range(2):
        gc.collect()
        start = time.process_time()
        sg.function(ins, outs, updates=updates, on_unused_input="ignore")
        seconds = min(seconds, time.process_time() - start)
    gc.collect()
    tracemalloc.start()
    sg.function(ins, outs, updates=updates, on_unused_input="ignore")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"nodes": nodes, "seconds": seconds, "peak": peak}


# ---------------------------------------------------------------- the reference

_REFERENCE = """
import json, sys, time
import numpy as np
import pytensor, pytensor.tensor as pt
from pytensor.compile.mode import Mode
sys.setrecursionlimit(100000)  # PyTensor's grad and rewrites recurse along the graph
family, k = sys.argv[1], int(sys.argv[2])
x = pt.dvector("x")
if family == "elementwise chain":
    y = x
    for _ in range(k):
        y = pt.tanh(y)
elif family == "sum gradient":
    total = 0
    for i, c in enumerate(np.linspace(0.0, 1.0, k)):
        total = total + pt.exp(x * c) * i
    y = pytensor.grad(pt.sum(total), x)
else:
    y = x
    for i in range(k):
        y = y + pt.exp(pt.constant(float(i)) * 0.001) * 2.0
start = time.process_time()
pytensor.function([x], y, mode=Mode(linker="py", optimizer="fast_run"))
print(json.dumps({"version": pytensor.__version__, "seconds": time.process_time() - start}))
"""


def reference(python: str, family: str, k: int) -> dict[str, Any]:
    """PyTensor's compile time for `family` at size k, run by `python`."""
    try:
        return run_json(python, ["-c", _REFERENCE, family, str(k)], timeout=3600)
    except RuntimeError as e:
        return {"error": str(e)[:80]}


# ---------------------------------------------------------------- the table


def _run(family: str, sizes: tuple[int, ...]) -> list[dict[str, float]]:
    out = []
    for k in sizes:
        done = subprocess.run([sys.executable, "-m", "bench.scaling", "--worker", family,
                               str(k)], capture_output=True, text=True, cwd=ROOT, check=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes / 8 (a smoke run)")
    parser.add_argument("--reference", help="a Python with PyTensor installed")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker[0], int(args.worker[1]))))
        return
    import numpy as np
    print(f"symgraph compile-time scaling; NumPy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores; one "
          f"fresh process per size; CPU seconds (best of 2) and peak traced MB of "
          f"sg.function")
    print(f"\n{'family':18}{'nodes':>8}{'CPU s':>9}{'us/node':>9}{'peak MB':>9}"
          f"{'B/node':>8}")
    summary = []
    for family, sizes in SIZES.items():
        sizes = tuple(max(4, s // 8) for s in sizes) if args.quick else sizes
        rows = _run(family, sizes)
        for r in rows:
            print(f"{family:18}{r['nodes']:>8}{r['seconds']:>9.2f}"
                  f"{1e6 * r['seconds'] / r['nodes']:>9.1f}{r['peak'] / 2**20:>9.1f}"
                  f"{r['peak'] / r['nodes']:>8.0f}")
        nodes = [r["nodes"] for r in rows[-3:]]
        kt = fitted_exponent(nodes, [r["seconds"] for r in rows[-3:]])
        km = fitted_exponent(nodes, [r["peak"] for r in rows[-3:]])
        summary.append((family, kt, km, sizes, rows))
    print(f"\n{'family':18}{'time exponent':>16}{'memory exponent':>18}   (targets <= "
          f"{TIME_TARGET}, <= {MEMORY_TARGET}; three largest sizes)")
    for family, kt, km, _, _ in summary:
        print(f"{family:18}{kt:>10.2f} {'met' if kt <= TIME_TARGET else 'MISSED':>5}"
              f"{km:>12.2f} {'met' if km <= MEMORY_TARGET else 'MISSED':>5}")
    if args.reference:
        print("\nPyTensor reference (py linker, FAST_RUN), CPU seconds of pytensor.function:")
        for family, _, _, sizes, rows in summary:
            if family == "keras Sequential":
                continue
            for k, r in zip(sizes[:3], rows[:3], strict=True):
                ref = reference(args.reference, family, k)
                theirs = f"{ref['seconds']:9.2f}" if "seconds" in ref else ref["error"]
                ratio = f"{ref['seconds'] / r['seconds']:7.1f}x" if "seconds" in ref else ""
                print(f"{family:18}{r['nodes']:>8}  symgraph {r['seconds']:7.2f}  PyTensor "
                      f"{theirs}  {ratio}")


if __name__ == "__main__":
    main()
