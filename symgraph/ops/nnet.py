"""Neural-net ops (`sg.nnet`): softmax, log_softmax, cross-entropies, activations;
convolutions (ops/conv.py) and pooling (ops/pool.py) are re-exported here.

softmax and log_softmax are ops of their own (stable: they shift by the max) so the
rewrite passes can recognize them; cross-entropies are built from them, and when their
input is a softmax or sigmoid they are built on the logits directly, which keeps both the
value and the gradient finite for inputs of +-1000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..lazy import lazy_attributes
from ..tensor import as_tensor
from . import elemwise as ew
from .allocation import arange
from .elemwise import relu as _relu_row
from .elemwise import sigmoid, softplus, softsign
from .indexing import getitem
from .reduce import sum as _sum
from .registry import Op, RenderContext, keep_input_shape, normalize_axis
from .shape import shape_i

# Convolution and pooling load on first use (`import symgraph` stays quick).
_ELSEWHERE = {name: "conv" for name in ("conv1d", "conv2d", "conv2d_grad_wrt_inputs",
                                        "conv3d", "conv3d_grad_wrt_inputs")}
_ELSEWHERE.update({name: "pool" for name in ("avg_pool2d", "max_pool2d", "pool_2d",
                                             "pool_3d")})


# `sg.nnet.conv2d`, `sg.nnet.pool_2d`, ...: their modules are imported when first used.
__getattr__ = lazy_attributes(globals(), _ELSEWHERE)  # type: ignore[arg-type]


# Array methods, not np.max/np.sum: they skip NumPy's dispatch layer (~3 us a call).
def _softmax_np(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_np(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@dataclass(frozen=True)
class Softmax(Op):
    """exp(x) / sum(exp(x)) along `axis`, shifted by the max for stability."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    axis: int = -1

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "softmax")
        normalize_axis(self.axis, x.ndim, "softmax")
        return Apply(self, [x], [x.type])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"{ctx.ref(_softmax_np, 'softmax')}({ins[0]}, {self.axis})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (sm,), (g,) = outputs, output_grads
        return [(g - _sum(g * sm, axis=self.axis, keepdims=True)) * sm]

    infer_shape = keep_input_shape


@dataclass(frozen=True)
class LogSoftmax(Op):
    """log(softmax(x)) computed as x - max - log(sum(exp(x - max)))."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    axis: int = -1

    @property
    def name(self) -> str:
        return "log_softmax"

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, "log_softmax")
        normalize_axis(self.axis, x.ndim, "log_softmax")
        return Apply(self, [x], [x.type])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"{ctx.ref(_log_softmax_np, 'log_softmax')}({ins[0]}, {self.axis})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (ls,), (g,) = outputs, output_grads
        return [g - ew.exp(ls) * _sum(g, axis=self.axis, keepdims=True)]

    infer_shape = keep_input_shape


def _float_input(x: Any, op: str) -> Variable:
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dim, got {x.type}")
    return x if dtypes.is_float(x.dtype) else ew.cast(x, "float64")


def softmax(x: Any, axis: int = -1) -> Variable:
    """Softmax along `axis` (the last by default), for inputs of any rank."""
    return Softmax(axis)(x)


def log_softmax(x: Any, axis: int = -1) -> Variable:
    """log(softmax(x)), stable for large |x|."""
    return LogSoftmax(axis)(x)


def relu(x: Any, alpha: float = 0.0, max_value: float | None = None) -> Variable:
    """max(x, 0); with `alpha`, a leaky slope for x < 0; with `max_value`, capped."""
    x = as_tensor(x)
    out = _relu_row(x) if alpha == 0 else ew.switch(ew.gt(x, 0), x, alpha * x)
    if max_value is not None:
        out = ew.minimum(out, max_value)
    return out


def elu(x: Any, alpha: float = 1.0) -> Variable:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    x = as_tensor(x)
    # expm1 of min(x, 0): the branch not taken stays finite, so for x = 1000 the gradient
    # is not 0 * inf = nan.
    return ew.switch(ew.gt(x, 0), x, alpha * ew.expm1(ew.minimum(x, 0)))


def selu(x: Any) -> Variable:
    """Scaled ELU with the constants of Klambauer et al. (2017)."""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def hard_sigmoid(x: Any) -> Variable:
    """clip(0.2 * x + 0.5, 0, 1): Theano's and Keras 1/2's piecewise-linear sigmoid."""
    x = as_tensor(x)
    return ew.clip(x * 0.2 + 0.5, 0, 1)


def _logits_of(v: Variable, op_type: type) -> Variable | None:
    owner = v.owner
    if owner is not None and isinstance(owner.op, op_type):
        return owner.inputs[0]
    return None


def _sigmoid_logits(v: Variable) -> Variable | None:
    owner = v.owner
    if owner is not None and ew.is_elemwise(owner, "sigmoid"):
        return owner.inputs[0]
    return None


def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> Variable:
    """-sum(true * log(coding), axis=-1) (Theano's argument order: prediction first).

    `true_dist` may be one-hot rows, or an int vector of class indices. A softmax
    prediction is differentiated through its logits (log_softmax), so large logits stay
    finite.
    """
    p, t = as_tensor(coding_dist), as_tensor(true_dist)
    logits = _logits_of(p, Softmax)
    axis_ok = logits is not None and p.owner.op.axis in (-1, p.ndim - 1)
    logp = log_softmax(logits) if axis_ok else ew.log(p)
    if dtypes.is_int(t.dtype) and t.ndim == p.ndim - 1:
        if p.ndim != 2:
            raise ValueError(f"categorical_crossentropy: integer targets need a matrix "
                             f"prediction, got {p.type}")
        return -getitem(logp, (arange(shape_i(p, 0)), t))
    if t.ndim != p.ndim:
        raise ValueError(f"categorical_crossentropy: prediction {p.type} and target "
                         f"{t.type} need the same number of dims (or int class indices)")
    return -_sum(t * logp, axis=-1)


def binary_crossentropy(output: Any, target: Any) -> Variable:
    """-(t * log(o) + (1 - t) * log(1 - o)); on a sigmoid, computed from its logits."""
    o, t = as_tensor(output), as_tensor(target)
    z = _sigmoid_logits(o)
    if z is not None:
        # -t*log(sig(z)) - (1-t)*log(1-sig(z)) = t*softplus(-z) + (1-t)*softplus(z)
        return softplus(z) - t * z
    return -(t * ew.log(o) + (1 - t) * ew.log1p(-o))


def sigmoid_binary_crossentropy(logits: Any, target: Any) -> Variable:
    """binary_crossentropy(sigmoid(logits), target), stable for any logits."""
    z, t = as_tensor(logits), as_tensor(target)
    return softplus(z) - t * z


def softmax_categorical_crossentropy(logits: Any, target: Any) -> Variable:
    """categorical_crossentropy(softmax(logits), target), stable for any logits."""
    return categorical_crossentropy(softmax(logits), target)


def batch_normalization(inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any) -> Variable:
    """(x - mean) * (gamma / std) + beta (Theano's signature: the std, not the variance)."""
    x = as_tensor(inputs)
    return (x - mean) * (as_tensor(gamma) / std) + beta


__all__ = ["softmax", "log_softmax", "sigmoid", "relu", "elu", "selu", "hard_sigmoid",
           "softplus", "softsign", "categorical_crossentropy", "binary_crossentropy",
           "sigmoid_binary_crossentropy", "softmax_categorical_crossentropy",
           "batch_normalization", "Softmax", "LogSoftmax", *_ELSEWHERE]
