"""Random numbers: `sg.RandomStream(seed)` with uniform / normal / binomial / choice.

Each draw owns a NumPy Generator held in a shared variable, seeded from the stream's seed
and the draw's position, so a stream with the same seed gives the same numbers, and every
call of a compiled function draws fresh ones (the generator advances in place). Random
nodes never merge with each other and are never constant-folded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import dtypes
from ..graph import Apply, Constant, SharedVariable, Variable
from ..tensor import TensorType, as_tensor, broadcast_shapes
from .registry import Op, RenderContext
from .shape import as_shape_vector, static_vector


@dataclass(frozen=True)
class RandomGeneratorType:
    """The type of a shared variable holding a numpy.random.Generator."""

    dtype: str = "rng"
    shape: tuple = ()
    ndim: int = 0

    def make_variable(self, owner: Any = None, index: int = 0, name: str | None = None):
        return Variable(self, owner, index, name)

    def filter(self, value: Any, var: Any = None, strict: bool = False,
               downcast: bool = False) -> np.random.Generator:
        if not isinstance(value, np.random.Generator):
            raise TypeError(f"a random generator variable needs a numpy.random.Generator, "
                            f"got {type(value).__name__}")
        return value

    def __str__(self) -> str:
        return "rng"


RNG_TYPE = RandomGeneratorType()


class RandomGeneratorVariable(SharedVariable):
    """A shared variable holding one draw's generator."""

    __slots__ = ()


_RENDER = {
    "uniform": "{rng}.uniform({0}, {1}, size={size})",
    "normal": "{rng}.normal({0}, {1}, size={size})",
    "binomial": "{rng}.binomial({0}, {1}, size={size})",
    "choice": "{rng}.choice({0}, size={size}, replace={replace}, p={1})",
    "permutation": "{rng}.permutation({0})",
}


@dataclass(frozen=True)
class RandomVariable(Op):
    """One draw from `dist` with the given parameters and output size."""

    dist: str
    dtype: str
    replace: bool = True
    nondeterministic = True

    @property
    def name(self) -> str:
        return f"random_{self.dist}"

    def make_node(self, rng: Variable, size: Any, *params: Any) -> Apply:
        size_v = as_shape_vector(size, self.name)
        ps = [as_tensor(p) for p in params]
        static = static_vector(size_v)
        if static is None:
            raise ValueError(f"{self.name}: the number of dims of `size` must be known")
        if self.dist not in ("choice", "permutation"):
            _check_params_fit(self.name, static, [p.type.shape for p in ps])
        return Apply(self, [rng, size_v, *ps], [TensorType(self.dtype, static)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        rng, size, *params = ins
        n = node.inputs[2] if len(node.inputs) > 2 else None
        if self.dist == "binomial" and isinstance(n, Constant) and np.all(n.data == 1):
            # Bernoulli (dropout masks): uniforms below p, 4-8x faster than binomial(1, p)
            p_dtype = "float32" if node.inputs[3].dtype in ("float16", "float32") else \
                "float64"
            return (f"np.asarray({rng}.random(tuple({size}), dtype=np.{p_dtype}) < "
                    f"{params[1]}, dtype=np.{self.dtype})")
        if self.dist == "choice" and len(params) == 1:
            params = params + ["None"]
        expr = _RENDER[self.dist].format(*params, rng=rng, size=f"tuple({size})",
                                         replace=self.replace)
        return f"np.asarray({expr}, dtype=np.{self.dtype})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None] * len(inputs)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        size = node.inputs[1]
        return [[size[i] for i in range(node.outputs[0].ndim)]]


def _check_params_fit(op: str, size: tuple, param_shapes: list[tuple]) -> None:
    """NumPy's rule: the parameters broadcast to `size` (not to something bigger)."""
    try:
        fits = broadcast_shapes(size, *param_shapes, op=op)
        fits = len(fits) == len(size) and all(
            s is None or f is None or s == f for s, f in zip(size, fits, strict=True))
    except ValueError:
        fits = False
    if not fits:
        shapes = ", ".join(str(s) for s in param_shapes)
        raise ValueError(f"{op}: parameter shapes {shapes} do not broadcast to size {size}")


class RandomStream:
    """A seeded source of symbolic random draws (Theano's RandomStreams / MRG_RandomStreams)."""

    def __init__(self, seed: int | None = None):
        self._seed = seed
        self._seq = np.random.SeedSequence(seed)
        self.generators: list[RandomGeneratorVariable] = []

    def _next_rng(self) -> RandomGeneratorVariable:
        (child,) = self._seq.spawn(1)
        gen = np.random.Generator(np.random.PCG64(child))
        var = RandomGeneratorVariable(RNG_TYPE, gen, name=f"rng{len(self.generators)}")
        self.generators.append(var)
        return var

    def seed(self, seed: int | None) -> None:
        """Reseed every draw made so far, as if the stream had been created with `seed`."""
        self._seed = seed
        self._seq = np.random.SeedSequence(seed)
        for var in self.generators:
            (child,) = self._seq.spawn(1)
            var.container.value = np.random.Generator(np.random.PCG64(child))

    def _draw(self, dist: str, size: Any, params: Sequence[Any], dtype: Any,
              replace: bool = True) -> Variable:
        if size is None:
            shapes = [as_tensor(p).type.shape for p in params]
            size = broadcast_shapes(*shapes)
            if None in size:
                raise ValueError(f"random {dist}: give `size` when parameter shapes are "
                                 f"not known statically")
        if isinstance(size, (int, np.integer)):
            size = (int(size),)
        return RandomVariable(dist, dtype, replace)(self._next_rng(), size, *params)

    def uniform(self, size: Any = None, low: Any = 0.0, high: Any = 1.0, dtype: Any = None,
                ndim: int | None = None) -> Variable:
        """Uniform numbers in [low, high)."""
        return self._draw("uniform", size, [low, high], dtypes.as_dtype(dtype))

    def normal(self, size: Any = None, avg: Any = 0.0, std: Any = 1.0, dtype: Any = None,
               ndim: int | None = None, mean: Any = None) -> Variable:
        """Gaussian numbers with mean `avg` and standard deviation `std`."""
        return self._draw("normal", size, [avg if mean is None else mean, std],
                          dtypes.as_dtype(dtype))

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, dtype: Any = "int64",
                 ndim: int | None = None) -> Variable:
        """Binomial counts (n=1: Bernoulli draws, as dropout masks use)."""
        return self._draw("binomial", size, [n, p], dtypes.as_dtype(dtype))

    def choice(self, size: Any = None, a: Any = 2, p: Any = None, replace: bool = True,
               dtype: Any = "int64") -> Variable:
        """Samples from range(a) (an int) or from the 1-d array `a`, with probabilities p."""
        params = [a] if p is None else [a, p]
        if size is None:
            size = ()
        return self._draw("choice", size, params, dtypes.as_dtype(dtype), replace)

    def permutation(self, n: Any, dtype: Any = "int64") -> Variable:
        """A random permutation of range(n) (n a constant int)."""
        return self._draw("permutation", (int(n),), [int(n)], dtypes.as_dtype(dtype))


def is_random(node: Apply) -> bool:
    """True for random draws (never merged, never constant-folded)."""
    return node.op.nondeterministic
