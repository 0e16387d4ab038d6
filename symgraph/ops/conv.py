"""2-d and 3-d convolution (`sg.nnet.conv2d`, `conv3d`, `conv1d`) and their gradient ops,
in Theano's channels-first layout; the NumPy kernels are in conv_kernels.py.

    input   (batch, in_channels, *spatial)          spatial: rows, cols [, depth]
    filters (out_channels, in_channels // num_groups, *kernel)
    output  (batch, out_channels, *out)

`border_mode` pads the input with zeros on both sides: 'valid' (no padding), 'full'
(kernel extent - 1), 'half' (kernel extent // 2: the output keeps the input's size for
odd kernels and stride 1), an int, or one int per spatial axis. `subsample` is the
stride, `filter_dilation` spaces the kernel taps, `num_groups` splits the channels into
groups convolved separately (Theano 1.0's argument; num_groups == in_channels is a
depthwise convolution). `filter_flip=True` (Theano's default) is a true convolution: the
kernel's spatial axes are reversed before sliding it over the input; `filter_flip=False`
is a cross-correlation. Keras 1.x's Theano backend calls Theano's conv2d without
`filter_flip`, so Keras 1.x layers on Theano convolve (flip), unlike TensorFlow, which
correlates -- the reason Keras ships `convert_kernel` for moving weights between the two.

The gradients are ops of their own (`Conv2dGradInputs`, `Conv2dGradWeights` and their
3-d twins) whose gradients are again convolutions, so second derivatives work. The
gradient with respect to the inputs is the transposed convolution
(`conv2d_grad_wrt_inputs`, Theano's name; Keras's deconv2d). Each of the three ops is
linear in each input, and each pair is adjoint:

    <gy, conv(x, w)> = <grad_inputs(w, gy), x> = <grad_weights(x, gy), w>
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, constant
from . import elemwise as ew
from .conv_kernels import (
    BorderMode,
    Dims,
    Geometry,
    conv_forward,
    conv_grad_inputs,
    conv_grad_weights,
    int_tuple,
    normalize_border_mode,
    out_length,
)
from .registry import Op, RenderContext
from .shape import INT, as_shape_vector, dimshuffle, static_vector, trailing_dims

_SPATIAL = {2: "rows, cols", 3: "d1, d2, d3"}
_LAYOUT = {"input": "(batch, channels, {})", "filters": "(out_channels, in_channels, {})",
           "output gradient": "(batch, out_channels, {})"}


def _float_pair(a: Any, b: Any, op: str) -> tuple[Variable, Variable]:
    """Both operands in one float dtype (ints become float64, as NumPy's true division)."""
    a, b = as_tensor(a), as_tensor(b)
    dt = dtypes.upcast(a.dtype, b.dtype)
    if not dtypes.is_float(dt):
        if dtypes.is_complex(dt):
            raise TypeError(f"{op}: complex inputs are not supported ({a.type}, {b.type})")
        dt = "float64"
    return (a if a.dtype == dt else ew.cast(a, dt)), (b if b.dtype == dt else ew.cast(b, dt))


def _require_rank(v: Variable, rank: int, label: str, op: str) -> None:
    if v.ndim != rank:
        layout = _LAYOUT[label].format(_SPATIAL[rank - 2])
        raise ValueError(f"{op}: {label} must be {rank}-d {layout}, got {v.type}")


def _merge_hint(static: tuple, hint: tuple | None, label: str, var: Variable, op: str) -> tuple:
    """Static dims completed by a user's shape hint; a contradiction is an error."""
    if hint is None:
        return static
    out = []
    for s, h in zip(static, hint, strict=True):
        if s is not None and h is not None and s != h:
            raise ValueError(f"{op}: {label} {var.type} does not match the given "
                             f"{label}_shape {hint}")
        out.append(s if s is not None else h)
    return tuple(out)


@dataclass(frozen=True)
class _ConvOp(Op):
    """Shared parameters of the convolution ops (each subclass inherits them); the
    stride's length says how many spatial dims there are."""

    border_mode: BorderMode = "valid"
    subsample: Dims = (1, 1)
    filter_flip: bool = True
    filter_dilation: Dims = (1, 1)
    num_groups: int = 1

    @property
    def geometry(self) -> Geometry:
        return Geometry(self.border_mode, self.subsample, self.filter_flip,
                        self.filter_dilation, self.num_groups)

    @property
    def nd(self) -> int:
        return len(self.subsample)

    def _args(self) -> str:
        return (f"{self.border_mode!r}, {self.subsample}, {self.filter_flip}, "
                f"{self.filter_dilation}, {self.num_groups}")

    def _ops(self) -> tuple[Any, Any, Any]:
        """(forward, grad_inputs, grad_weights) ops of this geometry."""
        p = (self.border_mode, self.subsample, self.filter_flip, self.filter_dilation,
             self.num_groups)
        forward, grad_inputs, grad_weights = FAMILIES[self.nd]
        return forward(*p), grad_inputs(*p), grad_weights(*p)


class _ConvForward(_ConvOp):
    """The convolution of (batch, channels, *spatial) inputs with (out, in, *kernel)
    filters; `input_shape` / `filter_shape` are optional static hints, checked at run
    time."""

    input_shape: tuple | None
    filter_shape: tuple | None

    @property
    def name(self) -> str:
        return f"conv{self.nd}d"

    def make_node(self, x: Any, w: Any) -> Apply:
        op, rank = self.name, self.nd + 2
        x, w = _float_pair(x, w, op)
        _require_rank(x, rank, "input", op)
        _require_rank(w, rank, "filters", op)
        xs = _merge_hint(x.type.shape, self.input_shape, "input", x, op)
        ws = _merge_hint(w.type.shape, self.filter_shape, "filter", w, op)
        groups = self.num_groups
        if xs[1] is not None and ws[1] is not None and xs[1] != ws[1] * groups:
            per = f" ({ws[1]} in each of {groups} groups)" if groups != 1 else ""
            layout = _SPATIAL[self.nd]
            raise ValueError(f"{op}: input {x.type} has {xs[1]} channels but filters "
                             f"{w.type} expect {ws[1] * groups} input channels{per} (input "
                             f"is (batch, channels, {layout}), filters (out_channels, "
                             f"in_channels, {layout}))")
        if ws[0] is not None and ws[0] % groups:
            raise ValueError(f"{op}: {ws[0]} filters do not split into num_groups={groups} "
                             f"groups")
        out = self._static_out(xs, ws)
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(self.geometry.too_large(op, xs, ws))
        return Apply(self, [x, w], [TensorType(x.dtype, (xs[0], ws[0], *out))])

    def _static_out(self, xs: tuple, ws: tuple) -> list[int | None]:
        g = self.geometry
        return [None if n is None or k is None else
                out_length(n, k, g.border_mode, a, g.subsample[a], g.filter_dilation[a])
                for a, (n, k) in enumerate(zip(xs[2:], ws[2:], strict=True))]

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(conv_forward, "conv")
        hints = ""
        if self.input_shape is not None or self.filter_shape is not None:
            hints = f", {self.input_shape}, {self.filter_shape}"
        return f"{fn}({ins[0]}, {ins[1]}, {self._args()}{hints})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        x, w = inputs
        (gy,) = output_grads
        _, grad_inputs, grad_weights = self._ops()
        return [ew.cast_like(grad_inputs(w, gy, trailing_dims(x, self.nd)), x),
                ew.cast_like(grad_weights(x, gy, trailing_dims(w, self.nd)), w)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        (sx, sw), out = input_shapes, node.outputs[0].type.shape
        dims = [sx[0], sw[0], *self.geometry.out_dims(sx[2:], sw[2:])]
        return [[constant(s, INT) if s is not None else d
                 for s, d in zip(out, dims, strict=True)]]


@dataclass(frozen=True)
class Conv2d(_ConvForward):
    """2-d convolution (see the module docstring)."""

    input_shape: tuple | None = None
    filter_shape: tuple | None = None


@dataclass(frozen=True)
class Conv3d(_ConvForward):
    """3-d convolution (see the module docstring)."""

    subsample: Dims = (1, 1, 1)
    filter_dilation: Dims = (1, 1, 1)
    input_shape: tuple | None = None
    filter_shape: tuple | None = None


class _ConvGrad(_ConvOp):
    """What the gradient ops share: inputs (a, output gradient, the spatial lengths of
    the result); the result's first two dims come from a's and gy's channel dims."""

    # The label of a, the NumPy function, which (input, axis) pairs supply the result's
    # first two dims, and the name's suffix.
    a_label: ClassVar[str]
    impl: ClassVar[Callable[..., np.ndarray]]
    lead: ClassVar[tuple[tuple[int, int], tuple[int, int]]]
    suffix: ClassVar[str]

    @property
    def name(self) -> str:
        return f"conv{self.nd}d_{self.suffix}"

    def make_node(self, a: Any, gy: Any, dims_in: Any) -> Apply:
        rank = self.nd + 2
        a, gy = _float_pair(a, gy, self.name)
        _require_rank(a, rank, self.a_label, self.name)
        _require_rank(gy, rank, "output gradient", self.name)
        dims = as_shape_vector(dims_in, self.name)
        static = static_vector(dims) or (None,) * self.nd
        if len(static) != self.nd:
            raise ValueError(f"{self.name}: expected {self.nd} spatial lengths, got {dims.type}")
        (i0, k0), (i1, k1) = self.lead
        shapes = (a.type.shape, gy.type.shape)
        channels = shapes[i1][k1]
        lead = (shapes[i0][k0], None if channels is None else self._channels(channels))
        return Apply(self, [a, gy, dims], [TensorType(gy.dtype, (*lead, *static))])

    def _channels(self, n: Any) -> Any:
        """The result's channel dim from the channel dim it is read from."""
        raise NotImplementedError

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(type(self).impl, self.suffix)
        return f"{fn}({ins[0]}, {ins[1]}, {ins[2]}, {self._args()})"

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        dims = node.inputs[2]
        static = node.outputs[0].type.shape
        (i0, k0), (i1, k1) = self.lead
        lead = [input_shapes[i0][k0], self._channels(input_shapes[i1][k1])]
        lead = [constant(s, INT) if s is not None else d
                for s, d in zip(static, lead, strict=False)]
        return [lead + [dims[a] for a in range(self.nd)]]


class _GradInputs(_ConvGrad):
    """The gradient of the convolution with respect to its input, from the filters and the
    output gradient (the transposed convolution); the input's spatial lengths are given
    (strides make them ambiguous)."""

    a_label = "filters"
    impl = staticmethod(conv_grad_inputs)
    lead = ((1, 0), (0, 1))  # (batch of gy, in-channels of w (per group))
    suffix = "grad_inputs"

    def _channels(self, n: Any) -> Any:
        return n * self.num_groups

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        # <G, grad_inputs(w, gy)> = <conv(G, w), gy> = <grad_weights(G, gy), w>
        w, gy, _ = inputs
        (gg,) = output_grads
        conv, _, grad_weights = self._ops()
        return [ew.cast_like(grad_weights(gg, gy, trailing_dims(w, self.nd)), w),
                ew.cast_like(conv(gg, w), gy), None]


class _GradWeights(_ConvGrad):
    """The gradient of the convolution with respect to its filters, from the input and the
    output gradient; the kernel's spatial lengths are given."""

    a_label = "input"
    impl = staticmethod(conv_grad_weights)
    lead = ((1, 1), (0, 1))  # (out-channels of gy, in-channels of x)
    suffix = "grad_weights"

    def _channels(self, n: Any) -> Any:
        return n // self.num_groups

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        # <G, grad_weights(x, gy)> = <conv(x, G), gy> = <grad_inputs(G, gy), x>
        x, gy, _ = inputs
        (gg,) = output_grads
        conv, grad_inputs, _ = self._ops()
        return [ew.cast_like(grad_inputs(gg, gy, trailing_dims(x, self.nd)), x),
                ew.cast_like(conv(x, gg), gy), None]


@dataclass(frozen=True)
class Conv2dGradInputs(_GradInputs):
    """conv2d's gradient with respect to its input."""


@dataclass(frozen=True)
class Conv2dGradWeights(_GradWeights):
    """conv2d's gradient with respect to its filters."""


@dataclass(frozen=True)
class Conv3dGradInputs(_GradInputs):
    """conv3d's gradient with respect to its input."""

    subsample: Dims = (1, 1, 1)
    filter_dilation: Dims = (1, 1, 1)


@dataclass(frozen=True)
class Conv3dGradWeights(_GradWeights):
    """conv3d's gradient with respect to its filters."""

    subsample: Dims = (1, 1, 1)
    filter_dilation: Dims = (1, 1, 1)


FAMILIES: dict[int, tuple[type, type, type]] = {
    2: (Conv2d, Conv2dGradInputs, Conv2dGradWeights),
    3: (Conv3d, Conv3dGradInputs, Conv3dGradWeights),
}


# ---------------------------------------------------------------- user-facing


def _shape_hint(shape: Any, label: str, op: str, rank: int) -> tuple | None:
    if shape is None:
        return None
    hint = tuple(None if d is None else int(d) for d in shape)
    if len(hint) != rank:
        raise ValueError(f"{op}: {label} must have {rank} entries (int or None), got "
                         f"{shape!r}")
    return hint if any(d is not None for d in hint) else None


def _params(op: str, nd: int, border_mode: Any, subsample: Any, filter_dilation: Any,
            num_groups: Any) -> tuple:
    mode = normalize_border_mode(border_mode, op, nd)
    stride = int_tuple(subsample, nd, "subsample", op, 1)
    dilation = int_tuple(filter_dilation, nd, "filter_dilation", op, 1)
    if not isinstance(num_groups, (int, np.integer)) or isinstance(num_groups, bool) or \
            num_groups < 1:
        raise ValueError(f"{op}: num_groups must be a positive int, got {num_groups!r}")
    return mode, stride, dilation, int(num_groups)


def _conv(nd: int, input: Any, filters: Any, input_shape: Any, filter_shape: Any,
          border_mode: Any, subsample: Any, filter_flip: bool, filter_dilation: Any,
          num_groups: Any) -> Variable:
    op = f"conv{nd}d"
    mode, stride, dilation, groups = _params(op, nd, border_mode, subsample, filter_dilation,
                                             num_groups)
    cls = FAMILIES[nd][0]
    return cls(mode, stride, bool(filter_flip), dilation, groups,
               _shape_hint(input_shape, "input_shape", op, nd + 2),
               _shape_hint(filter_shape, "filter_shape", op, nd + 2))(input, filters)


def conv2d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
           filter_dilation: Any = (1, 1), num_groups: int = 1) -> Variable:
    """Theano's `conv2d` on (batch, channels, rows, cols) tensors: a true convolution
    unless filter_flip=False.

    `input_shape` / `filter_shape` (ints or None) state shapes the variables' static types
    may not know; they refine the output's static shape and are checked at run time.
    """
    return _conv(2, input, filters, input_shape, filter_shape, border_mode, subsample,
                 filter_flip, filter_dilation, num_groups)


def conv3d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1, 1), filter_flip: bool = True,
           filter_dilation: Any = (1, 1, 1), num_groups: int = 1) -> Variable:
    """Theano's `conv3d` on (batch, channels, d1, d2, d3) tensors, with (out, in, k1, k2,
    k3) filters: a true convolution unless filter_flip=False."""
    return _conv(3, input, filters, input_shape, filter_shape, border_mode, subsample,
                 filter_flip, filter_dilation, num_groups)


