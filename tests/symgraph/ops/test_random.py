"""Random draws: sg.RandomStream(seed) with uniform / normal / binomial / choice /
permutation. Fresh numbers on every call, the same sequence for the same seed, reseeding,
rough distribution checks on 10^4 samples, and draws that never merge."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops.random import RandomVariable
from tests.helpers import assert_static_matches

N = 10_000


def _draws(stream: sg.RandomStream) -> list:
    return [stream.uniform((N,), low=-1.0, high=3.0, dtype="float64"),
            stream.normal((N,), avg=2.0, std=0.5, dtype="float64"),
            stream.binomial((N,), n=5, p=0.3),
            stream.choice((N,), a=4, p=[0.1, 0.2, 0.3, 0.4])]


def test_each_call_draws_fresh_numbers():
    draws = _draws(sg.RandomStream(1))
    f = sg.function([], draws)
    first, second = f(), f()
    for a, b in zip(first, second, strict=True):
        assert not np.array_equal(a, b)


def test_the_same_seed_gives_the_same_sequence_in_a_new_stream():
    f1 = sg.function([], _draws(sg.RandomStream(42)))
    f2 = sg.function([], _draws(sg.RandomStream(42)))
    for call in range(2):
        for a, b in zip(f1(), f2(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"call {call}")
    other = sg.function([], _draws(sg.RandomStream(43)))()
    assert not np.array_equal(other[0], f1()[0])


def test_reseeding_restarts_the_sequence():
    stream = sg.RandomStream(7)
    f = sg.function([], _draws(stream))
    first = f()
    f()
    stream.seed(7)
    for a, b in zip(f(), first, strict=True):
        np.testing.assert_array_equal(a, b)
    stream.seed(8)
    fresh = sg.function([], _draws(sg.RandomStream(8)))()
    for a, b in zip(f(), fresh, strict=True):
        np.testing.assert_array_equal(a, b)


def test_distributions_roughly_right():
    u, n, b, c = sg.function([], _draws(sg.RandomStream(3)))()
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.05 and abs(u.std() - 4 / np.sqrt(12)) < 0.03
    assert abs(n.mean() - 2.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    assert set(np.unique(b)) <= set(range(6))
    assert abs(b.mean() - 1.5) < 0.05 and abs(b.var() - 1.05) < 0.06
    freq = np.bincount(c, minlength=4) / N
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.02)


def test_two_draws_in_one_function_differ_and_are_not_merged():
    stream = sg.RandomStream(5)
    a, b = stream.uniform((50,)), stream.uniform((50,))
    f = sg.function([], [a, b, a + b])
    ra, rb, rsum = f()
    assert not np.array_equal(ra, rb)
    np.testing.assert_allclose(rsum, ra + rb, rtol=1e-6)  # one draw used twice stays one
    randoms = [n for n in f.graph.toposort() if isinstance(n.op, RandomVariable)]
    assert len(randoms) == 2


def test_static_types_and_dtypes():
    stream = sg.RandomStream(0)
    x = sg.dmatrix("x")
    cases = [(stream.uniform((2, 3)), "float32"), (stream.normal((4,), dtype="float64"),
                                                  "float64"),
             (stream.binomial((3,), p=0.5), "int64"), (stream.choice((2,), a=5), "int64"),
             (stream.uniform(x.shape), "float32"), (stream.normal((x.shape[0], 3)), "float32"),
             (stream.binomial(x.shape, p=0.5, dtype="float64"), "float64"),
             (stream.permutation(6), "int64")]
    f = sg.function([x], [v for v, _ in cases])
    for (var, dtype), got in zip(cases, f(np.zeros((2, 5))), strict=True):
        assert var.dtype == dtype
        assert_static_matches(var, got)


def test_choice_and_permutation():
    stream = sg.RandomStream(9)
    no_repeat = stream.choice((5,), a=np.array([10, 20, 30, 40, 50]), replace=False)
    perm = stream.permutation(6)
    single = stream.choice(a=3)
    got = sg.function([], [no_repeat, perm, single])()
    assert sorted(got[0]) == [10, 20, 30, 40, 50]
    assert sorted(got[1]) == list(range(6))
    assert got[2].shape == () and 0 <= got[2] < 3


def test_dropout_mask_with_a_symbolic_shape():
    stream = sg.RandomStream(11)
    x = sg.dmatrix("x")
    mask = stream.binomial(x.shape, p=0.8, dtype="float64")
    f = sg.function([x], x * mask)
    out = f(np.ones((100, 100)))
    assert set(np.unique(out)) == {0.0, 1.0}
    assert abs(out.mean() - 0.8) < 0.02


def test_parameter_shapes_must_broadcast_to_the_size():
    stream = sg.RandomStream(0)
    with pytest.raises(ValueError, match=r"random_normal: parameter shapes \(4,\), \(\) do "
                                         r"not broadcast to size \(3,\)"):
        stream.normal((3,), avg=np.zeros(4))
    with pytest.raises(ValueError, match=r"random_uniform: parameter shapes \(2, 3\), \(\) do "
                                         r"not broadcast to size \(3,\)"):
        stream.uniform((3,), low=np.zeros((2, 3)))
    got = sg.function([], stream.uniform((2, 3), low=np.array([0.0, 1.0, 2.0]),
                                         high=np.array([0.5, 1.5, 2.5])))()
    assert got.shape == (2, 3) and np.all((got >= [0, 1, 2]) & (got < [0.5, 1.5, 2.5]))
    with pytest.raises(ValueError, match="give `size`"):
        stream.uniform(low=sg.dvector("lo"))
