"""Shape manipulation for K: concatenate, reshape, permute, repeat, tile, flatten, padding,
stack, one_hot, reverse.

Padding follows Keras 1.x (`temporal_padding(x, 1)`, `spatial_2d_padding(x, (1, 1),
dim_ordering)` pad symmetrically) and also accepts the Keras 2 forms
(`(left, right)`, `((top, bottom), (left, right))`, `data_format=`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph.graph import Variable

from .common import floatx, normalize_dim_ordering


def _t(x: Any) -> Variable:
    return sg.as_tensor(x)


def concatenate(tensors: Sequence[Any], axis: int = -1) -> Variable:
    """Join tensors along an existing axis (the last by default)."""
    return sg.concatenate(list(tensors), axis=axis)


def reshape(x: Any, shape: Any) -> Variable:
    """x with a new shape; entries may be ints, symbolic scalars, or one -1."""
    return sg.reshape(x, shape)


def permute_dimensions(x: Any, pattern: Sequence[int]) -> Variable:
    """x with its axes reordered: output axis i is input axis pattern[i]."""
    return sg.transpose(x, tuple(pattern))


def repeat_elements(x: Any, rep: int, axis: int) -> Variable:
    """Repeat each element rep times along axis, like np.repeat."""
    return sg.repeat(x, rep, axis=axis)


def repeat(x: Any, n: int) -> Variable:
    """(samples, dim) -> (samples, n, dim): RepeatVector's operation."""
    x = _t(x)
    if x.ndim != 2:
        raise ValueError(f"repeat: expected a 2-d tensor (samples, dim), got {x.type}")
    return sg.repeat(sg.expand_dims(x, 1), n, axis=1)


def tile(x: Any, n: int | Sequence[int]) -> Variable:
    """np.tile with constant repetitions (an int repeats the last axis)."""
    if isinstance(n, Variable):
        raise TypeError("tile: symgraph needs constant repetitions (ints), not a tensor")
    return sg.tile(x, n)


def flatten(x: Any) -> Variable:
    """x as a 1-d tensor."""
    return sg.flatten(x, 1)


def batch_flatten(x: Any) -> Variable:
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""
    x = _t(x)
    rest = x.type.shape[1:]
    width: Any = int(np.prod(rest, dtype=np.int64)) if None not in rest else -1
    return sg.reshape(x, (sg.shape_i(x, 0), width))


def expand_dims(x: Any, dim: int = -1) -> Variable:
    """Insert a size-1 axis at position dim (-1: at the end)."""
    x = _t(x)
    if dim < 0:
        dim = 0 if x.ndim == 0 else dim % x.ndim + 1
    return sg.expand_dims(x, dim)


def squeeze(x: Any, axis: int) -> Variable:
    """Remove the size-1 axis `axis`."""
    return sg.squeeze(x, axis)


def stack(x: Sequence[Any], axis: int = 0) -> Variable:
    """Join tensors along a new axis."""
    return sg.stack(list(x), axis=axis)


def one_hot(indices: Any, nb_classes: int) -> Variable:
    """An int tensor of shape s -> a floatx tensor of shape s + (nb_classes,)."""
    idx = _t(indices)
    classes = sg.arange(nb_classes)
    return sg.cast(sg.eq(sg.expand_dims(idx, -1), classes), floatx())


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str = "int32") -> Variable:
    """A 1-d tensor start, start + step, ... below stop (arange(n) counts 0..n-1)."""
    return sg.arange(start, stop, step, dtype=dtype)


def reverse(x: Any, axes: int | Sequence[int]) -> Variable:
    """x reversed along the given axes."""
    x = _t(x)
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    axes = [a % x.ndim for a in axes]
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


# ---------------------------------------------------------------- padding


def _pad(x: Variable, pads: Sequence[tuple[int, int]]) -> Variable:
    """x surrounded by zeros: pads[i] = (before, after) for axis i."""
    dims, index = [], []
    for i, (lo, hi) in enumerate(pads):
        d = x.type.shape[i]
        # Keep sizes static where they are, so later layers know their input shapes.
        dims.append(d + lo + hi if d is not None else sg.shape_i(x, i) + (lo + hi))
        stop = d + lo if d is not None else sg.shape_i(x, i) + lo
        index.append(slice(lo, stop) if (lo or hi) else slice(None))
    out = sg.zeros(dims, dtype=x.dtype)
    return sg.set_subtensor(out[tuple(index)], x)


def _pair(p: Any, what: str) -> tuple[int, int]:
    if isinstance(p, (int, np.integer)):
        return (int(p), int(p))
    if len(p) != 2:
        raise ValueError(f"{what}: each padding must be an int or a (before, after) pair, "
                         f"got {p!r}")
    return (int(p[0]), int(p[1]))


def temporal_padding(x: Any, padding: int | Sequence[int] = 1) -> Variable:
    """Pad axis 1 of a 3-d tensor: `padding` zeros on both sides, or (left, right)."""
    x = _t(x)
    if x.ndim != 3:
        raise ValueError(f"temporal_padding: expected a 3-d tensor, got {x.type}")
    return _pad(x, [(0, 0), _pair(padding, "temporal_padding"), (0, 0)])


def asymmetric_temporal_padding(x: Any, left_pad: int = 1, right_pad: int = 1) -> Variable:
    """Pad axis 1 of a 3-d tensor with left_pad zeros before and right_pad after."""
    return temporal_padding(x, (left_pad, right_pad))


def _spatial_pads(x: Variable, padding: Sequence[Any], dim_ordering: str | None,
                  data_format: str | None, n: int, what: str) -> list[tuple[int, int]]:
    if x.ndim != n + 2:
        raise ValueError(f"{what}: expected a {n + 2}-d tensor, got {x.type}")
    if len(padding) != n:
        raise ValueError(f"{what}: expected {n} paddings, got {padding!r}")
    ordering = normalize_dim_ordering(data_format or dim_ordering)
    spatial = [_pair(p, what) for p in padding]
    if ordering == "th":
        return [(0, 0), (0, 0), *spatial]
    return [(0, 0), *spatial, (0, 0)]


def spatial_2d_padding(x: Any, padding: Sequence[Any] = (1, 1),
                       dim_ordering: str | None = "default",
                       data_format: str | None = None) -> Variable:
    """Pad the two spatial axes of a 4-d tensor ('th': axes 2, 3; 'tf': axes 1, 2)."""
    x = _t(x)
    return _pad(x, _spatial_pads(x, padding, dim_ordering, data_format, 2,
                                 "spatial_2d_padding"))


def asymmetric_spatial_2d_padding(x: Any, top_pad: int = 1, bottom_pad: int = 1,
                                  left_pad: int = 1, right_pad: int = 1,
                                  dim_ordering: str | None = "default") -> Variable:
    """Pad rows with top_pad/bottom_pad zeros and columns with left_pad/right_pad."""
    return spatial_2d_padding(x, ((top_pad, bottom_pad), (left_pad, right_pad)), dim_ordering)


def spatial_3d_padding(x: Any, padding: Sequence[Any] = (1, 1, 1),
                       dim_ordering: str | None = "default",
                       data_format: str | None = None) -> Variable:
    """Pad the three spatial axes of a 5-d tensor."""
    x = _t(x)
    return _pad(x, _spatial_pads(x, padding, dim_ordering, data_format, 3,
                                 "spatial_3d_padding"))
