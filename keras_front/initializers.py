"""Weight initializers: the Keras 1.x functions and the Keras 2 classes, in one module.

Every initializer here returns a NumPy array; the layer makes the variable:
`K.variable(init(shape), name=...)`. `keras_front.initializations` (Keras 1.x's module
name) has the same Keras 1.x functions returning variables, as Keras 1.2.2's do;
K.variable accepts a variable, so layers take either kind.

- Keras 1.x: `glorot_uniform(shape, name=None, dim_ordering='th')`, `uniform(shape,
  scale=0.05)`, `normal(shape, scale=0.05)`, `orthogonal(shape, scale=1.1)`, ...
  Unseeded draws come from NumPy's global generator, the same calls Keras 1.x makes,
  so `np.random.seed(n)` reproduces Keras 1.x's weights.
- Keras 2: `Zeros()`, `RandomUniform(minval, maxval, seed)`, `VarianceScaling(...)`, ...
  and `glorot_uniform(seed=None)`-style functions returning them. A Keras 1.x function
  called without a shape (`glorot_uniform()`, `uniform(-0.1, 0.1)`) returns the Keras 2
  object of the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend as K
from .utils.generic_utils import (
    deserialize_keras_object,
    get_from_module,
    serialize_keras_object,
)

Shape = Sequence[int]
# Std of a standard normal truncated to [-2, 2]: dividing by it keeps the variance.
_TRUNCATED_STD = 0.87962566103423978


# ---------------------------------------------------------------- fans


def get_fans(shape: Shape, dim_ordering: str = "th") -> tuple[float, float]:
    """Keras 1.x fans: (in, out) of a dense kernel, or of a 4-/5-d conv kernel laid out
    as 'th' (out, in, *field) or 'tf' (*field, in, out); sqrt(size) for anything else."""
    return _fans(tuple(shape), dim_ordering, conv_ranks=(4, 5))


def compute_fans(shape: Shape, data_format: str = "channels_last") -> tuple[float, float]:
    """Keras 2 fans: like get_fans, but 3-d (conv1d) kernels use their receptive field too."""
    return _fans(tuple(shape), data_format, conv_ranks=(3, 4, 5))


def _fans(shape: tuple[int, ...], ordering: str, conv_ranks: tuple[int, ...]
          ) -> tuple[float, float]:
    """(fan_in, fan_out): the two dims of a dense kernel; for the ranks that are conv
    kernels, input and output channels times the receptive field; else sqrt(size)."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in conv_ranks:
        if K.normalize_dim_ordering(ordering) == "th":
            field = int(np.prod(shape[2:]))
            return shape[1] * field, shape[0] * field
        field = int(np.prod(shape[:-2]))
        return shape[-2] * field, shape[-1] * field
    side = float(np.sqrt(np.prod(shape)))
    return side, side


def _rng(seed: int | None) -> Any:
    return np.random if seed is None else np.random.RandomState(seed)


def _out(value: Any, dtype: str | None) -> np.ndarray:
    return np.asarray(value, dtype=dtype or K.floatx())


