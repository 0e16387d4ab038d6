"""The whole-function cache: a new process skips rewriting, binds the caller's variables,
and never trusts an entry further than from_json's checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symgraph as sg
from symgraph import cache, function_cache
from symgraph.examples import init_mlp, numpy_mlp_sgd
from symgraph.graph import Apply
from symgraph.ops.registry import Op
from symgraph.tensor import TensorType
from tests.helpers import needs_cc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    cache.STATS.clear()


def _entries() -> list[Path]:
    folder = cache.cache_dir() / function_cache.KIND
    return sorted(folder.glob("*.bin")) if folder.is_dir() else []


# A small MLP train step, compiled in a fresh process: its loss and weights after 3
# steps, the cache counters, the rewrite log and the generated source.
_STEP = """
import json, sys
import numpy as np
import symgraph as sg
from symgraph import cache
from symgraph.examples import init_mlp, mlp_sgd_graph
params = init_mlp((6, 5, 3), seed=1)
g = mlp_sgd_graph(params, lr=0.1)
f = sg.function(g.inputs, g.loss, updates=g.updates)
rng = np.random.default_rng(2)
x = rng.random((4, 6)); y = np.eye(3)[rng.integers(0, 3, 4)]
losses = [float(f(x, y)) for _ in range(3)]
print(json.dumps({"stats": dict(cache.STATS), "losses": losses,
                  "weights": [w.get_value().tolist() for w in g.weights],
                  "log": str(f.rewrite_log), "source": f.source}))
"""


def _run_step(cache_dir: Path, flags: str = "") -> dict:
    # The suite's flags (tests/conftest.py pins 'auto' to NumPy), then the test's.
    suite = os.environ.get("SYMGRAPH_FLAGS", "")
    env = {**os.environ, "SYMGRAPH_CACHE_DIR": str(cache_dir),
           "SYMGRAPH_FLAGS": ",".join(f for f in (suite, flags) if f)}
    out = subprocess.run([sys.executable, "-c", _STEP], capture_output=True, text=True,
                         check=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_rewritten_graph_and_computes_the_same(tmp_path):
    first = _run_step(tmp_path / "c")
    second = _run_step(tmp_path / "c")
    plain = _run_step(tmp_path / "off", "function_cache=0")
    assert first["stats"].get("function_misses") == 1
    assert first["stats"].get("function_stores") == 1
    assert second["stats"].get("function_hits") == 1
    assert "function_misses" not in second["stats"]
    assert not (tmp_path / "off" / function_cache.KIND).exists()  # disabled: none written
    # Same compiled code, same log, same numbers -- and the numbers are the MLP's.
    assert second["source"] == first["source"] == plain["source"]
    assert second["log"] == first["log"] == plain["log"]
    want = [[w, b] for w, b in init_mlp((6, 5, 3), seed=1)]
    rng = np.random.default_rng(2)
    x = rng.random((4, 6))
    y = np.eye(3)[rng.integers(0, 3, 4)]
    losses = [numpy_mlp_sgd(want, x, y, lr=0.1) for _ in range(3)]
    for run in (first, second, plain):
        np.testing.assert_allclose(run["losses"], losses, rtol=1e-12)
        for got, w in zip(run["weights"], [a for pair in want for a in pair], strict=True):
            np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15)


def _affine_step(w0: np.ndarray):
    """y = tanh(x @ w) * 2 + 1 with the update w <- w - 0.5 * mean(y)."""
    x = sg.matrix("x", dtype="float64")
    w = sg.shared(w0, name="w")
    y = sg.tanh(sg.dot(x, w)) * 2.0 + 1.0
    return x, w, sg.function([x], y, updates=[(w, w - 0.5 * sg.mean(y))])


def test_a_hit_reads_and_updates_the_callers_own_shared_variables():
    x = np.arange(6.0).reshape(2, 3) / 10
    _, w1, f1 = _affine_step(np.ones((3, 2)))
    _, w2, f2 = _affine_step(np.full((3, 2), -0.25))  # another graph, same structure
    assert cache.STATS["function_stores"] == 1 and cache.STATS["function_hits"] == 1
    want = np.tanh(x @ np.full((3, 2), -0.25)) * 2 + 1
    np.testing.assert_allclose(f2(x), want, rtol=1e-12)
    np.testing.assert_allclose(w2.get_value(), np.full((3, 2), -0.25) - 0.5 * want.mean())
    np.testing.assert_array_equal(w1.get_value(), np.ones((3, 2)))  # untouched
    assert f2.fgraph.inputs == f2.inputs and w2 in f2.fgraph.updates.values()
    np.testing.assert_allclose(f1(x), np.tanh(x @ np.ones((3, 2))) * 2 + 1, rtol=1e-12)


def test_the_log_of_a_hit_is_the_log_of_the_compile():
    _, _, f1 = _affine_step(np.ones((3, 2)))
    _, _, f2 = _affine_step(np.ones((3, 2)))
    assert cache.STATS["function_hits"] == 1
    assert [str(r) for r in f2.rewrite_log] == [str(r) for r in f1.rewrite_log]
    assert f2.rewrite_log.counts()["fusion"] >= 1 and f2.source == f1.source


def test_a_truncated_entry_is_rebuilt_silently():
    _affine_step(np.ones((3, 2)))
    (entry,) = _entries()
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) // 2])
    x, w, f = _affine_step(np.ones((3, 2)))
    assert cache.STATS["corrupt"] == 1 and cache.STATS["function_misses"] == 2
    np.testing.assert_allclose(f(np.ones((1, 3))), np.tanh(np.full((1, 2), 3.0)) * 2 + 1)
    (again,) = _entries()
    assert again.read_bytes() == whole  # the same entry, whole again


def _replace_entry(mutate) -> None:
    """Rewrite the single entry through `mutate(header, graph_doc)` under its own key,
    with a valid digest: what an attacker with write access to the cache can do."""
    (entry,) = _entries()
    key = entry.name.split("-")[0]
    head, _, body = entry.read_bytes().partition(b"\n")
    header, doc = json.loads(head), json.loads(body)
    mutate(header, doc)
    cache.discard(function_cache.KIND, key)
    cache.write_bytes(function_cache.KIND, key,
                      json.dumps(header).encode() + b"\n" + json.dumps(doc).encode())


def _fused():
    x = sg.vector("x", dtype="float64")
    return sg.function([x], sg.exp(x) * 2.5 + sg.tanh(x))


def _strings(node, path=()):
    """Every (path, string) inside a JSON value."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, (*path, i))


