"""Data-parallel training over MPI: 1 vs 2 ranks, and what the gradient allreduce costs.

    python -m bench.distributed [--samples 8192] [--repeats 3]

Runs itself under `mpiexec -n 1` and `mpiexec -n 2` (the mpiexec beside Python, from the
`distributed` extra) and prints three tables:

1. Scaling (weak: batch 32 per rank, so 2 ranks train on global batches of 64): samples
   per second of `model.fit` epochs (best of --repeats, after a warm-up epoch) and the
   parallel efficiency sps(2) / (2 x sps(1)), for the seeds' MNIST MLP (seed 003:
   784-128-128-128-10 with dropout, 135k parameters), the 784-512-512-10 MLP (669k) and a
   small convnet (conv 16 3x3, max-pool 2, conv 32 3x3, max-pool 2, dense 10; 13k
   parameters, compute-heavy; keras_front's Convolution2D and MaxPooling2D, channels
   first).
   On 1 rank DistributedOptimizer is the plain optimizer: the baseline is keras_front.
2. The cost of the approach on one process: a train step whose gradients go through the
   packed allreduce (the distributed optimizer class used directly: the gradients are
   materialized, copied into one reused float64 -- or float32 -- buffer, and divided back
   out of it into arrays of their shapes; the MPI call itself is skipped on one process)
   next to the plain step, where the gradient products are folded into the weight
   updates (gemm) and no gradient array exists.
3. The allreduce's share of a 2-rank step for the 135k MLP and a 10M-parameter MLP
   (784-2048-2048-2048-10): the time per training step spent inside the packed allreduce
   op, and of it in the MPI collective (transfer plus waiting for the other rank), next
   to a bare allreduce of the same buffer (float64, as DistributedOptimizer sends it, and
   float32; best of 5 after a barrier) and the step time.

On this 2-core machine two ranks share the cores with everything else that runs, so the
figures are noisy; the numbers printed are the best of the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.peers import ROOT

BATCH = 32
SEED_MLP_HIDDEN = (128, 128, 128)

# ---------------------------------------------------------------- models


def mlp(hidden: tuple[int, ...], dropout: float, optimizer: Any) -> Any:
    """A compiled MLP on 28x28 inputs, 10 softmax outputs."""
    import keras_front as keras
    model = keras.Sequential()
    model.add(keras.layers.Flatten(input_shape=(28, 28)))
    for units in hidden:
        model.add(keras.layers.Dense(units, activation="relu"))
        if dropout:
            model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["acc"])
    return model


def convnet(optimizer: Any) -> Any:
    """conv 16 3x3 relu, pool 2, conv 32 3x3 relu, pool 2, dense 10 ('th': 1x28x28)."""
    import keras_front as keras
    from keras_front.layers import Convolution2D, MaxPooling2D
    model = keras.Sequential()
    model.add(keras.layers.Reshape((1, 28, 28), input_shape=(28, 28)))
    for filters in (16, 32):
        model.add(Convolution2D(filters, 3, 3, init="he_normal", activation="relu",
                                dim_ordering="th"))
        model.add(MaxPooling2D(pool_size=(2, 2), dim_ordering="th"))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["acc"])
    return model


MODELS = {
    "seed MLP 784-128x3-10 (135k)": lambda opt: mlp(SEED_MLP_HIDDEN, 0.5, opt),
    "MLP 784-512-512-10 (669k)": lambda opt: mlp((512, 512), 0.0, opt),
    "convnet (13k)": convnet,
    "MLP 784-2048x3-10 (10.0M)": lambda opt: mlp((2048, 2048, 2048), 0.0, opt),
}


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n synthetic 28x28 images and one-hot labels (the same on every rank)."""
    from bench.keras_mlp import synthetic_data
    return synthetic_data(n)


def n_params(model: Any) -> int:
    return int(sum(w.size for w in model.get_weights()))


# ---------------------------------------------------------------- worker side (under MPI)


def timed(module: Any, function: str) -> dict[str, float]:
    """Replace module.function by a wrapper adding up the seconds spent inside it."""
    spent = {"seconds": 0.0}
    original = getattr(module, function)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - start
    setattr(module, function, wrapper)
    return spent


def worker_scaling(name: str, samples: int, repeats: int) -> dict[str, Any]:
    import keras_front.distributed as hvd
    from keras_front.optimizers import Adam
    from symgraph.distributed import barrier
    x, y = data(samples)
    np.random.seed(0)
    model = MODELS[name](hvd.DistributedOptimizer(Adam()))
    callbacks = [hvd.BroadcastGlobalVariablesCallback(0)]
    model.fit(x[:BATCH * hvd.size() * 4], y[:BATCH * hvd.size() * 4], batch_size=BATCH,
              epochs=1, verbose=0, callbacks=callbacks)           # compile, warm up
    best = float("inf")
    for _ in range(repeats):
        barrier()
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        barrier()
        best = min(best, time.perf_counter() - start)
    return {"sps": samples / best, "params": n_params(model)}