def _truncated(rng: Any, mean: float, stddev: float, shape: Shape) -> np.ndarray:
    """Normal draws with values beyond 2 stddev drawn again."""
    z = rng.normal(0.0, 1.0, size=shape)
    bad = np.abs(z) > 2
    while np.any(bad):
        z[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(z) > 2
    return mean + stddev * z


# ---------------------------------------------------------------- Keras 2 classes


class Initializer:
    """Base class: `init(shape, dtype=None)` returns a NumPy array of that shape.

    Subclasses name their constructor arguments in `_config` (get_config's keys).
    """

    _config: tuple[str, ...] = ()

    def __call__(self, shape: Shape, dtype: str | None = None, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, to rebuild the initializer from a layer config."""
        return {key: getattr(self, key) for key in self._config}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """The initializer a get_config() dict describes (a Keras 1.x 'name' key ignored)."""
        config = {k: v for k, v in config.items() if k != "name"}
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Shape, dtype: str | None = None, **kwargs: Any) -> np.ndarray:
        return np.zeros(tuple(shape), dtype=dtype or K.floatx())


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Shape, dtype: str | None = None, **kwargs: Any) -> np.ndarray:
        return np.ones(tuple(shape), dtype=dtype or K.floatx())


class Constant(Initializer):
    """Every entry equal to `value`."""

    _config = ("value",)

    def __init__(self, value: float = 0):
        self.value = value

    def __call__(self, shape: Shape, dtype: str | None = None, **kwargs: Any) -> np.ndarray:
        return np.full(tuple(shape), self.value, dtype=dtype or K.floatx())


class _Random(Initializer):
    """Random draws (`_draw`) from NumPy's global generator, or a private one when seeded."""

    seed: int | None

    def _draw(self, rng: Any, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, shape: Shape, dtype: str | None = None, **kwargs: Any) -> np.ndarray:
        return _out(self._draw(_rng(self.seed), tuple(shape)), dtype)


class _Normal(_Random):
    """The arguments of the normal draws: mean, stddev, seed."""

    _config = ("mean", "stddev", "seed")

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed


class RandomNormal(_Normal):
    """Draws from N(mean, stddev**2)."""

    def _draw(self, rng: Any, shape: tuple[int, ...]) -> np.ndarray:
        return rng.normal(self.mean, self.stddev, size=shape)


class RandomUniform(_Random):
    """Draws from U(minval, maxval)."""

    _config = ("minval", "maxval", "seed")

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def _draw(self, rng: Any, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, size=shape)


class TruncatedNormal(_Normal):
    """Draws from N(mean, stddev**2), values beyond 2 stddev drawn again."""

    def _draw(self, rng: Any, shape: tuple[int, ...]) -> np.ndarray:
        return _truncated(rng, self.mean, self.stddev, shape)


class VarianceScaling(Initializer):
    """Variance scale / n with n = fan_in, fan_out or their average (mode).

    'normal' draws a normal truncated at 2 std and rescaled so its variance is exactly
    scale / n (Keras 2.2.3+); 'untruncated_normal' a plain normal; 'uniform'
    U(-limit, limit) with limit = sqrt(3 scale / n). Fans follow Keras 2 (channels-last
    kernels) unless the caller passes dim_ordering='th' for a Keras 1.x layout.
    """

    _config = ("scale", "mode", "distribution", "seed")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "normal",
                 seed: int | None = None):
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: invalid `mode` {mode!r}, expected 'fan_in', "
                             f"'fan_out' or 'fan_avg'")
        if distribution not in ("normal", "truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: invalid `distribution` {distribution!r}, "
                             f"expected 'normal' or 'uniform'")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def variance(self, shape: Shape, dim_ordering: str | None = None) -> float:
        """The target variance of the draws for a kernel of `shape`."""
        fan_in, fan_out = compute_fans(shape, dim_ordering or "channels_last")
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        return self.scale / max(1.0, n[self.mode])

    def __call__(self, shape: Shape, dtype: str | None = None, dim_ordering: str | None = None,
                 **kwargs: Any) -> np.ndarray:
        shape = tuple(shape)
        var, rng = self.variance(shape, dim_ordering), _rng(self.seed)
        if self.distribution in ("normal", "truncated_normal"):
            value = _truncated(rng, 0.0, np.sqrt(var) / _TRUNCATED_STD, shape)
        elif self.distribution == "untruncated_normal":
            value = rng.normal(0.0, np.sqrt(var), size=shape)
        else:
            limit = np.sqrt(3.0 * var)
            value = rng.uniform(-limit, limit, size=shape)
        return _out(value, dtype)


class Orthogonal(Initializer):
    """A random orthogonal matrix (kernel flattened to (prod(shape[:-1]), shape[-1])) x gain."""

    _config = ("gain", "seed")

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape: Shape, dtype: str | None = None, **kwargs: Any) -> np.ndarray:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least 2 dims, got {shape}")
        flat = (int(np.prod(shape[:-1])), shape[-1])
        return _out(self.gain * _orthogonal(_rng(self.seed), flat).reshape(shape), dtype)


def _orthogonal(rng: Any, flat_shape: tuple[int, int]) -> np.ndarray:
    """The orthonormal factor of a Gaussian matrix, via SVD (rows or columns orthonormal)."""
    a = rng.normal(0.0, 1.0, flat_shape)
    u, _, v = np.linalg.svd(a, full_matrices=False)
    return u if u.shape == flat_shape else v


class Identity(Initializer):
    """gain times the identity matrix (square 2-d shapes only)."""

    _config = ("gain",)

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: Shape, dtype: str | None = None, **kwargs: Any) -> np.ndarray:
        shape = tuple(shape)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"Identity matrix initializer can only be used for 2D square "
                             f"matrices, got shape {shape}")
        return _out(self.gain * np.identity(shape[0]), dtype)


