"""2-d pooling over the last two dims (`sg.nnet.pool_2d`, `max_pool2d`, `avg_pool2d`).

Theano's semantics (`theano.tensor.signal.pool.pool_2d`), for inputs of 2 or more dims:

- `ws` is the window, `stride` the step (default: the window), `pad` zeros added on both
  sides (only with `ignore_border=True`, and smaller than the window, as in Theano);
- `ignore_border=True` drops windows that would cross the (padded) border;
  `ignore_border=False` keeps the last, partial windows;
- modes: 'max' and 'sum' look at real input only (never at the padding);
  'average_exc_pad' divides by the number of real inputs in the window,
  'average_inc_pad' by the window's size counting padding (partial windows of
  `ignore_border=False` count only what they cover).

Gradients are ops of their own. Max pooling records which tap of each window won
(`PoolArgmax`, the first maximum in row-major window order); `MaxPoolGrad` routes the
output gradient there and `MaxPoolGradGrad` gathers from there, each the other's
gradient, so derivatives of any order reuse the one recorded argmax. Averages and sums
spread the gradient evenly (`AveragePoolGrad`, whose gradient is the pooling itself).

Ties differ from Theano on purpose: Theano's MaxPoolGrad gives the full output gradient
to *every* input equal to the window's maximum (so a window of four equal values passes
on four times the gradient); here only the first maximum receives it, as in cuDNN and
TensorFlow, which keeps the gradient a true (sub)gradient of the pooled value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, constant
from . import elemwise as ew
from .conv import Pair, int_pair
from .registry import Op, RenderContext
from .shape import INT, as_shape_vector, static_vector, trailing_dims

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


# ---------------------------------------------------------------- geometry


def pool_out_length(n: Any, ws: int, st: int, pad: int, ignore_border: bool) -> Any:
    """Number of windows along one axis of length n (an int or a symbolic int scalar)."""
    symbolic = isinstance(n, Variable)
    top = (lambda v: ew.maximum(v, 0)) if symbolic else (lambda v: max(v, 0))
    if ignore_border:
        return top((n + 2 * pad - ws) // st + 1)
    # Theano's count of partial windows; the minimum with n gives an empty axis no window.
    out = (n - 1) // st + 1 if st >= ws else top((n - 1 - ws) // st + 1) + 1
    return ew.minimum(out, n) if symbolic else min(out, n)


@dataclass(frozen=True)
class PoolGeometry:
    """Window, stride, padding and border rule of one pooling."""

    ws: Pair
    stride: Pair
    pad: Pair
    ignore_border: bool

    def out_hw(self, hw: Sequence[Any]) -> list[Any]:
        """Output rows and cols for input rows and cols `hw`."""
        return [pool_out_length(hw[a], self.ws[a], self.stride[a], self.pad[a],
                                self.ignore_border) for a in (0, 1)]

    def layout(self, hw: Sequence[int]) -> tuple[Pair, Pair]:
        """(output rows/cols, rows/cols of the padded input extended to hold every window)."""
        ohw = tuple(int(v) for v in self.out_hw(hw))
        ext = tuple(max(hw[a] + 2 * self.pad[a],
                        (ohw[a] - 1) * self.stride[a] + self.ws[a] if ohw[a] else 0)
                    for a in (0, 1))
        return ohw, ext

    def taps(self) -> list[tuple[int, int, int]]:
        """(k, i, j) for every window offset (i, j), k = i * ws[1] + j (row-major)."""
        return [(i * self.ws[1] + j, i, j) for i in range(self.ws[0]) for j in range(self.ws[1])]

    def __str__(self) -> str:
        return (f"ws={self.ws}, stride={self.stride}, pad={self.pad}, "
                f"ignore_border={self.ignore_border}")


# ---------------------------------------------------------------- NumPy kernels


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _extended(x: np.ndarray, g: PoolGeometry, ext: Pair, fill: Any) -> np.ndarray:
    """x placed at (pad[0], pad[1]) in an array of ext rows/cols filled with `fill`."""
    h, w = x.shape[-2:]
    if tuple(ext) == (h, w):
        return x
    out = np.full(x.shape[:-2] + tuple(ext), fill, dtype=x.dtype)
    p0, p1 = g.pad
    out[..., p0:p0 + h, p1:p1 + w] = x
    return out


def _tap(xp: np.ndarray, i: int, j: int, g: PoolGeometry, ohw: Pair) -> np.ndarray:
    """View of the element at window offset (i, j) of every window: shape (..., oh, ow)."""
    (s0, s1), (oh, ow) = g.stride, ohw
    return xp[..., i:i + s0 * (oh - 1) + 1:s0, j:j + s1 * (ow - 1) + 1:s1]


def _crop(xp: np.ndarray, g: PoolGeometry, hw: Pair) -> np.ndarray:
    p0, p1 = g.pad
    return xp[..., p0:p0 + hw[0], p1:p1 + hw[1]]


def _counts(hw: Pair, ohw: Pair, g: PoolGeometry, include_pad: bool) -> np.ndarray:
    """(oh, ow) number of inputs each window averages over."""
    per_axis = []
    for a in (0, 1):
        start = np.arange(ohw[a]) * g.stride[a]
        lo, hi = (0, hw[a] + 2 * g.pad[a]) if include_pad else (g.pad[a], g.pad[a] + hw[a])
        per_axis.append(np.minimum(start + g.ws[a], hi) - np.maximum(start, lo))
    return np.outer(per_axis[0], per_axis[1])


def _check_input(op: str, x: np.ndarray) -> None:
    if x.ndim < 2:
        raise ValueError(f"{op}: input must have at least 2 dims, got shape {x.shape}")


def pool_forward(x: np.ndarray, ws: Pair, stride: Pair, pad: Pair, ignore_border: bool,
                 mode: str) -> np.ndarray:
    """Pool the last two dims: one vectorized step per window offset (ws[0] * ws[1])."""
    _check_input("pool_2d", x)
    g = PoolGeometry(ws, stride, pad, ignore_border)
    hw = x.shape[-2:]
    ohw, ext = g.layout(hw)
    if 0 in ohw or x.size == 0:
        return np.zeros(x.shape[:-2] + ohw, dtype=x.dtype)
    # Padding the max with the lowest value never wins over a real input, and every
    # window holds one (pad < ws), so max and sum see real inputs only.
    xp = _extended(x, g, ext, _lowest(x.dtype) if mode == "max" else 0)
    out = None
    for _, i, j in g.taps():
        tap = _tap(xp, i, j, g, ohw)
        if out is None:
            out = tap.copy()
        elif mode == "max":
            np.maximum(out, tap, out=out)
        else:
            np.add(out, tap, out=out)
    if mode.startswith("average"):
        out /= _counts(hw, ohw, g, mode == "average_inc_pad").astype(out.dtype)
    return out


def pool_argmax(x: np.ndarray, ws: Pair, stride: Pair, pad: Pair,
                ignore_border: bool) -> np.ndarray:
    """Offset k = i * ws[1] + j of each window's first maximum among its real inputs."""
    _check_input("pool_argmax", x)
    g = PoolGeometry(ws, stride, pad, ignore_border)
    hw = x.shape[-2:]
    ohw, ext = g.layout(hw)
    idx = np.zeros(x.shape[:-2] + ohw, dtype=np.int64)
    if idx.size == 0:
        return idx
    lowest = _lowest(x.dtype)
    xp = _extended(x, g, ext, lowest)
    exact = tuple(ext) == tuple(hw)  # no padding: every tap is a real input
    # real[a][t]: which windows' tap t along axis a lands on the input, not on padding
    real = [[(g.pad[a] <= t + np.arange(ohw[a]) * g.stride[a]) &
             (t + np.arange(ohw[a]) * g.stride[a] < g.pad[a] + hw[a])
             for t in range(g.ws[a])] for a in (0, 1)]
    best = np.full(idx.shape, lowest, dtype=x.dtype)
    found = np.zeros(idx.shape, dtype=bool)
    for k, i, j in g.taps():
        tap = _tap(xp, i, j, g, ohw)
        # Strictly greater: a later tie never displaces the first maximum. Padding holds
        # the lowest value, so it is never greater; a window's first real tap is taken
        # even when it equals the lowest value (-inf).
        if exact:
            take = tap > best if k else np.ones(idx.shape, dtype=bool)
        else:
            is_real = np.logical_and.outer(real[0][i], real[1][j])
            take = (tap > best) | (is_real & ~found)
            found |= is_real
        # Blends, not masked copies: a random mask makes np.where / copyto 5x slower.
        # fmax equals "tap where taken, else best" here, and skips NaN like `>` does.
        np.fmax(best, tap, out=best)
        step = np.subtract(k, idx)
        step *= take
        idx += step
    return idx