def worker_share(name: str, steps: int, repeats: int) -> dict[str, Any]:
    import keras_front.distributed as hvd
    from keras_front.optimizers import SGD
    from symgraph.distributed import allreduce_array, barrier
    size = hvd.size()
    x, y = data(BATCH * size * steps)
    model = MODELS[name](hvd.DistributedOptimizer(SGD(lr=0.01)))
    model.fit(x[:BATCH * size], y[:BATCH * size], batch_size=BATCH, epochs=1, verbose=0)
    from symgraph.distributed import comm
    in_op = timed(comm, "allreduce_packed_arrays")    # packing, MPI, unpacking
    in_mpi = timed(comm, "wait")                       # the collective itself
    best_step = best_op = best_mpi = float("inf")
    for _ in range(repeats):
        in_op["seconds"] = in_mpi["seconds"] = 0.0
        barrier()
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
        elapsed = time.perf_counter() - start
        if elapsed < best_step * steps:
            best_step, best_op, best_mpi = (elapsed / steps, in_op["seconds"] / steps,
                                            in_mpi["seconds"] / steps)
    buffer = np.ones(n_params(model) + 1)
    bare = {}
    for dtype in ("float64", "float32"):
        best = float("inf")
        for _ in range(max(repeats, 5)):
            barrier()
            start = time.perf_counter()
            allreduce_array(buffer.astype(dtype), "sum", "bench")
            best = min(best, time.perf_counter() - start)
        bare[dtype] = best
    return {"step": best_step, "in_op": best_op, "in_mpi": best_mpi, "bare64": bare["float64"],
            "bare32": bare["float32"], "params": n_params(model)}


def worker_approach(name: str, steps: int, repeats: int) -> dict[str, Any]:
    """One process: the plain step vs the step through the packed (pass-through) allreduce."""
    from keras_front.distributed import distributed_class
    from keras_front.optimizers import SGD
    x, y = data(BATCH * steps)
    times = {}
    twin = distributed_class(SGD)
    models = {"plain": MODELS[name](SGD(lr=0.01)),
              "packed": MODELS[name](twin(lr=0.01)),
              "packed32": MODELS[name](twin(lr=0.01, average_dtype="float32"))}
    for model in models.values():
        model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, epochs=1, verbose=0)
    for _ in range(repeats):  # interleaved, so both see the same load
        for key, model in models.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
            times[key] = min(times.get(key, float("inf")), (time.perf_counter() - start) / steps)
    return {**times, "params": n_params(models["plain"])}


def worker(args: argparse.Namespace) -> None:
    import keras_front.distributed as hvd
    hvd.init()
    if args.worker == "scaling":
        result = worker_scaling(args.model, args.samples, args.repeats)
    elif args.worker == "share":
        result = worker_share(args.model, args.steps, args.repeats)
    else:
        result = worker_approach(args.model, args.steps, args.repeats)
    if hvd.rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------- parent side


def run(n: int, *args: str) -> dict[str, Any]:
    mpiexec = Path(sys.executable).parent / "mpiexec"
    command = [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", str(n),
               sys.executable, "-m", "bench.distributed", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=False,
                         cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def steps_of(name: str, args: argparse.Namespace) -> tuple[str, str]:
    """--steps for a worker: a quarter as many (at least 3) for the 10M model."""
    return "--steps", str(args.steps if "10.0M" not in name else max(args.steps // 4, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--worker", choices=("scaling", "share", "approach"))
    parser.add_argument("--model", choices=sorted(MODELS))
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    import mpi4py

    import symgraph
    common = ("--repeats", str(args.repeats))
    print(f"symgraph {symgraph.__version__}, NumPy {np.__version__}, mpi4py "
          f"{mpi4py.__version__}, {os.cpu_count()} cores, BLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}; batch {BATCH} per rank, best of "
          f"{args.repeats}")
    print("\n1. scaling (weak: batch 32 per rank)")
    print(f"{'model':<30} {'params':>9} {'1 rank sps':>11} {'2 ranks sps':>12} {'speedup':>8} "
          f"{'efficiency':>11}")
    for name in list(MODELS)[:3]:
        scaling = ("--worker", "scaling", "--model", name, "--samples", str(args.samples))
        one, two = run(1, *scaling, *common), run(2, *scaling, *common)
        speedup = two["sps"] / one["sps"]
        print(f"{name:<30} {one['params']:>9,} {one['sps']:>11,.0f} {two['sps']:>12,.0f} "
              f"{speedup:>8.2f} {speedup / 2:>11.0%}")
    print("\n2. the approach on one process: ms per step, plain vs through the packed "
          "allreduce")
    print(f"{'model':<30} {'plain':>8} {'packed f64':>11} {'ratio':>6} {'packed f32':>11} "
          f"{'ratio':>6}")
    for name in (list(MODELS)[0], list(MODELS)[3]):
        r = run(1, "--worker", "approach", "--model", name, *steps_of(name, args), *common)
        print(f"{name:<30} {r['plain'] * 1e3:>8.2f} {r['packed'] * 1e3:>11.2f} "
              f"{r['packed'] / r['plain']:>6.2f} {r['packed32'] * 1e3:>11.2f} "
              f"{r['packed32'] / r['plain']:>6.2f}")
    print("\n3. the allreduce's share of a 2-rank step (ms)")
    print(f"{'model':<30} {'step':>8} {'in op':>8} {'of it MPI':>10} {'share':>6} "
          f"{'bare f64':>9} {'bare f32':>9} {'MB f64':>7}")
    for name in (list(MODELS)[0], list(MODELS)[3]):
        r = run(2, "--worker", "share", "--model", name, *steps_of(name, args), *common)
        print(f"{name:<30} {r['step'] * 1e3:>8.2f} {r['in_op'] * 1e3:>8.2f} "
              f"{r['in_mpi'] * 1e3:>10.2f} {r['in_op'] / r['step']:>6.0%} "
              f"{r['bare64'] * 1e3:>9.2f} "
              f"{r['bare32'] * 1e3:>9.2f} {(r['params'] + 1) * 8 / 1e6:>7.1f}")


if __name__ == "__main__":
    main()
