"""Pooling over the last two or three dims (`sg.nnet.pool_2d`, `pool_3d`, `max_pool2d`,
`avg_pool2d`); the NumPy kernels are in pool_kernels.py.

Theano's semantics (`theano.tensor.signal.pool.pool_2d` / `pool_3d`), for inputs of at
least as many dims as the window:

- `ws` is the window, `stride` the step (default: the window), `pad` zeros added on both
  sides (only with `ignore_border=True`, and smaller than the window, as in Theano);
- `ignore_border=True` drops windows that would cross the (padded) border;
  `ignore_border=False` keeps the last, partial windows;
- modes: 'max' and 'sum' look at real input only (never at the padding);
  'average_exc_pad' divides by the number of real inputs in the window,
  'average_inc_pad' by the window's size counting padding (partial windows of
  `ignore_border=False` count only what they cover).

Gradients are ops of their own. `MaxPoolGrad(x, y, gz)` gives each window's gradient to
the input equal to the window's maximum y (Theano's MaxPoolGrad signature), and
`MaxPoolGradGrad(x, y, gg)` reads from there: each is the other's gradient, so
derivatives of any order work. Averages and sums spread the gradient evenly
(`AveragePoolGrad`, whose gradient is the pooling itself).

Ties differ from Theano on purpose: Theano's MaxPoolGrad gives the full output gradient
to *every* input equal to the window's maximum (so a window of four equal values passes
on four times the gradient); here only the first maximum in row-major window order
receives it, as in cuDNN and TensorFlow, which keeps the gradient a true (sub)gradient
of the pooled value. A window whose maximum is NaN passes no gradient on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, constant
from . import elemwise as ew
from .conv_kernels import Dims, int_tuple
from .pool_kernels import (
    PoolGeometry,
    average_pool_grad,
    max_pool_grad,
    max_pool_grad_grad,
    pool_forward,
    pool_out_length,
)
from .registry import Op, RenderContext, keep_input_shape
from .shape import INT, as_shape_vector, static_vector, trailing_dims

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _at_least(v: Variable, nd: int, op: str) -> None:
    if v.ndim < nd:
        last = "two" if nd == 2 else "three"
        raise ValueError(f"{op}: input must have at least {nd} dims (pooling is over the last "
                         f"{last}), got {v.type}")


@dataclass(frozen=True)
class _PoolOp(Op):
    """Shared parameters of the pooling ops (each subclass inherits these fields); the
    window's length says how many trailing dims are pooled."""

    ws: Dims
    stride: Dims
    pad: Dims = (0, 0)
    ignore_border: bool = True

    @property
    def geometry(self) -> PoolGeometry:
        return PoolGeometry(*self.window())

    @property
    def nd(self) -> int:
        return len(self.ws)

    def window(self) -> tuple[Dims, Dims, Dims, bool]:
        """(ws, stride, pad, ignore_border): what every pooling op of one pool shares."""
        return self.ws, self.stride, self.pad, self.ignore_border

    def _args(self) -> str:
        return f"{self.ws}, {self.stride}, {self.pad}, {self.ignore_border}"

    def _static_out(self, x: Variable) -> tuple:
        nd = self.nd
        out = (None if n is None else pool_out_length(n, self.ws[a], self.stride[a],
                                                      self.pad[a], self.ignore_border)
               for a, n in enumerate(x.type.shape[-nd:]))
        return x.type.shape[:-nd] + tuple(out)

    def _infer_out(self, node: Apply, shape: Sequence[Variable]) -> list[Variable]:
        dims = list(shape[:-self.nd]) + self.geometry.out_dims(shape[-self.nd:])
        static = node.outputs[0].type.shape
        return [constant(s, INT) if s is not None else d
                for s, d in zip(static, dims, strict=True)]