def _check_grad(op: str, like_gz: np.ndarray, gz: np.ndarray, ohw: Pair,
                hw: Pair, g: PoolGeometry) -> None:
    """The output gradient (and the argmax shaped like it) fit pooling rows x cols hw."""
    if gz.ndim < 2 or gz.shape[-2:] != ohw or like_gz.shape != gz.shape:
        raise ValueError(f"{op}: gradient of shape {gz.shape} does not match pooling an "
                         f"input of rows x cols {hw[0]}x{hw[1]} ({g}), whose output ends "
                         f"in {ohw}")


def _positions(idx: np.ndarray, g: PoolGeometry, ohw: Pair, ext: Pair) -> np.ndarray:
    """(windows-of-all-planes, oh * ow): where each recorded maximum lies in the flattened
    extended input, counting every leading-dims plane one after the other."""
    offsets = np.array([i * ext[1] + j for _, i, j in g.taps()], dtype=np.int64)
    origin = np.add.outer(np.arange(ohw[0]) * g.stride[0] * ext[1],
                          np.arange(ohw[1]) * g.stride[1])
    pos = (origin + offsets[idx]).reshape(-1, ohw[0] * ohw[1])
    pos += (np.arange(pos.shape[0]) * (ext[0] * ext[1]))[:, None]
    return pos


