"""`import symgraph` leaves SciPy and networkx unimported until something needs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import scipy.special

from symgraph.lazy import LazyFunction, LazyModule
from tests.helpers import needs_cc

_PROBE = """
import json, sys
import numpy as np
import symgraph as sg
seen = {"import": [m for m in ("scipy", "networkx") if m in sys.modules]}
seen["rewrite_at_import"] = "symgraph.rewrite" in sys.modules
x = sg.vector("x", dtype="float64")
f = sg.function([x], sg.exp(x) + 1)
f(np.ones(3))
seen["compile"] = [m for m in ("scipy", "networkx") if m in sys.modules]
later = ("symgraph.printing", "symgraph.drawing", "symgraph.ops.scan", "symgraph.ops.conv",
         "symgraph.ops.pool", "symgraph.distributed")
seen["symgraph_later"] = [m for m in later if m in sys.modules]
seen["conv"] = sg.nnet.conv2d.__module__
g = sg.function([x], sg.erf(x) + sg.sigmoid(x))
seen["erf"] = g(np.array([0.5, -1.0])).tolist()
seen["after_erf"] = [m for m in ("scipy", "networkx") if m in sys.modules]
sg.to_networkx(x + 1)
seen["after_drawing"] = [m for m in ("scipy", "networkx") if m in sys.modules]
print(json.dumps(seen))
"""


def test_import_and_a_plain_compile_do_not_import_scipy_or_networkx():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["import"] == [] and seen["compile"] == []
    assert seen["symgraph_later"] == []  # printers, scan, conv, pool, MPI: on first use
    assert seen["rewrite_at_import"] is False  # the passes load with the first compile
    assert seen["conv"] == "symgraph.ops.conv"
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(seen["erf"], scipy.special.erf(x) + scipy.special.expit(x),
                               rtol=1e-12)
    assert seen["after_erf"] == ["scipy"]  # imported when first needed
    assert seen["after_drawing"] == ["scipy", "networkx"]


def test_lazy_module_imports_on_first_attribute_and_keeps_it():
    m = LazyModule("json")
    assert "dumps" not in vars(m)
    assert m.dumps([1]) == "[1]" and vars(m)["dumps"] is json.dumps


def test_lazy_function_resolves_to_the_module_attribute():
    assert LazyFunction("scipy.special", "erf").resolve() is scipy.special.erf


def test_scipy_rows_still_answer_the_numpy_protocol():
    import symgraph as sg
    x = sg.vector("x", dtype="float64")
    y = scipy.special.erf(x)  # a SciPy ufunc on a symbolic variable builds a node
    assert y.owner.op.scalar.name == "erf"
    np.testing.assert_allclose(sg.function([x], y)(np.array([0.3])),
                               scipy.special.erf([0.3]), rtol=1e-12)


_WARM = """
import json, sys
import numpy as np
import symgraph as sg
from symgraph import cache
from symgraph.examples import init_mlp, mlp_sgd_graph
params = [(w.astype("float32"), b.astype("float32")) for w, b in init_mlp((6, 5, 3))]
g = mlp_sgd_graph(params, lr=0.1)
f = sg.function(g.inputs, [g.loss], updates=g.updates, backend="c")
rng = np.random.default_rng(0)
loss = f(rng.random((4, 6), dtype=np.float32), np.eye(3, dtype=np.float32)[[0, 1, 2, 0]])
heavy = ("scipy", "subprocess", "tempfile", "shutil", "sysconfig")
print(json.dumps({"loss": float(loss[0]), "hits": cache.STATS["function_hits"],
                  "c_hits": cache.STATS["c_hits"],
                  "loaded": [m for m in heavy if m in sys.modules]}))
"""


@needs_cc
def test_a_warm_start_runs_no_compiler_and_loads_no_heavy_module(tmp_path) -> None:
    """What a second process compiling a cached train step does not load: SciPy's package
    (its BLAS extension is loaded on its own, the BLAS decision is remembered), subprocess
    (the compiler's version is remembered), tempfile/shutil/sysconfig (only writers and
    compiles need them). Each cost milliseconds of the 50 ms warm-compile budget
    (bench.compile_time)."""
    env = dict(os.environ, SYMGRAPH_CACHE_DIR=str(tmp_path))
    runs = [json.loads(subprocess.run(
        [sys.executable, "-c", _WARM], capture_output=True, text=True, check=True,
        env=env).stdout.strip().splitlines()[-1]) for _ in range(2)]
    assert runs[0]["hits"] == 0 and runs[1]["hits"] == 1 and runs[1]["c_hits"] == 1
    assert runs[0]["loss"] == runs[1]["loss"]
    assert runs[1]["loaded"] == []
