"""The NumPy side of convolution (ops/conv.py): geometry of 2-d and 3-d convolutions and
the im2col kernels the convolution ops call.

Layouts are Theano's: input (batch, channels, *spatial), filters (out_channels,
in_channels // num_groups, *kernel), output (batch, out_channels, *out). Every kernel
computes by im2col: a strided view gathers each output position's input patch, one copy
lays the patches out as a (batch, channels * taps, positions) matrix, and one batched
BLAS matrix product does the arithmetic (float32 stays float32). With num_groups > 1
the channels split into groups convolved separately (num_groups == channels is a
depthwise convolution): the same product, batched over groups too.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .threads import over_batch

Dims = tuple[int, ...]
BorderMode = str | Dims
Pair = tuple[int, int]
_MODES = ("valid", "full", "half")


# ---------------------------------------------------------------- arguments


def int_tuple(value: Any, n: int, what: str, op: str, minimum: int) -> Dims:
    """An int or n ints (each >= minimum) -> a tuple of n Python ints."""
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        values = tuple(items)
    except TypeError:
        values = ()
    if len(values) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                   for v in values):
        several = "a pair of ints" if n == 2 else f"a tuple of {n} ints"
        raise ValueError(f"{op}: {what} must be an int or {several}, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{op}: {what} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def int_pair(value: Any, what: str, op: str, minimum: int) -> Pair:
    """An int or a pair of ints (each >= minimum) -> a pair of Python ints."""
    return int_tuple(value, 2, what, op, minimum)  # type: ignore[return-value]


def normalize_border_mode(border_mode: Any, op: str = "conv2d", nd: int = 2) -> BorderMode:
    """'valid' | 'full' | 'half' | int | nd ints -> a mode name or a tuple of paddings."""
    several = "a pair of ints" if nd == 2 else f"{nd} ints"
    if isinstance(border_mode, str):
        if border_mode not in _MODES:
            hint = (" ('same' is Keras's name: use 'half', which keeps the size for odd "
                    "kernels)" if border_mode == "same" else "")
            raise ValueError(f"{op}: border_mode must be 'valid', 'full', 'half', an int or "
                             f"{several}, got {border_mode!r}{hint}")
        return border_mode
    try:
        pad = int_tuple(border_mode, nd, "border_mode", op, 0)
    except ValueError:
        raise ValueError(f"{op}: border_mode must be 'valid', 'full', 'half', an int or "
                         f"{several.replace(' ints', ' non-negative ints')}, got "
                         f"{border_mode!r}") from None
    return "valid" if not any(pad) else pad


# ---------------------------------------------------------------- geometry


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
    """Everything but the arrays: padding mode, stride, flip, dilation, groups."""

    border_mode: BorderMode
    subsample: Dims
    filter_flip: bool
    filter_dilation: Dims
    num_groups: int = 1

    @property
    def nd(self) -> int:
        return len(self.subsample)

    def out_dims(self, dims: Sequence[Any], kdims: Sequence[Any]) -> list[Any]:
        """Output lengths for input lengths `dims` and kernel lengths `kdims`."""
        return [out_length(dims[a], kdims[a], self.border_mode, a, self.subsample[a],
                           self.filter_dilation[a]) for a in range(self.nd)]

    def pads(self, kdims: Sequence[int]) -> Dims:
        return tuple(padding(self.border_mode, a, extent(kdims[a], self.filter_dilation[a]))
                     for a in range(self.nd))

    def describe(self) -> str:
        groups = f", num_groups={self.num_groups}" if self.num_groups != 1 else ""
        return (f"border_mode={self.border_mode!r}, subsample={self.subsample}, "
                f"filter_dilation={self.filter_dilation}{groups}")

    def too_large(self, op: str, xs: Sequence[Any], ws: Sequence[Any]) -> str:
        """The message for a kernel that does not fit in the padded input."""
        ext = tuple(extent(ws[2 + a], self.filter_dilation[a]) for a in range(self.nd))
        pads = tuple(padding(self.border_mode, a, ext[a]) for a in range(self.nd))
        padded = "x".join(str(xs[2 + a] + 2 * pads[a]) for a in range(self.nd))
        return (f"{op}: the kernel (filters {tuple(ws)}, extent "
                f"{'x'.join(map(str, ext))} with dilation {self.filter_dilation}) is larger "
                f"than the padded input {padded} (input {tuple(xs)}, {self.describe()})")


# ---------------------------------------------------------------- im2col


def _padded(x: np.ndarray, pads: Dims) -> np.ndarray:
    """x with pads[a] zeros before and after spatial axis a."""
    if not any(pads):
        return x
    out = np.zeros(x.shape[:2] + tuple(d + 2 * p for d, p in zip(x.shape[2:], pads,
                                                                  strict=True)), x.dtype)
    out[(slice(None), slice(None), *(slice(p, p + d) for d, p in
                                     zip(x.shape[2:], pads, strict=True)))] = x
    return out


def _patches(xp: np.ndarray, kdims: Dims, out: Dims, g: Geometry) -> np.ndarray:
    """A read-only view (n, c, *kernel, *out) of the padded input: [.., taps, positions]
    is the input tap of that output position."""
    s = xp.strides
    taps = tuple(s[2 + a] * g.filter_dilation[a] for a in range(g.nd))
    steps = tuple(s[2 + a] * g.subsample[a] for a in range(g.nd))
    return as_strided(xp, xp.shape[:2] + tuple(kdims) + tuple(out), s[:2] + taps + steps,
                      writeable=False)


def _im2col(x: np.ndarray, kdims: Dims, out: Dims, g: Geometry) -> np.ndarray:
    """(n, c * taps, positions): each column one output position's patch."""
    n, c = x.shape[:2]
    view = _patches(_padded(x, g.pads(kdims)), kdims, out, g)
    return view.reshape(n, c * math.prod(kdims), math.prod(out))  # the one copy