def max_pool_grad(idx: np.ndarray, gz: np.ndarray, in_hw: np.ndarray, ws: Pair,
                  stride: Pair, pad: Pair, ignore_border: bool) -> np.ndarray:
    """Scatter each window's gradient onto its recorded maximum (overlapping windows add)."""
    g = PoolGeometry(ws, stride, pad, ignore_border)
    hw = (int(in_hw[0]), int(in_hw[1]))
    ohw, ext = g.layout(hw)
    _check_grad("max_pool_grad", idx, gz, ohw, hw, g)
    size = int(np.prod(gz.shape[:-2], dtype=np.int64)) * ext[0] * ext[1]
    if gz.size == 0:
        return np.zeros(gz.shape[:-2] + hw, dtype=gz.dtype)
    # bincount adds the weights landing on one position (in float64), in one pass
    flat = np.bincount(_positions(idx, g, ohw, ext).ravel(), weights=gz.ravel(),
                       minlength=size)
    gxp = flat.astype(gz.dtype, copy=False).reshape(gz.shape[:-2] + ext)
    return _crop(gxp, g, hw)


def max_pool_gather(idx: np.ndarray, gg: np.ndarray, ws: Pair, stride: Pair, pad: Pair,
                    ignore_border: bool) -> np.ndarray:
    """Read each window's recorded maximum position out of `gg` (input-shaped)."""
    _check_input("max_pool_grad_grad", gg)
    g = PoolGeometry(ws, stride, pad, ignore_border)
    hw = gg.shape[-2:]
    ohw, ext = g.layout(hw)
    lead = gg.shape[:-2]
    if idx.shape != lead + ohw:
        raise ValueError(f"max_pool_grad_grad: argmax of shape {idx.shape} does not match "
                         f"pooling an input of shape {gg.shape} ({g}), whose output has "
                         f"shape {lead + ohw}")
    if idx.size == 0:
        return np.zeros(lead + ohw, dtype=gg.dtype)
    gp = _extended(gg, g, ext, 0).reshape(-1)
    return gp[_positions(idx, g, ohw, ext)].reshape(lead + ohw)


