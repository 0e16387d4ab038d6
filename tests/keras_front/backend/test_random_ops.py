"""K's symbolic random tensors (keras_front/backend/random_ops.py)."""

import numpy as np
import pytest

from keras_front import backend as K


def draw(expr, feeds=None):
    feeds = feeds or {}
    f = K.function(list(feeds), [expr])
    return lambda: f(list(feeds.values()))[0]


def test_random_uniform_statistics_and_fresh_draws_each_call():
    sample = draw(K.random_uniform((400, 50), low=-1.0, high=3.0, seed=1))
    a, b = sample(), sample()
    assert a.dtype == np.float32 and a.shape == (400, 50)
    assert a.min() >= -1.0 and a.max() < 3.0
    assert abs(a.mean() - 1.0) < 0.05 and abs(a.var() - 16 / 12) < 0.05
    assert not np.array_equal(a, b)


def test_keras_2_spellings_of_the_parameters():
    u = draw(K.random_uniform((1000,), minval=5.0, maxval=6.0, seed=2))()
    assert u.min() >= 5.0 and u.max() < 6.0
    n = draw(K.random_normal((20000,), mean=0.0, stddev=3.0, seed=2))()
    assert abs(n.std() - 3.0) < 0.1


def test_random_normal_statistics():
    n = draw(K.random_normal((200, 100), mean=2.0, std=0.5, seed=3))()
    assert abs(n.mean() - 2.0) < 0.02 and abs(n.std() - 0.5) < 0.02


def test_random_binomial_draws_zeros_and_ones_with_probability_p():
    b = draw(K.random_binomial((200, 100), p=0.3, seed=4))()
    assert b.dtype == np.float32 and set(np.unique(b)) == {0.0, 1.0}
    assert abs(b.mean() - 0.3) < 0.02


def test_truncated_normal_stays_within_two_stddevs():
    t = draw(K.truncated_normal((200, 100), mean=1.0, stddev=2.0, seed=5))()
    assert t.min() >= -3.0 and t.max() <= 5.0
    # The std of a standard normal truncated to [-2, 2] is 0.8796.
    assert abs(t.std() - 2.0 * 0.8796) < 0.05 and abs(t.mean() - 1.0) < 0.05


def test_same_seed_same_numbers_and_np_random_seed_reproduces_unseeded_draws():
    a = draw(K.random_normal((5,), seed=7))()
    b = draw(K.random_normal((5,), seed=7))()
    np.testing.assert_array_equal(a, b)
    np.random.seed(11)
    c = draw(K.random_uniform((5,)))()
    np.random.seed(11)
    d = draw(K.random_uniform((5,)))()
    np.testing.assert_array_equal(c, d)


def test_shape_may_be_symbolic():
    x = K.placeholder(ndim=2)
    r = draw(K.random_uniform(K.shape(x), seed=8), {x: np.zeros((3, 4), "float32")})()
    assert r.shape == (3, 4)
    with pytest.raises(ValueError, match="need a fully specified shape"):
        K.random_normal((None, 3))
