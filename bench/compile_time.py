"""How long compiling takes: the MLP train step, cold and warm, pass by pass; and how the
time grows with the graph.

    python -m bench.compile_time

- cold: a fresh Python process imports symgraph, builds the 784-512-512-10 train step
  graph (relu, softmax + categorical cross-entropy, SGD updates) and compiles it; best of
  3 processes, import time shown apart;
- warm: the same graph compiled again in one process (best of 7), split into the rewrite
  passes and code generation, with the graph size before and after rewriting;
- scaling: train steps of deeper MLPs (more layers, so more nodes): milliseconds per
  compile and microseconds per node, which should stay flat if the passes are linear.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence

import symgraph as sg
from symgraph.examples import init_mlp, mlp_sgd_graph
from symgraph.fgraph import FunctionGraph
from symgraph.graph import toposort
from symgraph.rewrite import rewrite_graph

SIZES = (784, 512, 512, 10)


def train_step_graph(sizes: Sequence[int] = SIZES):
    """(inputs, outputs, updates) of one SGD step of an MLP with these layer sizes."""
    params = [(w.astype("float32"), b.astype("float32"))
              for w, b in init_mlp(sizes, seed=0)]
    g = mlp_sgd_graph(params, lr=0.01)
    return g.inputs, [g.loss], g.updates


_COLD = """
import time
t0 = time.perf_counter()
import symgraph as sg
t1 = time.perf_counter()
from bench.compile_time import train_step_graph
ins, outs, ups = train_step_graph()
t2 = time.perf_counter()
sg.function(ins, outs, updates=ups)
t3 = time.perf_counter()
import json
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "compile": t3 - t2}))
"""


def cold(runs: int = 3) -> dict[str, float]:
    """Best times of a fresh process: import, graph building, first compile."""
    best: dict[str, float] = {}
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True,
                             check=True)
        for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items():
            best[k] = min(best.get(k, float("inf")), v)
    return best


def warm(ins, outs, ups, repeats: int = 7) -> tuple[float, dict[str, float], int, int]:
    """Best whole-compile time, best time per pass, nodes before and after rewriting."""
    best_total = float("inf")
    per_pass: dict[str, float] = {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        f = sg.function(ins, outs, updates=ups)
        best_total = min(best_total, time.perf_counter() - t0)
        values = list(f.original[1])
        fgraph = FunctionGraph(ins, values)
        marks = [time.perf_counter()]
        names: list[str] = []

        def after(name, fg, log, marks=marks, names=names):
            marks.append(time.perf_counter())
            names.append(name)

        rewrite_graph(fgraph, "fast_run", after_pass=after)
        for name, a, b in zip(names, marks, marks[1:], strict=False):
            per_pass[name] = min(per_pass.get(name, float("inf")), b - a)
    before = len(toposort(list(f.original[1])))
    return best_total, per_pass, before, len(f.fgraph)


def main() -> None:
    ins, outs, ups = train_step_graph()
    c = cold()
    total, per_pass, before, after = warm(ins, outs, ups)
    rewrite_total = sum(per_pass.values())
    print("Compile time of the MLP 784-512-512-10 SGD train step (one function, updates)")
    print(f"{'':40}{'ms':>10}")
    print(f"{'cold: import symgraph':40}{c['import'] * 1e3:10.1f}")
    print(f"{'cold: build the graph (incl. grad)':40}{c['build'] * 1e3:10.1f}")
    print(f"{'cold: first compile':40}{c['compile'] * 1e3:10.1f}")
    print(f"{'warm: compile':40}{total * 1e3:10.1f}")
    for name, t in per_pass.items():
        print(f"{'  pass ' + name:40}{t * 1e3:10.2f}")
    print(f"{'  clone, code generation, checks':40}{(total - rewrite_total) * 1e3:10.2f}")
    print(f"graph size: {before} nodes before rewriting, {after} after")
    print()
    print("Scaling: train steps of deeper MLPs (hidden layers of 64)")
    print(f"{'hidden layers':>14}{'nodes before':>14}{'nodes after':>13}{'compile ms':>12}"
          f"{'us / node':>11}")
    for depth in (2, 8, 32, 128):
        sizes = (32,) + (64,) * depth + (10,)
        ins, outs, ups = train_step_graph(sizes)
        t, _, n0, n1 = warm(ins, outs, ups, repeats=3)
        print(f"{depth:14d}{n0:14d}{n1:13d}{t * 1e3:12.1f}{t / n0 * 1e6:11.1f}")


if __name__ == "__main__":
    main()