def average_pool_grad(gz: np.ndarray, in_hw: np.ndarray, ws: Pair, stride: Pair, pad: Pair,
                      ignore_border: bool, mode: str) -> np.ndarray:
    """Spread each window's gradient evenly over the inputs it summed (or averaged)."""
    g = PoolGeometry(ws, stride, pad, ignore_border)
    hw = (int(in_hw[0]), int(in_hw[1]))
    ohw, ext = g.layout(hw)
    _check_grad("average_pool_grad", gz, gz, ohw, hw, g)
    gxp = np.zeros(gz.shape[:-2] + ext, dtype=gz.dtype)
    if gz.size:
        if mode != "sum":
            gz = gz / _counts(hw, ohw, g, mode == "average_inc_pad").astype(gz.dtype)
        for _, i, j in g.taps():
            tap = _tap(gxp, i, j, g, ohw)
            tap += gz
    return _crop(gxp, g, hw)


# ---------------------------------------------------------------- ops



def _at_least_2d(v: Variable, op: str) -> None:
    if v.ndim < 2:
        raise ValueError(f"{op}: input must have at least 2 dims (pooling is over the last "
                         f"two), got {v.type}")



@dataclass(frozen=True)
class _PoolOp(Op):
    """Shared parameters of the pooling ops (each subclass inherits these fields)."""

    ws: Pair
    stride: Pair
    pad: Pair = (0, 0)
    ignore_border: bool = True

    @property
    def geometry(self) -> PoolGeometry:
        return PoolGeometry(*self.window())

    def window(self) -> tuple[Pair, Pair, Pair, bool]:
        """(ws, stride, pad, ignore_border): what every pooling op of one pool shares."""
        return self.ws, self.stride, self.pad, self.ignore_border

    def _args(self) -> str:
        return f"{self.ws}, {self.stride}, {self.pad}, {self.ignore_border}"

    def _static_out(self, x: Variable) -> tuple:
        h, w = x.type.shape[-2:]
        oh, ow = (None if n is None else pool_out_length(n, self.ws[a], self.stride[a],
                                                          self.pad[a], self.ignore_border)
                  for a, n in enumerate((h, w)))
        return x.type.shape[:-2] + (oh, ow)

    def _infer_out(self, node: Apply, shape: Sequence[Variable]) -> list[Variable]:
        dims = list(shape[:-2]) + self.geometry.out_hw(shape[-2:])
        static = node.outputs[0].type.shape
        return [constant(s, INT) if s is not None else d
                for s, d in zip(static, dims, strict=True)]

    def _grad_hw_type(self, gz: Variable, hw: Variable) -> tuple:
        h, w = static_vector(hw) or (None, None)
        return gz.type.shape[:-2] + (h, w)