@dataclass(frozen=True)
class Pool(_PoolOp):
    """Pooling of the trailing dims (max, sum, or one of the two averages)."""

    mode: str = "max"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        op = f"pool_{self.nd}d"
        _at_least(x, self.nd, op)
        if dtypes.is_bool(x.dtype) or dtypes.is_complex(x.dtype):
            raise TypeError(f"{op}: input must be real numbers, got {x.type}")
        if self.mode.startswith("average") and not dtypes.is_float(x.dtype):
            x = ew.cast(x, "float64")
        return Apply(self, [x], [TensorType(x.dtype, self._static_out(x))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(pool_forward, "pool")
        return f"{fn}({ins[0]}, {self._args()}, {self.mode!r})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        (x,), (y,), (gz,) = inputs, outputs, output_grads
        p = self.window()
        if self.mode == "max":
            return [ew.cast_like(MaxPoolGrad(*p)(x, y, gz), x)]
        return [ew.cast_like(AveragePoolGrad(*p, self.mode)(gz, trailing_dims(x, self.nd)),
                             x)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [self._infer_out(node, input_shapes[0])]


def _check_max_inputs(op: str, nd: int, x: Variable, y: Variable, g: Variable) -> None:
    _at_least(x, nd, op)
    if not (x.ndim == y.ndim == g.ndim):
        raise TypeError(f"{op}: the input, the pooled output and the gradient must have one "
                        f"rank, got {x.type}, {y.type} and {g.type}")


@dataclass(frozen=True)
class MaxPoolGrad(_PoolOp):
    """The gradient of max pooling: each window's gradient goes to the first input equal
    to the window's maximum. Inputs: the input x, the pooled output y, its gradient gz."""

    @property
    def name(self) -> str:
        return "max_pool_grad"

    def make_node(self, x: Any, y: Any, gz: Any) -> Apply:
        x, y, gz = as_tensor(x), as_tensor(y), as_tensor(gz)
        _check_max_inputs(self.name, self.nd, x, y, gz)
        return Apply(self, [x, y, gz], [TensorType(gz.dtype, x.type.shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(max_pool_grad, "max_pool_grad")
        return f"{fn}({ins[0]}, {ins[1]}, {ins[2]}, {self._args()})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        # Piecewise linear in gz, constant in x and y (where they do not tie).
        x, y, gz = inputs
        (gg,) = output_grads
        gather = MaxPoolGradGrad(*self.window())
        return [None, None, ew.cast_like(gather(x, y, gg), gz)]

    infer_shape = keep_input_shape


@dataclass(frozen=True)
class MaxPoolGradGrad(_PoolOp):
    """The gradient of MaxPoolGrad: reads an input-shaped tensor at each window's first
    maximum (a gather; its own gradient is MaxPoolGrad's scatter). Inputs: x, y, gg."""

    @property
    def name(self) -> str:
        return "max_pool_grad_grad"

    def make_node(self, x: Any, y: Any, gg: Any) -> Apply:
        x, y, gg = as_tensor(x), as_tensor(y), as_tensor(gg)
        _check_max_inputs(self.name, self.nd, x, y, gg)
        return Apply(self, [x, y, gg], [TensorType(gg.dtype, self._static_out(x))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(max_pool_grad_grad, "max_pool_grad_grad")
        return f"{fn}({ins[0]}, {ins[1]}, {ins[2]}, {self._args()})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        x, y, gg = inputs
        (g,) = output_grads
        return [None, None, ew.cast_like(MaxPoolGrad(*self.window())(x, y, g), gg)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [self._infer_out(node, input_shapes[0])]


@dataclass(frozen=True)
class AveragePoolGrad(_PoolOp):
    """The gradient of sum / average pooling: each window's gradient (divided by its count
    for averages) added to every input the window covers. Inputs: gz, the input's
    trailing lengths."""

    mode: str = "average_exc_pad"

    @property
    def name(self) -> str:
        return "average_pool_grad"

    def make_node(self, gz: Any, in_dims: Any) -> Apply:
        gz = as_tensor(gz)
        _at_least(gz, self.nd, "average_pool_grad")
        dims = as_shape_vector(in_dims, "average_pool_grad")
        static = static_vector(dims) or (None,) * self.nd
        return Apply(self, [gz, dims], [TensorType(gz.dtype, gz.type.shape[:-self.nd] +
                                                    tuple(static))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(average_pool_grad, "average_pool_grad")
        return f"{fn}({ins[0]}, {ins[1]}, {self._args()}, {self.mode!r})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        gz, _ = inputs
        (gg,) = output_grads
        pool = Pool(*self.window(), self.mode)
        return [ew.cast_like(pool(gg), gz), None]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        dims = node.inputs[1]
        return [list(input_shapes[0][:-self.nd]) + [dims[a] for a in range(self.nd)]]


# ---------------------------------------------------------------- user-facing


def _alias(new: Any, old: Any, new_name: str, old_name: str, op: str) -> Any:
    if old is None:
        return new
    if new is not None:
        raise TypeError(f"{op}: give {new_name} or its old name {old_name}, not both")
    return old


def _pool(nd: int, input: Any, ws: Any, ignore_border: bool, stride: Any, pad: Any,
          mode: str) -> Variable:
    op = f"pool_{nd}d"
    if ws is None:
        raise TypeError(f"{op}: the window size ws is required")
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {', '.join(map(repr, MODES))}, "
                         f"got {mode!r}")
    ws = int_tuple(ws, nd, "ws", op, 1)
    stride = ws if stride is None else int_tuple(stride, nd, "stride", op, 1)
    pad = int_tuple(pad, nd, "pad", op, 0)
    if any(pad) and not ignore_border:
        raise ValueError(f"{op}: padding works only with ignore_border=True (as in "
                         f"Theano), got pad={pad}")
    if any(p >= w for p, w in zip(pad, ws, strict=True)):
        raise ValueError(f"{op}: pad {pad} must be smaller than the window ws {ws} (a "
                         f"window of padding alone has nothing to pool)")
    return Pool(ws, stride, pad, bool(ignore_border), mode)(input)


def pool_2d(input: Any, ws: Any = None, ignore_border: bool = True, stride: Any = None,
            pad: Any = (0, 0), mode: str = "max", *, ds: Any = None, st: Any = None,
            padding: Any = None) -> Variable:
    """Theano's pool_2d: pool the last two dims of `input` over windows `ws`.

    `ds`, `st`, `padding` are Theano's older names of `ws`, `stride`, `pad`.
    """
    ws = _alias(ws, ds, "ws", "ds", "pool_2d")
    stride = _alias(stride, st, "stride", "st", "pool_2d")
    pad = _alias(None if padding is not None else pad, padding, "pad", "padding", "pool_2d")
    return _pool(2, input, ws, ignore_border, stride, pad, mode)


def pool_3d(input: Any, ws: Any = None, ignore_border: bool = True, stride: Any = None,
            pad: Any = (0, 0, 0), mode: str = "max") -> Variable:
    """Theano's pool_3d: pool the last three dims of `input` over windows `ws`."""
    return _pool(3, input, ws, ignore_border, stride, pad, mode)


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