# ---------------------------------------------------------------- Keras 1.x functions


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list))


def _seed_of(*candidates: Any) -> int | None:
    for c in candidates:
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            return int(c)
    return None


def uniform(shape: Any = None, scale: float = 0.05, name: Any = None,
            dim_ordering: str = "th", dtype: str | None = None, seed: int | None = None,
            minval: float | None = None, maxval: float | None = None) -> Any:
    """Keras 1.x: U(-scale, scale) of `shape`. Without a shape: Keras 2's RandomUniform
    (uniform(minval, maxval, seed))."""
    if not _is_shape(shape):
        lo = minval if minval is not None else (-0.05 if shape is None else shape)
        hi = maxval if maxval is not None else scale
        return RandomUniform(lo, hi, seed if seed is not None else _seed_of(name))
    return _out(_rng(seed).uniform(-scale, scale, size=tuple(shape)), dtype)


def normal(shape: Any = None, scale: float = 0.05, name: Any = None, dim_ordering: str = "th",
           dtype: str | None = None, seed: int | None = None, mean: float | None = None,
           stddev: float | None = None) -> Any:
    """Keras 1.x: N(0, scale**2) of `shape`. Without a shape: Keras 2's RandomNormal
    (normal(mean, stddev, seed))."""
    if not _is_shape(shape):
        m = mean if mean is not None else (0.0 if shape is None else shape)
        s = stddev if stddev is not None else scale
        return RandomNormal(m, s, seed if seed is not None else _seed_of(name))
    return _out(_rng(seed).normal(0.0, scale, size=tuple(shape)), dtype)


def _fan_based(keras2: Callable[[int | None], Initializer], distribution: str,
               std_of_fans: Callable[[float, float], float]) -> Callable[..., Any]:
    """A Keras 1.x fan-scaled initializer that is also Keras 2's function of that name."""

    def init(shape: Any = None, name: Any = None, dim_ordering: str = "th",
             dtype: str | None = None, seed: int | None = None) -> Any:
        if not _is_shape(shape):
            return keras2(seed if seed is not None else _seed_of(shape, name))
        s = std_of_fans(*get_fans(shape, dim_ordering))
        rng, shape = _rng(seed), tuple(shape)
        if distribution == "uniform":
            return _out(rng.uniform(-s, s, size=shape), dtype)
        return _out(rng.normal(0.0, s, size=shape), dtype)

    return init


lecun_uniform = _fan_based(lambda seed: VarianceScaling(1.0, "fan_in", "uniform", seed),
                           "uniform", lambda fi, fo: np.sqrt(3.0 / fi))
glorot_normal = _fan_based(lambda seed: VarianceScaling(1.0, "fan_avg", "normal", seed),
                           "normal", lambda fi, fo: np.sqrt(2.0 / (fi + fo)))
glorot_uniform = _fan_based(lambda seed: VarianceScaling(1.0, "fan_avg", "uniform", seed),
                            "uniform", lambda fi, fo: np.sqrt(6.0 / (fi + fo)))
he_normal = _fan_based(lambda seed: VarianceScaling(2.0, "fan_in", "normal", seed),
                       "normal", lambda fi, fo: np.sqrt(2.0 / fi))
he_uniform = _fan_based(lambda seed: VarianceScaling(2.0, "fan_in", "uniform", seed),
                        "uniform", lambda fi, fo: np.sqrt(6.0 / fi))
_DOCS = {
    "lecun_uniform": "U(-s, s) with s = sqrt(3 / fan_in) (LeCun 1998).",
    "glorot_normal": "N(0, s**2) with s = sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio "
                     "2010; Keras 2: truncated).",
    "glorot_uniform": "U(-s, s) with s = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).",
    "he_normal": "N(0, s**2) with s = sqrt(2 / fan_in) (He et al. 2015; Keras 2: truncated).",
    "he_uniform": "U(-s, s) with s = sqrt(6 / fan_in) (He et al. 2015).",
}
for _name, _doc in _DOCS.items():
    globals()[_name].__name__ = globals()[_name].__qualname__ = _name
    globals()[_name].__doc__ = _doc