@dataclass(frozen=True)
class Pool(_PoolOp):
    """Pooling of the last two dims (max, sum, or one of the two averages)."""

    mode: str = "max"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        _at_least_2d(x, "pool_2d")
        if dtypes.is_bool(x.dtype) or dtypes.is_complex(x.dtype):
            raise TypeError(f"pool_2d: input must be real numbers, got {x.type}")
        if self.mode.startswith("average") and not dtypes.is_float(x.dtype):
            x = ew.cast(x, "float64")
        return Apply(self, [x], [TensorType(x.dtype, self._static_out(x))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(pool_forward, "pool")
        return f"{fn}({ins[0]}, {self._args()}, {self.mode!r})"

    def grad(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        p = self.window()
        if self.mode == "max":
            idx = PoolArgmax(*p)(x)
            return [ew.cast_like(MaxPoolGrad(*p)(idx, gz, trailing_dims(x)), x)]
        return [ew.cast_like(AveragePoolGrad(*p, self.mode)(gz, trailing_dims(x)), x)]

    def infer_shape(self, node, input_shapes):
        return [self._infer_out(node, input_shapes[0])]


@dataclass(frozen=True)
class PoolArgmax(_PoolOp):
    """Which tap of each max-pooling window holds its first maximum (int64, i * ws[1] + j)."""


    @property
    def name(self) -> str:
        return "pool_argmax"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        _at_least_2d(x, "pool_argmax")
        return Apply(self, [x], [TensorType(INT, self._static_out(x))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"{ctx.ref(pool_argmax, 'pool_argmax')}({ins[0]}, {self._args()})"

    def grad(self, inputs, outputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [self._infer_out(node, input_shapes[0])]


@dataclass(frozen=True)
class MaxPoolGrad(_PoolOp):
    """The gradient of max pooling: each window's gradient goes to its recorded maximum.

    Inputs: the argmax (`PoolArgmax`), the output gradient, the input's rows and cols.
    """


    @property
    def name(self) -> str:
        return "max_pool_grad"

    def make_node(self, idx: Any, gz: Any, in_hw: Any) -> Apply:
        idx, gz = as_tensor(idx), as_tensor(gz)
        _at_least_2d(gz, "max_pool_grad")
        if idx.ndim != gz.ndim or not dtypes.is_int(idx.dtype):
            raise TypeError(f"max_pool_grad: the argmax must be an int tensor shaped like the "
                            f"gradient, got {idx.type} and {gz.type}")
        hw = as_shape_vector(in_hw, "max_pool_grad")
        return Apply(self, [idx, gz, hw], [TensorType(gz.dtype, self._grad_hw_type(gz, hw))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(max_pool_grad, "max_pool_grad")
        return f"{fn}({ins[0]}, {ins[1]}, {ins[2]}, {self._args()})"

    def grad(self, inputs, outputs, output_grads):
        idx, gz, _ = inputs
        (gg,) = output_grads
        gather = MaxPoolGradGrad(*self.window())
        return [None, ew.cast_like(gather(idx, gg), gz), None]

    def infer_shape(self, node, input_shapes):
        hw = node.inputs[2]
        return [list(input_shapes[1][:-2]) + [hw[0], hw[1]]]


@dataclass(frozen=True)
class MaxPoolGradGrad(_PoolOp):
    """The gradient of MaxPoolGrad: reads an input-shaped tensor at each window's recorded
    maximum (a gather; its own gradient is MaxPoolGrad's scatter)."""


    @property
    def name(self) -> str:
        return "max_pool_grad_grad"

    def make_node(self, idx: Any, gg: Any) -> Apply:
        idx, gg = as_tensor(idx), as_tensor(gg)
        _at_least_2d(gg, "max_pool_grad_grad")
        if idx.ndim != gg.ndim or not dtypes.is_int(idx.dtype):
            raise TypeError(f"max_pool_grad_grad: the argmax must be an int tensor with the "
                            f"input's rank, got {idx.type} and {gg.type}")
        return Apply(self, [idx, gg], [TensorType(gg.dtype, self._static_out(gg))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(max_pool_gather, "max_pool_grad_grad")
        return f"{fn}({ins[0]}, {ins[1]}, {self._args()})"

    def grad(self, inputs, outputs, output_grads):
        idx, gg = inputs
        (g,) = output_grads
        scatter = MaxPoolGrad(*self.window())
        return [None, ew.cast_like(scatter(idx, g, trailing_dims(gg)), gg)]

    def infer_shape(self, node, input_shapes):
        return [self._infer_out(node, input_shapes[1])]


@dataclass(frozen=True)
class AveragePoolGrad(_PoolOp):
    """The gradient of sum / average pooling: each window's gradient (divided by its count
    for averages) added to every input the window covers."""

    mode: str = "average_exc_pad"

    @property
    def name(self) -> str:
        return "average_pool_grad"

    def make_node(self, gz: Any, in_hw: Any) -> Apply:
        gz = as_tensor(gz)
        _at_least_2d(gz, "average_pool_grad")
        hw = as_shape_vector(in_hw, "average_pool_grad")
        return Apply(self, [gz, hw], [TensorType(gz.dtype, self._grad_hw_type(gz, hw))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(average_pool_grad, "average_pool_grad")
        return f"{fn}({ins[0]}, {ins[1]}, {self._args()}, {self.mode!r})"

    def grad(self, inputs, outputs, output_grads):
        gz, _ = inputs
        (gg,) = output_grads
        pool = Pool(*self.window(), self.mode)
        return [ew.cast_like(pool(gg), gz), None]

    def infer_shape(self, node, input_shapes):
        hw = node.inputs[1]
        return [list(input_shapes[0][:-2]) + [hw[0], hw[1]]]


# ---------------------------------------------------------------- user-facing


def _alias(new: Any, old: Any, new_name: str, old_name: str) -> Any:
    if old is None:
        return new
    if new is not None:
        raise TypeError(f"pool_2d: give {new_name} or its old name {old_name}, not both")
    return old


def pool_2d(input: Any, ws: Any = None, ignore_border: bool = True, stride: Any = None,
            pad: Any = (0, 0), mode: str = "max", *, ds: Any = None, st: Any = None,
            padding: Any = None) -> Variable:
    """Theano's pool_2d: pool the last two dims of `input` over windows `ws`.

    `ds`, `st`, `padding` are Theano's older names of `ws`, `stride`, `pad`.
    """
    ws = _alias(ws, ds, "ws", "ds")
    stride = _alias(stride, st, "stride", "st")
    pad = _alias(None if padding is not None else pad, padding, "pad", "padding")
    if ws is None:
        raise TypeError("pool_2d: the window size ws is required")
    if mode not in MODES:
        raise ValueError(f"pool_2d: mode must be one of {', '.join(map(repr, MODES))}, "
                         f"got {mode!r}")
    ws = int_pair(ws, "ws", "pool_2d", 1)
    stride = ws if stride is None else int_pair(stride, "stride", "pool_2d", 1)
    pad = int_pair(pad, "pad", "pool_2d", 0)
    if pad != (0, 0) and not ignore_border:
        raise ValueError(f"pool_2d: padding works only with ignore_border=True (as in "
                         f"Theano), got pad={pad}")
    if pad[0] >= ws[0] or pad[1] >= ws[1]:
        raise ValueError(f"pool_2d: pad {pad} must be smaller than the window ws {ws} (a "
                         f"window of padding alone has nothing to pool)")
    return Pool(ws, stride, pad, bool(ignore_border), mode)(input)


def max_pool2d(x: Any, ws: Any, ignore_border: bool = True, stride: Any = None,
               pad: Any = (0, 0)) -> Variable:
    """Max pooling of the last two dims (pool_2d with mode='max')."""
    return pool_2d(x, ws, ignore_border, stride, pad, "max")


def avg_pool2d(x: Any, ws: Any, ignore_border: bool = True, stride: Any = None,
               pad: Any = (0, 0), include_pad: bool = False) -> Variable:
    """Average pooling of the last two dims; padding is left out of the average unless
    include_pad=True.

    The default, 'average_exc_pad', is what Keras 1.x's Theano backend uses for
    AveragePooling2D with both border_mode='valid' and 'same' (Keras 2's Theano backend
    switched 'same' to 'average_inc_pad').
    """
    mode = "average_inc_pad" if include_pad else "average_exc_pad"
    return pool_2d(x, ws, ignore_border, stride, pad, mode)
