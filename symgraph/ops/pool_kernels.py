"""The NumPy side of pooling (ops/pool.py): window geometry over the last n dims and the
kernels the pooling ops call -- forward, the max-pooling gradient and its gradient, and
the average/sum gradient.

Every kernel works tap by tap: a window offset (i, j[, k]) selects one strided view of
the (padded) input holding that element of every window, so a pooling is ws[0] * ws[1]
(* ws[2]) vectorized NumPy calls whatever the batch or channel count.

Max-pooling gradients do not record an argmax. They recompute, tap by tap, which input
equals its window's maximum (the forward output), keeping only the first such tap of each
window in row-major order: `hit = (tap == y) & ~taken`. That is one comparison and two
boolean operations per tap (about 0.9 ms for a 2x2 pool of a 32x32x26x26 float32 batch,
where the recorded-argmax version spent 5-7 ms computing and scattering int64 indices).
When the windows do not overlap (stride == window, the usual 2x2 pool), each tap's
gradient is written straight into its own strided slice of the result; overlapping
windows add.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Variable
from . import elemwise as ew
from .threads import over_batch

Dims = tuple[int, ...]


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
    """Window, stride, padding and border rule of one pooling over the last `nd` dims."""

    ws: Dims
    stride: Dims
    pad: Dims
    ignore_border: bool

    @property
    def nd(self) -> int:
        return len(self.ws)

    def out_dims(self, dims: Sequence[Any]) -> list[Any]:
        """Output lengths for the pooled input lengths `dims`."""
        return [pool_out_length(dims[a], self.ws[a], self.stride[a], self.pad[a],
                                self.ignore_border) for a in range(self.nd)]

    def layout(self, dims: Sequence[int]) -> tuple[Dims, Dims]:
        """(output lengths, lengths of the padded input extended to hold every window)."""
        out = tuple(int(v) for v in self.out_dims(dims))
        ext = tuple(max(dims[a] + 2 * self.pad[a],
                        (out[a] - 1) * self.stride[a] + self.ws[a] if out[a] else 0)
                    for a in range(self.nd))
        return out, ext

    def taps(self) -> list[Dims]:
        """Every window offset, in row-major order (the order ties are broken in)."""
        return list(itertools.product(*(range(w) for w in self.ws)))

    def overlapping(self) -> bool:
        """True when some input lies in two windows (a stride shorter than the window)."""
        return any(s < w for s, w in zip(self.stride, self.ws, strict=True))

    def __str__(self) -> str:
        return (f"ws={self.ws}, stride={self.stride}, pad={self.pad}, "
                f"ignore_border={self.ignore_border}")


# ---------------------------------------------------------------- helpers


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _extended(x: np.ndarray, g: PoolGeometry, ext: Dims, fill: Any) -> np.ndarray:
    """x placed at offset `pad` in an array of `ext` trailing lengths filled with `fill`."""
    dims = x.shape[-g.nd:]
    if tuple(ext) == dims:
        return x
    out = np.full(x.shape[:-g.nd] + tuple(ext), fill, dtype=x.dtype)
    out[_inner(g, dims)] = x
    return out


def _inner(g: PoolGeometry, dims: Sequence[int]) -> tuple:
    """The index of the real input inside the extended array."""
    return (Ellipsis, *(slice(p, p + n) for p, n in zip(g.pad, dims, strict=True)))


def _tap(xp: np.ndarray, offset: Dims, g: PoolGeometry, out: Dims) -> np.ndarray:
    """View of the element at window offset `offset` of every window: (..., *out)."""
    return xp[(Ellipsis, *(slice(i, i + s * (n - 1) + 1, s)
                           for i, s, n in zip(offset, g.stride, out, strict=True)))]


def _counts(dims: Dims, out: Dims, g: PoolGeometry, include_pad: bool) -> np.ndarray:
    """(*out) number of inputs each window averages over."""
    counts = np.ones((), dtype=np.int64)
    for a in range(g.nd):
        start = np.arange(out[a]) * g.stride[a]
        lo, hi = (0, dims[a] + 2 * g.pad[a]) if include_pad else \
            (g.pad[a], g.pad[a] + dims[a])
        along = np.minimum(start + g.ws[a], hi) - np.maximum(start, lo)
        counts = np.multiply.outer(counts, along)
    return counts


def _real(g: PoolGeometry, dims: Dims, out: Dims, offset: Dims) -> np.ndarray:
    """(*out) booleans: which windows' tap `offset` lands on the input, not on padding."""
    mask = np.ones((), dtype=bool)
    for a in range(g.nd):
        pos = offset[a] + np.arange(out[a]) * g.stride[a]
        mask = np.logical_and.outer(mask, (g.pad[a] <= pos) & (pos < g.pad[a] + dims[a]))
    return mask


