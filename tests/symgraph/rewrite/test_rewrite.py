"""The whole pipeline (symgraph/rewrite/__init__.py) on the MLP train step: 784-512-512-10,
relu, softmax + categorical cross-entropy, SGD updates on shared weights, one function."""

import numpy as np
import pytest

import symgraph as sg
from symgraph.examples import init_mlp, mlp_sgd_graph
from symgraph.ops.blas import Gemm
from symgraph.ops.buffers import UpdateBuffer
from symgraph.rewrite.driver import merge_key

SIZES = (784, 512, 512, 10)
BATCH = 16


def mlp_train_step(seed=0, rewrites="fast_run", int_targets=False, **kwargs):
    """(train function, weights): forward, backward and SGD update in one function."""
    params = [(w.astype("float32"), b.astype("float32"))
              for w, b in init_mlp(SIZES, seed=seed)]
    g = mlp_sgd_graph(params, lr=0.05, int_targets=int_targets)
    return sg.function(g.inputs, g.loss, updates=g.updates, rewrites=rewrites,
                       **kwargs), g.weights


def batch(seed=1, int_targets=False):
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    labels = rng.integers(0, SIZES[-1], BATCH)
    y = labels.astype("int32") if int_targets else np.eye(SIZES[-1], dtype="float32")[labels]
    return x, y


@pytest.fixture(scope="module")
def train():
    return mlp_train_step()


def test_no_duplicated_subexpressions(train):
    f, _ = train
    keys = [merge_key(n) for n in f.graph.apply_nodes]
    assert len(keys) == len(set(keys))


def test_weight_updates_use_gemm(train):
    f, params = train
    gemms = [n for n in f.graph.apply_nodes if isinstance(n.op, Gemm)]
    weights = [p for p in params if p.ndim == 2]
    # Every weight's new value is a gemm writing into the function's private copy of
    # the weight (double buffering: the weight's own array is never written in a call).
    bufs = [n.inputs[0].owner for n in gemms]
    assert all(n.op.inplace for n in gemms)
    assert all(isinstance(b.op, UpdateBuffer) and b.op.copy for b in bufs)
    assert sorted(b.inputs[0].name for b in bufs) == [w.name for w in weights]


def test_graph_is_small_and_fused(train):
    f, _ = train
    names = [n.op.name for n in f.graph.apply_nodes]
    assert names.count("dot") == 5  # 3 forward + 2 back-propagations (not into x)
    gemms = sum(1 for n in names if n.startswith("gemm"))  # gemm or gemm_inplace
    assert gemms == 3 and "log" not in names and "softmax" not in names
    assert len(f.graph.apply_nodes) < 50


@pytest.mark.parametrize("int_targets", [False, True])
def test_same_values_as_without_rewrites(int_targets):
    f, fp = mlp_train_step(int_targets=int_targets)
    g, gp = mlp_train_step(rewrites="none", int_targets=int_targets)
    for step in range(3):
        x, y = batch(step, int_targets)
        np.testing.assert_allclose(f(x, y), g(x, y), rtol=1e-5)
    for a, b in zip(fp, gp, strict=True):
        np.testing.assert_allclose(a.get_value(), b.get_value(), rtol=1e-4, atol=1e-6)


def test_check_mode_passes_on_the_mlp():
    f, params = mlp_train_step(check_rewrites=True)
    before = [p.get_value() for p in params]
    f(*batch())
    assert any(not np.array_equal(a, p.get_value()) for a, p in zip(before, params,
                                                                     strict=True))


def test_training_reduces_the_loss(train):
    f, _ = train
    x, y = batch(7)
    losses = [float(f(x, y)) for _ in range(5)]
    assert losses[-1] < losses[0]
