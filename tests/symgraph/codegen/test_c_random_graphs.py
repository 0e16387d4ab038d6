"""The random-graph differential tests (tests/symgraph/rewrite/test_random_graphs.py)
with the C backend against the NumPy backend: 40 random graphs (every op family of the
builder, float32 / float64 / int32 / bool, broadcasting, dims of size 0 and 1) compiled
as ONE function per backend (one C module), values and gradients compared, called
twice (in-place buffers must not leak state)."""

from __future__ import annotations

import numpy as np

import symgraph as sg
from symgraph.rewrite.check import narrowest_float_bits
from tests.helpers import needs_cc
from tests.symgraph.rewrite.test_random_graphs import GraphBuilder, _mismatch, quiet

pytestmark = needs_cc
SEEDS = range(1000, 1040)


def _graphs():
    graphs = []
    for seed in SEEDS:
        b = GraphBuilder(seed)
        outs = b.build(int(b.rng.integers(3, 20)))
        graphs.append((seed, b, outs))
    return graphs


def _compare(graphs, want, got, what: str) -> None:
    k = 0
    for seed, _, outs in graphs:
        bits = narrowest_float_bits(outs)
        for _ in outs:
            msg = _mismatch(want[k], got[k], bits, exact_ints=False)
            assert msg is None, f"seed {seed} ({what}): {msg}\n" + \
                sg.debugprint(outs, file="str")
            k += 1


def test_random_graphs_c_matches_numpy() -> None:
    graphs = _graphs()
    inputs = [v for _, b, _ in graphs for v in b.inputs]
    outs = [o for _, _, os in graphs for o in os]
    args = [b.values[v] for _, b, _ in graphs for v in b.inputs]
    with quiet():
        c = sg.function(inputs, outs, backend="c", on_unused_input="ignore")
        ref = sg.function(inputs, outs, backend="numpy", on_unused_input="ignore")
    assert "SG_KERNEL PyObject *k" in c.source  # the C backend took part
    kept = [a.copy() for a in args]
    for call in range(2):
        with quiet():
            want = ref(*[a.copy() for a in args])
            got = c(*args)
        _compare(graphs, want, got, f"call {call}")
    for a, k in zip(args, kept, strict=True):
        assert np.array_equal(a, k, equal_nan=True), "an argument was modified"

    floats = [v for v in inputs if v.dtype in ("float32", "float64")]
    fouts = [o for o in outs if o.dtype in ("float32", "float64")]
    cost = sum(sg.sum(sg.cast(o, "float64") * (k + 1.5)) for k, o in enumerate(fouts))
    with quiet():
        gs = sg.grad(cost, floats, disconnected_inputs="ignore")
        gc = sg.function(inputs, gs, backend="c", on_unused_input="ignore")
        gr = sg.function(inputs, gs, backend="numpy", on_unused_input="ignore")
        want, got = gr(*args), gc(*args)
    for v, w, g in zip(floats, want, got, strict=True):
        msg = _mismatch(w, g, 32 if v.dtype == "float32" else 64, exact_ints=False)
        assert msg is None, f"gradient wrt {v.name}: {msg}"