def _oriented(w: np.ndarray, g: Geometry) -> np.ndarray:
    """The kernel as it slides over the input: reversed spatial axes for a convolution."""
    if not g.filter_flip:
        return w
    return w[(slice(None), slice(None), *(slice(None, None, -1),) * g.nd)]


def _grouped(a: np.ndarray, groups: int, axis: int) -> np.ndarray:
    """a with `axis` split into (groups, rest): the layout batched over groups."""
    shape = a.shape[:axis] + (groups, a.shape[axis] // groups) + a.shape[axis + 1:]
    return a.reshape(shape)


# ---------------------------------------------------------------- checks


def _check_forward(op: str, x: np.ndarray, w: np.ndarray, g: Geometry, hints: tuple) -> Dims:
    rank = g.nd + 2
    for label, arr, hint in (("input", x, hints[0]), ("filters", w, hints[1])):
        if arr.ndim != rank:
            raise ValueError(f"{op}: {label} must be {rank}-d, got shape {arr.shape}")
        if hint is not None and any(h is not None and h != d
                                    for h, d in zip(hint, arr.shape, strict=True)):
            raise ValueError(f"{op}: {label} has shape {arr.shape} but the {label} shape "
                             f"given to {op} is {hint}")
    if x.shape[1] != w.shape[1] * g.num_groups:
        raise ValueError(f"{op}: input of shape {x.shape} has {x.shape[1]} channels but "
                         f"filters of shape {w.shape} expect {w.shape[1] * g.num_groups} "
                         f"input channels{_groups(g)}")
    if w.shape[0] % g.num_groups:
        raise ValueError(f"{op}: {w.shape[0]} filters do not split into "
                         f"num_groups={g.num_groups} groups")
    out = tuple(int(v) for v in g.out_dims(x.shape[2:], w.shape[2:]))
    if min(out) <= 0:
        raise ValueError(g.too_large(op, x.shape, w.shape))
    return out


def _groups(g: Geometry) -> str:
    return f" ({g.num_groups} groups)" if g.num_groups != 1 else ""


def _check_grad_shapes(op: str, xs: Sequence[int], ws: Sequence[int], gs: Sequence[int],
                       g: Geometry) -> None:
    """The output gradient has the shape the convolution of input and filters has."""
    rank = g.nd + 2
    if len(gs) != rank or len(xs) != rank or len(ws) != rank:
        raise ValueError(f"{op}: expected {rank}-d arrays, got input {tuple(xs)}, filters "
                         f"{tuple(ws)}, output gradient {tuple(gs)}")
    expected = (xs[0], ws[0], *(int(v) for v in g.out_dims(xs[2:], ws[2:])))
    if tuple(gs) != expected or xs[1] != ws[1] * g.num_groups:
        raise ValueError(f"{op}: output gradient of shape {tuple(gs)} does not match the "
                         f"convolution of input {tuple(xs)} with filters {tuple(ws)} "
                         f"({g.describe()}), whose output shape is {expected}")


# ---------------------------------------------------------------- kernels


def _patch_bytes(a: np.ndarray, kdims: Sequence[int], out: Sequence[int],
                 channels: int | None = None) -> int:
    """Bytes of one batch item's patch matrix (channels * taps * positions)."""
    c = a.shape[1] if channels is None else channels
    return c * math.prod(kdims) * math.prod(out) * a.itemsize


def conv_forward(x: np.ndarray, w: np.ndarray, border_mode: BorderMode, subsample: Dims,
                 filter_flip: bool, filter_dilation: Dims, num_groups: int = 1,
                 input_shape: Any = None, filter_shape: Any = None) -> np.ndarray:
    """The convolution on arrays: im2col, then one matrix product per batch item (and
    group) in BLAS, batch slices on parallel threads (ops/threads.py)."""
    g = Geometry(border_mode, tuple(subsample), filter_flip, tuple(filter_dilation),
                 num_groups)
    out = _check_forward(f"conv{g.nd}d", x, w, g, (input_shape, filter_shape))
    n, o = x.shape[0], w.shape[0]
    kdims = w.shape[2:]
    kmat = _oriented(w, g).reshape(o, -1)
    y = np.empty((n, o) + out, dtype=np.result_type(x, w))
    positions = math.prod(out)

    def forward_slice(s: slice) -> None:
        cols = _im2col(x[s], kdims, out, g)
        target = y[s].reshape(-1, o, positions)
        if num_groups == 1:
            # (o, K) @ (n, K, P) -> (n, o, P): already in NCHW order, no transpose needed.
            np.matmul(kmat, cols, out=target)
        else:
            np.matmul(_grouped(kmat, num_groups, 0), _grouped(cols, num_groups, 1),
                      out=_grouped(target, num_groups, 1))

    if n:
        over_batch(n, y.size * kmat.shape[1], forward_slice, _patch_bytes(x, kdims, out))
    return y


def conv_grad_inputs(w: np.ndarray, gy: np.ndarray, in_dims: np.ndarray,
                     border_mode: BorderMode, subsample: Dims, filter_flip: bool,
                     filter_dilation: Dims, num_groups: int = 1) -> np.ndarray:
    """d cost / d input (a transposed convolution). With stride 1 it is a convolution
    itself -- of the output gradient, padded by (kernel extent - 1 - padding), with the
    kernel's channels swapped and its flip reversed -- computed like the forward pass
    (about 20% faster than col2im for 3x3 kernels). Otherwise: one matrix product back to
    patch space, then col2im (each kernel tap's plane added into the padded input,
    cropped at the end)."""
    g = Geometry(border_mode, tuple(subsample), filter_flip, tuple(filter_dilation),
                 num_groups)
    dims = tuple(int(v) for v in in_dims)
    n, o = gy.shape[:2]
    out = gy.shape[2:]
    c, kdims = w.shape[1] * num_groups, w.shape[2:]
    _check_grad_shapes(f"conv{g.nd}d_grad_inputs", (n, c) + dims, w.shape, gy.shape, g)
    pads = g.pads(kdims)
    full = tuple(extent(k, d) - 1 - p for k, d, p in zip(kdims, g.filter_dilation, pads,
                                                         strict=True))
    if num_groups == 1 and set(g.subsample) == {1} and min(full) >= 0 and gy.size:
        swapped = np.swapaxes(w, 0, 1)
        return conv_forward(gy, swapped, full if any(full) else "valid", g.subsample,
                            not filter_flip, g.filter_dilation)
    gxp = np.zeros((n, c) + tuple(d + 2 * p for d, p in zip(dims, pads, strict=True)),
                   dtype=np.result_type(w, gy))
    crop = (slice(None), slice(None), *(slice(p, p + d) for p, d in
                                        zip(pads, dims, strict=True)))
    if not (gy.size and w.size):
        return gxp[crop]
    kmat = _oriented(w, g).reshape(o, -1)
    taps = list(itertools.product(*(range(k) for k in kdims)))

    def col2im_slice(s: slice) -> None:
        flat = gy[s].reshape(-1, o, math.prod(out))
        if num_groups == 1:
            cols = np.matmul(kmat.T, flat)
        else:
            cols = np.matmul(_grouped(kmat, num_groups, 0).transpose(0, 2, 1),
                             _grouped(flat, num_groups, 1))
        cols = cols.reshape((-1, c) + tuple(kdims) + tuple(out))
        target = gxp[s]
        for tap in taps:
            index = tuple(slice(t * d, t * d + st * (m - 1) + 1, st) for t, d, st, m in
                          zip(tap, g.filter_dilation, g.subsample, out, strict=True))
            target[(slice(None), slice(None), *index)] += \
                cols[(slice(None), slice(None), *tap)]

    over_batch(n, gxp.size * o, col2im_slice, _patch_bytes(gy, kdims, out, c))
    return gxp[crop]


def conv_grad_weights(x: np.ndarray, gy: np.ndarray, k_dims: np.ndarray,
                      border_mode: BorderMode, subsample: Dims, filter_flip: bool,
                      filter_dilation: Dims, num_groups: int = 1) -> np.ndarray:
    """d cost / d filters: im2col of the input, one matrix product per batch item (and
    group), summed over the batch (each batch slice's sum on its own thread)."""
    g = Geometry(border_mode, tuple(subsample), filter_flip, tuple(filter_dilation),
                 num_groups)
    kdims = tuple(int(v) for v in k_dims)
    n, o = gy.shape[:2]
    out = gy.shape[2:]
    c = x.shape[1]
    wshape = (o, c // num_groups) + kdims
    _check_grad_shapes(f"conv{g.nd}d_grad_weights", x.shape, wshape, gy.shape, g)
    if not (gy.size and x.size):
        return np.zeros(wshape, dtype=np.result_type(x, gy))

    def grad_weights_slice(s: slice) -> np.ndarray:
        cols = _im2col(x[s], kdims, out, g)
        flat = gy[s].reshape(-1, o, math.prod(out))
        if num_groups == 1:
            # (n, o, P) @ (n, P, K) -> (n, o, K); the transposed view is BLAS-ready.
            return np.matmul(flat, cols.transpose(0, 2, 1)).sum(axis=0)
        return np.matmul(_grouped(flat, num_groups, 1),
                         _grouped(cols, num_groups, 1).transpose(0, 1, 3, 2)).sum(axis=0)

    parts = over_batch(n, gy.size * math.prod(wshape[1:]), grad_weights_slice,
                       _patch_bytes(x, kdims, out))
    gw = parts[0] if len(parts) == 1 else np.sum(parts, axis=0)
    return np.ascontiguousarray(_oriented(gw.reshape(wshape), g))