def lecun_normal(shape: Any = None, name: Any = None, dim_ordering: str = "th",
                 dtype: str | None = None, seed: int | None = None) -> Any:
    """Truncated normal with variance 1 / fan_in (Keras 2; with a shape, an array)."""
    init = VarianceScaling(1.0, "fan_in", "normal",
                           seed if seed is not None else _seed_of(None if _is_shape(shape)
                                                                  else shape, name))
    return init(shape, dtype, dim_ordering=dim_ordering) if _is_shape(shape) else init


def orthogonal(shape: Any = None, scale: float = 1.1, name: Any = None,
               dim_ordering: str = "th", dtype: str | None = None, seed: int | None = None,
               gain: float | None = None) -> Any:
    """Keras 1.x: scale x a random orthogonal matrix ((shape[0], prod(rest)) flattened).
    Without a shape: Keras 2's Orthogonal(gain=1.0)."""
    if not _is_shape(shape):
        g = gain if gain is not None else (1.0 if shape is None else shape)
        return Orthogonal(g, seed if seed is not None else _seed_of(name))
    shape = tuple(shape)
    flat = (shape[0], int(np.prod(shape[1:])))
    return _out(scale * _orthogonal(_rng(seed), flat).reshape(shape), dtype)


def identity(shape: Any = None, scale: float = 1.0, name: Any = None,
             dim_ordering: str = "th", dtype: str | None = None,
             gain: float | None = None) -> Any:
    """Keras 1.x: scale x the identity (square 2-d shapes). Without a shape: Identity()."""
    if not _is_shape(shape):
        return Identity(gain if gain is not None else (1.0 if shape is None else shape))
    return Identity(scale)(shape, dtype)


def zero(shape: Any = None, name: Any = None, dim_ordering: str = "th",
         dtype: str | None = None) -> Any:
    """Keras 1.x: zeros of `shape`. Without a shape: Zeros()."""
    return Zeros()(shape, dtype) if _is_shape(shape) else Zeros()


def one(shape: Any = None, name: Any = None, dim_ordering: str = "th",
        dtype: str | None = None) -> Any:
    """Keras 1.x: ones of `shape`. Without a shape: Ones()."""
    return Ones()(shape, dtype) if _is_shape(shape) else Ones()


# Keras 2 aliases (lower-case names of the classes).
zeros = Zeros
ones = Ones
constant = Constant
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal

_INITIALIZERS: dict[str, Any] = {
    # Keras 2 classes, by class name and by their lower-case aliases
    "Zeros": Zeros, "Ones": Ones, "Constant": Constant, "RandomNormal": RandomNormal,
    "RandomUniform": RandomUniform, "TruncatedNormal": TruncatedNormal,
    "VarianceScaling": VarianceScaling, "Orthogonal": Orthogonal, "Identity": Identity,
    "zeros": Zeros, "ones": Ones, "constant": constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    # Keras 1.x functions (also Keras 2's functions of the same names)
    "uniform": uniform, "normal": normal, "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal, "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform, "he_normal": he_normal, "he_uniform": he_uniform,
    "orthogonal": orthogonal, "identity": identity, "zero": zero, "one": one,
}


# ---------------------------------------------------------------- lookup


def serialize(initializer: Any) -> Any:
    """{'class_name', 'config'} for an Initializer object; the name for a function."""
    return serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The initializer described by `config` ({'class_name', 'config'} or a name)."""
    return deserialize_keras_object(config, _INITIALIZERS, custom_objects, "initializer")


def get(identifier: Any, **kwargs: Any) -> Any:
    """A callable `init(shape) -> array` from a name, a config dict, or a callable.

    Keyword arguments (Keras 1.x layers pass dim_ordering=) are forwarded on every call.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            init = deserialize(identifier)
        else:
            init = get_from_module(identifier, _INITIALIZERS, "initialization")
    elif isinstance(identifier, str):
        init = get_from_module(identifier, _INITIALIZERS, "initialization")
        if isinstance(init, type):
            init = init()
    elif callable(identifier):
        init = identifier
    else:
        raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
    return _bind(init, kwargs) if kwargs else init


def _bind(init: Callable[..., Any], kwargs: dict[str, Any]) -> Callable[..., Any]:
    """init with `kwargs` passed on every call, keeping its name for layer configs."""

    def bound(shape: Shape, *args: Any, **kw: Any) -> Any:
        return init(shape, *args, **{**kwargs, **kw})

    bound.__name__ = getattr(init, "__name__", type(init).__name__)
    bound.__doc__ = init.__doc__
    return bound
