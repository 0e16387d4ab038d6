"""Symbolic random tensors for K: a fresh draw every time the compiled function runs.

Each call makes its own `sg.RandomStream(seed)`; an unseeded call takes its seed from
NumPy's global generator, so `np.random.seed(...)` makes a script reproducible, as in
Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import symgraph as sg
from symgraph.graph import Variable

from .common import floatx

# Redraws before clipping in truncated_normal: an element stays outside +-2 std after
# all draws with probability 0.0455 ** 6 < 1e-8.
_TRUNCATED_REDRAWS = 5


def _stream(seed: int | None) -> sg.RandomStream:
    if seed is None:
        seed = int(np.random.randint(1, 10_000_000))
    return sg.RandomStream(seed)


def _size(shape: Any) -> Any:
    """A Keras shape (ints, symbolic scalars, or a symbolic vector) for RandomStream."""
    if isinstance(shape, Variable) or isinstance(shape, (int, np.integer)):
        return shape
    shape = tuple(shape)
    if any(d is None for d in shape):
        raise ValueError(f"random tensors need a fully specified shape, got {shape} "
                         f"(use K.shape(x) for sizes known only at run time)")
    return shape


def random_normal(shape: Any, mean: float = 0.0, std: float = 1.0, dtype: str | None = None,
                  seed: int | None = None, stddev: float | None = None) -> Variable:
    """Gaussian draws N(mean, std**2) (`stddev=` is the Keras 2 spelling of `std`)."""
    std = std if stddev is None else stddev
    return _stream(seed).normal(_size(shape), avg=mean, std=std, dtype=dtype or floatx())


def random_uniform(shape: Any, low: float = 0.0, high: float = 1.0, dtype: str | None = None,
                   seed: int | None = None, minval: float | None = None,
                   maxval: float | None = None) -> Variable:
    """Uniform draws in [low, high) (`minval=`/`maxval=` are the Keras 2 spellings)."""
    low = low if minval is None else minval
    high = high if maxval is None else maxval
    return _stream(seed).uniform(_size(shape), low=low, high=high, dtype=dtype or floatx())


def random_binomial(shape: Any, p: float = 0.0, dtype: str | None = None,
                    seed: int | None = None) -> Variable:
    """Bernoulli draws: 1 with probability p, else 0 (in floatx by default)."""
    return _stream(seed).binomial(_size(shape), n=1, p=p, dtype=dtype or floatx())


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0,
                     dtype: str | None = None, seed: int | None = None) -> Variable:
    """Gaussian draws with values beyond 2 standard deviations drawn again."""
    rng, size, dtype = _stream(seed), _size(shape), dtype or floatx()
    z = rng.normal(size, avg=0.0, std=1.0, dtype=dtype)
    for _ in range(_TRUNCATED_REDRAWS):
        z = sg.switch(sg.gt(sg.abs(z), 2.0), rng.normal(size, 0.0, 1.0, dtype=dtype), z)
    return mean + stddev * sg.clip(z, -2.0, 2.0)
