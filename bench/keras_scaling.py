"""How building, serializing, saving and loading keras_front models grow with depth.

    python -m bench.keras_scaling [--sizes 250,500,1000,2000,4000] [--reference PYTHON]

Families, each a chain of n layers (Dense(8) alternating with Activation('relu')):
Sequential built by add(); its to_json and model_from_json; save() and load_model() of
its HDF5 file; a functional Model of n Dense layers built from Input, and its
model_from_json. Each size runs in a fresh process: every step is timed (the process's
CPU time, best of 2: on a shared machine wall time mostly measures the neighbours), then
run again under tracemalloc for its peak of traced memory (Python objects and NumPy
arrays; HDF5's own C buffers are not traced). Building a Sequential used to re-trace the whole
graph on every add, with a quadratic name check: O(n^3), 50 s for 2,000 layers.

The fitted exponent is the least-squares slope of log(time) (and log(peak memory)) over
log(n) on the three largest sizes, where fixed costs matter least; the targets are time
growing at most as n^1.2 and memory at most linearly (exponent <= 1.05 allows for
noise). With --reference, the same Sequential steps run in another Python with Keras 3
(KERAS_BACKEND, default jax) at sizes 50, 100 and 200, for comparison (CPU time too, of
all its threads).
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
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from bench.peers import ROOT

TIME_TARGET, MEMORY_TARGET = 1.2, 1.05
STEPS = ("Sequential build", "Sequential to_json", "Sequential model_from_json",
         "Sequential save", "Sequential load_model", "functional Model build",
         "functional model_from_json")


# ---------------------------------------------------------------- the workloads


def sequential(n: int) -> Any:
    """A Sequential of n layers: Dense(8) and Activation('relu') in turn."""
    from keras_front.layers import Activation, Dense
    from keras_front.models import Sequential
    model = Sequential()
    model.add(Dense(8, input_dim=8))
    for i in range(1, n):
        model.add(Activation("relu") if i % 2 else Dense(8))
    return model


def functional(n: int) -> Any:
    """A functional Model of n Dense(8) layers on one Input."""
    from keras_front.engine import Input
    from keras_front.layers import Dense
    from keras_front.models import Model
    x = inputs = Input((8,))
    for _ in range(n):
        x = Dense(8)(x)
    return Model(inputs, x)


def steps(n: int, folder: str) -> list[tuple[str, Callable[[], Any]]]:
    """(name, callable) of every step at size n; later steps use earlier results."""
    from keras_front.models import load_model, model_from_json
    made: dict[str, Any] = {}
    path = os.path.join(folder, "model.h5")

    def keep(key: str, fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            made[key] = fn()
            return made[key]
        return run

    return [
        ("Sequential build", keep("seq", lambda: sequential(n))),
        ("Sequential to_json", keep("json", lambda: made["seq"].to_json())),
        ("Sequential model_from_json", lambda: model_from_json(made["json"])),
        ("Sequential save", lambda: made["seq"].save(path)),
        ("Sequential load_model", lambda: load_model(path)),
        ("functional Model build", keep("fun", lambda: functional(n))),
        ("functional model_from_json", lambda: model_from_json(made["fun"].to_json())),
    ]


def measure(n: int) -> dict[str, tuple[float, int]]:
    """{step: (seconds, peak traced bytes)} at size n (run in a fresh process)."""
    import keras_front.saving  # noqa: F401  (h5py and yaml imported before any timing)
    from keras_front import backend as K
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, run in steps(n, folder):
            elapsed = math.inf
            for _ in range(2):
                gc.collect()
                start = time.process_time()
                run()
                elapsed = min(elapsed, time.process_time() - start)
            gc.collect()
            tracemalloc.start()
            run()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results[name] = (elapsed, peak)
            K.clear_session()
    return results


# ---------------------------------------------------------------- the reference

_REFERENCE = """
import json, os, sys, tempfile, time
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras
n = int(sys.argv[1])
out = {}
def timed(name, fn):
    start = time.process_time(); value = fn(); out[name] = time.process_time() - start
    return value
def build():
    model = keras.Sequential([keras.Input((8,))])
    for i in range(n):
        model.add(keras.layers.Dense(8) if i % 2 == 0 else keras.layers.Activation("relu"))
    return model
model = timed("Sequential build", build)
text = timed("Sequential to_json", model.to_json)
timed("Sequential model_from_json", lambda: keras.models.model_from_json(text))
path = os.path.join(tempfile.mkdtemp(), "m.keras")
timed("Sequential save", lambda: model.save(path))
timed("Sequential load_model", lambda: keras.models.load_model(path))
print(json.dumps({"version": keras.__version__, "backend": keras.backend.backend(),
                  "times": out}))
"""


def reference(python: str, n: int) -> dict[str, Any]:
    """Keras 3's times for the Sequential steps at size n, run by `python`."""
    done = subprocess.run([python, "-c", _REFERENCE, str(n)], capture_output=True, text=True,
                          timeout=3600)
    if done.returncode:
        raise RuntimeError(f"the reference failed at n={n}: {done.stderr[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the table


def fitted_exponent(sizes: Sequence[int], values: Sequence[float]) -> float:
    """The least-squares slope of log(values) over log(sizes): values ~ size**slope."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(v, 1e-12)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / \
        sum((x - mx) ** 2 for x in xs)


def _run_sizes(sizes: Sequence[int]) -> dict[int, dict[str, tuple[float, int]]]:
    out = {}
    for n in sizes:
        done = subprocess.run([sys.executable, "-m", "bench.keras_scaling", "--worker", str(n)],
                              capture_output=True, text=True, cwd=ROOT, check=True)
        out[n] = {k: tuple(v) for k, v in json.loads(done.stdout).items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000,2000,4000")
    parser.add_argument("--reference", help="a Python with Keras 3 installed")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = _run_sizes(sizes)
    import numpy as np
    print(f"keras_front model depth scaling; NumPy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores; "
          f"one fresh process per size")
    head = "".join(f"{n:>9}" for n in sizes)
    tail = sizes[-3:]
    for title, column, target, cell in (
            ("CPU seconds", 0, TIME_TARGET, lambda v: f"{v:>9.3f}"),
            ("peak traced MB", 1, MEMORY_TARGET, lambda v: f"{v / 2**20:>9.2f}")):
        print(f"\n{title:28}{head}   exponent (target <= {target})")
        for step in STEPS:
            values = [results[n][step][column] for n in sizes]
            k = fitted_exponent(tail, values[-3:])
            print(f"{step:28}{''.join(cell(v) for v in values)}   {k:5.2f} "
                  f"{'met' if k <= target else 'MISSED'}")
    if args.reference:
        ref_sizes = (50, 100, 200)
        ours = _run_sizes(ref_sizes)
        refs = {n: reference(args.reference, n) for n in ref_sizes}
        info = refs[ref_sizes[0]]
        print(f"\nKeras {info['version']} ({info['backend']} backend) vs keras_front, "
              f"CPU seconds (ratio = Keras / ours)")
        print(f"{'':28}" + "".join(f"{'n=' + str(n):>24}" for n in ref_sizes))
        for step in STEPS[:5]:
            cells = ""
            for n in ref_sizes:
                theirs, mine = refs[n]["times"][step], ours[n][step][0]
                cells += f"{theirs:>9.3f} {mine:>7.3f} {theirs / mine:>6.0f}x"
            print(f"{step:28}{cells}")


if __name__ == "__main__":
    main()