def _grad_wrt_inputs(nd: int, output_grad: Any, filters: Any, input_shape: Any,
                     border_mode: Any, subsample: Any, filter_flip: bool,
                     filter_dilation: Any, num_groups: Any) -> Variable:
    op = f"conv{nd}d_grad_wrt_inputs"
    mode, stride, dilation, groups = _params(op, nd, border_mode, subsample, filter_dilation,
                                             num_groups)
    if isinstance(input_shape, Variable):
        dims: Any = input_shape[-nd:] if input_shape.type.shape[0] != nd else input_shape
    else:
        shape = list(input_shape)
        if len(shape) not in (nd, nd + 2):
            raise ValueError(f"{op}: input_shape must give the input's {nd + 2} dims (or its "
                             f"{nd} spatial lengths), got {input_shape!r}")
        dims = shape[-nd:]
        if any(d is None for d in dims):
            raise ValueError(f"{op}: the input's spatial lengths must be known (strides make "
                             f"them ambiguous), got input_shape={input_shape!r}")
    grad_inputs = FAMILIES[nd][1](mode, stride, bool(filter_flip), dilation, groups)
    return grad_inputs(filters, output_grad, dims)


def conv2d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Any,
                           filter_shape: Any = None, border_mode: Any = "valid",
                           subsample: Any = (1, 1), filter_flip: bool = True,
                           filter_dilation: Any = (1, 1), num_groups: int = 1) -> Variable:
    """Theano's transposed convolution: the input gradient of conv2d(input, filters) for
    an output gradient. `input_shape` is that input's shape (its rows and cols are
    required: with strides, several input sizes give the same output size).
    `filter_shape` is accepted for Theano's signature; the filters' type gives it."""
    return _grad_wrt_inputs(2, output_grad, filters, input_shape, border_mode, subsample,
                            filter_flip, filter_dilation, num_groups)