def _check_input(op: str, x: np.ndarray, nd: int) -> None:
    if x.ndim < nd:
        raise ValueError(f"{op}: input must have at least {nd} dims, got shape {x.shape}")


# ---------------------------------------------------------------- forward


def _over_lead(x: np.ndarray, nd: int, fn: Any) -> None:
    """fn(index) over slices of x's first axis (in parallel, see ops/threads.py) when x has
    dims before the pooled ones, else fn(Ellipsis) once."""
    if x.ndim > nd and x.shape[0] > 1:
        over_batch(x.shape[0], x.size, fn)
    else:
        fn(Ellipsis)


def pool_forward(x: np.ndarray, ws: Dims, stride: Dims, pad: Dims, ignore_border: bool,
                 mode: str) -> np.ndarray:
    """Pool the last len(ws) dims: one vectorized step per window offset."""
    g = PoolGeometry(ws, stride, pad, ignore_border)
    _check_input(f"pool_{g.nd}d", x, g.nd)
    dims = x.shape[-g.nd:]
    out_dims, ext = g.layout(dims)
    lead = x.shape[:-g.nd]
    if 0 in out_dims or x.size == 0:
        return np.zeros(lead + out_dims, dtype=x.dtype)
    out = np.empty(lead + out_dims, dtype=x.dtype)
    # Padding the max with the lowest value never wins over a real input, and every
    # window holds one (pad < ws), so max and sum see real inputs only.
    fill = _lowest(x.dtype) if mode == "max" else 0
    combine = np.maximum if mode == "max" else np.add
    counts = _counts(dims, out_dims, g, mode == "average_inc_pad").astype(out.dtype) \
        if mode.startswith("average") else None

    def pool_slice(s: Any) -> None:
        xp = _extended(x[s], g, ext, fill)
        taps = [_tap(xp, offset, g, out_dims) for offset in g.taps()]
        target = out[s]
        if len(taps) == 1:
            np.copyto(target, taps[0])
        else:
            combine(taps[0], taps[1], out=target)
        for tap in taps[2:]:
            combine(target, tap, out=target)
        if counts is not None:
            target /= counts

    _over_lead(x, g.nd, pool_slice)
    return out


# ---------------------------------------------------------------- max gradients


def _first_max_masks(x: np.ndarray, y: np.ndarray, g: PoolGeometry, out_dims: Dims,
                     ext: Dims) -> Iterator[tuple[Dims, np.ndarray]]:
    """(offset, mask) per tap: mask marks the windows whose first maximum (row-major,
    real inputs only) is this tap. The mask buffer is reused: use it before the next."""
    dims = x.shape[-g.nd:]
    xp = _extended(x, g, ext, _lowest(x.dtype))
    padded = tuple(ext) != dims
    taps = g.taps()
    taken = np.empty(y.shape, dtype=bool)
    hit = np.empty(y.shape, dtype=bool)
    for k, offset in enumerate(taps):
        mask = taken if k == 0 else hit
        np.equal(_tap(xp, offset, g, out_dims), y, out=mask)
        if padded:  # a padded tap never wins, even against a window of -inf
            mask &= _real(g, dims, out_dims, offset)
        if k:
            np.greater(hit, taken, out=hit)              # hit and not yet taken
            if k < len(taps) - 1:
                np.logical_or(taken, hit, out=taken)
        yield offset, mask


def _check_grad(op: str, shape: Dims, gz: np.ndarray, out_dims: Dims, dims: Dims,
                g: PoolGeometry, lead: Dims) -> None:
    """The output gradient (and the pooled output) fit pooling an input of `dims`."""
    if gz.shape != lead + out_dims or tuple(shape) != gz.shape:
        sizes = "x".join(str(d) for d in dims)
        raise ValueError(f"{op}: gradient of shape {gz.shape} (pooled output "
                         f"{tuple(shape)}) does not match pooling an input of shape "
                         f"{lead + dims} (trailing {sizes}; {g}), whose output has shape "
                         f"{lead + out_dims}")


