"""2-d convolution (`sg.nnet.conv2d`) and its two gradient ops, in Theano's NCHW layout.

    input   (batch, in_channels, rows, cols)
    filters (out_channels, in_channels, krows, kcols)
    output  (batch, out_channels, out_rows, out_cols)

`border_mode` pads the input with zeros on both sides: 'valid' (no padding), 'full'
(kernel extent - 1), 'half' (kernel extent // 2: the output keeps the input's size for
odd kernels and stride 1), an int, or a pair of ints. `subsample` is the stride,
`filter_dilation` spaces the kernel taps. `filter_flip=True` (Theano's default) is a true
convolution: the kernel's rows and columns are reversed before sliding it over the input;
`filter_flip=False` is a cross-correlation. Keras 1.x's Theano backend calls Theano's
conv2d without `filter_flip`, so Keras 1.x layers on Theano convolve (flip), unlike
TensorFlow, which correlates -- the reason Keras ships `convert_kernel` for moving
weights between the two backends.

Every op computes by im2col: a strided view gathers each output position's input patch,
one copy lays the patches out as a matrix, and a single BLAS matrix product does the
arithmetic (float32 stays float32). The gradients are ops of their own
(`Conv2dGradInputs`, `Conv2dGradWeights`) whose gradients are again convolutions, so
second derivatives work. Each of the three ops is linear in each input, and each pair
is adjoint:

    <gy, conv(x, w)> = <grad_inputs(w, gy), x> = <grad_weights(x, gy), w>
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, constant
from . import elemwise as ew
from .registry import Op, RenderContext
from .shape import INT, as_shape_vector, static_vector, trailing_dims

BorderMode = str | tuple[int, int]
Pair = tuple[int, int]
_MODES = ("valid", "full", "half")


# ---------------------------------------------------------------- geometry


def int_pair(value: Any, what: str, op: str, minimum: int) -> Pair:
    """An int or a pair of ints (each >= minimum) -> a pair of Python ints."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        pair = tuple(items)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 for v in pair):
        raise ValueError(f"{op}: {what} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"{op}: {what} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def normalize_border_mode(border_mode: Any, op: str = "conv2d") -> BorderMode:
    """'valid' | 'full' | 'half' | int | (int, int) -> a mode name or a pair of paddings."""
    if isinstance(border_mode, str):
        if border_mode not in _MODES:
            hint = (" ('same' is Keras's name: use 'half', which keeps the size for odd "
                    "kernels)" if border_mode == "same" else "")
            raise ValueError(f"{op}: border_mode must be 'valid', 'full', 'half', an int or a "
                             f"pair of ints, got {border_mode!r}{hint}")
        return border_mode
    try:
        pad = int_pair(border_mode, "border_mode", op, 0)
    except ValueError:
        raise ValueError(f"{op}: border_mode must be 'valid', 'full', 'half', an int or a pair "
                         f"of non-negative ints, got {border_mode!r}") from None
    return "valid" if pad == (0, 0) else pad


def extent(k: Any, dilation: int) -> Any:
    """The span a kernel of k taps covers with the given dilation: (k - 1) * d + 1."""
    return (k - 1) * dilation + 1


def padding(border_mode: BorderMode, axis: int, ext: Any) -> Any:
    """Zeros added on each side along one spatial axis, for a kernel spanning `ext`."""
    if border_mode == "valid":
        return 0
    if border_mode == "full":
        return ext - 1
    if border_mode == "half":
        return ext // 2
    return border_mode[axis]


def out_length(n: Any, k: Any, border_mode: BorderMode, axis: int, stride: int,
               dilation: int) -> Any:
    """Output length along one axis (ints or symbolic scalars): (n + 2p - ext) // s + 1."""
    ext = extent(k, dilation)
    return (n + 2 * padding(border_mode, axis, ext) - ext) // stride + 1


@dataclass(frozen=True)
class Geometry:
    """Everything but the arrays: padding mode, stride, flip, dilation."""

    border_mode: BorderMode
    subsample: Pair
    filter_flip: bool
    filter_dilation: Pair

    def out_hw(self, hw: Sequence[Any], khw: Sequence[Any]) -> list[Any]:
        """Output rows and cols for input rows/cols `hw` and kernel rows/cols `khw`."""
        return [out_length(hw[a], khw[a], self.border_mode, a, self.subsample[a],
                           self.filter_dilation[a]) for a in (0, 1)]

    def pads(self, khw: Sequence[int]) -> Pair:
        return tuple(padding(self.border_mode, a, extent(khw[a], self.filter_dilation[a]))
                     for a in (0, 1))


def _describe(g: Geometry) -> str:
    return (f"border_mode={g.border_mode!r}, subsample={g.subsample}, "
            f"filter_dilation={g.filter_dilation}")


# ---------------------------------------------------------------- NumPy kernels (im2col)


def _padded(x: np.ndarray, pads: Pair) -> np.ndarray:
    """x with pads[0] zero rows above and below and pads[1] zero cols left and right."""
    ph, pw = pads
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _patches(xp: np.ndarray, khw: Pair, ohw: Pair, g: Geometry) -> np.ndarray:
    """A read-only view (n, c, krows, kcols, out_rows, out_cols) of the padded input:
    [.., i, j, r, q] is the input tap (i, j) of output position (r, q)."""
    n, c = xp.shape[:2]
    s0, s1, s2, s3 = xp.strides
    (dh, dw), (sh, sw) = g.filter_dilation, g.subsample
    return as_strided(xp, (n, c, khw[0], khw[1], ohw[0], ohw[1]),
                      (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False)


def _im2col(x: np.ndarray, khw: Pair, ohw: Pair, g: Geometry) -> np.ndarray:
    """(n, c * krows * kcols, out_rows * out_cols): each column one output position's patch."""
    n, c = x.shape[:2]
    view = _patches(_padded(x, g.pads(khw)), khw, ohw, g)
    return view.reshape(n, c * khw[0] * khw[1], ohw[0] * ohw[1])  # the one copy


def _oriented(w: np.ndarray, g: Geometry) -> np.ndarray:
    """The kernel as it slides over the input: reversed rows and cols for a convolution."""
    return w[:, :, ::-1, ::-1] if g.filter_flip else w


def _check_forward(x: np.ndarray, w: np.ndarray, g: Geometry, hints: tuple) -> Pair:
    op = "conv2d"
    for label, arr, hint in (("input", x, hints[0]), ("filters", w, hints[1])):
        if arr.ndim != 4:
            raise ValueError(f"{op}: {label} must be 4-d, got shape {arr.shape}")
        if hint is not None and any(h is not None and h != d
                                    for h, d in zip(hint, arr.shape, strict=True)):
            raise ValueError(f"{op}: {label} has shape {arr.shape} but the {label} shape "
                             f"given to conv2d is {hint}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{op}: input of shape {x.shape} has {x.shape[1]} channels but "
                         f"filters of shape {w.shape} expect {w.shape[1]} input channels")
    ohw = tuple(int(v) for v in g.out_hw(x.shape[2:], w.shape[2:]))
    if min(ohw) <= 0:
        raise ValueError(_too_large_message(x.shape, w.shape, g))
    return ohw


def _too_large_message(xs: Sequence[Any], ws: Sequence[Any], g: Geometry) -> str:
    ext = tuple(extent(ws[2 + a], g.filter_dilation[a]) for a in (0, 1))
    pads = tuple(padding(g.border_mode, a, ext[a]) for a in (0, 1))
    padded = tuple(xs[2 + a] + 2 * pads[a] for a in (0, 1))
    return (f"conv2d: the kernel (filters {tuple(ws)}, extent {ext[0]}x{ext[1]} with "
            f"dilation {g.filter_dilation}) is larger than the padded input "
            f"{padded[0]}x{padded[1]} (input {tuple(xs)}, {_describe(g)})")


def conv2d_forward(x: np.ndarray, w: np.ndarray, border_mode: BorderMode, subsample: Pair,
                   filter_flip: bool, filter_dilation: Pair, input_shape: Any = None,
                   filter_shape: Any = None) -> np.ndarray:
    """conv2d on arrays: im2col, then one matrix product per batch item (in BLAS)."""
    g = Geometry(border_mode, subsample, filter_flip, filter_dilation)
    ohw = _check_forward(x, w, g, (input_shape, filter_shape))
    n, o = x.shape[0], w.shape[0]
    cols = _im2col(x, w.shape[2:], ohw, g)
    kmat = _oriented(w, g).reshape(o, -1)
    # (o, K) @ (n, K, P) -> (n, o, P): already in NCHW order, no transpose needed.
    return np.matmul(kmat, cols).reshape(n, o, ohw[0], ohw[1])


def conv2d_grad_inputs(w: np.ndarray, gy: np.ndarray, in_hw: np.ndarray,
                       border_mode: BorderMode, subsample: Pair, filter_flip: bool,
                       filter_dilation: Pair) -> np.ndarray:
    """d cost / d input: one matrix product back to patch space, then col2im (scatter-add
    each kernel tap's plane into the padded input, cropped at the end)."""
    g = Geometry(border_mode, subsample, filter_flip, filter_dilation)
    h, wd = (int(v) for v in in_hw)
    n, o, oh, ow = gy.shape
    c, kh, kw = w.shape[1:]
    _check_grad_shapes("conv2d_grad_inputs", (n, c, h, wd), w.shape, gy.shape, g)
    ph, pw = g.pads((kh, kw))
    gxp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=np.result_type(w, gy))
    if gy.size and w.size:
        kmat = _oriented(w, g).reshape(o, -1)
        cols = np.matmul(kmat.T, gy.reshape(n, o, oh * ow)).reshape(n, c, kh, kw, oh, ow)
        (dh, dw), (sh, sw) = g.filter_dilation, g.subsample
        for i in range(kh):
            for j in range(kw):
                gxp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                    j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return gxp[:, :, ph:ph + h, pw:pw + wd]


def conv2d_grad_weights(x: np.ndarray, gy: np.ndarray, k_hw: np.ndarray,
                        border_mode: BorderMode, subsample: Pair, filter_flip: bool,
                        filter_dilation: Pair) -> np.ndarray:
    """d cost / d filters: im2col of the input, one matrix product per batch item, summed."""
    g = Geometry(border_mode, subsample, filter_flip, filter_dilation)
    kh, kw = (int(v) for v in k_hw)
    n, o, oh, ow = gy.shape
    c = x.shape[1]
    _check_grad_shapes("conv2d_grad_weights", x.shape, (o, c, kh, kw), gy.shape, g)
    if not (gy.size and x.size):
        return np.zeros((o, c, kh, kw), dtype=np.result_type(x, gy))
    cols = _im2col(x, (kh, kw), (oh, ow), g)
    # (n, o, P) @ (n, P, K) -> (n, o, K); the transposed view is BLAS-ready (no copy).
    gw = np.matmul(gy.reshape(n, o, oh * ow), cols.transpose(0, 2, 1)).sum(axis=0)
    gw = gw.reshape(o, c, kh, kw)
    return np.ascontiguousarray(_oriented(gw, g))


def _check_grad_shapes(op: str, xs: Sequence[int], ws: Sequence[int], gs: Sequence[int],
                       g: Geometry) -> None:
    """The output gradient has the shape conv2d(input, filters) has."""
    if len(gs) != 4 or len(xs) != 4 or len(ws) != 4:
        raise ValueError(f"{op}: expected 4-d arrays, got input {tuple(xs)}, filters "
                         f"{tuple(ws)}, output gradient {tuple(gs)}")
    expected = (xs[0], ws[0], *(int(v) for v in g.out_hw(xs[2:], ws[2:])))
    if tuple(gs) != expected or xs[1] != ws[1]:
        raise ValueError(f"{op}: output gradient of shape {tuple(gs)} does not match "
                         f"conv2d of input {tuple(xs)} with filters {tuple(ws)} "
                         f"({_describe(g)}), whose output shape is {expected}")


# ---------------------------------------------------------------- ops


def _float_pair(a: Any, b: Any, op: str) -> tuple[Variable, Variable]:
    """Both operands in one float dtype (ints become float64, as NumPy's true division)."""
    a, b = as_tensor(a), as_tensor(b)
    dt = dtypes.upcast(a.dtype, b.dtype)
    if not dtypes.is_float(dt):
        if dtypes.is_complex(dt):
            raise TypeError(f"{op}: complex inputs are not supported ({a.type}, {b.type})")
        dt = "float64"
    return (a if a.dtype == dt else ew.cast(a, dt)), (b if b.dtype == dt else ew.cast(b, dt))


def _require_4d(v: Variable, label: str, op: str, layout: str) -> None:
    if v.ndim != 4:
        raise ValueError(f"{op}: {label} must be 4-d {layout}, got {v.type}")


def _merge_hint(static: tuple, hint: tuple | None, label: str, var: Variable) -> tuple:
    """Static dims completed by a user's shape hint; a contradiction is an error."""
    if hint is None:
        return static
    out = []
    for s, h in zip(static, hint, strict=True):
        if s is not None and h is not None and s != h:
            raise ValueError(f"conv2d: {label} {var.type} does not match the given "
                             f"{label.replace(' ', '_')}_shape {hint}")
        out.append(s if s is not None else h)
    return tuple(out)



def _static_out(g: Geometry, xs: tuple, ws: tuple) -> tuple[int | None, int | None]:
    dims = []
    for a in (0, 1):
        n, k = xs[2 + a], ws[2 + a]
        dims.append(None if n is None or k is None else
                    out_length(n, k, g.border_mode, a, g.subsample[a], g.filter_dilation[a]))
    return dims[0], dims[1]



@dataclass(frozen=True)
class _ConvOp(Op):
    """Shared parameters of the three convolution ops (each subclass inherits them)."""

    border_mode: BorderMode = "valid"
    subsample: Pair = (1, 1)
    filter_flip: bool = True
    filter_dilation: Pair = (1, 1)

    @property
    def geometry(self) -> Geometry:
        return Geometry(self.border_mode, self.subsample, self.filter_flip,
                        self.filter_dilation)

    def _args(self) -> str:
        return (f"{self.border_mode!r}, {self.subsample}, {self.filter_flip}, "
                f"{self.filter_dilation}")

    def _ops(self) -> tuple[Conv2d, Conv2dGradInputs, Conv2dGradWeights]:
        p = (self.border_mode, self.subsample, self.filter_flip, self.filter_dilation)
        return Conv2d(*p), Conv2dGradInputs(*p), Conv2dGradWeights(*p)


@dataclass(frozen=True)
class Conv2d(_ConvOp):
    """2-d convolution of (batch, channels, rows, cols) inputs with (out, in, rows, cols)
    filters; `input_shape` / `filter_shape` are optional static hints, checked at run time."""

    input_shape: tuple | None = None
    filter_shape: tuple | None = None

    def make_node(self, x: Any, w: Any) -> Apply:
        x, w = _float_pair(x, w, "conv2d")
        _require_4d(x, "input", "conv2d", "(batch, channels, rows, cols)")
        _require_4d(w, "filters", "conv2d", "(out_channels, in_channels, rows, cols)")
        xs = _merge_hint(x.type.shape, self.input_shape, "input", x)
        ws = _merge_hint(w.type.shape, self.filter_shape, "filter", w)
        if xs[1] is not None and ws[1] is not None and xs[1] != ws[1]:
            raise ValueError(f"conv2d: input {x.type} has {xs[1]} channels but filters "
                             f"{w.type} expect {ws[1]} input channels (input is (batch, "
                             f"channels, rows, cols), filters (out_channels, in_channels, "
                             f"rows, cols))")
        oh, ow = _static_out(self.geometry, xs, ws)
        if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
            raise ValueError(_too_large_message(xs, ws, self.geometry))
        return Apply(self, [x, w], [TensorType(x.dtype, (xs[0], ws[0], oh, ow))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(conv2d_forward, "conv2d")
        hints = ""
        if self.input_shape is not None or self.filter_shape is not None:
            hints = f", {self.input_shape}, {self.filter_shape}"
        return f"{fn}({ins[0]}, {ins[1]}, {self._args()}{hints})"

    def grad(self, inputs, outputs, output_grads):
        x, w = inputs
        (gy,) = output_grads
        _, grad_inputs, grad_weights = self._ops()
        return [ew.cast_like(grad_inputs(w, gy, trailing_dims(x)), x),
                ew.cast_like(grad_weights(x, gy, trailing_dims(w)), w)]

    def infer_shape(self, node, input_shapes):
        (sx, sw), out = input_shapes, node.outputs[0].type.shape
        dims = [sx[0], sw[0], *self.geometry.out_hw(sx[2:], sw[2:])]
        return [[constant(s, INT) if s is not None else d for s, d in zip(out, dims,
                                                                          strict=True)]]


class _ConvGrad(_ConvOp):
    """What the two gradient ops share: inputs (a, output gradient, the rows and cols of the
    result); the result's first two dims come from a's and gy's channel dims."""

    # (label of a, its layout), the NumPy function, and for the result's first two dims
    # which (input, axis) pairs supply them.
    a_label: ClassVar[tuple[str, str]]
    impl: ClassVar[Callable[..., np.ndarray]]
    lead: ClassVar[tuple[tuple[int, int], tuple[int, int]]]

    def make_node(self, a: Any, gy: Any, hw_in: Any) -> Apply:
        a, gy = _float_pair(a, gy, self.name)
        _require_4d(a, self.a_label[0], self.name, self.a_label[1])
        _require_4d(gy, "output gradient", self.name, "(batch, out, rows, cols)")
        hw = as_shape_vector(hw_in, self.name)
        h, wd = static_vector(hw) or (None, None)
        shapes = (a.type.shape, gy.type.shape)
        lead = tuple(shapes[i][k] for i, k in self.lead)
        return Apply(self, [a, gy, hw], [TensorType(gy.dtype, lead + (h, wd))])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(type(self).impl, self.name)
        return f"{fn}({ins[0]}, {ins[1]}, {ins[2]}, {self._args()})"

    def infer_shape(self, node, input_shapes):
        hw = node.inputs[2]
        return [[input_shapes[i][k] for i, k in self.lead] + [hw[0], hw[1]]]


@dataclass(frozen=True)
class Conv2dGradInputs(_ConvGrad):
    """The gradient of conv2d with respect to its input, from the filters and the output
    gradient; `in_hw` gives the input's rows and cols (strides make them ambiguous)."""

    a_label = ("filters", "(out, in, rows, cols)")
    impl = staticmethod(conv2d_grad_inputs)
    lead = ((1, 0), (0, 1))  # (batch of gy, in-channels of w)

    @property
    def name(self) -> str:
        return "conv2d_grad_inputs"

    def grad(self, inputs, outputs, output_grads):
        # <G, grad_inputs(w, gy)> = <conv(G, w), gy> = <grad_weights(G, gy), w>
        w, gy, _ = inputs
        (gg,) = output_grads
        conv, _, grad_weights = self._ops()
        return [ew.cast_like(grad_weights(gg, gy, trailing_dims(w)), w),
                ew.cast_like(conv(gg, w), gy), None]


@dataclass(frozen=True)
class Conv2dGradWeights(_ConvGrad):
    """The gradient of conv2d with respect to its filters, from the input and the output
    gradient; `k_hw` gives the kernel's rows and cols."""

    a_label = ("input", "(batch, channels, rows, cols)")
    impl = staticmethod(conv2d_grad_weights)
    lead = ((1, 1), (0, 1))  # (out-channels of gy, in-channels of x)

    @property
    def name(self) -> str:
        return "conv2d_grad_weights"

    def grad(self, inputs, outputs, output_grads):
        # <G, grad_weights(x, gy)> = <conv(x, G), gy> = <grad_inputs(G, gy), x>
        x, gy, _ = inputs
        (gg,) = output_grads
        conv, grad_inputs, _ = self._ops()
        return [ew.cast_like(grad_inputs(gg, gy, trailing_dims(x)), x),
                ew.cast_like(conv(x, gg), gy), None]


# ---------------------------------------------------------------- user-facing


def _shape_hint(shape: Any, label: str) -> tuple | None:
    if shape is None:
        return None
    hint = tuple(None if d is None else int(d) for d in shape)
    if len(hint) != 4:
        raise ValueError(f"conv2d: {label} must have 4 entries (int or None), got {shape!r}")
    return hint if any(d is not None for d in hint) else None


def conv2d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
           filter_dilation: Any = (1, 1)) -> Variable:
    """Theano's `conv2d` on NCHW tensors: true convolution unless filter_flip=False.

    `input_shape` / `filter_shape` (ints or None) state shapes the variables' static types
    may not know; they refine the output's static shape and are checked at run time.
    """
    mode = normalize_border_mode(border_mode)
    stride = int_pair(subsample, "subsample", "conv2d", 1)
    dilation = int_pair(filter_dilation, "filter_dilation", "conv2d", 1)
    op = Conv2d(mode, stride, bool(filter_flip), dilation,
                _shape_hint(input_shape, "input_shape"),
                _shape_hint(filter_shape, "filter_shape"))
    return op(input, filters)


def conv1d(input: Any, filters: Any, border_mode: Any = "valid", subsample: int = 1,
           filter_flip: bool = True, filter_dilation: int = 1) -> Variable:
    """1-d convolution of (batch, channels, length) with (out, in, length) filters, as a
    conv2d over a height-1 image."""
    from .shape import dimshuffle
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