def _set(doc, path, value):
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


def test_a_tampered_entry_never_runs_code_and_is_rebuilt(tmp_path):
    marker = tmp_path / "pwned"
    attack = f"__import__('pathlib').Path({str(marker)!r}).touch() or 1"
    _fused()
    (entry,) = _entries()
    doc = json.loads(entry.read_bytes().partition(b"\n")[2])
    paths = [p for p, _ in _strings(doc)]
    assert ("nodes", 0, "params", "body", "tuple", 1, "tuple", 1, "tuple", 1, "tuple",
            2) in paths  # the fused kernel's constant "2.5" is one of them
    x = np.array([0.25, -1.0])
    want = np.exp(x) * 2.5 + np.tanh(x)
    accepted = []
    for path in paths:  # every string of the document, one at a time
        _replace_entry(lambda h, d, path=path: _set(d, path, attack))
        before = cache.STATS["function_hits"]
        f = _fused()
        np.testing.assert_allclose(f(x), want, rtol=1e-12)
        assert not marker.exists(), path
        if cache.STATS["function_hits"] > before:  # accepted: then it was harmless
            assert attack not in f.source, path
            accepted.append(path)
    # Only free text is accepted: names (the caller's own variables replace the loaded
    # inputs) and source lines (not of the form file:line, so dropped).
    assert {p[-1] for p in accepted} <= {"name", "source"}
    assert cache.STATS["function_rejected"] == len(paths) - len(accepted) >= 15


def test_a_tampered_log_or_header_is_refused():
    _fused()
    for mutate in (lambda h, d: h.update(log=[["a", "b", "c\x1b[2J", "d", "e"]]),
                   lambda h, d: h.update(log="x"), lambda h, d: h.update(version=99),
                   lambda h, d: d["function"].update(inputs=[]),
                   lambda h, d: d["nodes"].clear()):
        _replace_entry(mutate)
        before = cache.STATS["function_rejected"]
        f = _fused()
        assert cache.STATS["function_rejected"] == before + 1
        np.testing.assert_allclose(f(np.array([0.0])), [2.5])


def test_different_graphs_and_options_never_share_an_entry():
    x = sg.vector("x", dtype="float64")
    xf = sg.vector("x", dtype="float32")
    w = sg.shared(np.ones(3), name="w")
    v = sg.shared(np.ones(2), name="v")
    fns = [sg.function([x], x + 1), sg.function([x], x + 2), sg.function([xf], xf + 1),
           sg.function([x], x + 1, rewrites="fast_compile"),
           sg.function([x], sg.exp(x) + 1, exclude=["fusion"]),
           sg.function([x], sg.exp(x) + 1),
           sg.function([x], x * w), sg.function([x], x + 1, updates=[(w, w * 2)]),
           sg.function([x], x + 1, updates=[(v, v * 2)])]
    with sg.config.change(constant_fold_max_size=5):
        fns.append(sg.function([x], x + 1))
    assert cache.STATS["function_stores"] == len(fns) and cache.STATS["function_hits"] == 0
    assert len(_entries()) == len(fns)
    a = np.array([1.0, 2.0, 3.0])
    got = [np.asarray(f(a.astype(f.inputs[0].dtype))) for f in fns]
    np.testing.assert_allclose(got[0], a + 1)
    np.testing.assert_allclose(got[1], a + 2)
    np.testing.assert_allclose(got[4], np.exp(a) + 1)
    np.testing.assert_allclose(got[2], a + 1)
    np.testing.assert_allclose(got[6], a)  # called before fns[7] doubled w
    np.testing.assert_allclose(w.get_value(), 2.0)
    np.testing.assert_allclose(v.get_value(), 2.0)