def max_pool_grad(x: np.ndarray, y: np.ndarray, gz: np.ndarray, ws: Dims, stride: Dims,
                  pad: Dims, ignore_border: bool) -> np.ndarray:
    """Each window's gradient onto its first maximum (overlapping windows add)."""
    g = PoolGeometry(ws, stride, pad, ignore_border)
    _check_input("max_pool_grad", x, g.nd)
    dims, lead = x.shape[-g.nd:], x.shape[:-g.nd]
    out_dims, ext = g.layout(dims)
    _check_grad("max_pool_grad", y.shape, gz, out_dims, dims, g, lead)
    if gz.size == 0:
        return np.zeros(x.shape, dtype=gz.dtype)
    overlap = g.overlapping()
    tiled = tuple(stride) == tuple(ws) and \
        all(o * w == n for o, w, n in zip(out_dims, ws, ext, strict=True))
    # Windows tiling the (padded) input: each tap writes its own slice of every element.
    gxp = (np.empty if tiled else np.zeros)(lead + ext, gz.dtype)

    def max_grad_slice(s: Any) -> None:
        grad, target = gz[s], gxp[s]
        for offset, mask in _first_max_masks(x[s], y[s], g, out_dims, ext):
            view = _tap(target, offset, g, out_dims)
            if overlap:
                view += grad * mask
            else:
                np.multiply(grad, mask, out=view)

    _over_lead(x, g.nd, max_grad_slice)
    return gxp if tuple(ext) == dims else gxp[_inner(g, dims)]


def max_pool_grad_grad(x: np.ndarray, y: np.ndarray, gg: np.ndarray, ws: Dims,
                       stride: Dims, pad: Dims, ignore_border: bool) -> np.ndarray:
    """Read each window's first-maximum position out of `gg` (shaped like the input)."""
    g = PoolGeometry(ws, stride, pad, ignore_border)
    _check_input("max_pool_grad_grad", x, g.nd)
    dims, lead = x.shape[-g.nd:], x.shape[:-g.nd]
    out_dims, ext = g.layout(dims)
    if gg.shape != x.shape or y.shape != lead + out_dims:
        raise ValueError(f"max_pool_grad_grad: input {x.shape}, pooled output {y.shape} and "
                         f"input-shaped gradient {gg.shape} do not fit one pooling ({g})")
    out = np.zeros(y.shape, dtype=gg.dtype)
    if out.size == 0:
        return out

    def gather_slice(s: Any) -> None:
        ggp, target = _extended(gg[s], g, ext, 0), out[s]
        for offset, mask in _first_max_masks(x[s], y[s], g, out_dims, ext):
            target += _tap(ggp, offset, g, out_dims) * mask

    _over_lead(x, g.nd, gather_slice)
    return out


# ---------------------------------------------------------------- average gradient


def average_pool_grad(gz: np.ndarray, in_dims: np.ndarray, ws: Dims, stride: Dims, pad: Dims,
                      ignore_border: bool, mode: str) -> np.ndarray:
    """Spread each window's gradient evenly over the inputs it summed (or averaged)."""
    g = PoolGeometry(ws, stride, pad, ignore_border)
    _check_input("average_pool_grad", gz, g.nd)
    dims = tuple(int(v) for v in in_dims)
    lead = gz.shape[:-g.nd]
    out_dims, ext = g.layout(dims)
    _check_grad("average_pool_grad", gz.shape, gz, out_dims, dims, g, lead)
    gxp = np.zeros(lead + ext, dtype=gz.dtype)
    if gz.size == 0:
        return gxp if tuple(ext) == dims else gxp[_inner(g, dims)]
    counts = None if mode == "sum" else \
        _counts(dims, out_dims, g, mode == "average_inc_pad").astype(gz.dtype)

    def average_grad_slice(s: Any) -> None:
        grad, target = gz[s], gxp[s]
        if counts is not None:
            grad = grad / counts
        for offset in g.taps():
            tap = _tap(target, offset, g, out_dims)
            tap += grad

    _over_lead(gz, g.nd, average_grad_slice)
    return gxp if tuple(ext) == dims else gxp[_inner(g, dims)]