def conv3d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Any,
                           filter_shape: Any = None, border_mode: Any = "valid",
                           subsample: Any = (1, 1, 1), filter_flip: bool = True,
                           filter_dilation: Any = (1, 1, 1), num_groups: int = 1) -> Variable:
    """conv2d_grad_wrt_inputs for conv3d."""
    return _grad_wrt_inputs(3, output_grad, filters, input_shape, border_mode, subsample,
                            filter_flip, filter_dilation, num_groups)


def conv1d(input: Any, filters: Any, border_mode: Any = "valid", subsample: int = 1,
           filter_flip: bool = True, filter_dilation: int = 1) -> Variable:
    """1-d convolution of (batch, channels, length) with (out, in, length) filters, as a
    conv2d over a height-1 image."""
    x, w = as_tensor(input), as_tensor(filters)
    for label, v in (("input", x), ("filters", w)):
        if v.ndim != 3:
            raise ValueError(f"conv1d: {label} must be 3-d, got {v.type}")
    mode = normalize_border_mode(border_mode, "conv1d")
    if isinstance(mode, tuple):
        if isinstance(border_mode, (tuple, list)):
            raise ValueError(f"conv1d: border_mode must be 'valid', 'full', 'half' or an "
                             f"int, got {border_mode!r}")
        mode = (0, mode[1])  # pad the length only
    # The named modes pass through: on a height-1 kernel they pad no rows.
    out = conv2d(dimshuffle(x, (0, 1, "x", 2)), dimshuffle(w, (0, 1, "x", 2)),
                 border_mode=mode, subsample=(1, int(subsample)), filter_flip=filter_flip,
                 filter_dilation=(1, int(filter_dilation)))
    return dimshuffle(out, (0, 1, 3))