def test_shared_values_are_not_part_of_the_key_nor_stored():
    _affine_step(np.full((3, 2), 123.456))
    (entry,) = _entries()
    assert b"123.456" not in entry.read_bytes()
    assert "rO" not in json.loads(entry.read_bytes().partition(b"\n")[2])["variables"][1]


def test_the_setting_turns_it_off():
    with sg.config.change(function_cache=False):
        _fused()
        _fused()
    assert _entries() == [] and not cache.STATS


class _Twice(Op):
    """An op defined outside symgraph: its code cannot be fingerprinted."""

    def make_node(self, x):
        x = sg.as_tensor(x)
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def perform(self, node, x):
        return 2 * x


def test_what_cannot_be_fingerprinted_or_checked_is_compiled_without_the_cache():
    x = sg.vector("x", dtype="float64")
    f = sg.function([x], _Twice()(x) + 1)
    assert cache.STATS["function_uncacheable"] == 1 and _entries() == []
    np.testing.assert_allclose(f(np.array([1.0])), [3.0])
    sg.function([x], sg.exp(x) + 1, check_rewrites=True)
    sg.function([x], sg.exp(x) + 1, nan_guard=True)
    assert _entries() == [] and cache.STATS["function_misses"] == 0


def _noisy(seed: int):
    x = sg.vector("x", dtype="float64")
    srng = sg.RandomStream(seed)
    return sg.function([x], x + srng.uniform((3,), dtype="float64"))


def test_a_hit_draws_from_the_callers_own_random_generators():
    f1 = _noisy(5)
    f2 = _noisy(7)  # same graph, another stream: a hit, with its own generator
    assert cache.STATS["function_hits"] == 1
    with sg.config.change(function_cache=False):
        ref = _noisy(7)
    x = np.zeros(3)
    for _ in range(3):
        np.testing.assert_array_equal(f2(x), ref(x))
    assert not np.array_equal(f1(x), f2(x))


_SAME = """
import numpy as np, symgraph as sg
from symgraph import cache
x = sg.vector("x", dtype="float64")
f = sg.function([x], sg.tanh(x) * 3 + sg.exp(-x))
assert np.allclose(f(np.array([0.5])), np.tanh(0.5) * 3 + np.exp(-0.5))
print(cache.STATS["function_hits"], cache.STATS["function_stores"])
"""


def test_processes_compiling_one_function_at_once_all_succeed(tmp_path):
    env = {**os.environ, "SYMGRAPH_CACHE_DIR": str(tmp_path / "c")}
    procs = [subprocess.Popen([sys.executable, "-c", _SAME], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT, env=env) for _ in range(6)]
    outs = [p.communicate(timeout=300)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert all(o in (["0", "1"], ["1", "0"]) for o in outs), outs
    entries = list((tmp_path / "c" / function_cache.KIND).iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".")  # no temp files left


def test_an_unusable_cache_folder_only_costs_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SYMGRAPH_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    f = _fused()
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), [2.5, 2.5 * np.e + np.tanh(1.0)])
    assert cache.STATS["function_misses"] == 1 and cache.STATS["function_uncacheable"] == 1


_C_STEP = """
import json
import numpy as np
import symgraph as sg
from symgraph import cache
from symgraph.codegen import cbuild
from symgraph.examples import init_mlp, mlp_sgd_graph
g = mlp_sgd_graph(init_mlp((6, 5, 3), seed=1), lr=0.1)
f = sg.function(g.inputs, g.loss, updates=g.updates, backend="c")
rng = np.random.default_rng(2)
x = rng.random((4, 6)); y = np.eye(3)[rng.integers(0, 3, 4)]
losses = [float(f(x, y)) for _ in range(3)]
print(json.dumps({"stats": dict(cache.STATS), "c": dict(cbuild.STATS), "losses": losses,
                  "weights": [w.get_value().tolist() for w in g.weights],
                  "backend": f.backend}))
"""


@needs_cc
def test_a_c_backend_function_skips_rewriting_and_the_c_compiler_in_a_second_process(
        tmp_path):
    env = {**os.environ, "SYMGRAPH_CACHE_DIR": str(tmp_path / "c"), "SYMGRAPH_FLAGS": ""}

    def run() -> dict:
        out = subprocess.run([sys.executable, "-c", _C_STEP], capture_output=True,
                             text=True, check=True, cwd=ROOT, env=env)
        return json.loads(out.stdout.strip().splitlines()[-1])

    first, second = run(), run()
    assert first["backend"] == second["backend"] == "c"
    assert first["stats"].get("function_stores") == 1 and first["c"].get("compiles", 0) >= 1
    assert second["stats"].get("function_hits") == 1
    assert second["c"].get("compiles", 0) == 0  # the library was found by its source hash
    numpy_run = _run_step(tmp_path / "np")
    np.testing.assert_allclose(second["losses"], first["losses"], rtol=0, atol=0)
    np.testing.assert_allclose(second["losses"], numpy_run["losses"], rtol=1e-12)
    for a, b in zip(second["weights"], numpy_run["weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
