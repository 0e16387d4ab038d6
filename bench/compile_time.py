"""How long compiling takes: the MLP train step from graph building to first result, in a
fresh process, with an empty and with a filled cache, next to PyTensor, torch.compile
and JAX; then pass by pass, and how the time grows with the graph.

    python -m bench.compile_time [--runs 3] [--peers /path/to/python] [--no-peers]

- fresh process: a new Python imports symgraph (shown apart), builds the 784-512-512-10
  train step graph (relu, softmax + categorical cross-entropy, SGD updates, float32),
  compiles it and computes one step on a batch of 128 -- "first result" is the time from
  graph building to that step's loss (the weights and the batch are in memory before the
  clock starts, in every script alike). symgraph's sources are byte-compiled first
  (`compileall`), as an installed package's are: this machine sets
  PYTHONDONTWRITEBYTECODE, under which every import would compile the sources again
  (the peers' pip-installed packages ship their .pyc files). cold: `$SYMGRAPH_CACHE_DIR`
  is an empty folder; warm: the folder a previous process filled (the whole-function
  cache skips the rewrite passes; symgraph/function_cache.py). Best of --runs processes.
- the same with the C backend (`SYMGRAPH_FLAGS=backend=c`): cold includes running the C
  compiler; warm finds the function's rewritten graph and its compiled library in the
  cache. The ratio columns are each row's time over the NumPy backend row's.
- peers (their own environment, --peers, default $BENCH_PEERS_PYTHON or
  /work/scratch/peers/bin/python; a missing one prints "peer X: not installed"): the same
  step in PyTensor (C backend; cold = empty compiledir), torch.compile (inductor; cold =
  empty TORCHINDUCTOR_CACHE_DIR) and JAX jit (cold = empty persistent compilation cache,
  warm = that cache filled).
- in one process: the same graph compiled again with the function cache off (best of
  7), split into the rewrite passes and code generation, with the graph size before
  and after rewriting;
- scaling: train steps of deeper MLPs (more layers, so more nodes): milliseconds per
  compile and microseconds per node, which should stay flat if the passes are linear.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence

import symgraph as sg
from bench.peers import ROOT, fresh_cold_warm, peer_has, peers_python
from symgraph.examples import init_mlp, mlp_sgd_graph
from symgraph.fgraph import FunctionGraph
from symgraph.graph import toposort
from symgraph.rewrite import rewrite_graph

SIZES = (784, 512, 512, 10)
BATCH = 128


def train_step_graph(sizes: Sequence[int] = SIZES):
    """(inputs, outputs, updates) of one SGD step of an MLP with these layer sizes."""
    params = [(w.astype("float32"), b.astype("float32"))
              for w, b in init_mlp(sizes, seed=0)]
    g = mlp_sgd_graph(params, lr=0.01)
    return g.inputs, [g.loss], g.updates


# Every script prints one JSON line: {"import": s, "first": s} (first = graph building
# to the first step's loss), and "hits" where the framework can say. The weights and the
# batch are made (NumPy's random module imported) before the clock starts, in every
# script alike: generating data is not compiling (numpy.random's import alone is 15-20 ms).
_DATA = """
def data():
    import numpy as np
    rng = np.random.default_rng(0)
    sizes = (784, 512, 512, 10)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        lim = np.sqrt(6.0 / (a + b))
        params += [rng.uniform(-lim, lim, (a, b)).astype(np.float32),
                   np.zeros(b, np.float32)]
    x = rng.random((128, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
    return params, x, y
"""

_OURS = _DATA + """
import time
t0 = time.perf_counter()
import symgraph as sg
from symgraph import cache
import os
def cpu():  # this process's CPU time and its children's (the C compiler)
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
ti = time.perf_counter()
params, x, y = data()
t1, c1 = time.perf_counter(), cpu()
from symgraph.examples import mlp_sgd_graph
g = mlp_sgd_graph(list(zip(params[::2], params[1::2])), lr=0.01)
f = sg.function(g.inputs, [g.loss], updates=g.updates)
loss = f(x, y)
t2, c2 = time.perf_counter(), cpu()
import json
print(json.dumps({"import": ti - t0, "first": t2 - t1, "cpu": c2 - c1, "loss": float(loss[0]),
                  "hits": cache.STATS["function_hits"]}))
"""

_PYTENSOR = _DATA + """
import time, json
t0 = time.perf_counter()
import pytensor
import pytensor.tensor as pt
ti = time.perf_counter()
params, xv, yv = data()
t1 = time.perf_counter()
x, y = pt.matrix("x", dtype="float32"), pt.matrix("y", dtype="float32")
shared = [pytensor.shared(p) for p in params]
h = x
for k in range(3):
    z = pt.dot(h, shared[2 * k]) + shared[2 * k + 1]
    h = pt.special.softmax(z, axis=1) if k == 2 else pt.maximum(z, 0)
loss = pt.mean(pt.nnet.categorical_crossentropy(h, y)) if hasattr(pt, "nnet") else \\
    -pt.mean(pt.sum(y * pt.log(h), axis=1))
grads = pytensor.grad(loss, shared)
f = pytensor.function([x, y], loss, updates=[(p, p - 0.01 * g) for p, g in zip(shared, grads)])
out = f(xv, yv)
t2 = time.perf_counter()
print(json.dumps({"import": ti - t0, "first": t2 - t1, "loss": float(out),
                  "linker": str(f.maker.linker)[:40]}))
"""

_TORCH = _DATA + """
import time, json
t0 = time.perf_counter()
import torch
ti = time.perf_counter()
params, xv, yv = data()
t1 = time.perf_counter()
ps = [torch.tensor(p, requires_grad=True) for p in params]
def loss_fn(x, y, *ps):
    h = x
    for k in range(3):
        z = h @ ps[2 * k] + ps[2 * k + 1]
        h = torch.log_softmax(z, dim=1) if k == 2 else torch.relu(z)
    return -(y * h).sum(dim=1).mean()
step = torch.compile(loss_fn)
x, y = torch.from_numpy(xv), torch.from_numpy(yv)
loss = step(x, y, *ps)
loss.backward()
with torch.no_grad():
    for p in ps:
        p -= 0.01 * p.grad
out = float(loss)
t2 = time.perf_counter()
print(json.dumps({"import": ti - t0, "first": t2 - t1, "loss": out}))
"""

_JAX = _DATA + """
import time, json, os
t0 = time.perf_counter()
import jax
import jax.numpy as jnp
jax.config.update("jax_compilation_cache_dir", os.environ["BENCH_JAX_CACHE"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
ti = time.perf_counter()
params, xv, yv = data()
t1 = time.perf_counter()
def loss_fn(ps, x, y):
    h = x
    for k in range(3):
        z = h @ ps[2 * k] + ps[2 * k + 1]
        h = jax.nn.log_softmax(z, axis=1) if k == 2 else jax.nn.relu(z)
    return -(y * h).sum(axis=1).mean()
@jax.jit
def step(ps, x, y):
    loss, g = jax.value_and_grad(loss_fn)(ps, x, y)
    return loss, [p - 0.01 * d for p, d in zip(ps, g)]
loss, ps = step([jnp.asarray(p) for p in params], jnp.asarray(xv), jnp.asarray(yv))
out = float(loss)
t2 = time.perf_counter()
print(json.dumps({"import": ti - t0, "first": t2 - t1, "loss": out}))
"""

# name, script, {env var: the cache folder}
PEERS = [("PyTensor (C)", "pytensor", _PYTENSOR, "PYTENSOR_FLAGS"),
         ("torch.compile", "torch", _TORCH, "TORCHINDUCTOR_CACHE_DIR"),
         ("JAX jit", "jax", _JAX, "BENCH_JAX_CACHE")]


def fresh_process(python: str, script: str, cache_env: str, runs: int, flags: str = ""
                  ) -> tuple[dict, dict]:
    """Best (cold, warm) results of `runs` fresh processes each: cold with an empty cache
    folder every time, warm with the folder a first process filled."""
    def env_for(folder: str) -> dict[str, str]:
        if cache_env == "PYTENSOR_FLAGS":
            return {cache_env: f"base_compiledir={folder},floatX=float32"}
        if cache_env == "SYMGRAPH_CACHE_DIR":
            return {cache_env: folder, "SYMGRAPH_FLAGS": flags}
        return {cache_env: folder}

    return fresh_cold_warm(python, script, env_for, runs)


def in_process(ins, outs, ups, repeats: int = 7) -> tuple[float, dict[str, float], int, int]:
    """Best whole-compile time (function cache off), best time per pass, nodes before
    and after rewriting."""
    best_total = float("inf")
    per_pass: dict[str, float] = {}
    for _ in range(repeats):
        with sg.config.change(function_cache=False):
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", default=peers_python())
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    import compileall
    compileall.compile_dir(str(ROOT / "symgraph"), quiet=1)
    print(f"Compile time of the MLP 784-512-512-10 SGD train step, batch {BATCH}, float32 "
          f"(load average {load:.2f} at start)")
    print("fresh process, graph building to first result (import shown apart), "
          f"best of {args.runs}")
    print(f"{'':28}{'import ms':>10}{'cold ms':>10}{'warm ms':>10}{'cold/ours':>10}"
          f"{'warm/ours':>10}")
    cold, warm = fresh_process(sys.executable, _OURS, "SYMGRAPH_CACHE_DIR", args.runs,
                               "backend=numpy")
    assert warm["hits"] == 1 and cold["hits"] == 0, (cold, warm)
    print(f"{'symgraph (numpy backend)':28}{cold['import'] * 1e3:10.0f}"
          f"{cold['first'] * 1e3:10.1f}{warm['first'] * 1e3:10.1f}{1:10.2f}{1:10.2f}"
          f"   (CPU: cold {cold['cpu'] * 1e3:.1f}, warm {warm['cpu'] * 1e3:.1f} ms)")
    try:
        cc, cw = fresh_process(sys.executable, _OURS, "SYMGRAPH_CACHE_DIR", args.runs,
                               "backend=c")
        print(f"{'symgraph (C backend)':28}{cc['import'] * 1e3:10.0f}"
              f"{cc['first'] * 1e3:10.1f}{cw['first'] * 1e3:10.1f}"
              f"{cc['first'] / cold['first']:10.2f}{cw['first'] / warm['first']:10.2f}"
              f"   (CPU: cold {cc['cpu'] * 1e3:.1f}, warm {cw['cpu'] * 1e3:.1f} ms)")
    except RuntimeError as e:
        print(f"symgraph (C backend): not available ({e})")
    for label, module, script, env in PEERS:
        if args.no_peers:
            print(f"peer {label}: skipped (--no-peers)")
            continue
        if not peer_has(args.peers, module):
            print(f"peer {label}: not installed")
            continue
        try:
            pc, pw = fresh_process(args.peers, script, env, max(1, args.runs - 1))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"peer {label}: failed ({e})")
            continue
        print(f"{label:28}{pc['import'] * 1e3:10.0f}{pc['first'] * 1e3:10.1f}"
              f"{pw['first'] * 1e3:10.1f}{pc['first'] / cold['first']:10.2f}"
              f"{pw['first'] / warm['first']:10.2f}")
    print()
    ins, outs, ups = train_step_graph()
    total, per_pass, before, after = in_process(ins, outs, ups)
    rewrite_total = sum(per_pass.values())
    print("In one process, function cache off (best of 7)")
    print(f"{'':40}{'ms':>10}")
    print(f"{'compile':40}{total * 1e3:10.1f}")
    for name, t in per_pass.items():
        print(f"{'  pass ' + name:40}{t * 1e3:10.2f}")
    print(f"{'  clone, code generation, checks':40}{(total - rewrite_total) * 1e3:10.2f}")
    print(f"graph size: {before} nodes before rewriting, {after} after")
    print()
    print("Scaling: train steps of deeper MLPs (hidden layers of 64), function cache off")
    print(f"{'hidden layers':>14}{'nodes before':>14}{'nodes after':>13}{'compile ms':>12}"
          f"{'us / node':>11}")
    for depth in (2, 8, 32, 128):
        sizes = (32,) + (64,) * depth + (10,)
        ins, outs, ups = train_step_graph(sizes)
        t, _, n0, n1 = in_process(ins, outs, ups, repeats=3)
        print(f"{depth:14d}{n0:14d}{n1:13d}{t * 1e3:12.1f}{t / n0 * 1e6:11.1f}")


if __name__ == "__main__":
    main()
